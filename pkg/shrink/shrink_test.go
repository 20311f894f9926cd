package shrink

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// A failure that needs steps 3, 17 and 40 (in order) of 100 shrinks to
// exactly those: 1-minimal, every one needed.
func TestMinimizeFindsTheNeededSteps(t *testing.T) {
	t.Parallel()
	prog := make([]int, 100)
	for i := range prog {
		prog[i] = i
	}
	needs := []int{3, 17, 40}
	test := func(_ context.Context, c []int) (bool, error) {
		k := 0
		for _, v := range c {
			if k < len(needs) && v == needs[k] {
				k++
			}
		}
		return k == len(needs), nil
	}
	r, err := Minimize(context.Background(), prog, test, Options[int]{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Program, needs) || r.Stopped != "" {
		t.Fatalf("got %v (stopped %q) after %d attempts, want %v", r.Program, r.Stopped, r.Attempts, needs)
	}
	if r.Attempts > 200 {
		t.Errorf("%d attempts for 100 steps: ddmin should need far fewer", r.Attempts)
	}
}

// Sizes shrink too: a failure that needs one step of size >= 5 ends with
// exactly that step at the smallest failing size a halving reaches.
func TestMinimizeHalvesSizes(t *testing.T) {
	t.Parallel()
	prog := []int{100, 3, 64, 2}
	test := func(_ context.Context, c []int) (bool, error) {
		return slices.ContainsFunc(c, func(v int) bool { return v >= 5 }), nil
	}
	half := func(v int) (int, bool) { return v / 2, v > 1 }
	r, err := Minimize(context.Background(), prog, test, Options[int]{Smaller: half})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Program) != 1 || r.Program[0] < 5 || r.Program[0]/2 >= 5 {
		t.Fatalf("got %v, want one step whose half passes", r.Program)
	}
}

func TestMinimizeRefusesAPassingProgram(t *testing.T) {
	t.Parallel()
	_, err := Minimize(context.Background(), []int{1, 2}, func(context.Context, []int) (bool, error) { return false, nil }, Options[int]{})
	if !errors.Is(err, ErrDoesNotFail) {
		t.Fatalf("got %v, want ErrDoesNotFail", err)
	}
}

// A budget stops the shrink early, says so, and still returns a failing
// program no longer than the input.
func TestMinimizeStopsAtItsBudget(t *testing.T) {
	t.Parallel()
	prog := make([]int, 64)
	test := func(_ context.Context, c []int) (bool, error) { return len(c) >= 10, nil }
	r, err := Minimize(context.Background(), prog, test, Options[int]{MaxAttempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	if r.Stopped == "" || r.Attempts != 3 || len(r.Program) < 10 || len(r.Program) > 64 {
		t.Fatalf("got %d steps, %d attempts, stopped %q", len(r.Program), r.Attempts, r.Stopped)
	}
	r, _ = Minimize(context.Background(), prog, func(_ context.Context, c []int) (bool, error) {
		time.Sleep(2 * time.Millisecond)
		return len(c) >= 10, nil
	}, Options[int]{MaxTime: time.Millisecond})
	if r.Stopped == "" {
		t.Fatal("the time budget did not stop the shrink")
	}
}

// The batched shrink finds the same needed steps, in far fewer batches
// than candidates, and a rewrite (here: halving a value) is taken and
// followed by more removal.
func TestMinimizeBatchFindsTheNeededSteps(t *testing.T) {
	t.Parallel()
	prog := make([]int, 100)
	for i := range prog {
		prog[i] = i
	}
	needs := []int{3, 17, 40}
	batches := 0
	test := func(_ context.Context, cs [][]int) ([]bool, error) {
		batches++
		out := make([]bool, len(cs))
		for j, c := range cs {
			k := 0
			for _, v := range c {
				if k < len(needs) && v == needs[k] {
					k++
				}
			}
			out[j] = k == len(needs)
		}
		return out, nil
	}
	r, err := MinimizeBatch(context.Background(), prog, test, BatchOptions[int]{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Program, needs) || r.Stopped != "" {
		t.Fatalf("got %v (stopped %q), want %v", r.Program, r.Stopped, needs)
	}
	if r.Batches != batches || r.Batches*3 > r.Attempts {
		t.Errorf("%d batches for %d candidates: rounds should be batched", r.Batches, r.Attempts)
	}
}

func TestMinimizeBatchRewritesAndBudget(t *testing.T) {
	t.Parallel()
	test := func(_ context.Context, cs [][]int) ([]bool, error) {
		out := make([]bool, len(cs))
		for j, c := range cs {
			out[j] = slices.ContainsFunc(c, func(v int) bool { return v >= 5 })
		}
		return out, nil
	}
	halve := func(p []int) [][]int {
		var out [][]int
		for i, v := range p {
			if v > 1 {
				c := slices.Clone(p)
				c[i] = v / 2
				out = append(out, c)
			}
		}
		return out
	}
	r, err := MinimizeBatch(context.Background(), []int{100, 3, 64, 2}, test, BatchOptions[int]{Rewrites: halve})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Program) != 1 || r.Program[0] < 5 || r.Program[0]/2 >= 5 {
		t.Fatalf("got %v, want one step whose half passes", r.Program)
	}
	if _, err := MinimizeBatch(context.Background(), []int{1, 2}, test, BatchOptions[int]{}); !errors.Is(err, ErrDoesNotFail) {
		t.Fatalf("a passing program: got %v, want ErrDoesNotFail", err)
	}
	r, err = MinimizeBatch(context.Background(), []int{9, 9, 9, 9, 9, 9, 9, 9}, test, BatchOptions[int]{MaxAttempts: 3, MaxBatch: 1})
	if err != nil || r.Stopped == "" || r.Attempts > 3 {
		t.Fatalf("budget of 3: got %+v, %v", r, err)
	}
}
