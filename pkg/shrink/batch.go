package shrink

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// BatchTest runs several candidates at once and says, for each, whether it
// still fails the same way. It exists for targets where starting a test
// costs far more than running one candidate (a WebAssembly runtime that
// takes a second to start runs a hundred short programs in the same
// second): one ddmin round — every chunk removal of the current partition —
// is one call. An error stops the shrink.
type BatchTest[T any] func(ctx context.Context, candidates [][]T) (fails []bool, err error)

// BatchOptions bound a batched shrink and say how else a program gets
// smaller.
type BatchOptions[T any] struct {
	MaxAttempts int           // candidates tested at most; 0 means 10,000
	MaxTime     time.Duration // wall time at most; 0 means no bound
	// MaxBatch is the most candidates one BatchTest call gets; 0 means a
	// whole round.
	MaxBatch int
	// Rewrites proposes whole-program rewrites of a program that is already
	// 1-minimal for removal — each one smaller in some other sense (fewer
	// handles, fewer files, smaller sizes) — in the order to prefer them.
	// The first that still fails is taken and removal is tried again, until
	// none fails. nil: removal only.
	Rewrites func(p []T) [][]T
}

// BatchResult is the smallest failing program a batched shrink found.
type BatchResult[T any] struct {
	Program  []T
	Attempts int // candidates tested
	Batches  int // BatchTest calls
	Elapsed  time.Duration
	// Stopped says why the shrink stopped before proving 1-minimality; ""
	// when no single step can be removed and no rewrite still fails.
	Stopped string
}

// MinimizeBatch shrinks prog, which must fail under test, by ddmin whose
// rounds are batches, then by Rewrites, repeated to a fixpoint: the result
// is 1-minimal (removing any single step makes the test pass) unless a
// budget ran out first, which the result says.
func MinimizeBatch[T any](ctx context.Context, prog []T, test BatchTest[T], opts BatchOptions[T]) (BatchResult[T], error) {
	s := &batcher[T]{ctx: ctx, test: test, opts: opts, start: time.Now(), max: opts.MaxAttempts}
	if s.max <= 0 {
		s.max = 10000
	}
	i, err := s.first([][]T{prog})
	if err != nil {
		return s.result(prog), unbudget(err)
	}
	if i < 0 {
		return s.result(prog), ErrDoesNotFail
	}
	cur := append([]T(nil), prog...)
	for {
		next, err := s.ddmin(cur)
		cur = next
		if err != nil {
			return s.result(cur), unbudget(err)
		}
		if opts.Rewrites == nil {
			return s.result(cur), nil
		}
		cands := opts.Rewrites(cur)
		if len(cands) == 0 {
			return s.result(cur), nil
		}
		i, err := s.first(cands)
		if err != nil {
			return s.result(cur), unbudget(err)
		}
		if i < 0 {
			return s.result(cur), nil // removal and rewrites both at a fixpoint
		}
		cur = cands[i]
	}
}

// unbudget turns a spent budget into a result (Stopped says so), not an error.
func unbudget(err error) error {
	if errors.Is(err, errBudget) {
		return nil
	}
	return err
}

type batcher[T any] struct {
	ctx      context.Context
	test     BatchTest[T]
	opts     BatchOptions[T]
	start    time.Time
	max      int
	attempts int
	batches  int
	stopped  string
}

func (s *batcher[T]) result(p []T) BatchResult[T] {
	return BatchResult[T]{Program: p, Attempts: s.attempts, Batches: s.batches, Elapsed: time.Since(s.start), Stopped: s.stopped}
}

// first tests cands in batches of MaxBatch and returns the index of the
// first that fails, or -1.
func (s *batcher[T]) first(cands [][]T) (int, error) {
	size := s.opts.MaxBatch
	if size <= 0 {
		size = len(cands)
	}
	for lo := 0; lo < len(cands); lo += size {
		switch {
		case s.attempts >= s.max:
			s.stopped = fmt.Sprintf("attempt budget (%d candidates)", s.max)
			return -1, errBudget
		case s.opts.MaxTime > 0 && time.Since(s.start) > s.opts.MaxTime:
			s.stopped = fmt.Sprintf("time budget (%s)", s.opts.MaxTime)
			return -1, errBudget
		}
		if err := s.ctx.Err(); err != nil {
			return -1, err
		}
		batch := cands[lo:min(lo+size, len(cands), lo+s.max-s.attempts)]
		s.attempts += len(batch)
		s.batches++
		fails, err := s.test(s.ctx, batch)
		if err != nil {
			return -1, err
		}
		if len(fails) != len(batch) {
			return -1, fmt.Errorf("shrink: the batch test answered %d of %d candidates", len(fails), len(batch))
		}
		for i, f := range fails {
			if f {
				return lo + i, nil
			}
		}
	}
	return -1, nil
}

// ddmin is Minimize's ddmin with each round's chunk removals tested as one
// batch; the first (leftmost) failing removal is kept, as in the serial one.
func (s *batcher[T]) ddmin(p []T) ([]T, error) {
	n := 2
	for len(p) >= 2 {
		chunk := (len(p) + n - 1) / n
		var cands [][]T
		for start := 0; start < len(p); start += chunk {
			cand := make([]T, 0, len(p))
			cands = append(cands, append(append(cand, p[:start]...), p[min(start+chunk, len(p)):]...))
		}
		i, err := s.first(cands)
		if err != nil {
			return p, err
		}
		if i >= 0 {
			p, n = cands[i], max(n-1, 2)
			continue
		}
		if n >= len(p) {
			break
		}
		n = min(2*n, len(p))
	}
	if len(p) == 1 { // the one step may not be needed at all
		i, err := s.first([][]T{p[:0]})
		if err != nil {
			return p, err
		}
		if i == 0 {
			p = p[:0]
		}
	}
	return p, nil
}
