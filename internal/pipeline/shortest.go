package pipeline

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/fsx-wasix/fsx-wasix/pkg/oracle"
)

// Stage 6: every divergence signature of a cell spelled out as a program,
// and as the shortest program that shows it.
//
// The oracle runs every program of chain L, so the shortest program showing
// a signature is the lowest case, at the lowest chain L' ≤ L, whose first
// divergence has that signature. shortest runs chains 1..L-1 for the cells
// that diverged, through the same stages as the run itself (a pass with
// Chain = L' and only those cells; native reports come from the same cache),
// and stops early for a cell once all of its signatures are placed. Chains
// 1 and 2 are 54 and 5,832 cases: about 1/108 of the next chain each.

// spell fills every group's Program with its example case spelled out: the
// guest's own text when the example was among the first divergent
// programs it printed (OracleSummary.First), else spelled out here from the
// merged native and cell reports (SpellCases). It runs after the merge;
// what it cannot spell out it says on rep.
func (p *pass) spell(rep *Reporter) {
	for _, c := range p.cells {
		var need []int64
		for _, g := range c.groups {
			if prog, ok := c.programs[g.Example]; ok {
				g.Program = prog
			} else {
				need = append(need, g.Example)
			}
		}
		if len(need) == 0 {
			continue
		}
		sort.Slice(need, func(i, j int) bool { return need[i] < need[j] })
		if c.row.Report == "" {
			rep.Printf("%-14s %s: no merged report to spell out case(s) %s from\n", "warning", c.name(), joinCases(need))
			continue
		}
		progs, err := SpellCases(p.sum.Native, c.row.Report, need)
		if err != nil {
			rep.Printf("%-14s %s: cannot spell out case(s) %s: %v\n", "warning", c.name(), joinCases(need), err)
		}
		for _, g := range c.groups {
			if g.Program == "" {
				g.Program = progs[g.Example]
			}
		}
	}
}

func joinCases(cases []int64) string {
	s := make([]string, len(cases))
	for i, c := range cases {
		s[i] = fmt.Sprint(c)
	}
	return strings.Join(s, ", ")
}

// SpellCases spells out the given cases of a run as the guest's divergence
// report does (every step with its worker, handle, command and file, the
// expected and actual outcomes, the snapshots), from the run's native
// report and a cell's report of the same cases. It decodes case indexes
// and records with this program's pkg/oracle, so it refuses reports of
// another catalog (the guest may be built from other sources). Cases
// outside the reports' range are left out of the map.
func SpellCases(nativeReport, cellReport string, cases []int64) (map[int64]string, error) {
	nr, nh, err := oracle.OpenReport(nativeReport)
	if err != nil {
		return nil, err
	}
	defer nr.Close()
	cr, ch, err := oracle.OpenReport(cellReport)
	if err != nil {
		return nil, err
	}
	defer cr.Close()
	if nh.Chain != ch.Chain || nh.First != ch.First || nh.Count != ch.Count {
		return nil, fmt.Errorf("%s (chain %d, cases %d..%d) and %s (chain %d, cases %d..%d) are not the same run",
			nativeReport, nh.Chain, nh.First, nh.End()-1, cellReport, ch.Chain, ch.First, ch.End()-1)
	}
	want := append([]int64(nil), cases...)
	sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
	out := make(map[int64]string, len(want))
	k := 0
	for i := nh.First; i < nh.End(); i++ {
		for k < len(want) && want[k] < i {
			k++
		}
		if k == len(want) {
			break
		}
		exp, err := nr.Next()
		if err != nil {
			return out, fmt.Errorf("%s: %v", nativeReport, err)
		}
		got, err := cr.Next()
		if err != nil {
			return out, fmt.Errorf("%s: %v", cellReport, err)
		}
		if want[k] != i {
			continue
		}
		// A comparer of its own per case: a comparer spells out only its
		// first oracle.MaxShown cases.
		cmp := oracle.NewComparer(nh.Chain, nil)
		cmp.Case(i, exp, got)
		out[i] = cmp.Shown()[0].Program
	}
	return out, nil
}

// shortest (stage 6) finds the shortest program of every signature of every
// cell that diverged: for each signature, the lowest chain where it
// appears and that chain's example case. It returns an error only when
// the run was interrupted; a lower chain that fails for a cell leaves that
// cell's remaining signatures without a Shortest and says why in its note.
func (p *pass) shortest(ctx context.Context) error {
	L := p.cfg.Chain
	if p.cfg.NoShortest {
		return nil
	}
	pending := map[*cell]map[string]bool{} // signatures not placed yet
	var order []*cell
	for _, c := range p.cells {
		if len(c.groups) == 0 {
			continue
		}
		set := make(map[string]bool, len(c.groups))
		for sig := range c.groups {
			set[sig] = true
		}
		pending[c] = set
		order = append(order, c)
	}
	for lc := 1; lc < L && len(pending) > 0; lc++ {
		var todo []*cell
		for _, c := range order {
			if pending[c] != nil {
				todo = append(todo, c)
			}
		}
		q, err := p.lowerChain(ctx, lc, todo)
		if ctx.Err() != nil {
			if q.outerBar != nil {
				q.outerBar.Done("chain %d: interrupted", lc) // closes the bar
			}
			return fmt.Errorf("%w during the shortest-program pass at chain %d (--no-shortest skips it): the verdicts are complete; outputs in %s",
				ErrInterrupted, lc, p.runDir)
		}
		found, left := 0, 0
		for i, c := range todo {
			var qc *cell
			if err == nil && i < len(q.cells) {
				qc = q.cells[i]
			}
			if qc == nil || qc.row.Verdict == VerdictError {
				why := fmt.Sprint(err)
				if qc != nil {
					why = qc.firstErr
				}
				// Higher chains could place a signature too high: stop here.
				c.shortNote = fmt.Sprintf("shortest-program pass failed at chain %d, %d signature(s) not placed: %s", lc, len(pending[c]), why)
				delete(pending, c)
				continue
			}
			for sig := range pending[c] {
				if g := qc.groups[sig]; g != nil {
					c.groups[sig].Shortest = &Shortest{Chain: lc, Case: g.Example, Program: g.Program}
					delete(pending[c], sig)
					found++
				}
			}
			left += len(pending[c])
			if len(pending[c]) == 0 {
				delete(pending, c)
			}
		}
		line := fmt.Sprintf("chain %d: %d cases on %s: %d signature(s) first shown at chain %d, %d left",
			lc, q.count, cellNames(todo), found, lc, left)
		if err != nil {
			line = fmt.Sprintf("chain %d on %s: %v", lc, cellNames(todo), err)
		}
		if q.outerBar != nil {
			p.sum.addStage(fmt.Sprintf("shortest L%d", lc), q.outerBar.Done("%s", line))
		} else {
			p.rep.Printf("%-14s %s\n", fmt.Sprintf("shortest L%d", lc), line)
		}
	}
	// What no lower chain showed is shortest at this run's chain.
	for c, set := range pending {
		for sig := range set {
			g := c.groups[sig]
			g.Shortest = &Shortest{Chain: L, Case: g.Example, Program: g.Program}
		}
	}
	return nil
}

func cellNames(cells []*cell) string {
	s := make([]string, len(cells))
	for i, c := range cells {
		s[i] = c.name()
	}
	return strings.Join(s, ", ")
}

// lowerChain runs chain lc on the given cells (same runtimes, volumes,
// cache and --known as the run) through the run's own stages: catalog,
// cells, flow, merge and spell, in oracle-runs/<run>/shortest-L<lc>/. Its
// stage lines are not printed; the run's reporter shows its progress bar.
// The slice trees are removed afterwards unless a cell failed.
func (p *pass) lowerChain(ctx context.Context, lc int, cells []*cell) (*pass, error) {
	cfg := p.cfg
	cfg.Chain, cfg.Shard, cfg.Keep, cfg.NoShortest = lc, Whole, false, true
	cfg.Report = NewReporter(io.Discard)
	q := &pass{cfg: cfg, rep: cfg.Report, cellRunner: p.cellRunner, nativeR: p.nativeR, sum: &Summary{Chain: lc},
		guest: p.guest, runDir: filepath.Join(p.runDir, fmt.Sprintf("shortest-L%d", lc))}
	for _, c := range cells {
		q.plan = append(q.plan, plannedCell{choice: c.choice, r: c.r, volume: c.volume})
	}
	if err := q.catalog(ctx); err != nil {
		return q, err
	}
	if err := q.setUpCells(); err != nil {
		return q, err
	}
	q.outerBar = p.rep.Start(fmt.Sprintf("shortest L%d", lc), q.count*int64(1+len(q.cells)))
	runErr := q.flow(ctx)
	if ctx.Err() != nil {
		return q, ctx.Err()
	}
	if err := q.merge(); err != nil {
		return q, err
	}
	if runErr != nil {
		return q, runErr
	}
	q.spell(p.rep) // on the run's reporter: a program missing from the summary is explained
	for _, c := range q.cells {
		if c.row.Verdict == VerdictError {
			return q, nil // keep the failing slice for inspection (Row.Kept)
		}
	}
	_ = os.RemoveAll(filepath.Join(q.runDir, "slices"))
	return q, nil
}
