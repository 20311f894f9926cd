// Package shrink reduces a failing program to a minimal one by delta
// debugging (Zeller's ddmin), so that a failure reaches a runtime engineer
// as "these 4 ops" instead of "op 8,412 of 10,000".
//
// It knows nothing of what an op means: the caller gives the program, a
// test that says whether a candidate still fails the same way, and how to
// make one step smaller. The result is 1-minimal — removing any single step,
// or making any step smaller once, makes the test pass — unless the budget
// (attempts, time) ran out first, which the result says.
package shrink

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Test runs a candidate and says whether it still fails the same way. An
// error stops the shrink (the target is gone, not "it passed").
type Test[T any] func(ctx context.Context, candidate []T) (fails bool, err error)

// Options bound a shrink and say how a step gets smaller.
type Options[T any] struct {
	MaxAttempts int           // runs of Test at most; 0 means 10,000
	MaxTime     time.Duration // wall time at most; 0 means no bound
	// Smaller proposes a smaller version of a step (for an op, its size
	// halved); ok false when it cannot get smaller. nil: removal only.
	Smaller func(T) (smaller T, ok bool)
}

// Result is the smallest failing program found and how it was found.
type Result[T any] struct {
	Program  []T
	Attempts int
	Elapsed  time.Duration
	// Stopped says why the shrink stopped before proving 1-minimality
	// ("attempt budget", "time budget"); "" when Program is 1-minimal.
	Stopped string
}

// ErrDoesNotFail is returned when the whole program passes: there is
// nothing to shrink.
var ErrDoesNotFail = errors.New("the program does not fail; nothing to shrink")

var errBudget = errors.New("budget")

// Minimize shrinks prog, which must fail under test.
func Minimize[T any](ctx context.Context, prog []T, test Test[T], opts Options[T]) (Result[T], error) {
	s := &shrinker[T]{ctx: ctx, test: test, opts: opts, start: time.Now(), max: opts.MaxAttempts}
	if s.max <= 0 {
		s.max = 10000
	}
	fails, err := s.try(prog)
	if err != nil {
		return s.result(prog), err
	}
	if !fails {
		return s.result(prog), ErrDoesNotFail
	}
	cur := append([]T(nil), prog...)
	for {
		next, err := s.ddmin(cur)
		if err == nil {
			var changed bool
			next, changed, err = s.smaller(next)
			if err == nil && !changed {
				return s.result(next), nil // removal and sizes both at a fixpoint
			}
		}
		cur = next
		if errors.Is(err, errBudget) {
			r := s.result(cur)
			return r, nil
		}
		if err != nil {
			return s.result(cur), err
		}
	}
}

type shrinker[T any] struct {
	ctx      context.Context
	test     Test[T]
	opts     Options[T]
	start    time.Time
	max      int
	attempts int
	stopped  string
}

func (s *shrinker[T]) result(p []T) Result[T] {
	return Result[T]{Program: p, Attempts: s.attempts, Elapsed: time.Since(s.start), Stopped: s.stopped}
}

func (s *shrinker[T]) try(c []T) (bool, error) {
	switch {
	case s.attempts >= s.max:
		s.stopped = fmt.Sprintf("attempt budget (%d runs)", s.max)
		return false, errBudget
	case s.opts.MaxTime > 0 && time.Since(s.start) > s.opts.MaxTime:
		s.stopped = fmt.Sprintf("time budget (%s)", s.opts.MaxTime)
		return false, errBudget
	}
	if err := s.ctx.Err(); err != nil {
		return false, err
	}
	s.attempts++
	return s.test(s.ctx, c)
}

// ddmin removes chunks of steps, halving the chunk size until single steps,
// keeping every removal after which the program still fails. It ends with
// no single step removable: 1-minimal for removal.
func (s *shrinker[T]) ddmin(p []T) ([]T, error) {
	n := 2
	for len(p) >= 2 {
		chunk := (len(p) + n - 1) / n
		reduced := false
		for start := 0; start < len(p); start += chunk {
			cand := make([]T, 0, len(p))
			cand = append(append(cand, p[:start]...), p[min(start+chunk, len(p)):]...)
			fails, err := s.try(cand)
			if err != nil {
				return p, err
			}
			if fails {
				p, n, reduced = cand, max(n-1, 2), true
				break
			}
		}
		if !reduced {
			if n >= len(p) {
				break
			}
			n = min(2*n, len(p))
		}
	}
	if len(p) == 1 { // the one step may not be needed at all
		if fails, err := s.try(p[:0]); err != nil {
			return p, err
		} else if fails {
			p = p[:0]
		}
	}
	return p, nil
}

// smaller makes each step smaller while the program still fails, and says
// whether anything changed (then removal is worth trying again).
func (s *shrinker[T]) smaller(p []T) ([]T, bool, error) {
	if s.opts.Smaller == nil {
		return p, false, nil
	}
	changed := false
	for i := range p {
		for {
			small, ok := s.opts.Smaller(p[i])
			if !ok {
				break
			}
			cand := append([]T(nil), p...)
			cand[i] = small
			fails, err := s.try(cand)
			if err != nil {
				return p, changed, err
			}
			if !fails {
				break
			}
			p, changed = cand, true
		}
	}
	return p, changed, nil
}
