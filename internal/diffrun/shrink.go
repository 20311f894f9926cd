package diffrun

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
	"github.com/fsx-wasix/fsx-wasix/pkg/shrink"
)

// ShrinkResult is a divergence's minimal program.
type ShrinkResult struct {
	Program  fsop.Program
	Native   Outcome // the minimal program's native run
	Got      Outcome // and its run on the target
	Attempts int
	Batches  int
	Elapsed  time.Duration
	Stopped  string // a budget that ran out ("" when 1-minimal)
}

// ShrinkOptions bound one shrink.
type ShrinkOptions struct {
	MaxTime     time.Duration // 0: no bound
	MaxAttempts int           // 0: shrink's default
	// MaxBatch is the most candidates one guest process runs; 0 = a whole
	// ddmin round. 1 is one candidate per process (what a crash or a hang
	// needs: it would take the rest of the batch with it).
	MaxBatch int
}

// Shrinker shrinks divergent programs: each candidate runs natively and on
// the target, and still diverges the same way when Signature of the two
// runs is the original signature.
type Shrinker struct {
	p       *procs
	scratch string
}

// Shrink reduces prog, which diverges on t with signature sig, to a
// minimal program that diverges with the same signature.
func (s *Shrinker) Shrink(ctx context.Context, t Target, sig string, prog fsop.Program, o ShrinkOptions) (*ShrinkResult, error) {
	broken := strings.HasPrefix(sig, "crash: ") || strings.HasPrefix(sig, "hang: ")
	if broken && o.MaxBatch == 0 {
		o.MaxBatch = 1
	}
	var mu sync.Mutex
	last := map[string][2]Outcome{} // the outcomes of candidates that failed, by text
	test := func(ctx context.Context, cands [][]fsop.Step) ([]bool, error) {
		progs := make([]fsop.Program, len(cands))
		for i, c := range cands {
			progs[i] = c
		}
		nat, got, err := s.both(ctx, t, progs)
		if err != nil {
			return nil, err
		}
		fails := make([]bool, len(cands))
		for i := range cands {
			if Signature(nat[i], got[i]) == sig {
				fails[i] = true
				mu.Lock()
				last[string(programFile(progs[i:i+1]))] = [2]Outcome{nat[i], got[i]}
				mu.Unlock()
			}
		}
		return fails, nil
	}
	r, err := shrink.MinimizeBatch(ctx, []fsop.Step(prog), test, shrink.BatchOptions[fsop.Step]{
		MaxAttempts: o.MaxAttempts, MaxTime: o.MaxTime, MaxBatch: o.MaxBatch, Rewrites: rewriteSteps,
	})
	res := &ShrinkResult{Program: r.Program, Attempts: r.Attempts, Batches: r.Batches, Elapsed: r.Elapsed, Stopped: r.Stopped}
	if err != nil {
		return res, err
	}
	if oc, ok := last[string(programFile([]fsop.Program{r.Program}))]; ok {
		res.Native, res.Got = oc[0], oc[1]
	}
	return res, nil
}

func rewriteSteps(p []fsop.Step) [][]fsop.Step {
	rs := Rewrites(p)
	out := make([][]fsop.Step, len(rs))
	for i, r := range rs {
		out[i] = r
	}
	return out
}

// both runs progs natively and on t at once (two processes).
func (s *Shrinker) both(ctx context.Context, t Target, progs []fsop.Program) (nat, got []Outcome, err error) {
	var wg sync.WaitGroup
	var errN error
	wg.Add(1)
	go func() {
		defer wg.Done()
		nat, errN = s.p.runBatch(ctx, Target{Runtime: "native", Volume: "/data"}, s.scratch, progs)
	}()
	got, err = s.p.runBatch(ctx, t, s.scratch, progs)
	wg.Wait()
	return nat, got, errors.Join(err, errN)
}
