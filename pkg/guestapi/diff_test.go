package guestapi

import (
	"strings"
	"testing"
)

func TestDiffArgs(t *testing.T) {
	t.Parallel()
	seed := uint64(7)
	for _, c := range []struct {
		got  []string
		want string
	}{
		{Diff{Count: 2000, Seed: &seed, Output: "/n/native.bin", Root: "/n"}.Args(), "--diff -N 2000 -S 7 --diff-output /n/native.bin /n"},
		{Diff{Count: 2000, Expected: "/data/native.bin", Root: "/data/run"}.Args(), "--diff -N 2000 --diff-expected /data/native.bin /data/run"},
		{Diff{Count: 10, Seed: &seed, Config: "c.toml", ProgramStart: 4, ProgramCount: 3, Expected: "e", Known: "k", Output: "o", Quiet: true, Verbose: true, JSON: true, Root: "r"}.Args(),
			"--diff -N 10 -S 7 -f c.toml --program-start 4 --program-count 3 --diff-expected e --diff-known k --diff-output o -q -v --json r"},
		{Diff{Programs: "cands.txt", JSON: true, Root: "/tmp/fsx-diff"}.Args(), "--diff-program cands.txt --json /tmp/fsx-diff"},
		{Diff{Count: 5, Expected: "e", Keep: true, Root: "/data/r"}.Args(), "--diff -N 5 --diff-expected e --diff-keep /data/r"},
		{Diff{Programs: "cands.txt", Keep: true, Root: "/data/r"}.Args(), "--diff-program cands.txt --diff-keep /data/r"},
	} {
		if got := strings.Join(c.got, " "); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
}

func TestDiffRereadSignature(t *testing.T) {
	t.Parallel()
	final := []DiffEntry{{Path: ".", State: "dir", Names: []string{"A"}}, {Path: "A", State: "file", Size: 4, Content: "B×4"}}
	if s := DiffRereadSignature(final, final); s != "" {
		t.Errorf("alike: %q", s)
	}
	host := []DiffEntry{final[0], {Path: "A", State: "file", Size: 4, Content: "0x00×4"}}
	if s := DiffRereadSignature(final, host); s != "host re-read: file other content" {
		t.Errorf("other content: %q", s)
	}
	if s := DiffRereadSignature(final, final[:1]); s != "host re-read: file exists -> missing" {
		t.Errorf("missing: %q", s)
	}
}

func TestDiffSignature(t *testing.T) {
	t.Parallel()
	step := func(cmd, class, outcome, what string) DiffStep {
		return DiffStep{Command: cmd, Class: class, Outcome: outcome, What: what}
	}
	file := func(p string, size int64, content string) DiffEntry {
		return DiffEntry{Path: p, State: "file", Size: size, Content: content}
	}
	base := DiffProgram{Steps: []DiffStep{step("open RDWR|CREAT", "ok", "ok", "stream"), step("read", "ok", "ok(4 B×4)", "data")},
		Final: []DiffEntry{{Path: ".", State: "dir", Names: []string{"A"}}, file("A", 4, "B×4")}, Record: "00"}
	for _, c := range []struct {
		name string
		edit func(p *DiffProgram)
		want string
	}{
		{"alike", func(p *DiffProgram) {}, ""},
		{"error kinds", func(p *DiffProgram) { p.Steps[1] = step("read", "EACCES", "EACCES", "") }, "read: ok -> EACCES"},
		{"other data", func(p *DiffProgram) { p.Steps[1].Outcome = "ok(4 C×4)" }, "read: ok -> ok with other data"},
		{"the first step wins", func(p *DiffProgram) {
			p.Steps[0] = step("open RDWR|CREAT", "EIO", "EIO", "")
			p.Steps[1] = step("read", "EBADF", "EBADF", "")
		}, "open RDWR|CREAT: ok -> EIO"},
		{"missing entry", func(p *DiffProgram) { p.Final = p.Final[:1] }, "final snapshot: file exists -> missing"},
		{"extra entry", func(p *DiffProgram) { p.Final = append(p.Final, file("B", 0, "")) }, "final snapshot: file missing -> exists"},
		{"other length", func(p *DiffProgram) { p.Final[1].Size = 32 }, "final snapshot: file other length"},
		{"other content", func(p *DiffProgram) { p.Final[1].Content = "C×4" }, "final snapshot: file other content"},
		{"other names", func(p *DiffProgram) { p.Final[0].Names = []string{"A", "B"} }, "final snapshot: dir other names"},
		{"other state", func(p *DiffProgram) { p.Final[1] = DiffEntry{Path: "A", State: "ENOENT"} }, "final snapshot: file file -> ENOENT"},
		{"encoding only", func(p *DiffProgram) { p.Record = "01" }, "records differ in encoding only"},
		{"a snapshot step", func(p *DiffProgram) {
			p.Steps = append(p.Steps, DiffStep{Command: "snapshot", Class: "ok", Outcome: "ok", Snapshot: []DiffEntry{{Path: "d0/", State: "ENOTDIR"}}})
		}, "snapshot: dir missing -> exists"},
	} {
		got := base
		got.Steps = append([]DiffStep(nil), base.Steps...)
		got.Final = append([]DiffEntry(nil), base.Final...)
		c.edit(&got)
		exp := base
		if len(got.Steps) > len(base.Steps) { // a snapshot step on both sides, empty on the expected one
			exp.Steps = append(append([]DiffStep(nil), base.Steps...), DiffStep{Command: "snapshot", Class: "ok", Outcome: "ok", Snapshot: []DiffEntry{}})
		}
		if s := DiffSignature(&exp, &got); s != c.want {
			t.Errorf("%s: %q, want %q", c.name, s, c.want)
		}
	}
}
