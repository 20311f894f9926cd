//go:build wasip1

package main

import (
	"os"
	"runtime/debug"

	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

// Under the wasmer CLI 7.4.2 and @wasmer/sdk 0.16.0 a Go guest stalls for
// good once the garbage collector runs while a file is open
// (docs/findings.md). Random mode's loop does not allocate after set-up, the
// oracle collects by hand between cases and the server has its own policy,
// so the guest turns the automatic collector off for every mode: the seed's
// commands then run as written, with no GOGC=off. An explicit GOGC wins.
func init() {
	if os.Getenv(guestapi.EnvGOGC) == "" {
		debug.SetGCPercent(-1)
	}
}
