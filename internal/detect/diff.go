package detect

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/diffrun"
	"github.com/fsx-wasix/fsx-wasix/internal/pipeline"
	"github.com/fsx-wasix/fsx-wasix/internal/runner"
)

// ModeDiff is the differential column's mode.
const ModeDiff = "diff"

// diffColumn measures the diff cell of every row: the native transcript of
// programs 0..N-1 once, then for each row the same programs under wazero
// with the row's fault on /data, compared with it (wazero's documented
// divergences suppressed) — internal/diffrun's stage parts, so runs,
// crashes and shrinks are exactly those of `orchestrate --diff`. For a
// fault that is noticed, programs 0..k (k the first divergent program) run
// again to time a run that stops at it, then program k is shrunk under the
// fault.
func diffColumn(ctx context.Context, cfg Config, r runner.Runner, t *Table, cells map[int]int) error {
	ds, expected, err := diffStage(ctx, cfg)
	if err != nil {
		return err
	}
	target := func(fault string) diffrun.Target { return diffTarget(r, fault) }
	// The comparing runs, one process per row, Jobs at once (the stage's
	// process slots bound them).
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(cfg.Jobs, 1))
	for i := range t.Rows {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			c := &t.Rows[i].Cells[cells[i]]
			*c = diffCell(ctx, ds, target(t.Rows[i].Fault), expected, cfg.DiffPrograms)
			progress(cfg, "detect: diff %-24s %s\n", orNone(t.Rows[i].Fault), c.verdict())
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	if !cfg.Shrink {
		return nil
	}
	// Shrinks run Jobs/2 at once: each candidate batch is two processes,
	// native and wazero.
	sem = make(chan struct{}, max(cfg.Jobs/2, 1))
	for i := range t.Rows {
		c := &t.Rows[i].Cells[cells[i]]
		if c.Detected == 0 || t.Rows[i].Fault == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			s, err := ds.Shrink(ctx, target(t.Rows[i].Fault), c.Sig, c.ToDetect, cfg.DiffShrinkTime)
			switch {
			case err != nil && ctx.Err() == nil:
				c.ShrinkNote = "not shrunk: " + err.Error()
			case err != nil:
			case s.Program == nil:
				c.ShrinkNote = "not shrunk: " + s.Note
			case !s.Minimal:
				c.ShrinkNote = fmt.Sprintf("not shrunk: the %s budget ran out (%s)", budget(cfg.DiffShrinkTime), s.Note)
			default:
				c.Shrunk, c.ShrinkNote = len(s.Program), s.Note
				c.Minimal = strings.TrimSpace(s.Text)
			}
			progress(cfg, "detect: diff shrink %-24s program %d: %s\n", t.Rows[i].Fault, c.ToDetect, c.ShrinkNote)
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// diffStage prepares internal/diffrun's stage for cfg's diff run and makes
// the native transcript of its programs, once.
func diffStage(ctx context.Context, cfg Config) (*diffrun.Stage, string, error) {
	known := filepath.Join(cfg.WorkDir, "known-diff.txt")
	if err := os.WriteFile(known, cfg.DiffKnown, 0o644); err != nil {
		return nil, "", err
	}
	ds, err := diffrun.NewStage(ctx, diffrun.Config{
		CacheDir: filepath.Join(cfg.WorkDir, "diff-cache"), RunsDir: filepath.Join(cfg.WorkDir, "diff-runs"),
		Programs: cfg.DiffPrograms, Seed: cfg.DiffSeed, Known: known, Jobs: cfg.Jobs,
		Guest: &diffrun.Guest{Native: cfg.Native, Wasm: cfg.Wasm},
	})
	if err != nil {
		return nil, "", fmt.Errorf("diff: %w", err)
	}
	t0 := time.Now()
	expected, err := ds.Native(ctx, 0, cfg.DiffPrograms)
	if err != nil {
		return nil, "", fmt.Errorf("diff: the native transcript: %w", err)
	}
	progress(cfg, "detect: diff: native transcript of %d programs (seed %d) in %.1fs\n", cfg.DiffPrograms, cfg.DiffSeed, time.Since(t0).Seconds())
	return ds, expected, nil
}

// diffTarget is wazero on /data with fault ("" for none) there.
func diffTarget(r runner.Runner, fault string) diffrun.Target {
	tg := diffrun.Target{Runtime: pipeline.RuntimeWazero, Volume: pipeline.VolumeData, R: r}
	if fault != "" {
		tg.Fault = fault + "@" + pipeline.VolumeData
	}
	return tg
}

func budget(d time.Duration) string {
	if d <= 0 {
		d = diffrun.DefaultShrinkTime
	}
	return d.String()
}

// diffCell compares programs 0..n-1 on tg; when something diverges outside
// the known list, programs 0..k run again (k the first such program): a
// run that stops at its first divergence, which the guest's --diff does
// not, and a check that the divergence is the same the second time.
func diffCell(ctx context.Context, ds *diffrun.Stage, tg diffrun.Target, expected string, n int64) Cell {
	c := Cell{Mode: ModeDiff, Runs: 1}
	t0 := time.Now()
	cmp := ds.Compare(ctx, tg, expected, 0, n)
	c.Seconds = time.Since(t0).Seconds()
	if cmp.Row.Verdict == pipeline.VerdictError {
		c.Err = cmp.Row.Note
		return c
	}
	if cmp.Row.Programs != n {
		c.Err = fmt.Sprintf("compared %d of %d programs", cmp.Row.Programs, n)
		return c
	}
	if cmp.First < 0 {
		return c
	}
	c.Detected, c.ToDetect, c.Sig = 1, cmp.First, cmp.FirstSig
	c.Divergent = cmp.Row.Divergent - cmp.Row.Suppressed
	for _, g := range cmp.Sigs {
		if !g.Known {
			c.DiffSigs = append(c.DiffSigs, DiffSig{Signature: g.Signature, Count: g.Count, First: g.Example})
		}
	}
	sort.SliceStable(c.DiffSigs, func(i, j int) bool { return c.DiffSigs[i].First < c.DiffSigs[j].First })
	t0 = time.Now()
	again := ds.Compare(ctx, tg, expected, 0, cmp.First+1)
	c.Seconds = time.Since(t0).Seconds()
	if again.First != cmp.First || again.FirstSig != cmp.FirstSig {
		c.Err = fmt.Sprintf("programs 0..%d again: the first divergence is program %d (%s), not %d (%s)",
			cmp.First, again.First, again.FirstSig, cmp.First, cmp.FirstSig)
	}
	return c
}

func (c Cell) verdict() string {
	switch {
	case c.Err != "":
		return "error: " + c.Err
	case c.Detected > 0:
		return fmt.Sprintf("detected at program %d (%d divergent, %.1fs): %s", c.ToDetect, c.Divergent, c.Seconds, c.Sig)
	default:
		return fmt.Sprintf("not detected (%.1fs)", c.Seconds)
	}
}

func progress(cfg Config, format string, a ...any) {
	if cfg.Progress != nil {
		progressMu.Lock()
		fmt.Fprintf(cfg.Progress, format, a...)
		progressMu.Unlock()
	}
}

var progressMu sync.Mutex
