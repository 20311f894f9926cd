package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/internal/testutil"
)

// Bad input to the differential commands is one line and exit 2, before
// anything is built.
func TestDiffBadInputIsOneLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--diff=-3"}, "--diff -3: want 1 or more programs"},
		{[]string{"--diff", "5", "--runtime", "wasmtime"}, `unknown runtime "wasmtime"`},
		{[]string{"--diff", "5", "--volumes", "home"}, `unknown volume "home"`},
		{[]string{"corpus", "--dir", dir}, "no corpus entries"},
		{[]string{"corpus", "--runtime", "wasmtime"}, `unknown runtime "wasmtime"`},
	}
	for _, c := range cases {
		code, _, stderr := runCLI(t, dir, nil, append(c.args, "--src", testutil.RepoRoot())...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if code != exitUsage || !strings.Contains(stderr, c.want) || len(lines) != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line naming %q", c.args, code, stderr, c.want)
		}
	}
}

// The command line, `orchestrate --diff N --runtime wazero`, end
// to end: exit 0 when every divergence is in the documented wazero list
// (suppressed, reported), the verdict table on stderr, --json on stdout,
// the /data cell's kept trees re-read from the host.
func TestDiffCommandWazero(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the guest")
	}
	work := t.TempDir()
	known := filepath.Join(testutil.RepoRoot(), "cmd", "orchestrate", "testdata", "known-diff-wazero.txt")
	var out, errb bytes.Buffer
	args := []string{"--src", testutil.RepoRoot(), "--build-dir", buildDir(t), "--diff", "120", "--runtime", "wazero", "--known", known, "--json"}
	code := run(context.Background(), args, env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, dir: work})
	var sum struct {
		Programs int64 `json:"programs"`
		Passed   bool  `json:"passed"`
		Cells    []struct {
			Runtime, Volume, Verdict string
			Programs, Divergent      int64
			Suppressed               int64
			Reread                   int64 `json:"reread"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatalf("--json: %v\n%s\n%s", err, out.String(), errb.String())
	}
	if code != exitOK || !sum.Passed || len(sum.Cells) != 2 {
		t.Fatalf("exit %d, %+v\n%s", code, sum, errb.String())
	}
	for _, c := range sum.Cells {
		if c.Programs != 120 || c.Divergent != c.Suppressed || c.Suppressed == 0 {
			t.Errorf("%s %s: %d programs, %d divergent, %d suppressed: want 120 with every divergence known (and some)", c.Runtime, c.Volume, c.Programs, c.Divergent, c.Suppressed)
		}
		// On /data the host re-reads the kept tree of every program wazero
		// answered as Linux did; on /tmp there is nothing on the host.
		if want := c.Programs - c.Divergent; c.Volume == "/data" && c.Reread != want || c.Volume == "/tmp" && c.Reread != 0 {
			t.Errorf("%s %s: %d programs re-read from the host, want %d", c.Runtime, c.Volume, c.Reread, want)
		}
	}
	if !strings.Contains(errb.String(), "RUNTIME") || !strings.Contains(errb.String(), "known: suppressed") {
		t.Errorf("no verdict table or suppressed signatures on stderr:\n%s", errb.String())
	}
}
