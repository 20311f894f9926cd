package pipeline

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

// TestGroupsFoldAcrossSlices feeds one cell three slices' guest summaries,
// finishing out of case order as parallel slices do, through keepCell and
// summary: per signature the counts add up, the lowest example case wins
// whichever slice finished first, a known signature stays known, and the
// guest's spelled-out program of the winning example is kept.
func TestGroupsFoldAcrossSlices(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "slices"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := &pass{rep: NewReporter(io.Discard), sum: &Summary{Chain: 2}, runDir: dir}
	c := &cell{choice: Choice{Name: "fake"}, volume: VolumeTmp, groups: map[string]*Group{}, programs: map[int64]string{}, reports: make([]string, 3)}
	c.row = Row{Runtime: "fake", Volume: VolumeTmp, Verdict: VerdictMatch}
	p.cells = []*cell{c}

	const bug, knownBug, other = "read(zero_bytes): EBADF -> EACCES", "stat on A: ok -> ENOENT", "snapshot A: ok … other length"
	const knownOnce = "fstat: ok -> ok with other size" // known, in one slice only
	slices := []struct {
		s   Slice
		out OracleOutput
	}{
		{Slice{Index: 0, Start: 0, Count: 100}, OracleOutput{Divergent: 5, Suppressed: 2,
			Groups: []guestapi.OracleGroup{{Signature: bug, Count: 3, Example: 16}, {Signature: knownBug, Count: 2, Suppressed: true, Example: 40}},
			First:  []guestapi.OracleDivergence{{Index: 16, Signature: bug, Program: "program 16\n"}, {Index: 20, Signature: bug, Program: "program 20\n"}}}},
		{Slice{Index: 1, Start: 100, Count: 100}, OracleOutput{Divergent: 7, Suppressed: 1,
			Groups: []guestapi.OracleGroup{{Signature: bug, Count: 5, Example: 116}, {Signature: other, Count: 1, Example: 150}, {Signature: knownOnce, Count: 1, Suppressed: true, Example: 170}},
			First:  []guestapi.OracleDivergence{{Index: 116, Signature: bug, Program: "program 116\n"}, {Index: 150, Signature: other, Program: "program 150\n"}}}},
		{Slice{Index: 2, Start: 200, Count: 100}, OracleOutput{Divergent: 5, Suppressed: 4,
			Groups: []guestapi.OracleGroup{{Signature: knownBug, Count: 4, Suppressed: true, Example: 210}, {Signature: bug, Count: 1, Example: 216}},
			First:  []guestapi.OracleDivergence{{Index: 216, Signature: bug, Program: "program 216\n"}}}},
	}
	for _, i := range []int{2, 0, 1} { // out of case order
		sl := slices[i]
		report := filepath.Join(dir, sl.s.String()+"-report.bin")
		if err := os.WriteFile(report, []byte("r"), 0o644); err != nil {
			t.Fatal(err)
		}
		p.keepCell(&cellJob{c: c, s: sl.s, dir: filepath.Join(dir, "trees", sl.s.String()), report: report, out: sl.out, diverged: true})
	}
	var warn bytes.Buffer
	p.spell(NewReporter(&warn)) // no merged report: the example the guest did not spell out is named
	sum, err := p.summary(false, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	row := sum.Rows[0]
	want := []Group{
		{Signature: bug, Count: 9, Example: 16, Program: "program 16\n"},
		{Signature: knownBug, Count: 6, Known: true, Example: 40},
		{Signature: knownOnce, Count: 1, Known: true, Example: 170},
		{Signature: other, Count: 1, Example: 150, Program: "program 150\n"},
	}
	if !reflect.DeepEqual(row.Groups, want) {
		t.Errorf("groups:\n got %+v\nwant %+v", row.Groups, want)
	}
	if row.Signatures != 4 || row.Divergent != 17 || row.Suppressed != 7 || row.Verdict != VerdictDiverged {
		t.Errorf("row: %d signatures, %d divergent, %d suppressed, %s; want 4, 17, 7, DIVERGED", row.Signatures, row.Divergent, row.Suppressed, row.Verdict)
	}
	if _, kept := c.programs[20]; kept {
		t.Errorf("kept the program of case 20, which is no slice's example")
	}
	if !strings.Contains(warn.String(), "fake /tmp: no merged report to spell out case(s) 40, 170 from\n") {
		t.Errorf("the unspelled example is not named: %q", warn.String())
	}
}

// TestJoinRereadCountsACaseOnce: the host re-read compares the reports
// again, so a signature both saw is the same cases (the larger count, the
// lower example), and what only the host saw is added.
func TestJoinRereadCountsACaseOnce(t *testing.T) {
	t.Parallel()
	run := []guestapi.OracleGroup{{Signature: "s", Count: 3, Example: 16}}
	reread := []guestapi.OracleGroup{
		{Signature: "host re-read A: exists -> missing", Count: 2, Example: 5},
		{Signature: "s", Count: 3, Example: 16, Suppressed: true},
	}
	got := joinReread(run, reread)
	want := []guestapi.OracleGroup{{Signature: "s", Count: 3, Example: 16, Suppressed: true}, {Signature: "host re-read A: exists -> missing", Count: 2, Example: 5}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("joinReread:\n got %+v\nwant %+v", got, want)
	}
	if run[0].Suppressed {
		t.Errorf("joinReread changed its input")
	}
}

// TestWriteDivergences: the summary names every signature with its count,
// known or new, the example, and the shortest program — at a lower chain
// with its case, at this run's chain as "(this run)" — printing a program
// once and naming the cell it was printed for when another cell repeats it.
func TestWriteDivergences(t *testing.T) {
	t.Parallel()
	prog2 := "case 716  (sequence 358, assignment 0)\n  step 1  worker 1  handle 0  read(zero_bytes) on A  -> expected EBADF  got EACCES\n"
	prog3 := "case 999  (sequence 499, assignment 1)\n  step 2  worker 2  handle -  stat on A  -> expected ok(0)  got ENOENT\n"
	sum := &Summary{Chain: 3, Rows: []Row{
		{Runtime: "wasmer", Volume: "/tmp", Divergent: 40, Groups: []Group{
			{Signature: "read(zero_bytes): EBADF -> EACCES", Count: 36, Example: 8000, Shortest: &Shortest{Chain: 2, Case: 716, Program: prog2}},
			{Signature: "stat on A: ok -> ENOENT", Count: 4, Known: true, Example: 999, Program: prog3, Shortest: &Shortest{Chain: 3, Case: 999, Program: prog3}},
		}},
		{Runtime: "wasmer", Volume: "/data", Divergent: 36, Groups: []Group{
			{Signature: "read(zero_bytes): EBADF -> EACCES", Count: 36, Example: 8000, Shortest: &Shortest{Chain: 2, Case: 716, Program: prog2}},
		}},
		{Runtime: "wazero", Volume: "/tmp", Groups: []Group{}},
	}}
	var b bytes.Buffer
	sum.WriteDivergences(&b)
	out := b.String()
	for _, want := range []string{
		"wasmer /tmp: 2 signature(s), 40 divergent case(s)\n",
		"        36  new    read(zero_bytes): EBADF -> EACCES  (e.g. case 8000)\n             shortest: chain 2 case 716\n               case 716  (sequence 358",
		"         4  known  stat on A: ok -> ENOENT  (e.g. case 999)\n             shortest: chain 3 (this run)\n               case 999",
		"wasmer /data: 1 signature(s), 36 divergent case(s)\n",
		"shortest: chain 2 case 716  (program as for wasmer /tmp above)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "read(zero_bytes) on A"); n != 1 {
		t.Errorf("the shared program is printed %d times, want once:\n%s", n, out)
	}
	if strings.Contains(out, "wazero") {
		t.Errorf("a cell without divergences is listed:\n%s", out)
	}
	b.Reset()
	(&Summary{Rows: []Row{{Runtime: "wazero", Volume: "/tmp", Groups: []Group{}}}}).WriteDivergences(&b)
	if b.Len() != 0 {
		t.Errorf("a run without divergences prints %q", b.String())
	}
}
