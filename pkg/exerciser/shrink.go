package exerciser

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/fsx-wasix/fsx-wasix/internal/progress"
	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
	"github.com/fsx-wasix/fsx-wasix/pkg/shrink"
)

// ShrinkResult is a failure reduced to its smallest program.
type ShrinkResult struct {
	Ops      []fsop.Entry // the minimal program
	Original int          // ops in the program that was shrunk (up to its failing op)
	Failure  *Failure     // the minimal program's failure, as a run reports it
	Attempts int          // candidate runs
	Stopped  string       // "" when Ops is 1-minimal, else the budget that stopped it
}

// ErrNoFailure is Shrink's answer for a program that passes.
var ErrNoFailure = shrink.ErrDoesNotFail

// Shrink reduces the op list ops, which must fail when replayed with opts,
// to a 1-minimal one that fails with the same exit code: removing any op,
// or halving any op's size, makes it pass. Every candidate is a replay
// through the same loop, model and judges, in this process, on opts.Path
// through opts.FS (under a runtime that is the runtime's filesystem). The
// minimal program is replayed once more with opts' artifacts and output,
// so its report and .fsxops are where a run would put them.
func Shrink(ctx context.Context, opts Options, ops []fsop.Entry, budget shrink.Options[fsop.Entry]) (ShrinkResult, error) {
	// No progress lines: a candidate is one of hundreds of short replays,
	// and a line from one would read as the whole shrink's progress.
	opts.Progress = progress.Options{}
	quiet := opts
	quiet.Threads, quiet.Verbosity, quiet.Out, quiet.NoArtifacts = 1, -1, io.Discard, true
	quiet.LogStart, quiet.Monitor, quiet.Inject = 0, [2]uint64{}, 0
	run := func(ctx context.Context, c []fsop.Entry) (*Failure, error) {
		if len(c) == 0 {
			return nil, nil // nothing to run: an empty program cannot fail
		}
		o := quiet
		o.Replay = c
		res, err := Run(ctx, o)
		if err != nil {
			return nil, err
		}
		return res.Workers[0].Failure, nil
	}
	first, err := run(ctx, ops)
	if err != nil {
		return ShrinkResult{}, err
	}
	if first == nil {
		return ShrinkResult{}, ErrNoFailure
	}
	ops = ops[:first.Op] // what came after the failing op never ran
	same := func(ctx context.Context, c []fsop.Entry) (bool, error) {
		f, err := run(ctx, c)
		return f != nil && f.Code == first.Code, err
	}
	if budget.Smaller == nil {
		budget.Smaller = halveSize
	}
	r, err := shrink.Minimize(ctx, ops, same, budget)
	if err != nil && !errors.Is(err, shrink.ErrDoesNotFail) {
		return ShrinkResult{}, err
	}
	var size uint64
	for i := range r.Program { // sizes and skips as the minimal program sees them
		size = sizeAfter(&r.Program[i], size)
	}
	out := ShrinkResult{Ops: r.Program, Original: len(ops), Attempts: r.Attempts, Stopped: r.Stopped}
	final := opts
	final.Threads, final.Replay, final.Inject = 1, r.Program, 0
	res, err := Run(ctx, final)
	if err != nil {
		return out, err
	}
	out.Failure = res.Workers[0].Failure
	os.Remove(opts.Path)
	if out.Failure == nil || out.Failure.Code != first.Code {
		return out, fmt.Errorf("the minimal program did not fail again the same way (a flaky target?)")
	}
	return out, nil
}

// halveSize is the shrinker's "smaller op": a data op moves half the bytes,
// a truncate goes to half the size. Offsets stay: where a bug lives matters.
func halveSize(e fsop.Entry) (fsop.Entry, bool) {
	switch {
	case e.Op.Kind.Positioned() && e.Op.Size > 1, e.Op.Kind == fsop.Truncate && e.Op.Size > 0:
		e.Op.Size /= 2
		e.Skipped = false
		return e, true
	}
	return e, false
}
