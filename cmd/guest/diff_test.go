package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/pkg/diff"
	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
	"github.com/fsx-wasix/fsx-wasix/pkg/transcript"
)

func decodeJSON[T any](t *testing.T, stdout, stderr string, code int) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil || dec.More() {
		t.Fatalf("stdout is not one %T (%v), exit %d:\n%s\nstderr:\n%s", v, err, code, stdout, stderr)
	}
	return v
}

// TestDiffFlowNative: the native run writes a transcript; a second native
// run in another root compares against it (the seed taken from the
// transcript) and finds nothing; a transcript with one outcome changed is
// reported with its program and signature and exit 1, and passes with the
// signature listed as known.
func TestDiffFlowNative(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	native := filepath.Join(dir, "native.bin")
	stdout, stderr, code := guest(t, "--diff", "-N", "300", "-S", "4", "--diff-output", native, filepath.Join(dir, "r1"))
	if code != 0 || !strings.Contains(stdout, "diff: seed 4, programs 0..299 of 300") || !strings.Contains(stdout, "diff: ran 300 programs") {
		t.Fatalf("native run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	stdout, stderr, code = guest(t, "--json", "--diff", "-N", "300", "--diff-expected", native, filepath.Join(dir, "r2"))
	sum := decodeJSON[guestapi.DiffSummary](t, stdout, stderr, code)
	if code != 0 || sum.Mode != guestapi.ModeDiff || sum.Seed != 4 || sum.Compared != 300 || sum.Divergent != 0 || !sum.OK ||
		sum.Runtime != "native" || sum.SchemaHash == "" || sum.Steps < 300*5 {
		t.Fatalf("comparing run: exit %d %+v\n%s", code, sum, stderr)
	}
	if !strings.Contains(stderr, "compared 300 programs: 0 divergent\n") {
		t.Errorf("no human report on stderr with --json:\n%s", stderr)
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "r2")); len(ents) != 0 {
		t.Errorf("the run left %v in its root", ents)
	}

	// One outcome changed: program 123's first successful step says EIO.
	forged := filepath.Join(dir, "forged.bin")
	step := forge(t, native, forged, 123, fsop.EIO)
	prog := diff.Generate(4, 123, diff.DefaultConfig())
	sig := diff.Command(&prog[step].Op) + ": EIO -> ok"
	stdout, stderr, code = guest(t, "--diff", "-N", "300", "-S", "4", "--diff-expected", forged, filepath.Join(dir, "r3"))
	if code != exitDivergent || !strings.Contains(stdout, "compared 300 programs: 1 divergent\n") ||
		!strings.Contains(stdout, "program 123  (seed 4, ") || !strings.Contains(stdout, diff.FormatOp(&prog[step].Op)+"  -> expected EIO  got ok\n") ||
		!strings.Contains(stdout, "  signature: "+sig+"\n") || !strings.Contains(stdout, "         1  "+sig+"  (e.g. program 123)\n") {
		t.Fatalf("planted divergence: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "fsx-wasix: diff: 1 divergent programs (0 suppressed as known)") {
		t.Errorf("no one-line verdict on stderr:\n%s", stderr)
	}
	stdout, stderr, code = guest(t, "--json", "--diff", "-N", "300", "-S", "4", "--diff-expected", forged, filepath.Join(dir, "r3"))
	sum = decodeJSON[guestapi.DiffSummary](t, stdout, stderr, code)
	if code != exitDivergent || sum.OK || len(sum.First) != 1 || sum.First[0].Index != 123 || sum.First[0].Signature != sig ||
		len(sum.Groups) != 1 || sum.Groups[0].Count != 1 {
		t.Fatalf("planted divergence, --json: exit %d %+v", code, sum)
	}
	// --diff-keep: the same verdict, one tree per program left in
	// ROOT/keep, and the divergent program named for the host.
	stdout, stderr, code = guest(t, "--json", "--diff", "-N", "300", "-S", "4", "--program-start", "100", "--program-count", "50",
		"--diff-keep", "--diff-expected", forged, filepath.Join(dir, "rk"))
	ksum := decodeJSON[guestapi.DiffSummary](t, stdout, stderr, code)
	kdir := filepath.Join(dir, "rk", diff.KeepDirName)
	if code != exitDivergent || ksum.Divergent != 1 || ksum.Kept == nil || ksum.Kept.Dir != kdir || !reflect.DeepEqual(ksum.Kept.Divergent, []int64{123}) {
		t.Fatalf("--diff-keep: exit %d %+v kept %+v", code, ksum, ksum.Kept)
	}
	if ents, _ := os.ReadDir(kdir); len(ents) != 50 || ents[0].Name() != "0000100" || ents[49].Name() != "0000149" {
		t.Errorf("--diff-keep left %d trees in %s, want 0000100..0000149", len(ents), kdir)
	}
	if sum.Kept != nil {
		t.Errorf("kept %+v without --diff-keep", sum.Kept)
	}
	// The divergence's text is a program file: --diff-program runs it.
	progFile := filepath.Join(dir, "p.txt")
	os.WriteFile(progFile, []byte(sum.First[0].Text), 0o644)
	stdout, stderr, code = guest(t, "--json", "--diff-program", progFile, filepath.Join(dir, "r4"))
	res := decodeJSON[guestapi.DiffProgramsResult](t, stdout, stderr, code)
	if code != 0 || len(res.Programs) != 1 || len(res.Programs[0].Steps) != len(prog) || res.Programs[0].Steps[step].Class != "ok" {
		t.Fatalf("--diff-program of the divergent program: exit %d %+v\n%s", code, res, stderr)
	}
	known := filepath.Join(dir, "known.txt")
	os.WriteFile(known, []byte("# known\n"+sig+"\n"), 0o644)
	stdout, stderr, code = guest(t, "--diff", "-N", "300", "-S", "4", "--diff-known", known, "--diff-expected", forged, filepath.Join(dir, "r3"))
	if code != 0 || !strings.Contains(stdout, "1 divergent (1 suppressed as known)") || !strings.Contains(stdout, "[suppressed: known]") {
		t.Fatalf("known signature: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// A slice of the run compares against the whole run's transcript.
	stdout, stderr, code = guest(t, "--diff", "-N", "300", "--program-start", "100", "--program-count", "50", "--diff-expected", native, filepath.Join(dir, "r5"))
	if code != 0 || !strings.Contains(stdout, "programs 100..149 of 300") || !strings.Contains(stdout, "compared 50 programs: 0 divergent") {
		t.Fatalf("slice: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// forge copies the transcript src to dst with program k's first successful
// step answering errno instead, and returns that step.
func forge(t *testing.T, src, dst string, k int64, errno fsop.Errno) int {
	t.Helper()
	r, err := transcript.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	h, err := diff.ReadHeader(src, r.Header())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := diff.ParseConfig([]byte(h.Config), "header")
	if err != nil {
		t.Fatal(err)
	}
	w, err := transcript.Create(dst, r.Header())
	if err != nil {
		t.Fatal(err)
	}
	step := -1
	for i := h.First; ; i++ {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if i == k {
			p := diff.Generate(h.Seed, k, cfg)
			d, err := diff.DecodeRecord(rec, p)
			if err != nil {
				t.Fatal(err)
			}
			for j := range p {
				if p[j].Op.Kind != fsop.Snapshot && d.Steps[j].Err == fsop.OK {
					d.Steps[j], step = fsop.Outcome{Err: errno}, j
					break
				}
			}
			rec = diff.EncodeRecord(d, p)
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil || step < 0 {
		t.Fatalf("forging: %v, step %d", err, step)
	}
	return step
}

// TestDiffProgramFile: --diff-program runs every program of a file in one
// process and prints each with its outcomes, human and --json.
func TestDiffProgramFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "progs.txt")
	os.WriteFile(file, []byte(`# two programs
program open and write
w1 open h0 A RDWR|CREAT
w2 write h0 32
w1 rename A d0/B

w1 mkdir d0
w2 open h1 d0/B WRONLY|CREAT|EXCL
w1 open h0 . RDONLY|DIRECTORY
w1 read_dir_batch h0 1
w2 close h0
`), 0o644)
	stdout, stderr, code := guest(t, "--diff-program", file, filepath.Join(dir, "r"))
	want := `program open and write  (3 steps)
  step 0   w1  open h0 A RDWR|CREAT  -> ok
  step 1   w2  write h0 32  -> ok(32)
  step 2   w1  rename A d0/B  -> ENOENT
  final  .  dir [A]
  final  A  32 bytes B×32
program ` + file + `:7  (5 steps)
  step 0   w1  mkdir d0  -> ok
  step 1   w2  open h1 d0/B WRONLY|CREAT|EXCL  -> ok
  step 2   w1  open h0 . RDONLY|DIRECTORY  -> ok
  step 3   w1  read_dir_batch h0 1  -> ok(1)
  step 4   w2  close h0  -> ok(stream [d0])
  final  .  dir [d0]
  final  d0/  dir [B]
  final  d0/B  0 bytes
`
	if code != 0 || stdout != want {
		t.Fatalf("exit %d\n%s\nwant\n%s\nstderr:\n%s", code, stdout, want, stderr)
	}
	stdout, stderr, code = guest(t, "--json", "--diff-program", file, filepath.Join(dir, "r"))
	res := decodeJSON[guestapi.DiffProgramsResult](t, stdout, stderr, code)
	if code != 0 || res.Mode != guestapi.ModeDiffProgram || len(res.Programs) != 2 || res.Programs[0].Label != "open and write" ||
		res.Programs[1].Steps[4].Outcome != "ok(stream [d0])" || !reflect.DeepEqual(res.Programs[0].Final[1], guestapi.DiffEntry{Path: "A", State: "file", Size: 32, Content: "B×32"}) ||
		res.Programs[0].Record == "" {
		t.Fatalf("--json: exit %d %+v", code, res)
	}
	if stderr != want {
		t.Errorf("--json: the human listing is not on stderr:\n%s", stderr)
	}
}

// TestDiffBadInput: every bad input is one line on stderr and exit 2.
func TestDiffBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	root := filepath.Join(dir, "r")
	native := filepath.Join(dir, "native.bin")
	if _, stderr, code := guest(t, "--diff", "-N", "20", "-S", "1", "-q", "--diff-output", native, root); code != 0 {
		t.Fatalf("native run: exit %d\n%s", code, stderr)
	}
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o644)
		return p
	}
	longer := write("longer.toml", "[diff]\nlength_max = 61\n")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no -N", []string{"--diff", root}, "differential mode needs -N"},
		{"-N 0", []string{"--diff", "-N", "0", root}, "-N 0: the number of programs must be 1.."},
		{"-N too big", []string{"--diff", "-N", "2000000000000", root}, "-N 2000000000000: the number of programs must be 1.."},
		{"no root", []string{"--diff", "-N", "5"}, "takes one root directory"},
		{"refused root", []string{"--diff", "-N", "5", "/tmp"}, "refusing root /tmp"},
		{"slice past the end", []string{"--diff", "-N", "5", "--program-start", "3", "--program-count", "5", root}, "--program-start 3 --program-count 5: the run has programs 0..4"},
		{"length out of range", []string{"--diff", "-N", "5", "-f", write("l.toml", "[diff]\nlength_max = 1000\n"), root}, "diff.length_max = 1000 is out of range 1..500"},
		{"weight out of range", []string{"--diff", "-N", "5", "-f", write("w.toml", "[diff.weights]\nrename = 2000000\n"), root}, "diff.weights.rename = 2000000 is out of range 0..1000000"},
		{"unknown key", []string{"--diff", "-N", "5", "-f", write("u.toml", "[diff.weights]\nsymlink = 1\n"), root}, `unknown key "diff.weights.symlink"`},
		{"all weights zero", []string{"--diff", "-N", "5", "-f", write("z.toml", "[diff.weights]\nopen = 0\n"), root}, "all weights are zero"},
		{"transcript of another config", []string{"--diff", "-N", "20", "-f", longer, "--diff-expected", native, root}, "records of another schema"},
		{"transcript of another seed", []string{"--diff", "-N", "20", "-S", "2", "--diff-expected", native, root}, "expected transcript has seed 1, this run has seed 2"},
		{"transcript too short", []string{"--diff", "-N", "30", "--diff-expected", native, root}, "expected transcript covers programs 0..19, this run needs 0..29"},
		{"not a transcript", []string{"--diff", "-N", "20", "-S", "1", "--diff-expected", longer, root}, "not a transcript"},
		{"malformed program", []string{"--diff-program", write("bad.txt", "w1 open h0 A RDWR\nw2 rename A\n"), root}, "bad.txt:2: rename takes 2 operands (P Q), got 1"},
		{"unknown op in a program", []string{"--diff-program", write("bad2.txt", "\n\nw1 symlink A B\n"), root}, "bad2.txt:3: unknown op \"symlink\""},
		{"empty program file", []string{"--diff-program", write("empty.txt", "# nothing\n"), root}, "empty.txt: no programs"},
		{"missing program file", []string{"--diff-program", filepath.Join(dir, "nope.txt"), root}, "cannot read program file"},
		{"both modes", []string{"--diff", "-N", "5", "--diff-program", longer, root}, "--diff and --diff-program are two modes"},
	} {
		stdout, stderr, code := guest(t, c.args...)
		lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
		if code != exitUsage || len(lines) != 1 || !strings.Contains(stderr, c.want) || stdout != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr:\n%s\nwant exit 2 and one line with %q", c.name, code, stdout, stderr, c.want)
		}
	}
}
