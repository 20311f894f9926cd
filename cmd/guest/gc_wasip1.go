//go:build wasip1

package main

import (
	"os"
	"runtime/debug"

	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

// Under the wasmer CLI 7.4.2 and @wasmer/sdk 0.16.0 a Go guest stalls for
// good once a garbage collection runs while Go's netpoller is active (an
// open file, an earlier sleep, a socket): restarting the world then calls
// poll_oneoff with a relative timeout of 0, which Wasmer never returns from
// (docs/findings.md, finding 3). So the guest turns the automatic collector
// off here for every mode, and nothing collects by hand (runtime.GC hangs
// the same way): random mode allocates nothing per op, the oracle about 21
// bytes per case, and the server, which has no collector setting of its
// own, reuses the exerciser's big buffers from run to run. The seed's
// commands then run as written, with no GOGC=off. An explicit GOGC wins,
// except in oracle mode: pkg/oracle turns the collector off regardless.
func init() {
	if os.Getenv(guestapi.EnvGOGC) == "" {
		debug.SetGCPercent(-1)
	}
}
