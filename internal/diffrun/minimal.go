package diffrun

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/pipeline"
	"github.com/fsx-wasix/fsx-wasix/pkg/diff"
	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
)

// found is one minimal program and the signatures it stands for.
type found struct {
	prog    fsop.Program
	sigs    []*Sig // the cells' signatures it reproduces
	stopped string // the budget that stopped the shrink ("" when 1-minimal)
}

// shrinkAll shrinks every unsuppressed signature of every cell to a
// minimal program (a program already minimal for the same signature on
// another cell is tried first, and reused when it diverges the same way
// there), runs every minimal program natively and on every cell, and
// writes each as a replayable program file.
func (st *stage) shrinkAll(ctx context.Context) error {
	type job struct {
		c *cell
		s *Sig
	}
	var jobs []job
	for _, c := range st.cells {
		for _, s := range sortedSigs(c.sigs) {
			if !s.Known && s.Example >= 0 {
				jobs = append(jobs, job{c, s})
			}
		}
	}
	if len(jobs) == 0 {
		return nil
	}
	bar := st.rep.Start("shrink", int64(len(jobs)))
	sh := &Shrinker{p: st.p, scratch: filepath.Join(st.scratch, "shrink")}
	var mu sync.Mutex
	var founds []*found
	bySig := map[string][]*found{}
	// Shrinks run one per two process slots: each batch runs natively and
	// on the cell at once.
	par := max(1, st.cfg.Jobs)
	deadline := time.Now().Add(st.cfg.ShrinkTotal)
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	// Jobs of one signature run in turn (so the second can reuse the
	// first's program); different signatures in parallel.
	groups := map[string][]job{}
	var order []string
	for _, j := range jobs {
		if groups[j.s.Signature] == nil {
			order = append(order, j.s.Signature)
		}
		groups[j.s.Signature] = append(groups[j.s.Signature], j)
	}
	var firstErr error
	for _, sig := range order {
		wg.Add(1)
		go func(js []job) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			for _, j := range js {
				if ctx.Err() != nil {
					return
				}
				mu.Lock()
				prev := append([]*found(nil), bySig[j.s.Signature]...)
				mu.Unlock()
				left := time.Until(deadline)
				if left < 5*time.Second {
					mu.Lock()
					j.s.ShrinkNote = fmt.Sprintf("not shrunk: the shrink phase's budget (%s, --shrink-total) was spent", st.cfg.ShrinkTotal)
					mu.Unlock()
					bar.Add(1)
					continue
				}
				f, note, err := st.shrinkOne(ctx, sh, j.c, j.s, prev, min(left, st.cfg.ShrinkTime))
				bar.Add(1)
				mu.Lock()
				j.s.ShrinkNote = note
				if err != nil && firstErr == nil && ctx.Err() == nil {
					firstErr = err
				}
				if f != nil {
					if len(f.sigs) == 0 { // new
						founds = append(founds, f)
						bySig[j.s.Signature] = append(bySig[j.s.Signature], f)
					}
					f.sigs = append(f.sigs, j.s)
				}
				mu.Unlock()
				if f != nil {
					st.rep.Printf("%-14s %s: %s -> %d step(s); %s\n", "shrunk", j.c.t.Name(), j.s.Signature, len(f.prog), note)
				} else {
					st.rep.Printf("%-14s %s: %s not shrunk: %s\n", "shrink", j.c.t.Name(), j.s.Signature, note)
				}
			}
		}(groups[sig])
	}
	wg.Wait()
	bar.Done("%d signature(s), %d minimal program(s)", len(jobs), len(founds))
	if firstErr != nil {
		return firstErr
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return st.crossCheck(ctx, founds)
}

// shrinkOne shrinks one cell's signature, or reuses a minimal program of
// another cell that diverges the same way here.
func (st *stage) shrinkOne(ctx context.Context, sh *Shrinker, c *cell, s *Sig, prev []*found, budget time.Duration) (*found, string, error) {
	if len(prev) > 0 {
		progs := make([]fsop.Program, len(prev))
		for i, f := range prev {
			progs[i] = f.prog
		}
		nat, got, err := sh.both(ctx, c.t, progs)
		if err != nil {
			return nil, "", err
		}
		for i := range prev {
			if Signature(nat[i], got[i]) == s.Signature {
				return prev[i], fmt.Sprintf("the minimal program of %s %s diverges the same way", prev[i].sigs[0].Runtime, prev[i].sigs[0].Volume), nil
			}
		}
	}
	prog := st.program(s.Example)
	o := ShrinkOptions{MaxTime: budget, MaxBatch: st.cfg.ShrinkBatch}
	r, err := sh.Shrink(ctx, c.t, s.Signature, prog, o)
	if err != nil {
		if r != nil && r.Attempts <= 1 {
			return nil, fmt.Sprintf("program %d does not diverge the same way when run alone (--diff-program): %v", s.Example, err), nil
		}
		return nil, "", err
	}
	note := fmt.Sprintf("%d -> %d steps, %d candidates in %d batches, %s", len(prog), len(r.Program), r.Attempts, r.Batches, pipeline.FormatDuration(r.Elapsed))
	if r.Stopped != "" {
		note += " (stopped by the " + r.Stopped + ": may not be minimal)"
	}
	return &found{prog: fsop.Program(r.Program), stopped: r.Stopped}, note, nil
}

// crossCheck runs every minimal program natively and on every cell (one
// process per target), records where each diverges, and writes them.
func (st *stage) crossCheck(ctx context.Context, founds []*found) error {
	if len(founds) == 0 {
		return nil
	}
	progs := make([]fsop.Program, len(founds))
	for i, f := range founds {
		progs[i] = f.prog
	}
	scratch := filepath.Join(st.scratch, "cross")
	nat, err := st.p.runBatch(ctx, Target{Runtime: "native", Volume: pipeline.VolumeData}, scratch, progs)
	if err != nil {
		return err
	}
	got := make([][]Outcome, len(st.cells))
	var wg sync.WaitGroup
	errs := make([]error, len(st.cells))
	for i, c := range st.cells {
		wg.Add(1)
		go func(i int, c *cell) {
			defer wg.Done()
			got[i], errs[i] = st.p.runBatch(ctx, c.t, scratch, progs)
		}(i, c)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	dir := filepath.Join(st.runDir, "minimal")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for fi, f := range founds {
		elsewhere := map[string]string{"native": ""}
		var expects []Expect
		for ci, c := range st.cells {
			sig := Signature(nat[fi], got[ci][fi])
			elsewhere[c.t.Name()] = sig
			if sig != "" {
				expects = append(expects, Expect{Runtime: c.t.Runtime, Volume: c.t.Volume, Signature: sig})
			}
		}
		s0 := f.sigs[0]
		name := fmt.Sprintf("%02d-%s-%s.prog", fi+1, s0.Runtime, strings.TrimPrefix(s0.Volume, "/"))
		e := Entry{
			Name:      strings.TrimSuffix(name, ".prog"),
			Finding:   s0.Signature,
			Signature: s0.Signature,
			Found: fmt.Sprintf("%s on %s, orchestrate --diff %d -S %d, program %d, %s", Version(s0.Runtime), s0.Volume,
				st.cfg.Programs, st.cfg.Seed, s0.Example, time.Now().UTC().Format("2006-01-02")),
			Expects: expects,
			Program: f.prog,
		}
		path := filepath.Join(dir, name)
		if err := pipeline.WriteFileAtomic(path, e.Format()); err != nil {
			return err
		}
		for _, s := range f.sigs {
			var cellIdx int
			for ci, c := range st.cells {
				if c.t.Runtime == s.Runtime && c.t.Volume == s.Volume {
					cellIdx = ci
				}
			}
			s.Minimal, s.MinimalSteps = path, len(f.prog)
			s.MinimalText = string(diff.AppendProgram(nil, "", f.prog))
			s.Explained = Explain(nat[fi], got[cellIdx][fi], "    ")
			s.Elsewhere = elsewhere
		}
	}
	return nil
}

// WriteReport prints the verdict table (REREAD: the programs whose kept
// tree on /data the host re-read), then every signature with its
// count, example, known/new and minimal program.
func (s *Summary) WriteReport(w *strings.Builder) {
	fmt.Fprintf(w, "differential run: %d programs, seed %d, schema %s (native: %d of %d slice(s) from cache)\n", s.Programs, s.Seed, s.SchemaHash, s.NativeHits, s.Slices)
	WriteTable(w, s.Rows)
	if len(s.Sigs) == 0 {
		return
	}
	fmt.Fprintf(w, "\ndivergences by signature (%d):\n", len(s.Sigs))
	for _, g := range s.Sigs {
		state := "new"
		if g.Known {
			state = "known: suppressed"
		}
		fmt.Fprintf(w, "  %-20s %6d  %s  (e.g. program %d; %s)\n", g.Runtime+" "+g.Volume, g.Count, g.Signature, g.Example, state)
	}
	for _, g := range s.Sigs {
		if g.Known || g.Minimal == "" && g.ShrinkNote == "" {
			continue
		}
		fmt.Fprintf(w, "\n%s %s: %s\n", g.Runtime, g.Volume, g.Signature)
		if g.Minimal == "" {
			fmt.Fprintf(w, "  not shrunk: %s\n", orDash(g.ShrinkNote))
			continue
		}
		fmt.Fprintf(w, "  minimal program (%d steps; %s): %s\n", g.MinimalSteps, g.ShrinkNote, g.Minimal)
		w.WriteString(g.Explained)
		var agree, same, other []string
		names := make([]string, 0, len(g.Elsewhere))
		for n := range g.Elsewhere {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			switch sig := g.Elsewhere[n]; {
			case n == g.Runtime+" "+g.Volume, n == "native":
			case sig == "":
				agree = append(agree, n)
			case sig == g.Signature:
				same = append(same, n)
			default:
				other = append(other, n+" ("+sig+")")
			}
		}
		if len(agree) > 0 {
			fmt.Fprintf(w, "  agrees with native: %s\n", strings.Join(agree, ", "))
		}
		if len(same) > 0 {
			fmt.Fprintf(w, "  diverges the same way: %s\n", strings.Join(same, ", "))
		}
		if len(other) > 0 {
			fmt.Fprintf(w, "  diverges otherwise: %s\n", strings.Join(other, "; "))
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// WriteTable prints the verdict table.
func WriteTable(w *strings.Builder, rows []Row) {
	fmt.Fprintf(w, "%-11s %-6s %-19s %8s %9s %10s %7s %5s %10s %8s %8s  %s\n", "RUNTIME", "VOLUME", "BACKING", "PROGRAMS", "DIVERGENT", "SUPPRESSED", "CRASHES", "HANGS", "SIGNATURES", "REREAD", "TIME", "VERDICT")
	for _, r := range rows {
		reread := "-" // the volume is the runtime's own: nothing on the host
		if r.Volume == pipeline.VolumeData {
			reread = fmt.Sprint(r.Reread)
		}
		fmt.Fprintf(w, "%-11s %-6s %-19s %8d %9d %10d %7d %5d %10d %8s %8s  %s\n", r.Runtime, r.Volume, r.Backing, r.Programs, r.Divergent, r.Suppressed, r.Crashes, r.Hangs, r.Signatures,
			reread, pipeline.FormatDuration(time.Duration(r.Seconds*float64(time.Second))), r.Verdict)
		if r.Note != "" {
			fmt.Fprintf(w, "  %s %s: %s\n", r.Runtime, r.Volume, r.Note)
		}
	}
}
