package detect

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
// detect`) holds: for every fault some mode noticed, that mode, run again
// the shortest way (random mode up to the op it failed at, the oracle to
// its first divergence), still notices it under the fault; the control row
// noticed nothing; and every data fault's failure shrank to at most 10 ops.
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
	chains := map[int]bool{}
	if len(tb.Rows) < 21 || tb.Rows[0].Fault != "" {
		t.Fatalf("the table has %d rows; want the control and at least 20 faults", len(tb.Rows))
	}
	for _, c := range tb.Rows[0].Cells {
		if c.Detected != 0 {
			t.Fatalf("the committed control row noticed something: %+v", c)
		}
	}
	n := 0
	for _, row := range tb.Rows[1:] {
		for _, c := range row.Cells {
			if c.Detected == 0 || c.Setup {
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
					t.Errorf("%s: the table says random mode notices it (%s); no seed did within %d ops", row.Fault, c.text(), c.ToDetect)
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
				t.Errorf("%s: the table says %s notices it (%s), a run again did not: %+v", row.Fault, c.Mode, c.text(), res)
			}
			break
		}
	}
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
