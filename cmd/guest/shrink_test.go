package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

// From a failure to its minimal reproduction in two commands: the run's
// .fsxops, shrunk, gives a short program that fails the same way at its
// last op, and its replay line reproduces it.
func TestShrinkCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "fsxfile")
	_, _, code := guest(t, "-f", seedConfig, "-N", "3000", "-S", "3", "-j", "1", "--inject", "2500", file)
	if code != 110 {
		t.Fatalf("run exit %d, want 110", code)
	}
	out, stderr, scode := guest(t, "shrink", file+".fsxops", "-f", seedConfig, file)
	if scode != 0 {
		t.Fatalf("shrink exit %d\nstdout:\n%s\nstderr:\n%s", scode, out, stderr)
	}
	m := regexp.MustCompile(`shrink: (\d+) ops -> (\d+) in \d+ runs .*, 1-minimal`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no 1-minimal summary:\n%s", out)
	}
	if n, _ := strconv.Atoi(m[2]); n < 1 || n > 10 {
		t.Fatalf("shrunk to %s ops, want 1..10:\n%s", m[2], out)
	}
	if !strings.Contains(out, "=> FAILED exit 110 at op "+m[2]+":") {
		t.Fatalf("the verdict is not at the last op (%s):\n%s", m[2], out)
	}
	min := file + ".min.fsxops"
	data, err := os.ReadFile(min)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(data), "\n") - 1; strconv.Itoa(got) != m[2] {
		t.Fatalf("%s has %d ops, the summary says %s:\n%s", min, got, m[2], data)
	}
	rl := regexp.MustCompile(`replay it with:\n  (.*)\n`).FindStringSubmatch(out)
	if rl == nil {
		t.Fatalf("no replay line:\n%s", out)
	}
	args := strings.Fields(rl[1])[1:]
	rout, _, rcode := guest(t, args...)
	if rcode != 110 || !strings.Contains(rout, "at op "+m[2]+":") {
		t.Fatalf("replay of the minimal program: exit %d, want 110 at op %s:\n%s", rcode, m[2], rout)
	}
}

// shrink --json is one ShrinkResult on stdout: the minimal program, its
// failure and how to replay it.
func TestShrinkJSON(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if _, _, code := guest(t, "-N", "800", "-S", "4", "-j", "1", "--inject", "500", file); code == 0 {
		t.Fatal("the injected run passed")
	}
	out, stderr, code := guest(t, "shrink", file+".fsxops", "--json", file)
	var r guestapi.ShrinkResult
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != 0 {
		t.Fatalf("exit %d, stdout is not one ShrinkResult (%v):\n%s\nstderr:\n%s", code, err, out, stderr)
	}
	if !r.Minimal || r.Ops != len(r.Program) || r.Ops < 1 || r.Ops >= r.Original || r.Failure == nil || r.Failure.Op != int64(r.Ops) || r.Failure.ReplayOps == "" {
		t.Fatalf("result %+v", r)
	}
	if !strings.Contains(stderr, "shrink: ") {
		t.Fatalf("the words did not go to stderr:\n%s", stderr)
	}
}

func TestShrinkBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pass := filepath.Join(dir, "pass.fsxops")
	os.WriteFile(pass, []byte("write 0 0x10 0\nread 0 0x10 0x10\n"), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"passing ops", []string{"shrink", pass, filepath.Join(dir, "f")}, exitNothingToShrink, "does not fail; nothing to shrink"},
		{"no FILE", []string{"shrink", pass}, 2, "shrink takes OPSFILE and FILE"},
		{"nothing", []string{"shrink"}, 2, "shrink takes OPSFILE and FILE"},
		{"missing OPSFILE", []string{"shrink", filepath.Join(dir, "nope"), filepath.Join(dir, "f")}, 2, "nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, stderr, code := guest(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Fatalf("exit %d (want %d), stderr must be one line with %q:\n%s", code, tc.code, tc.want, stderr)
			}
		})
	}
}

// The contract's builders make command lines this guest accepts: -1 ops
// ("unlimited", the default) among them, which the CLI cannot take as "-N -1".
func TestBuildersMakeAcceptedCommandLines(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ops := filepath.Join(dir, "ops.fsxops")
	os.WriteFile(ops, []byte("write 0 0x10 0\nread 0 0x10 0x10\n"), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"replay, unlimited", guestapi.Random{NumOps: -1, Seed: 2, Threads: 1, ReplayOps: ops, File: filepath.Join(dir, "a")}.Args(), 0},
		{"record", guestapi.Random{NumOps: 50, Seed: 2, Threads: 1, RecordOps: filepath.Join(dir, "r.fsxops"), File: filepath.Join(dir, "b")}.Args(), 0},
		{"shrink of a passing program", guestapi.Random{NumOps: -1, Seed: 2, Threads: 1, ShrinkOps: ops, File: filepath.Join(dir, "c")}.Args(), exitNothingToShrink},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, stderr, code := guest(t, tc.args...)
			if code != tc.code {
				t.Fatalf("%v: exit %d, want %d\n%s%s", tc.args, code, tc.code, out, stderr)
			}
		})
	}
}
