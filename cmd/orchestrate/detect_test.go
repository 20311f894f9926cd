package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/internal/testutil"
)

// Bad input to `detect` — an unknown mode, a table to merge into that is
// missing, corrupt or not a table — is one line and exit 2, before
// anything is built, and nothing is written: neither the table to merge
// into nor the Markdown output.
func TestDetectBadInputIsOneLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	corrupt := write("corrupt.json", `{"date": "2026-12-04", "rows": [`)
	notTable := write("other.json", `{"mode": "diff", "cells": []}`)
	noControl := write("nocontrol.json", `{"date": "2026-12-04", "rows": [{"fault": "drop-write", "group": "data", "cells": [{"mode": "random", "runs": 5}]}]}`)
	empty := write("empty.json", ``)
	good := write("good.json", `{"date": "2026-12-04", "rows": [{"fault": "", "group": "", "cells": [{"mode": "random", "runs": 5}]}]}`)
	before := map[string]string{}
	for _, p := range []string{corrupt, notTable, noControl, empty, good} {
		b, _ := os.ReadFile(p)
		before[p] = string(b)
	}
	md := filepath.Join(dir, "detection.md")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--modes", "diff,fuzz"}, "--modes fuzz: unknown mode (valid: random, random+sync, oracle, oracle-1..oracle-"},
		{[]string{"--modes", "oracle-9"}, "--modes oracle-9: unknown mode"},
		{[]string{"--modes", "oracle-x"}, "--modes oracle-x: unknown mode"},
		{[]string{"--modes", "diff", "--merge", filepath.Join(dir, "missing.json")}, "--merge: " + filepath.Join(dir, "missing.json") + ": no such file or directory"},
		{[]string{"--modes", "diff", "--merge", corrupt}, "is not a detection table: unexpected EOF"},
		{[]string{"--modes", "diff", "--merge", empty}, "is not a detection table: EOF"},
		{[]string{"--modes", "diff", "--merge", notTable}, `is not a detection table: json: unknown field "mode"`},
		{[]string{"--modes", "diff", "--merge", noControl}, `is not a detection table: the first row is "drop-write", not the control`},
		{[]string{"--modes", "diff", "--merge", good, "--faults", "drop-write"}, "--merge takes whole columns: give no --faults"},
		{[]string{"--modes", "diff", "--diff-programs", "0"}, "--diff-programs 0: want 1..1000000"},
		{[]string{"--render"}, "--render renders the table of --merge FILE: give --merge"},
		{[]string{"--render", "--merge", corrupt}, "is not a detection table"},
	}
	for _, c := range cases {
		args := append([]string{"detect"}, c.args...)
		code, stdout, stderr := runCLI(t, dir, nil, append(args, "-o", md, "--src", testutil.RepoRoot(), "--build-dir", filepath.Join(dir, "build"))...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if code != exitUsage || !strings.Contains(stderr, c.want) || len(lines) != 1 || stdout != "" {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line naming %q", c.args, code, stderr, c.want)
		}
	}
	for p, b := range before {
		if now, _ := os.ReadFile(p); string(now) != b {
			t.Errorf("%s was changed by a refused command", p)
		}
	}
	for _, p := range []string{md, filepath.Join(dir, "build")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was written by a refused command", p)
		}
	}
}

// --render --merge FILE writes the Markdown of FILE's table and nothing
// else: the JSON stays byte for byte.
func TestDetectRender(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	table := filepath.Join(dir, "t.json")
	body := `{"date": "2026-12-04", "seeds": [1], "numops": 10, "chains": [], "diff_programs": 20, "diff_seed": 1, "seconds": 7,
  "rows": [{"fault": "", "group": "", "cells": [{"mode": "random", "runs": 1, "detected": 0, "to_detect": 0, "seconds": 0}, {"mode": "diff", "runs": 1, "detected": 0, "to_detect": 0, "seconds": 1}]},
           {"fault": "drop-write", "group": "data", "cells": [{"mode": "diff", "runs": 1, "detected": 1, "to_detect": 5, "seconds": 0.5, "signature": "final snapshot: file other length", "divergent": 3, "shrunk_ops": 2}]}]}`
	if err := os.WriteFile(table, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	md := filepath.Join(dir, "out.md")
	code, _, stderr := runCLI(t, dir, nil, "detect", "--render", "--merge", table, "-o", md, "--src", testutil.RepoRoot())
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	out, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| fault | group | random | diff |", "| (no fault) | control | — (0/1) | — (0/20 programs) |",
		"| `drop-write` | data | not measured | **program 5** (3/20), 0.5 s, shrunk to 2 steps: `final snapshot: file other length` |",
		"random, diff: 2026-12-04, 7 s."} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the rendered table lacks %q:\n%s", want, out)
		}
	}
	if now, _ := os.ReadFile(table); string(now) != body {
		t.Errorf("--render rewrote the table's JSON")
	}
}
