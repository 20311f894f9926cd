package detect

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
