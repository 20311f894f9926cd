package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/pkg/oracle"
)

func TestNormalizeArgs(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"-chain 3":                 "--chain 3",
		"-chain=3 -runtime wazero": "--chain=3 --runtime wazero",
		"--chain 3":                "--chain 3",
		"-j 2 -h":                  "-j 2 -h",
		"-j2":                      "--j2", // not a flag we have; kong names it
		"merge -o x.bin a.bin":     "merge -o x.bin a.bin",
		"-shard 1/2 -- -chain":     "--shard 1/2 -- -chain",
	}
	for in, want := range cases {
		if got := strings.Join(normalizeArgs(strings.Fields(in)), " "); got != want {
			t.Errorf("normalizeArgs(%q) = %q, want %q", in, got, want)
		}
	}
}

// runCLI runs the command in-process in dir.
func runCLI(t *testing.T, dir string, getenv func(string) string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	code := run(context.Background(), args, env{stdout: &out, stderr: &errb, getenv: getenv, dir: dir})
	return code, out.String(), errb.String()
}

// TestBadInputIsOneLine checks that every kind of bad input is refused with
// exit 2 and a single line naming the problem, before any work starts.
func TestBadInputIsOneLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-runtime", "wasmtime"}, `unknown runtime "wasmtime"`},
		{[]string{"--shard", "3/2"}, "1 <= K <= N"},
		{[]string{"--shard", "x"}, "want K/N"},
		{[]string{"-chain", "0"}, "--chain 0"},
		{[]string{"--volumes", "home"}, `unknown volume "home"`},
		{[]string{"--runtime", "wasmer", "--wasmer", "/nonexistent/wasmer"}, "--wasmer /nonexistent/wasmer"},
		{[]string{"--no-such-flag"}, "unknown flag --no-such-flag"},
	}
	for _, c := range cases {
		code, _, stderr := runCLI(t, dir, nil, append(c.args, "--src", ".")...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if code != exitUsage || !strings.Contains(stderr, c.want) || strings.Contains(stderr, "goroutine") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming %q", c.args, code, stderr, c.want)
			continue
		}
		// kong adds usage after a parse error; our own errors are one line.
		if !strings.HasPrefix(c.want, "unknown flag") && len(lines) != 1 {
			t.Errorf("%v: %d lines of stderr, want 1: %q", c.args, len(lines), stderr)
		}
	}
}

// TestChainLimitIsTheOracles: the orchestrator takes its chain range from
// pkg/oracle (1..8), not a private 1..6. Only validation runs here: a
// chain-7 run would take days.
func TestChainLimitIsTheOracles(t *testing.T) {
	t.Parallel()
	code, _, stderr := runCLI(t, t.TempDir(), nil, "-chain", "9", "--src", ".")
	if code != exitUsage || !strings.Contains(stderr, "--chain 9: want 1..8") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("-chain 9: exit %d, stderr %q; want exit 2 and one line with the range 1..8", code, stderr)
	}
	for _, n := range []int{1, 7, oracle.MaxChain} {
		if err := checkChain(n); err != nil {
			t.Errorf("-chain %d refused: %v", n, err)
		}
	}
	for _, n := range []int{0, -1, oracle.MaxChain + 1} {
		if err := checkChain(n); err == nil {
			t.Errorf("-chain %d accepted", n)
		}
	}
}

func TestParseVolumes(t *testing.T) {
	t.Parallel()
	got, err := parseVolumes([]string{"data", "/tmp", "tmp"})
	if err != nil || strings.Join(got, ",") != "/data,/tmp" {
		t.Fatalf("parseVolumes = %v, %v", got, err)
	}
	if _, err := parseVolumes([]string{""}); err == nil {
		t.Fatal("empty volume list accepted")
	}
}

func TestUnwritableOutputsAreOneLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, _, stderr := runCLI(t, dir, nil, "--runtime", "wazero", "--src", ".", "--cache-dir", "/proc/cache")
	if code != exitUsage || !strings.Contains(stderr, "cache directory /proc/cache is not writable") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("unwritable cache: exit %d, %q", code, stderr)
	}
	code, _, stderr = runCLI(t, dir, nil, "--runtime", "wazero", "--src", ".", "--runs-dir", "/proc/oracle-runs")
	if code != exitUsage || !strings.Contains(stderr, "/proc/oracle-runs is not writable") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("unwritable oracle-runs: exit %d, %q", code, stderr)
	}
}

// Not parallel: it empties PATH.
func TestNodeMissingIsOneLine(t *testing.T) {
	t.Setenv("PATH", "")
	code, _, stderr := runCLI(t, t.TempDir(), nil, "--runtime", "wasmer-sdk", "--src", ".")
	if code != exitUsage || !strings.Contains(stderr, "node not found") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("node missing: exit %d, %q", code, stderr)
	}
}

// Every flag is checked before anything is removed or written: a bad value
// is one line and exit 2, and the previous run's outputs are still there.
func TestBadFlagsTouchNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	old := filepath.Join(dir, "oracle-runs", "20260101-000000-L2", "keep.txt")
	if err := os.MkdirAll(filepath.Dir(old), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(old, []byte("earlier run"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--slice-size", "0"}, "--slice-size 0: want 1 or more"},
		{[]string{"--slice-size=-5"}, "--slice-size -5: want 1 or more"},
		{[]string{"--jobs=-1"}, "--jobs -1: want 0"},
		{[]string{"--slice-timeout=-5s"}, "--slice-timeout -5s: want 0"},
		{[]string{"--src", filepath.Join(dir, "nonexistent")}, "nonexistent: no such directory"},
	} {
		code, _, stderr := runCLI(t, dir, nil, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, want %d and one line with %q:\n%s", tc.args, code, exitUsage, tc.want, stderr)
		}
		if _, err := os.Stat(old); err != nil {
			t.Fatalf("%v removed the previous run's outputs: %v", tc.args, err)
		}
	}
}
