package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/fsx-wasix/fsx-wasix/pkg/exerciser"
	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
	"github.com/fsx-wasix/fsx-wasix/pkg/shrink"
)

// ShrinkFlags bound the shrinker, for `fsx-wasix shrink` and --shrink.
type ShrinkFlags struct {
	Shrink         bool          `name:"shrink" help:"Random mode: after a failure, shrink the failing worker's ops to a minimal program (see 'fsx-wasix shrink')."`
	ShrinkAttempts int           `name:"shrink-attempts" default:"5000" help:"Shrinking: candidate runs at most."`
	ShrinkTime     time.Duration `name:"shrink-time" default:"10m" help:"Shrinking: wall time at most."`
}

// exitNothingToShrink is shrink's code for an ops file that passes.
const exitNothingToShrink = 3

// shrinkCommand is `fsx-wasix shrink OPSFILE [random-mode flags] FILE`: the
// ops of OPSFILE replayed on FILE, reduced to a 1-minimal failing program,
// which is saved as FILE.min.fsxops and printed.
func shrinkCommand(cli *CLI) error {
	if len(cli.Args) != 2 {
		return usagef("shrink takes OPSFILE and FILE: fsx-wasix shrink OPSFILE [flags] FILE (the .fsxops of a failure, and the file to run it on)")
	}
	if cli.ReplayOps != "" {
		return usagef("shrink: give the ops file as OPSFILE, not --replay-ops")
	}
	cli.ReplayOps, cli.Args = cli.Args[1], cli.Args[:1] // main moved OPSFILE last
	opts, err := randomOptions(cli)
	if err != nil {
		return err
	}
	return shrinkRun(cli, opts, opts.Replay, cli.JSON)
}

// shrinkRun shrinks ops under opts and prints the minimal program.
// With asJSON the result goes to stdout as a guestapi.ShrinkResult and the
// words to stderr.
func shrinkRun(cli *CLI, opts exerciser.Options, ops []fsop.Entry, asJSON bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	opts.Path += ".min" // the minimal program's file and artifacts: never the input's
	out := opts.Out
	if asJSON {
		out = os.Stderr // stdout carries the JSON result
	}
	opts.Out = nil // the final run's report is printed below, in short
	fmt.Fprintf(out, "shrink: %d ops, at most %d runs or %s\n", len(ops), cli.ShrinkAttempts, cli.ShrinkTime)
	start := time.Now()
	r, err := exerciser.Shrink(ctx, opts, ops, shrink.Options[fsop.Entry]{MaxAttempts: cli.ShrinkAttempts, MaxTime: cli.ShrinkTime})
	if errors.Is(err, exerciser.ErrNoFailure) {
		return exitError{code: exitNothingToShrink, msg: fmt.Sprintf("shrink: %s does not fail; nothing to shrink", cli.ReplayOps)}
	}
	if err != nil {
		return err
	}
	minimal := "1-minimal"
	if r.Stopped != "" {
		minimal = "stopped early at the " + r.Stopped + ": smaller than before, maybe not minimal"
	}
	elapsed := time.Since(start)
	fmt.Fprintf(out, "shrink: %d ops -> %d in %d runs (%s), %s\n", r.Original, len(r.Ops), r.Attempts, elapsed.Round(time.Millisecond), minimal)
	fmt.Fprint(out, formatProgram(r.Ops, r.Failure))
	if r.Failure.OpsFile != "" {
		fmt.Fprintf(out, "minimal program saved to %s; replay it with:\n  %s\n", r.Failure.OpsFile, r.Failure.ReplayOps)
	}
	if asJSON {
		res := guestapi.ShrinkResult{Original: r.Original, Ops: len(r.Ops), Attempts: r.Attempts, Seconds: elapsed.Seconds(),
			Minimal: r.Stopped == "", Stopped: r.Stopped, Failure: r.Failure.API(), Program: []string{}}
		for _, e := range r.Ops {
			res.Program = append(res.Program, strings.TrimSuffix(string(fsop.AppendEntry(nil, e)), "\n"))
		}
		return printJSON(res)
	}
	return nil
}

// formatProgram prints a program one op a line, with the judge's verdict
// after the op it failed at.
func formatProgram(ops []fsop.Entry, fl *exerciser.Failure) string {
	var b strings.Builder
	for i, e := range ops {
		op := e.Op
		fmt.Fprintf(&b, "  %3d  %-10s", i+1, op.Kind)
		switch {
		case op.Kind.Positioned():
			fmt.Fprintf(&b, " 0x%x thru 0x%x (0x%x bytes)", op.Offset, op.Offset+op.Size-1, op.Size)
		case op.Kind == fsop.Truncate:
			fmt.Fprintf(&b, " from 0x%x to 0x%x", e.FileSize, op.Size)
		}
		if e.Skipped {
			b.WriteString("  (skipped: nothing to do)")
		}
		if e.Injected {
			b.WriteString("  [injected: model only]")
		}
		b.WriteString("\n")
		if fl != nil && int64(i+1) == fl.Op {
			fmt.Fprintf(&b, "       => FAILED exit %d %s\n", fl.Code, fl.Summary)
		}
	}
	return b.String()
}
