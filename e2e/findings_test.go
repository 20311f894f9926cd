package e2e_test

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/runner"
	"github.com/fsx-wasix/fsx-wasix/internal/testutil"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

// Findings that are still present are recorded, not failed: each test
// reproduces one entry of docs/findings.md and logs "FINDING ... still
// present" or "not seen". What fails is our workaround no longer working.

// sdkRun runs run.mjs directly, for the flags runner.Spec does not have.
func sdkRun(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command("node", append([]string{filepath.Join(runner.SDKDir(""), "run.mjs")}, args...)...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("node run.mjs: %v", err)
	}
	return cmd.ProcessState.ExitCode(), string(out)
}

// TestFindingSDKFirstClockWaitHangs: in a fresh @wasmer/sdk instance the
// first command's poll_oneoff clock wait often never returns. The runner's
// warm-up is the workaround and must keep working.
func TestFindingSDKFirstClockWaitHangs(t *testing.T) {
	needRunner(t, "wasmer-sdk", true)
	wasm := buildTool(t, "./e2e/testdata/sleephang", true)
	hung := 0
	const tries = 3
	for i := 0; i < tries; i++ {
		code, out := sdkRun(t, "run", "--no-warmup", "--timeout-ms", "2000", wasm, "--", "poll", "rel", "1ms", "1us")
		switch code {
		case runner.SDKExitTimeout:
			hung++
		case 0:
		default:
			t.Fatalf("sleephang poll: exit %d\n%s", code, out)
		}
	}
	if hung > 0 {
		t.Logf("FINDING still present: SDK first clock wait hung in %d of %d fresh instances (docs/findings.md)", hung, tries)
	} else {
		t.Logf("FINDING not seen in %d fresh instances (it is intermittent: 6 of 8 here on 2026-11-25)", tries)
	}
	for i := 0; i < 2; i++ {
		if code, out := sdkRun(t, "run", "--timeout-ms", "10000", wasm, "--", "sleep", "100us", "50"); code != 0 {
			t.Fatalf("with the warm-up, 50 sleeps of 100µs still failed (exit %d): the workaround no longer works\n%s", code, out)
		}
	}
}

// TestFindingGCWithOpenFileHangs: under both Wasmer runtimes one
// runtime.GC() while an os.File is open never finishes (wazero: fine). A raw
// descriptor instead of an os.File must not hang anywhere. The raw cause is
// checked by TestFindingZeroClockPollHangs.
func TestFindingGCWithOpenFileHangs(t *testing.T) {
	wasm := buildTool(t, "./e2e/testdata/sleephang", true)
	for _, rt := range runtimes {
		t.Run(rt.name, func(t *testing.T) {
			r := needRunner(t, rt.name, rt.requiredCI)
			s := runner.Spec{Wasm: wasm, Args: []string{"opengc", "/tmp/sleephang-opengc"}, Timeout: 6 * time.Second}
			code, out, err := run(t, r, s)
			switch {
			case errors.Is(err, runner.ErrTimeout) && rt.name != "wazero":
				t.Logf("FINDING still present under %s: runtime.GC() with an open os.File hangs (docs/findings.md)", rt.name)
			case err == nil && code == 0:
				t.Logf("%s: GC with an open os.File finished: %s", rt.name, out)
			default:
				t.Fatalf("%s opengc: code %d err %v\n%s", rt.name, code, err, out)
			}
			// The control must finish; its bound only has to outlast a slow
			// start (the CLI compiles the module first; a loaded machine),
			// not a hang.
			s.Args, s.Timeout = []string{"rawopengc", "/tmp/sleephang-rawopengc"}, time.Minute
			if code, out, err := run(t, r, s); err != nil || code != 0 {
				t.Fatalf("%s rawopengc (raw fd, no os.File) should finish: code %d err %v\n%s", rt.name, code, err, out)
			}
		})
	}
}

// TestFindingZeroClockPollHangs: the raw call behind finding 3. Once Go's
// netpoller is running (an os.File opened, a timer set), every
// stop-the-world ends with netpoll(0): one poll_oneoff with one relative
// monotonic clock subscription of timeout 0, precision 1µs, no fd
// subscription. Wasmer treats timeout 0 as "no timeout" and never returns;
// that is logged as the finding. What fails is a contradiction: the zero
// clock hanging under wazero, or a regular file's fd_read subscription not
// reported ready at once (the first suspect, ruled out on 2026-11-25).
func TestFindingZeroClockPollHangs(t *testing.T) {
	wasm := buildTool(t, "./e2e/testdata/sleephang", true)
	for _, rt := range runtimes {
		t.Run(rt.name, func(t *testing.T) {
			r := needRunner(t, rt.name, rt.requiredCI)
			s := runner.Spec{Wasm: wasm, Args: []string{"poll", "rel", "0s", "1us"}, Timeout: 5 * time.Second}
			code, out, err := run(t, r, s)
			switch {
			case errors.Is(err, runner.ErrTimeout) && rt.name != "wazero":
				t.Logf("FINDING still present under %s: poll_oneoff with a relative clock of timeout 0 never returns (docs/findings.md)", rt.name)
			case err == nil && code == 0 && strings.Contains(out, "errno=0"):
				t.Logf("%s: zero clock poll returned: %s", rt.name, strings.TrimSpace(out))
			default:
				t.Fatalf("%s poll rel 0s: code %d err %v\n%s", rt.name, code, err, out)
			}
			// The same zero clock beside a ready fd returns under all three,
			// and a regular file must be ready for reading at once.
			s.Args, s.Timeout = []string{"pollfd", "/tmp/sleephang-pollfd", "read", "0s"}, time.Minute // a control: see rawopengc
			code, out, err = run(t, r, s)
			if err != nil || code != 0 || !strings.Contains(out, "type=fd_read error=0") {
				t.Fatalf("%s pollfd read: a regular file should be ready at once: code %d err %v\n%s", rt.name, code, err, out)
			}
			t.Logf("%s: %s", rt.name, strings.TrimSpace(out))
		})
	}
}

// TestFindingGuestHangsWithGC: the real guest with the seed's 10 MiB config
// hangs at set-up under both Wasmer runtimes when its garbage collector runs
// (GOGC=100 given explicitly); the guest's own workaround — the automatic
// collector off under wasip1 (cmd/guest/gc_wasip1.go) — must keep the seed's
// command working with no environment at all.
func TestFindingGuestHangsWithGC(t *testing.T) {
	for _, rt := range runtimes {
		if rt.name == "wazero" {
			continue
		}
		t.Run(rt.name, func(t *testing.T) {
			r := needRunner(t, rt.name, rt.requiredCI)
			work := t.TempDir()
			writeConfig(t, work)
			s := randomSpec(testutil.GuestWasm(t), work, "", "/tmp", guestapi.Random{NumOps: 0, Seed: 1, Threads: 1})
			s.Env, s.Timeout = []string{guestapi.Env(guestapi.EnvGOGC, "100")}, 8*time.Second
			code, out, err := run(t, r, s)
			switch {
			case errors.Is(err, runner.ErrTimeout):
				t.Logf("FINDING still present under %s: fsx-wasix with flen 10 MiB and the GC on hangs at set-up (docs/findings.md)", rt.name)
			case err == nil && code == 0:
				t.Logf("FINDING not seen under %s: the guest finished with the GC on", rt.name)
			default:
				t.Fatalf("code %d err %v\n%s", code, err, out)
			}
			s.Env, s.Timeout = nil, 60*time.Second
			if code, out, err := run(t, r, s); err != nil || code != 0 {
				t.Fatalf("with no GOGC the guest must run (it turns its collector off): code %d err %v\n%s", code, err, out)
			}
		})
	}
}
