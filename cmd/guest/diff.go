package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/fsx-wasix/fsx-wasix/pkg/diff"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

// DiffFlags are the differential mode's own flags (docs/diff.md). -N is
// the number of programs, -S the seed, -f a [diff] config.
type DiffFlags struct {
	Diff         bool   `name:"diff" help:"Differential mode: run -N generated programs (seed -S, config -f with [diff] and [diff.weights]) in FILE/diff-case; write (--diff-output) or compare with (--diff-expected) a transcript."`
	DiffOutput   string `name:"diff-output" help:"Differential: write the transcript here (replaced only by a whole one)."`
	DiffExpected string `name:"diff-expected" help:"Differential: compare with this transcript while running; exit 1 on any unsuppressed divergence. Its seed is used when -S is not given."`
	DiffKnown    string `name:"diff-known" help:"Differential: file of known divergence signatures (one per line), reported as suppressed."`
	DiffKeep     bool   `name:"diff-keep" help:"Differential: run each program in FILE/keep/NNNNNNN (its number, 7 digits) and leave its final tree there instead of emptying it, for a host re-read; with --diff-expected the --json summary lists the divergent programs (kept.divergent)."`
	DiffProgram  string `name:"diff-program" help:"Run the programs of this program file (docs/diff.md) in FILE/diff-case and print each with its outcomes."`
	ProgramStart int64  `name:"program-start" default:"0" help:"Differential: first program to run."`
	ProgramCount int64  `name:"program-count" default:"-1" help:"Differential: number of programs to run (default: to the last one)."`
}

func diffConfig(cli *CLI) (diff.Config, error) {
	if cli.ConfigPath == "" {
		return diff.DefaultConfig(), nil
	}
	c, err := diff.LoadConfig(cli.ConfigPath)
	if err != nil {
		return c, usagef("%v", err)
	}
	return c, nil
}

func runDiff(cli *CLI) error {
	switch {
	case cli.NumOps == -1:
		return usagef("differential mode needs -N, the number of programs (1..%d)", int64(diff.MaxPrograms))
	case cli.NumOps < 1 || cli.NumOps > diff.MaxPrograms:
		return usagef("-N %d: the number of programs must be 1..%d", cli.NumOps, int64(diff.MaxPrograms))
	case len(cli.Args) != 1:
		return usagef("differential mode takes one root directory (e.g. /tmp/fsx-diff), got %d arguments", len(cli.Args))
	case cli.DiffProgram != "":
		return usagef("--diff and --diff-program are two modes: give one")
	}
	n := cli.NumOps
	start, count := cli.ProgramStart, cli.ProgramCount
	if count == -1 {
		count = n - start
	}
	if start < 0 || start >= n || count < 1 || count > n-start {
		return usagef("--program-start %d --program-count %d: the run has programs 0..%d", cli.ProgramStart, cli.ProgramCount, n-1)
	}
	cfg, err := diffConfig(cli)
	if err != nil {
		return err
	}
	var known map[string]bool
	if cli.DiffKnown != "" {
		if known, err = diff.ReadKnown(cli.DiffKnown); err != nil {
			return usagef("%v", err)
		}
	}
	var seed uint64
	switch {
	case cli.Seed != nil:
		seed = *cli.Seed
	case cli.DiffExpected != "":
		h, err := diff.PeekHeader(cli.DiffExpected)
		if err != nil {
			return usagef("%v", err)
		}
		seed = h.Seed
	default:
		seed = rand.Uint64() >> 1
	}
	opts := diff.Options{
		Seed: seed, Config: cfg, Programs: n, Start: start, Count: count, Root: cli.Args[0],
		Output: cli.DiffOutput, Expected: cli.DiffExpected, Known: known, Keep: cli.DiffKeep,
	}
	session, err := diff.Prepare(opts)
	var ie *diff.InputError
	if errors.As(err, &ie) {
		return usagef("%v", ie.Err)
	}
	if err != nil {
		return err
	}
	human := humanOut(cli)
	h := opts.Header()
	if !cli.Quiet {
		fmt.Fprintf(human, "diff: seed %d, programs %d..%d of %d (%d..%d steps, schema %s) in %s\n",
			seed, start, start+count-1, n, cfg.LengthMin, cfg.LengthMax, h.SchemaHash, h.Root)
	}
	if cli.Verbose {
		// Each program's number before it runs: a runtime that crashes
		// mid-run leaves the culprit as the last line.
		session.SetProgress(func(k int64) { fmt.Fprintf(os.Stderr, "diff: program %d\n", k) })
	}
	res, err := session.Run(context.Background())
	if errors.As(err, &ie) {
		return usagef("%v", ie.Err)
	}
	if err != nil {
		return err
	}
	sum := guestapi.DiffSummary{
		Mode: guestapi.ModeDiff, Seed: seed, Programs: n, ProgramStart: start, ProgramCount: count,
		SchemaHash: res.Header.SchemaHash, CatalogHash: diff.CatalogHash, LengthMin: cfg.LengthMin, LengthMax: cfg.LengthMax,
		Root: res.Header.Root, Output: res.Header.Output, Platform: res.Header.Platform, Runtime: res.Header.Runtime,
		Seconds: res.Elapsed.Seconds(), Steps: res.Steps, AllocBytes: res.AllocBytes, OK: true,
		CaseDirsAbandoned: res.Abandoned, CaseDirsNote: res.AbandonedFirst,
	}
	if cli.DiffKeep {
		sum.Kept = &guestapi.DiffKept{Dir: res.Header.Root + "/" + diff.KeepDirName, Divergent: res.Divergent}
		if sum.Kept.Divergent == nil {
			sum.Kept.Divergent = []int64{}
		}
	}
	if s := res.Elapsed.Seconds(); s > 0 {
		sum.ProgramsPerSec = float64(count) / s
	}
	if cli.DiffOutput != "" {
		if st, err := os.Stat(cli.DiffOutput); err == nil {
			sum.ReportBytes = st.Size()
		}
	}
	if !cli.Quiet {
		fmt.Fprintf(human, "diff: ran %d programs (%d steps) in %.2fs (%.0f programs/s)\n", count, res.Steps, sum.Seconds, sum.ProgramsPerSec)
		if cli.DiffOutput != "" {
			fmt.Fprintf(human, "diff: transcript %s: %d bytes (%.1f bytes/program)\n", cli.DiffOutput, sum.ReportBytes, float64(sum.ReportBytes)/float64(count))
		}
		if sum.Kept != nil {
			fmt.Fprintf(human, "diff: each program's final tree kept in %s/NNNNNNN\n", sum.Kept.Dir)
		}
	}
	if res.Abandoned > 0 {
		fmt.Fprintf(human, "diff: %d case directories could not be emptied, the first %s; each later program ran in a fresh one\n", res.Abandoned, res.AbandonedFirst)
	}
	if cli.Verbose {
		fmt.Fprintf(human, "diff: memory: %d bytes allocated (%.0f per program)\n", res.AllocBytes, float64(res.AllocBytes)/float64(count))
	}
	if c := res.Comparer; c != nil {
		c.Fill(&sum)
		if !cli.Quiet || !sum.OK {
			sum.WriteReport(human)
		}
	}
	if cli.JSON {
		if err := printJSON(sum); err != nil {
			return err
		}
	}
	if !sum.OK {
		return exitError{code: exitDivergent, msg: fmt.Sprintf("diff: %d divergent programs (%d suppressed as known)", sum.Divergent, sum.Suppressed)}
	}
	return nil
}

// runDiffProgram is --diff-program FILE ROOT: the programs of FILE, each
// run from an empty case directory, printed with their outcomes. One
// process runs the whole file, so a shrinker's batch of candidates costs
// one runtime start.
func runDiffProgram(cli *CLI) error {
	if len(cli.Args) != 1 {
		return usagef("--diff-program takes one root directory (e.g. /tmp/fsx-diff), got %d arguments", len(cli.Args))
	}
	if cli.Diff {
		return usagef("--diff and --diff-program are two modes: give one")
	}
	if cli.DiffExpected != "" || cli.DiffOutput != "" {
		return usagef("--diff-program prints outcomes; it takes no --diff-expected or --diff-output")
	}
	f, err := os.Open(cli.DiffProgram)
	if err != nil {
		return usagef("cannot read program file: %v", err)
	}
	progs, err := diff.ParsePrograms(f, cli.DiffProgram)
	f.Close()
	if err != nil {
		return usagef("%v", err)
	}
	t0 := time.Now()
	var progress func(int)
	if cli.Verbose {
		progress = func(i int) { fmt.Fprintf(os.Stderr, "diff: program %s\n", progs[i].Label) }
	}
	out, err := diff.RunPrograms(context.Background(), cli.Args[0], progs, cli.DiffKeep, progress)
	var ie *diff.InputError
	if errors.As(err, &ie) {
		return usagef("%v", ie.Err)
	}
	if err != nil {
		return err
	}
	res := guestapi.DiffProgramsResult{
		Mode: guestapi.ModeDiffProgram, File: cli.DiffProgram, CatalogHash: diff.CatalogHash,
		Platform: diff.Platform(), Runtime: diff.RuntimeName(), Seconds: time.Since(t0).Seconds(), Programs: out,
	}
	if !cli.Quiet {
		human := humanOut(cli)
		for i := range out {
			out[i].WriteProgram(human)
		}
	}
	if cli.JSON {
		return printJSON(res)
	}
	return nil
}
