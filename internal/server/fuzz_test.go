package server

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fsx-wasix/fsx-wasix/pkg/exerciser"
)

// FuzzParams: any query string is a request or one parameter error —
// never a panic, never an error without the parameter's name, never a
// request past the limits.
func FuzzParams(f *testing.F) {
	for _, s := range []string{
		"cwd=/tmp&file=fsxfile&numops=10000&threads=4&seed=1&flen=10485760&opsize_min=1&opsize_max=65536&close_open=1&read=1&write=1&mapread=1&mapwrite=1&truncate=1&fsync=0&fdatasync=0",
		"cwd=/tmp&path=a&n=5&j=1", "numops=-1", "threads=99999999999999999999", "seed=%00", "flen=1e9&opsize_max=0",
		"inject=5&numops=3", "timeout_ms=0", "read=1&read=2", "bogus=1", "&&&=", "cwd=%zz",
	} {
		f.Add(s)
	}
	lim := Limits{MaxNumOps: 1000000, MaxThreads: 16, MaxFileLen: 64 << 20, MaxTotalFileLen: 256 << 20, MaxRunTime: time.Minute, MaxRuns: 4, MaxBody: 4096}
	f.Fuzz(func(t *testing.T, q string) {
		form, err := url.ParseQuery(q)
		if err != nil {
			return // the HTTP layer answers 400 before parameters are read
		}
		r, perr := parseRun(form, exerciser.DefaultConfig(), runDefaults{NumOps: 100, Threads: 1}, lim)
		if perr != nil {
			if perr.Msg == "" || strings.ContainsRune(perr.Error(), '\n') {
				t.Fatalf("%q: error %q is empty or not one line", q, perr.Error())
			}
			return
		}
		if r.NumOps > lim.MaxNumOps || r.Threads > lim.MaxThreads || r.Timeout > lim.MaxRunTime {
			t.Fatalf("%q: request past the limits: %+v", q, r)
		}
	})
}
