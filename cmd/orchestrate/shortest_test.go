package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/internal/runner"
	"github.com/fsx-wasix/fsx-wasix/internal/testutil"
	"github.com/fsx-wasix/fsx-wasix/pkg/oracle"
)

// groupJSON is one divergence group of a --json row.
type groupJSON struct {
	Signature string `json:"signature"`
	Count     int64  `json:"count"`
	Known     bool   `json:"known"`
	Example   int64  `json:"example_case"`
	Program   string `json:"program"`
	Shortest  *struct {
		Chain   int    `json:"chain"`
		Case    int64  `json:"case"`
		Program string `json:"program"`
	} `json:"shortest"`
}

// wazeroZeroRead is wazero's divergence from Linux (docs/findings.md,
// finding 7): a zero-byte read on a handle opened append-only succeeds.
const wazeroZeroRead = "read(zero_bytes): EBADF -> ok"

// caseOf is the index of the case running these catalog entries
// ("open(append_create) h0 A"), all on worker 1.
func caseOf(t *testing.T, entries ...string) int64 {
	t.Helper()
	var idx, workers []int
	for _, name := range entries {
		i := -1
		for j, e := range oracle.Catalog {
			if e.String() == name {
				i = j
			}
		}
		if i < 0 {
			t.Fatalf("no catalog entry %q", name)
		}
		idx, workers = append(idx, i), append(workers, 1)
	}
	c, err := oracle.Encode(idx, workers)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// findGroup is the only cell's group with signature sig.
func findGroup(t *testing.T, r e2eRun, sig string) groupJSON {
	t.Helper()
	if len(r.sum.Cells) != 1 {
		t.Fatalf("want one cell, got %+v\n%s", r.sum.Cells, r.stderr)
	}
	for _, g := range r.sum.Cells[0].Groups {
		if g.Signature == sig {
			return g
		}
	}
	t.Fatalf("the row's groups %+v lack %q\n%s", r.sum.Cells[0].Groups, sig, r.stderr)
	return groupJSON{}
}

// TestSummaryNamesDivergencesAndShortestPrograms runs wazero, which diverges
// from Linux on a zero-byte read, and checks what --json says diverged: the
// signature with its count, its example case spelled out, known or new,
// and its shortest program — at chain 2 in a chain-2 run, and found by the
// lower-chain pass for a chain-3 run (one shard of it, to stay quick);
// --no-shortest leaves the shortest out.
func TestSummaryNamesDivergencesAndShortestPrograms(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	t.Parallel()
	// The shortest program showing the bug: open append-only, read 0 bytes.
	shortest := caseOf(t, "open(append_create) h0 A", "read(zero_bytes) h0")
	cache := filepath.Join(t.TempDir(), "cache") // shared: later runs reuse the natives
	common := []string{"--runtime", "wazero", "--volumes", "tmp", "--cache-dir", cache}
	checkShortest := func(t *testing.T, g groupJSON, chain int, at int64) {
		t.Helper()
		if g.Shortest == nil || g.Shortest.Chain != chain || g.Shortest.Case != at || !strings.Contains(g.Shortest.Program, "read(zero_bytes) on A") {
			t.Errorf("shortest = %+v; want chain %d case %d, a program with read(zero_bytes) on A", g.Shortest, chain, at)
		}
	}

	t.Run("chain2", func(t *testing.T) {
		r := orchestrate(t, t.TempDir(), nil, append(common, "-chain", "2")...)
		if r.code != exitFailed || r.sum.Cells[0].Verdict != "DIVERGED" {
			t.Fatalf("exit %d, cells %+v; want 1 and DIVERGED\n%s", r.code, r.sum.Cells, r.stderr)
		}
		g := findGroup(t, r, wazeroZeroRead)
		// 12 = the append-only handle (0 or 1) on A, B or C, × both workers for the read.
		if g.Count != 12 || g.Count != r.sum.Cells[0].Divergent || g.Known || g.Example != shortest {
			t.Errorf("group %+v; want 12 cases (all the row's), new, example case %d", g, shortest)
		}
		if !strings.Contains(g.Program, "read(zero_bytes) on A  -> expected EBADF  got ok") {
			t.Errorf("the example is not spelled out: %q", g.Program)
		}
		checkShortest(t, g, 2, shortest) // nothing shorter: chain 2, this run's example
		if !strings.Contains(r.stderr, "shortest L1") {
			t.Errorf("no line for the chain-1 pass:\n%s", r.stderr)
		}
	})

	t.Run("chain3-known", func(t *testing.T) {
		// Shard 1/108 of chain 3 is its first 5,832 cases: programs starting
		// with open(read_write_create) h0 A, among them ones that open
		// append-only then read 0 bytes.
		r := orchestrate(t, t.TempDir(), nil, append(common, "-chain", "3", "--shard", "1/108", "--known", known(t, "wazero"))...)
		if r.code != 0 || r.sum.Cells[0].Verdict != "match" {
			t.Fatalf("exit %d, cells %+v; want 0 and match (the divergence is known)\n%s", r.code, r.sum.Cells, r.stderr)
		}
		g := findGroup(t, r, wazeroZeroRead)
		if !g.Known || g.Count != r.sum.Cells[0].Suppressed || g.Example >= r.sum.CaseCount {
			t.Errorf("group %+v; want known, the row's %d suppressed cases, an example of this shard", g, r.sum.Cells[0].Suppressed)
		}
		checkShortest(t, g, 2, shortest) // found by the chain-2 pass, not this run's chain-3 case
		if !strings.Contains(r.stderr, "shortest L2") {
			t.Errorf("no line for the chain-2 pass:\n%s", r.stderr)
		}
	})

	t.Run("no-shortest", func(t *testing.T) {
		// The known list comes from the shipped per-version directory here
		// (--known-dir), chain3-known passes a file (--known).
		r := orchestrate(t, t.TempDir(), nil, append(common, "-chain", "2", "--known-dir", filepath.Join(testutil.RepoRoot(), "known"), "--no-shortest")...)
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, "wazero-"+runner.WazeroVersion+".txt") {
			t.Errorf("the plan does not name the known list it used:\n%s", r.stderr)
		}
		g := findGroup(t, r, wazeroZeroRead)
		// Known cases are not among the guest's first divergent programs:
		// the orchestrator spells the example out from the reports.
		if !g.Known || g.Shortest != nil || !strings.Contains(g.Program, "read(zero_bytes) on A  -> expected EBADF  got ok") {
			t.Errorf("group %+v; want known, no shortest, the example spelled out", g)
		}
		if strings.Contains(r.stderr, "shortest L") {
			t.Errorf("--no-shortest ran a lower chain:\n%s", r.stderr)
		}
	})
}
