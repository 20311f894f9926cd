package diffrun

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/internal/pipeline"
	"github.com/fsx-wasix/fsx-wasix/internal/runner"
	"github.com/fsx-wasix/fsx-wasix/pkg/diff"
	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
)

func parseProg(t *testing.T, text string) fsop.Program {
	t.Helper()
	ps, err := diff.ParsePrograms(strings.NewReader(text), "t")
	if err != nil {
		t.Fatal(err)
	}
	return ps[0].Steps
}

// Rewrites only simplify: each candidate keeps the length, and the
// expected simplifications are among them.
func TestRewrites(t *testing.T) {
	p := parseProg(t, "w2 open h2 d0/B RDWR|CREAT|APPEND\nw1 write h2 4096\nw2 mapread h2 70000 9000\nw1 seek h2 end -16\n")
	rs := Rewrites(p)
	has := func(want string) bool {
		for _, r := range rs {
			if string(diff.AppendProgram(nil, "", r)) == want {
				return true
			}
		}
		return false
	}
	for _, want := range []string{
		"w1 open h2 d0/B RDWR|CREAT|APPEND\nw1 write h2 4096\nw1 mapread h2 70000 9000\nw1 seek h2 end -16\n\n", // one worker
		"w2 open h0 d0/B RDWR|CREAT|APPEND\nw1 write h0 4096\nw2 mapread h0 70000 9000\nw1 seek h0 end -16\n\n", // handle
		"w2 open h2 B RDWR|CREAT|APPEND\nw1 write h2 4096\nw2 mapread h2 70000 9000\nw1 seek h2 end -16\n\n",    // out of d0
		"w2 open h2 d0/B RDWR|CREAT\nw1 write h2 4096\nw2 mapread h2 70000 9000\nw1 seek h2 end -16\n\n",        // flag
		"w2 open h2 d0/B WRONLY|CREAT|APPEND\nw1 write h2 4096\nw2 mapread h2 70000 9000\nw1 seek h2 end -16\n\n",
		"w2 open h2 d0/B RDWR|CREAT|APPEND\nw1 write h2 2048\nw2 mapread h2 70000 9000\nw1 seek h2 end -16\n\n", // size
		"w2 open h2 d0/B RDWR|CREAT|APPEND\nw1 write h2 4096\nw2 mapread h2 0 9000\nw1 seek h2 end -16\n\n",
		"w2 open h2 d0/B RDWR|CREAT|APPEND\nw1 write h2 4096\nw2 mapread h2 70000 9000\nw1 seek h2 end -8\n\n",
		"w2 open h2 d0/B RDWR|CREAT|APPEND\nw1 write h2 4096\nw2 mapread h2 70000 9000\nw1 seek h2 set -16\n\n",
	} {
		if !has(want) {
			t.Errorf("missing rewrite:\n%s", want)
		}
	}
	for _, r := range rs {
		if len(r) != len(p) {
			t.Fatalf("a rewrite changed the length: %v", r)
		}
		if _, err := diff.ParsePrograms(strings.NewReader(string(diff.AppendProgram(nil, "", r))), "r"); err != nil {
			t.Errorf("a rewrite is not a valid program: %v", err)
		}
	}
	if len(Rewrites(parseProg(t, "w1 stat A\n"))) != 0 {
		t.Errorf("a program with nothing to simplify has rewrites")
	}
}

func TestNormaliseCrashAndHint(t *testing.T) {
	for in, want := range map[string]string{
		"fsx-wasix: program 30: cannot empty the case directory (B): No such file or directory":      "cannot empty the case directory: No such file or directory",
		"fsx-wasix: program t:12: cannot empty the case directory (d0/A): No such file or directory": "cannot empty the case directory: No such file or directory",
		"thread 'main' panicked at 0x1f3a line 42":                                                   `thread "…" panicked at N line N`,
	} {
		if got := normaliseCrash(in); got != want {
			t.Errorf("normaliseCrash(%q) = %q, want %q", in, got, want)
		}
	}
	if k := crashHint("fsx-wasix: program 30: cannot empty"); k != 30 {
		t.Errorf("hint %d, want 30", k)
	}
	r := proc{code: 125, tail: "panicked at /rust/raw_vec/mod.rs:29:5:\ncapacity overflow\n\nStack:\n  at x\nwasmer-sdk-run: EXECUTION_ERROR: RuntimeError: js: unreachable\n", lastLine: "wasmer-sdk-run: EXECUTION_ERROR: RuntimeError: js: unreachable"}
	if b := r.breakage(); b != "crash: runtime panic: capacity overflow" {
		t.Errorf("panic breakage %q", b)
	}
	r = proc{code: 1, tail: "fsx-wasix: program 257: cannot empty the case directory (C): Not a directory\nwasmer-sdk-run: EISDIR: illegal operation on a directory, open '/x/C'\n"}
	if b, k := r.breakage(), crashHint(guestLine(r.tail)); b != "crash: cannot empty the case directory: Not a directory" || k != 257 {
		t.Errorf("guest line under a runner's complaint: %q, hint %d", b, k)
	}
	if k := crashHint("error: RuntimeError: unreachable"); k != -1 {
		t.Errorf("hint %d, want -1", k)
	}
}

// A corpus entry survives Format and ParseEntry, and a bad expect line is
// refused with its line.
func TestEntryRoundTrip(t *testing.T) {
	e := &Entry{Name: "x", Finding: "f", Signature: "read: EBADF -> EACCES", Found: "wasmer CLI 7.4.2 on /tmp",
		Expects: []Expect{{"wasmer", "/tmp", "read: EBADF -> EACCES", false}, {"wasmer-sdk", "/data", "read: EBADF -> EACCES", true}},
		Notes:   []string{"why: it matters"}, Program: parseProg(t, "w1 open h0 A WRONLY|CREAT|APPEND\nw1 read h0 32\n")}
	path := filepath.Join(t.TempDir(), "x.prog")
	if err := os.WriteFile(path, e.Format(), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ParseEntry(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Signature != e.Signature || got.Finding != e.Finding || !slices.Equal(got.Expects, e.Expects) || !slices.Equal(got.Notes, e.Notes) ||
		string(diff.AppendProgram(nil, "", got.Program)) != string(diff.AppendProgram(nil, "", e.Program)) {
		t.Fatalf("round trip:\n%s\ngot %+v", e.Format(), got)
	}
	bad := filepath.Join(t.TempDir(), "bad.prog")
	os.WriteFile(bad, []byte("# signature: s\n# expect wasmer: s\nw1 stat A\n"), 0o644)
	if _, err := ParseEntry(bad); err == nil || !strings.Contains(err.Error(), "bad.prog:2") {
		t.Fatalf("bad expect line: %v", err)
	}
}

// fakeRuntime runs the native guest as if it were a runtime, except that
// a run containing program crashAt dies saying so (as Wasmer's failed
// clean-up does) and one containing hangAt times out.
type fakeRuntime struct {
	native          runner.Runner
	nativePath      string
	crashAt, hangAt int64
}

func (f *fakeRuntime) Name() string     { return "fake" }
func (f *fakeRuntime) Available() error { return nil }
func (f *fakeRuntime) HostBacked() bool { return true }
func (f *fakeRuntime) Run(ctx context.Context, s runner.Spec) (int, error) {
	start, count := int64(-1), int64(0)
	for i, a := range s.Args {
		if a == "--program-start" {
			start, _ = strconv.ParseInt(s.Args[i+1], 10, 64)
		}
		if a == "--program-count" {
			count, _ = strconv.ParseInt(s.Args[i+1], 10, 64)
		}
	}
	in := func(k int64) bool { return start >= 0 && k >= start && k < start+count }
	switch {
	case in(f.hangAt):
		return 0, fmt.Errorf("fake: %w after %v", runner.ErrTimeout, s.Timeout)
	case in(f.crashAt):
		fmt.Fprintf(s.Stderr, "fsx-wasix: program %d: cannot empty the case directory (B): No such file or directory\n", f.crashAt)
		return 1, nil
	}
	s.Wasm = f.nativePath
	s.Env = nil
	return f.native.Run(ctx, s)
}

// A runtime that crashes or hangs in the middle of a slice: the stage
// finds the program that breaks it, counts it as a crash or hang
// divergence with that program as its example, and compares the rest.
func TestCrashAndHangAreDivergences(t *testing.T) {
	cfg := baseConfig(t, 40)
	cfg.SliceSize = 40
	fake := &fakeRuntime{native: mustRunner(t, "native"), nativePath: cfg.Guest.Native, crashAt: 7, hangAt: 23}
	cfg.Runner = func(string) (runner.Runner, error) { return fake, nil }
	cfg.Runtimes = []pipeline.Choice{{Name: "fake", Why: "test"}}
	cfg.Volumes = []string{pipeline.VolumeData}
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := sum.Rows[0]
	var b strings.Builder
	sum.WriteReport(&b)
	if r.Programs != 40 || r.Crashes != 1 || r.Hangs != 1 || r.Divergent != 2 || r.Verdict != pipeline.VerdictDiverged {
		t.Fatalf("want 40 programs, 1 crash, 1 hang, 2 divergent:\n%s", b.String())
	}
	want := map[string]int64{"crash: cannot empty the case directory: No such file or directory": 7, "hang: the runtime did not finish the program": 23}
	for _, s := range sum.Sigs {
		if k, ok := want[s.Signature]; !ok || k != s.Example || s.Count != 1 {
			t.Errorf("signature %q example %d count %d", s.Signature, s.Example, s.Count)
		}
		delete(want, s.Signature)
	}
	if len(want) > 0 {
		t.Errorf("missing %v:\n%s", want, b.String())
	}
}

// Rebase rewrites only what the replay contradicts: a changed signature
// replaces its line, a new one is added, a fixed one goes, a flaky line not
// seen and a crash still present in other words stay, and cells the replay did not run are untouched.
func TestRebase(t *testing.T) {
	a := &Entry{Name: "a", Expects: []Expect{
		{Runtime: "wasmer", Volume: "/tmp", Signature: "crash: cannot empty"},
		{Runtime: "wasmer", Volume: "/data", Signature: "read: ok -> EIO"},
		{Runtime: "wazero", Volume: "/data", Signature: "write: ok -> EBADF"},
	}}
	b := &Entry{Name: "b", Expects: []Expect{{Runtime: "wasmer", Volume: "/tmp", Signature: "seek: ok -> EIO", Flaky: true}}}
	c := &Entry{Name: "c", Expects: []Expect{{Runtime: "wasmer", Volume: "/tmp", Signature: "crash: runtime panic: capacity overflow"}}}
	res := &ReplayResult{Lines: []ReplayLine{
		{Entry: "a", Runtime: "wasmer", Volume: "/tmp", Verdict: NewDiv, Expected: "crash: cannot empty", Signature: "rename: EISDIR -> ok"},
		{Entry: "a", Runtime: "wasmer", Volume: "/data", Verdict: Fixed, Expected: "read: ok -> EIO"},
		{Entry: "a", Runtime: "wasmer-sdk", Volume: "/tmp", Verdict: NewDiv, Signature: "rename: EISDIR -> ok"},
		{Entry: "b", Runtime: "wasmer", Volume: "/tmp", Verdict: NotSeen, Expected: "seek: ok -> EIO"},
		{Entry: "c", Runtime: "wasmer", Volume: "/tmp", Verdict: StillPresent, Expected: "crash: runtime panic: capacity overflow", Signature: "crash: js: unreachable"},
	}}
	changed := res.Rebase([]*Entry{a, b, c})
	if len(changed) != 1 || changed[0] != a {
		t.Fatalf("changed %v, want only a", changed)
	}
	want := []Expect{
		{Runtime: "wasmer", Volume: "/tmp", Signature: "rename: EISDIR -> ok"},
		{Runtime: "wasmer-sdk", Volume: "/tmp", Signature: "rename: EISDIR -> ok"},
		{Runtime: "wazero", Volume: "/data", Signature: "write: ok -> EBADF"},
	}
	if !slices.Equal(a.Expects, want) {
		t.Errorf("a's expects after rebase:\n got %v\nwant %v", a.Expects, want)
	}
	if len(b.Expects) != 1 || !b.Expects[0].Flaky {
		t.Errorf("b's flaky line was touched: %v", b.Expects)
	}
}
