package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/internal/faultfs"
)

var binDir string

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "wazero-run-test-")
	if err != nil {
		panic(err)
	}
	binDir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

var (
	buildOnce sync.Once
	buildErr  error
	buildOut  []byte
)

// wazeroRun builds the command once per test binary.
func wazeroRun(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(binDir, "wazero-run")
	buildOnce.Do(func() { buildOut, buildErr = exec.Command("go", "build", "-o", bin, ".").CombinedOutput() })
	if buildErr != nil {
		t.Fatalf("go build: %v\n%s", buildErr, buildOut)
	}
	return bin
}

// cmd runs wazero-run with args and returns its exit code, stdout, stderr.
func cmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	c := exec.Command(wazeroRun(t), args...)
	c.Stdout, c.Stderr = &stdout, &stderr
	err := c.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), stdout.String(), stderr.String()
	}
	t.Fatal(err)
	return 0, "", ""
}

// TestListFaults: --list-faults prints every fault with its description
// and bug class.
func TestListFaults(t *testing.T) {
	code, out, errs := cmd(t, "--list-faults")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	lines := strings.Split(out, "\n")
	if !strings.HasPrefix(lines[0], "NAME") || !strings.Contains(lines[0], "DESCRIPTION") || !strings.Contains(lines[0], "BUG CLASS") {
		t.Errorf("header %q", lines[0])
	}
	cat := faultfs.Catalogue()
	if len(cat) < 20 {
		t.Errorf("%d faults, want at least 20", len(cat))
	}
	for i, d := range cat {
		l := lines[1+i]
		if !strings.HasPrefix(l, string(d.Name)+" ") || !strings.Contains(l, d.Desc) || !strings.HasSuffix(l, d.Class) {
			t.Errorf("line %d = %q, want %s, its description and its bug class", i+1, l, d.Name)
		}
	}
	if !strings.Contains(out, faultfs.Spec) {
		t.Errorf("the listing does not give the spec syntax %s", faultfs.Spec)
	}
}

func TestListFaultsJSON(t *testing.T) {
	for _, args := range [][]string{{"--list-faults", "--json"}, {"--json", "--list-faults"}} {
		code, out, errs := cmd(t, args...)
		if code != 0 || errs != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errs)
		}
		var got []map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		if len(got) != len(faultfs.Catalogue()) {
			t.Fatalf("%v: %d entries, want %d", args, len(got), len(faultfs.Catalogue()))
		}
		for i, d := range faultfs.Catalogue() {
			e := got[i]
			if e["name"] != string(d.Name) || e["description"] != d.Desc || e["bug_class"] != d.Class ||
				e["ops"] != d.Ops || e["detect"] != d.Detect || e["group"] != d.Group {
				t.Errorf("%v: entry %d = %v, want %+v", args, i, e, d)
			}
		}
	}
}

// TestBadFault: an unknown fault is one line naming the valid ones, exit
// 2, before anything runs (the module does not even exist).
func TestBadFault(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--fault", "drop-wrote:1", "missing.wasm"}, `unknown fault "drop-wrote"`},
		{[]string{"run", "--fault", "drop-write:0", "missing.wasm"}, "N must be"},
		{[]string{"run", "--fault", "drop-write,seed=x", "missing.wasm"}, "seed must be"},
		{[]string{"--list-faults", "--verbose"}, "--list-faults takes only --json"},
	} {
		code, out, errs := cmd(t, c.args...)
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one line containing %q", c.args, code, out, errs, c.want)
		}
		if strings.Contains(c.want, "unknown") {
			for _, name := range faultfs.Names() {
				if !strings.Contains(errs, name) {
					t.Errorf("%v: the error does not name %s", c.args, name)
				}
			}
		}
	}
	// A guest argument named --list-faults is the guest's.
	code, out, _ := cmd(t, "run", "missing.wasm", "--", "--list-faults")
	if code != exitFailure || strings.Contains(out, "drop-write") {
		t.Errorf("run ... -- --list-faults: exit %d, stdout %q; want the run (which fails: no module)", code, out)
	}
}
