package e2e_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/internal/testutil"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

// failedOpRE finds the failing op in a report, whatever the path is called
// (the SDK runner rewrites volume paths) and colored or not (the SDK's
// stdout says it is a terminal).
var failedOpRE = regexp.MustCompile(`FAILED(?:\x1b\[0m)? \([^)]*\) at op (\d+):`)

// Record, replay and shrink under each runtime: a run recorded with
// --record-ops replays to the same verdict (a pass of the same length, or
// the same exit code at the same op), and a failure's .fsxops shrinks,
// in the guest under the same runtime, to a small program that still fails.
func TestRecordReplayShrink(t *testing.T) {
	for _, rt := range runtimes {
		t.Run(rt.name, func(t *testing.T) {
			r := needRunner(t, rt.name, rt.requiredCI)
			wasm := testutil.GuestWasm(t)
			for _, tc := range []struct {
				name   string
				inject int64
			}{{"passing", 0}, {"failing", 250}} {
				t.Run(tc.name, func(t *testing.T) {
					work, data := t.TempDir(), t.TempDir()
					writeConfig(t, work)
					a := guestapi.Random{NumOps: 400, Seed: 5, Threads: 1, Inject: tc.inject, RecordOps: "/work/rec.fsxops"}
					code, out, err := run(t, r, randomSpec(wasm, work, data, "/data", a))
					if err != nil {
						t.Fatal(err)
					}
					if (tc.inject == 0) != (code == 0) {
						t.Fatalf("run exit %d\n%s", code, out)
					}
					rec, err := os.ReadFile(filepath.Join(work, "rec.fsxops"))
					if err != nil {
						t.Fatal(err)
					}
					op := "400"
					if m := failedOpRE.FindStringSubmatch(out); m != nil {
						op = m[1]
					}
					if n := strings.Count(string(rec), "\n") - 1; strconv.Itoa(n) != op {
						t.Fatalf("the record holds %d ops, the run ended at op %s", n, op)
					}
					replay := guestapi.Random{NumOps: -1, Seed: 5, Threads: 1, ReplayOps: "/work/rec.fsxops"}
					rcode, rout, err := run(t, r, randomSpec(wasm, work, data, "/data", replay))
					if err != nil || rcode != code {
						t.Fatalf("replay exit %d (err %v), the run's %d\n%s", rcode, err, code, rout)
					}
					if code != 0 && !strings.Contains(rout, "at op "+op+":") {
						t.Fatalf("replay did not fail at op %s:\n%s", op, rout)
					}
					if code == 0 {
						return
					}
					// The failure's artifact, shrunk inside the guest, on the
					// runtime's own filesystem.
					copyFile(t, filepath.Join(data, "fsxfile.fsxops"), filepath.Join(work, "f.fsxops"))
					shrink := guestapi.Random{NumOps: -1, Seed: 5, Threads: 1, ShrinkOps: "/work/f.fsxops"}
					scode, sout, err := run(t, r, randomSpec(wasm, work, data, "/tmp", shrink))
					if err != nil || scode != 0 || !strings.Contains(sout, "1-minimal") || !strings.Contains(sout, "=> FAILED exit "+strconv.Itoa(code)) {
						t.Fatalf("shrink under %s: exit %d err %v\n%s", rt.name, scode, err, sout)
					}
					t.Logf("%s: %s", rt.name, strings.SplitN(sout[strings.Index(sout, "shrink: "+op+" ops -> "):], "\n", 2)[0])
				})
			}
		})
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
