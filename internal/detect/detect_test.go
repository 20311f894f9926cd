package detect

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/runner"
	"github.com/fsx-wasix/fsx-wasix/internal/testutil"
)

// A small table end to end under wazero: the control notices nothing, a
// lost write is noticed by random mode and shrinks to a few ops, and a
// fault no mode exercises (rename over a larger file) is reported as
// unnoticed, by name.
func TestDetectSmallTable(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the guest under wazero")
	}
	root := testutil.RepoRoot()
	toml, err := os.ReadFile(filepath.Join(root, "cmd", "guest", "testdata", "fsx-10mb.toml"))
	if err != nil {
		t.Fatal(err)
	}
	known, err := os.ReadFile(filepath.Join(root, "cmd", "orchestrate", "testdata", "known-wazero.txt"))
	if err != nil {
		t.Fatal(err)
	}
	tb, err := Run(context.Background(), Config{
		Native: testutil.GuestNative(t), Wasm: testutil.GuestWasm(t), WorkDir: t.TempDir(),
		ConfigTOML: toml, Known: known, Faults: []string{"drop-write", "rename-keeps-size"},
		Seeds: []uint64{1}, NumOps: 300, Chains: []int{1}, Shrink: true, Jobs: 2, Timeout: 5 * time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(tb.Rows) != 3 || tb.Rows[0].Fault != "" {
		t.Fatalf("rows %+v", tb.Rows)
	}
	for _, c := range tb.Rows[0].Cells {
		if c.Detected != 0 || c.Err != "" {
			t.Fatalf("the control noticed something: %+v", c)
		}
	}
	dw := tb.Rows[1].Cells[0]
	if dw.Detected != 1 || dw.Shrunk < 1 || dw.Shrunk > 10 || dw.ToDetect < 1 {
		t.Fatalf("drop-write under random mode: %+v", dw)
	}
	for _, c := range tb.Rows[2].Cells {
		if c.Detected != 0 {
			t.Fatalf("rename-keeps-size noticed by %s, which never renames: %+v", c.Mode, c)
		}
	}
	md := string(tb.Markdown("test"))
	for _, want := range []string{"| (no fault) | control | — (0/1) | — (0/1) |", "`drop-write` | data | **1/1**", "shrunk to", "**1 of 2 faults are noticed by some mode.**", "Not noticed: `rename-keeps-size`"} {
		if !strings.Contains(md, want) {
			t.Errorf("table lacks %q:\n%s", want, md)
		}
	}
}

// The committed table (docs/detection.json, written by `orchestrate
// detect`) holds: for every fault some mode other than diff noticed, that
// mode, run again the shortest way (random mode up to the op it failed at,
// the oracle to its first divergence), still notices it under the fault;
// the control row noticed nothing; and every data fault's failure shrank
// to at most 10 ops. The diff column (every row has one) is checked by
// running again, against the native transcript of the table's programs,
// the control's whole run — still nothing outside wazero's known list —
// and, up to their first divergent program, the two faults only the diff
// column notices that it notices earliest: each first diverges at that
// program, with the table's signature.
func TestDetectionTableHolds(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the guest under wazero")
	}
	root := testutil.RepoRoot()
	raw, err := os.ReadFile(filepath.Join(root, "docs", "detection.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tb Table
	if err := json.Unmarshal(raw, &tb); err != nil {
		t.Fatal(err)
	}
	toml, _ := os.ReadFile(filepath.Join(root, "cmd", "guest", "testdata", "fsx-10mb.toml"))
	known, _ := os.ReadFile(filepath.Join(root, "cmd", "orchestrate", "testdata", "known-wazero.txt"))
	r, err := runner.New("wazero", runner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Native: testutil.GuestNative(t), Wasm: testutil.GuestWasm(t), WorkDir: t.TempDir(),
		ConfigTOML: toml, Known: known, Timeout: 5 * time.Minute}
	work := filepath.Join(cfg.WorkDir, "work")
	os.MkdirAll(work, 0o755)
	os.WriteFile(filepath.Join(work, "fsx.toml"), toml, 0o644)
	syncTOML, err := withSyncs(toml)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(work, "fsx-sync.toml"), syncTOML, 0o644)
	os.WriteFile(filepath.Join(work, "known.txt"), known, 0o644)
	if len(tb.Rows) < 21 || tb.Rows[0].Fault != "" {
		t.Fatalf("the table has %d rows; want the control and at least 20 faults", len(tb.Rows))
	}
	for _, c := range tb.Rows[0].Cells {
		if c.Detected != 0 {
			t.Fatalf("the committed control row noticed something: %+v", c)
		}
	}
	// Each part alone: go test -run 'TestDetectionTableHolds/diff'.
	t.Run("diff", func(t *testing.T) { diffColumnHolds(t, &tb, cfg, r) })
	t.Run("random-and-oracle", func(t *testing.T) { otherColumnsHold(t, &tb, cfg, r, work) })
}

// otherColumnsHold is TestDetectionTableHolds for the random and oracle
// columns.
func otherColumnsHold(t *testing.T, tb *Table, cfg Config, r runner.Runner, work string) {
	chains := map[int]bool{}
	n := 0
	for _, row := range tb.Rows[1:] {
		for _, c := range row.Cells {
			if c.Detected == 0 || c.Setup || c.Mode == ModeDiff {
				continue
			}
			if row.Group == "data" && c.Mode == "random" && (c.Shrunk < 1 || c.Shrunk > 10) {
				t.Errorf("%s: shrunk to %d ops, want 1..10", row.Fault, c.Shrunk)
			}
			n++
			if strings.HasPrefix(c.Mode, "random") {
				cfg.NumOps = c.ToDetect
				seeds := tb.Seeds
				if c.Mode == "random+sync" {
					seeds = tb.SyncSeeds
				}
				if !seedDetects(cfg, r, work, row.Fault, c.Mode, seeds, n) {
					t.Errorf("%s: the table says random mode notices it (%s); no seed did within %d ops", row.Fault, c.text(tb), c.ToDetect)
				}
				break // one detecting mode per fault is the claim checked
			}
			j := job{fault: row.Fault, mode: "oracle"}
			fmt.Sscanf(c.Mode, "oracle-%d", &j.chain)
			if !chains[j.chain] {
				if err := nativeReport(context.Background(), cfg, work, j.chain); err != nil {
					t.Fatal(err)
				}
				chains[j.chain] = true
			}
			if res := runJob(context.Background(), cfg, r, work, j, n); !res.detected || res.err != "" {
				t.Errorf("%s: the table says %s notices it (%s), a run again did not: %+v", row.Fault, c.Mode, c.text(tb), res)
			}
			break
		}
	}
}

// diffColumnHolds is TestDetectionTableHolds for the diff column.
func diffColumnHolds(t *testing.T, tb *Table, cfg Config, r runner.Runner) {
	if tb.DiffPrograms < 1 {
		t.Fatalf("the table has no diff column (diff_programs %d)", tb.DiffPrograms)
	}
	type check struct {
		fault string
		cell  Cell
	}
	var only []check
	for _, row := range tb.Rows {
		c := row.cell(ModeDiff)
		if c == nil || c.Err != "" {
			t.Fatalf("%s: no diff cell, or an error: %+v", orNone(row.Fault), c)
		}
		others := 0
		for _, o := range row.Cells {
			if o.Mode != ModeDiff {
				others += o.Detected
			}
		}
		if row.Fault != "" && c.Detected > 0 && others == 0 {
			only = append(only, check{row.Fault, *c})
		}
	}
	if ctl := tb.Rows[0].cell(ModeDiff); ctl.Detected != 0 {
		t.Fatalf("the committed control row's diff cell noticed something: %+v", ctl)
	}
	sort.Slice(only, func(i, j int) bool { return only[i].cell.ToDetect < only[j].cell.ToDetect })
	if len(only) < 2 {
		t.Fatalf("%d faults are noticed by the diff column alone; this check wants two (the table: %+v)", len(only), only)
	}
	known, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "cmd", "orchestrate", "testdata", "known-diff-wazero.txt"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DiffPrograms, cfg.DiffSeed, cfg.DiffKnown, cfg.Jobs = tb.DiffPrograms, tb.DiffSeed, known, 2
	cfg.WorkDir = t.TempDir()
	ds, expected, err := diffStage(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checks := append([]check{{"", Cell{}}}, only[:2]...)
	var wg sync.WaitGroup
	for _, ch := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := tb.DiffPrograms
			if ch.fault != "" {
				n = ch.cell.ToDetect + 1
			}
			got := diffCell(context.Background(), ds, diffTarget(r, ch.fault), expected, n)
			switch {
			case got.Err != "":
				t.Errorf("%s: diff programs 0..%d again: %s", orNone(ch.fault), n-1, got.Err)
			case ch.fault == "" && got.Detected != 0:
				t.Errorf("the control, diff programs 0..%d again: noticed program %d: %s (the known list or the fault wiring is wrong)", n-1, got.ToDetect, got.Sig)
			case ch.fault != "" && (got.Detected == 0 || got.ToDetect != ch.cell.ToDetect || got.Sig != ch.cell.Sig):
				t.Errorf("%s: the table says the diff column first notices it at program %d (%s); programs 0..%d again: %s",
					ch.fault, ch.cell.ToDetect, ch.cell.Sig, n-1, got.verdict())
			default:
				t.Logf("%s: diff programs 0..%d again: %s", orNone(ch.fault), n-1, got.verdict())
			}
		}()
	}
	wg.Wait()
}

// seedDetects says whether some seed's random run notices the fault within
// cfg.NumOps ops (the table's median, so at least one seed did).
func seedDetects(cfg Config, r runner.Runner, work, fault, mode string, seeds []int64, n int) bool {
	for i, s := range seeds {
		res := runJob(context.Background(), cfg, r, work, job{fault: fault, mode: mode, seed: uint64(s)}, 1000*n+i)
		if res.detected && res.err == "" {
			return true
		}
	}
	return false
}

// The diff column end to end under wazero, small: the control notices
// nothing in 300 programs, and rename over a larger file — which random
// mode and the oracle never do — is noticed at a program whose signature
// a run up to it gives again, and shrinks to a few steps.
func TestDetectDiffColumn(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the guest under wazero")
	}
	root := testutil.RepoRoot()
	knownDiff, err := os.ReadFile(filepath.Join(root, "cmd", "orchestrate", "testdata", "known-diff-wazero.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	tb, err := Run(context.Background(), Config{
		Native: testutil.GuestNative(t), Wasm: testutil.GuestWasm(t), WorkDir: t.TempDir(),
		Faults: []string{"rename-keeps-size"}, DiffPrograms: 300, DiffSeed: 1, DiffKnown: knownDiff,
		Shrink: true, Jobs: 2, Timeout: 5 * time.Minute, Progress: &log,
	})
	t.Log(log.String())
	if err != nil {
		t.Fatal(err)
	}
	if got := tb.Modes(); len(got) != 1 || got[0] != ModeDiff || tb.DiffPrograms != 300 || len(tb.Parts) != 1 {
		t.Fatalf("modes %v, diff programs %d, parts %+v: want the diff column alone", got, tb.DiffPrograms, tb.Parts)
	}
	ctl, rk := tb.Rows[0].Cells[0], tb.Rows[1].Cells[0]
	if ctl.Detected != 0 || ctl.Err != "" || ctl.Seconds <= 0 {
		t.Fatalf("the control noticed something, or did not run: %+v", ctl)
	}
	if rk.Detected != 1 || rk.Err != "" || rk.Sig == "" || rk.Divergent < 1 || rk.ToDetect < 0 || rk.ToDetect >= 300 {
		t.Fatalf("rename-keeps-size under diff: %+v", rk)
	}
	if rk.Shrunk < 2 || rk.Shrunk > 10 || !strings.Contains(rk.Minimal, "rename") {
		t.Errorf("rename-keeps-size shrunk to %d steps (%s), want 2..10 with a rename:\n%s", rk.Shrunk, rk.ShrinkNote, rk.Minimal)
	}
	md := string(tb.Markdown("test"))
	for _, want := range []string{"| fault | group | diff |", "| (no fault) | control | — (0/300 programs) |",
		fmt.Sprintf("| `rename-keeps-size` | metadata | **program %d** (%d/300)", rk.ToDetect, rk.Divergent),
		"**1 of 1 faults are noticed by some mode.** By itself, the diff column notices 1 of them."} {
		if !strings.Contains(md, want) {
			t.Errorf("table lacks %q:\n%s", want, md)
		}
	}
}

// Merging a diff column into a table of other columns keeps those columns
// cell for cell, replaces an older diff column, and says which part of the
// table was computed when.
func TestMergeReplacesOnlyItsColumns(t *testing.T) {
	old := &Table{Date: "2026-12-04", Seeds: []int64{1, 2}, NumOps: 100, Chains: []int{1}, DiffPrograms: 50, DiffSeed: 3, Seconds: 300,
		Rows: []Row{
			{Fault: "", Cells: []Cell{{Mode: "random", Runs: 2}, {Mode: "oracle-1", Runs: 1}, {Mode: ModeDiff, Runs: 1}}},
			{Fault: "drop-write", Group: "data", Cells: []Cell{{Mode: "random", Runs: 2, Detected: 2, ToDetect: 4, Shrunk: 2}, {Mode: "oracle-1", Runs: 1}, {Mode: ModeDiff, Runs: 1}}},
			{Fault: "gone-fault", Group: "data", Cells: []Cell{{Mode: "random", Runs: 2}, {Mode: "oracle-1", Runs: 1}}},
		}}
	upd := &Table{Date: "2026-12-05", DiffPrograms: 2000, DiffSeed: 1, Seconds: 60,
		Parts: []Part{{Modes: []string{ModeDiff}, Date: "2026-12-05", Seconds: 60}},
		Rows: []Row{
			{Fault: "", Cells: []Cell{{Mode: ModeDiff, Runs: 1, Seconds: 9}}},
			{Fault: "drop-write", Group: "data", Cells: []Cell{{Mode: ModeDiff, Runs: 1, Detected: 1, ToDetect: 5, Sig: "final snapshot: file other length", Divergent: 121, Shrunk: 3}}},
			{Fault: "new-fault", Group: "sync", Cells: []Cell{{Mode: ModeDiff, Runs: 1, Seconds: 9}}},
		}}
	m, err := Merge(old, upd)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(m.Modes()); got != "[random oracle-1 diff]" {
		t.Errorf("modes %s", got)
	}
	if len(m.Rows) != 4 || m.Rows[2].Fault != "gone-fault" || m.Rows[3].Fault != "new-fault" {
		t.Fatalf("rows %+v", m.Rows)
	}
	if c := m.Rows[1].cell("random"); c == nil || !reflect.DeepEqual(*c, old.Rows[1].Cells[0]) {
		t.Errorf("the random cell changed: %+v", c)
	}
	if c := m.Rows[1].cell(ModeDiff); c == nil || c.ToDetect != 5 || c.Shrunk != 3 {
		t.Errorf("the diff cell was not replaced: %+v", c)
	}
	if m.Rows[2].cell(ModeDiff) != nil || m.Rows[3].cell("random") != nil {
		t.Errorf("a cell appeared that nothing computed: %+v / %+v", m.Rows[2], m.Rows[3])
	}
	if m.DiffPrograms != 2000 || m.DiffSeed != 1 || m.NumOps != 100 || fmt.Sprint(m.Seeds) != "[1 2]" || fmt.Sprint(m.Chains) != "[1]" {
		t.Errorf("parameters: %+v", m)
	}
	if len(m.Parts) != 2 || fmt.Sprint(m.Parts[0].Modes) != "[random oracle-1]" || m.Parts[0].Date != "2026-12-04" ||
		fmt.Sprint(m.Parts[1].Modes) != "[diff]" || m.Date != "2026-12-05" || m.Seconds != 360 {
		t.Errorf("parts %+v, date %s, seconds %v", m.Parts, m.Date, m.Seconds)
	}
	md := string(m.Markdown("test"))
	for _, want := range []string{"random, oracle-1: 2026-12-04, 300 s. diff: 2026-12-05, 60 s.",
		"| `drop-write` | data | **2/2**, op 4, 0.0 s, shrunk to 2 ops | — (0/1) | **program 5** (121/2000), 0.0 s, shrunk to 3 steps: `final snapshot: file other length` |",
		"| `gone-fault` | data | — (0/2) | — (0/1) | not measured |",
		"programs 0–1999 of seed 1"} {
		if !strings.Contains(md, want) {
			t.Errorf("table lacks %q:\n%s", want, md)
		}
	}
	if _, err := Merge(&Table{Rows: []Row{{Fault: "drop-write"}}}, upd); err == nil {
		t.Errorf("merged into a table without the control row")
	}
}
