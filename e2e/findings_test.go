package e2e_test

import (
	"errors"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/runner"
	"github.com/fsx-wasix/fsx-wasix/internal/testutil"
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
// descriptor instead of an os.File must not hang anywhere.
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
			s.Args = []string{"rawopengc", "/tmp/sleephang-rawopengc"}
			if code, out, err := run(t, r, s); err != nil || code != 0 {
				t.Fatalf("%s rawopengc (raw fd, no os.File) should finish: code %d err %v\n%s", rt.name, code, err, out)
			}
		})
	}
}

// TestFindingSDKGuestHangsWithGC: the real guest with the seed's 10 MiB
// config hangs at set-up under the SDK unless GOGC=off (wasmerEnv).
func TestFindingSDKGuestHangsWithGC(t *testing.T) {
	r := needRunner(t, "wasmer-sdk", true)
	work := t.TempDir()
	writeConfig(t, work)
	s := randomSpec(testutil.GuestWasm(t), work, "", "/tmp", "-N", "0", "-S", "1", "-j1")
	s.Timeout = 8 * time.Second
	code, out, err := run(t, r, s)
	switch {
	case errors.Is(err, runner.ErrTimeout):
		t.Logf("FINDING still present: fsx-wasix -N 0 with flen 10 MiB hangs under the SDK with the GC on (docs/findings.md)")
	case err == nil && code == 0:
		t.Logf("FINDING not seen: the guest finished with the GC on; sdkEnv's GOGC=off may no longer be needed")
	default:
		t.Fatalf("code %d err %v\n%s", code, err, out)
	}
	s.Env, s.Timeout = wasmerEnv, 60*time.Second
	if code, out, err := run(t, r, s); err != nil || code != 0 {
		t.Fatalf("with GOGC=off the guest still fails: code %d err %v\n%s", code, err, out)
	}
}
