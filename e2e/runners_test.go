package e2e_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/runner"
)

// TestRunnerContract checks, with the probe guest, what every runner
// promises: arguments pass through untouched, env reaches the guest, the
// exit code is the guest's, a volume's writes land on the host, a /tmp
// exists and a timeout kills the guest.
func TestRunnerContract(t *testing.T) {
	for _, rt := range runtimes {
		t.Run(rt.name, func(t *testing.T) {
			r := needRunner(t, rt.name, rt.requiredCI)
			probe := buildTool(t, "./e2e/testdata/probe", true)
			host := t.TempDir()
			if err := os.WriteFile(filepath.Join(host, "in.txt"), []byte("from the host"), 0o644); err != nil {
				t.Fatal(err)
			}
			vol := []runner.Volume{{Host: host, Guest: "/data"}}
			spec := func(args ...string) runner.Spec {
				return runner.Spec{Wasm: probe, Args: args, Volumes: vol, Timeout: 60 * time.Second}
			}

			args := []string{"echo", "a b", "--", "-v", "--flag=x", ""}
			code, out, err := run(t, r, spec(args...))
			if err != nil || code != 0 || out != "a b\n--\n-v\n--flag=x\n\n" {
				t.Errorf("echo: code %d err %v output %q", code, err, out)
			}
			s := spec("env", "FSX_PROBE")
			s.Env = []string{"FSX_PROBE=x=y z"}
			if code, out, err = run(t, r, s); err != nil || code != 0 || out != "x=y z\n" {
				t.Errorf("env: code %d err %v output %q", code, err, out)
			}
			if code, out, err = run(t, r, spec("exit", "42")); err != nil || code != 42 {
				t.Errorf("exit 42: code %d err %v output %q", code, err, out)
			}
			if code, out, err = run(t, r, spec("cat", "/data/in.txt")); err != nil || code != 0 || out != "from the host" {
				t.Errorf("cat volume file: code %d err %v output %q", code, err, out)
			}
			if code, out, err = run(t, r, spec("write", "/data/sub/out.txt", "from the guest")); err != nil || code != 0 {
				t.Errorf("write volume file: code %d err %v output %q", code, err, out)
			} else if b, err := os.ReadFile(filepath.Join(host, "sub", "out.txt")); err != nil || string(b) != "from the guest" {
				t.Errorf("the guest's write to /data/sub/out.txt is not on the host: %q, %v", b, err)
			}
			if code, out, err = run(t, r, spec("write", "/tmp/x/y", "tmp")); err != nil || code != 0 {
				t.Errorf("write /tmp: code %d err %v output %q", code, err, out)
			}
			code, out, err = run(t, r, spec("info"))
			t.Logf("%s guest view: %s", rt.name, strings.TrimSpace(out))
			if err != nil || code != 0 {
				t.Errorf("info: code %d err %v", code, err)
			}

			s = spec("sleep", "1h")
			s.Timeout = 3 * time.Second
			start := time.Now()
			code, out, err = run(t, r, s)
			if !errors.Is(err, runner.ErrTimeout) {
				t.Errorf("sleep 1h with a 3s timeout: code %d err %v output %q; want ErrTimeout", code, err, out)
			}
			if d := time.Since(start); d > 45*time.Second {
				t.Errorf("the timeout took %v to stop the guest", d)
			}
		})
	}
}

// TestWazeroProvidesWasixImports: thread_parallelism answers NumCPU under
// wazero, so -j defaults to the host's count there too.
func TestWazeroProvidesWasixImports(t *testing.T) {
	r := needRunner(t, "wazero", true)
	probe := buildTool(t, "./e2e/testdata/probe", true)
	code, out, err := run(t, r, runner.Spec{Wasm: probe, Args: []string{"info"}})
	if err != nil || code != 0 || !strings.Contains(out, "parallelism_ok=true") || !strings.Contains(out, "cwd=/\n") {
		t.Fatalf("info under wazero: code %d err %v output %q", code, err, out)
	}
}
