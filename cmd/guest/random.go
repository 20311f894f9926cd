package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"

	"github.com/fsx-wasix/fsx-wasix/internal/wasix"
	"github.com/fsx-wasix/fsx-wasix/pkg/exerciser"
	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

// RandomFlags are random mode's own flags (fsx's).
type RandomFlags struct {
	ConfigPath  string `short:"f" name:"config" help:"TOML config (flen, nosizechecks, [opsize], [weights])."`
	LogStart    int64  `short:"b" name:"log-start" default:"0" help:"Print every op from this op number on."`
	Monitor     string `short:"m" name:"monitor" help:"Print every op touching byte range FROM:TO."`
	ArtifactDir string `short:"P" name:"artifact-dir" help:"Directory for failure artifacts (default: the file's directory)."`
	Inject      int64  `name:"inject" default:"0" help:"Op N (or the first op after it that changes the file) is applied to the model but not the file: a deliberate failure, for self-tests."`
	RecordOps   string `name:"record-ops" help:"Write every op to this file as it runs (.fsxops format; FILE.thread-K per worker with -j > 1)."`
	ReplayOps   string `name:"replay-ops" help:"Run exactly the ops of this .fsxops file (a failure's artifact), no random choice; -N runs only the first N; the seed comes from -S or the file's header."`

	threadsSet bool // -j was given, so 0 is an error rather than "the CPU count"
}

// AfterApply notes whether -j was on the command line: kong cannot tell an
// explicit -j 0 from the default.
func (r *RandomFlags) AfterApply(kctx *kong.Context) error {
	for _, tr := range kctx.Path {
		if tr.Flag != nil && tr.Flag.Name == "threads" {
			r.threadsSet = true
		}
	}
	return nil
}

func runRandom(cli *CLI) error {
	opts, err := randomOptions(cli)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := exerciser.Run(ctx, opts)
	if err != nil {
		return exitError{code: exerciser.ExitCode(err), msg: err.Error()}
	}
	if ctx.Err() != nil && res.OK() {
		// Interrupted: the workers stopped at their next op and the
		// summary is printed; say how far it got and how to go on.
		if cli.JSON {
			printJSON(randomResult(res))
		}
		return exitError{code: exitInterrupted, msg: fmt.Sprintf("interrupted after %d ops (seed %d, -N %d per worker): nothing failed so far; run again with -S %d to repeat them", res.TotalOps, res.Seed, opts.NumOps, res.Seed)}
	}
	if cli.Shrink && !res.OK() {
		shrinkAfter(cli, opts, res)
	}
	if cli.JSON {
		if err := printJSON(randomResult(res)); err != nil {
			return err
		}
	}
	if code := res.ExitCode(); code != 0 {
		return exitError{code: code} // the report is already printed
	}
	return nil
}

// shrinkAfter is --shrink: the first failing worker's program, shrunk on
// its own file with its own seed; the run's exit code stands.
func shrinkAfter(cli *CLI, opts exerciser.Options, res exerciser.Result) {
	for _, w := range res.Workers {
		if w.Failure == nil {
			continue
		}
		if w.Failure.OpsFile == "" {
			fmt.Fprintln(os.Stderr, "fsx-wasix: --shrink: the failure's ops were not saved; nothing to shrink")
			return
		}
		f, err := os.Open(w.Failure.OpsFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fsx-wasix: --shrink:", err)
			return
		}
		_, ops, err := fsop.ParseOps(f)
		f.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, "fsx-wasix: --shrink:", err)
			return
		}
		o := opts
		o.Path, o.Seed, o.Threads, o.Inject = w.Path, w.Seed, 1, 0
		if o.Out == nil {
			o.Out = os.Stdout
		}
		cli.ReplayOps = w.Failure.OpsFile
		// With --json the run's result is the JSON; the shrink is words on
		// stderr (o.Out already is).
		if err := shrinkRun(cli, o, ops, false); err != nil {
			fmt.Fprintln(os.Stderr, "fsx-wasix: --shrink:", err)
		}
		return
	}
}

// randomOptions turns the command line into exerciser options; every
// problem is a usage error (exit 2) with one line.
func randomOptions(cli *CLI) (exerciser.Options, error) {
	var o exerciser.Options
	if len(cli.Args) != 1 {
		return o, usagef("random mode needs exactly one FILE, got %d arguments", len(cli.Args))
	}
	o.Path = cli.Args[0]
	o.Config = exerciser.DefaultConfig()
	var err error
	if cli.ConfigPath != "" {
		c, err := exerciser.LoadConfig(cli.ConfigPath)
		if err != nil {
			return o, usageError{err}
		}
		o.Config, o.ConfigPath = c, cli.ConfigPath
	}
	if cli.NumOps < -1 {
		return o, usagef("-N must be -1 (unlimited) or more, got %d", cli.NumOps)
	}
	o.NumOps = cli.NumOps
	switch {
	case cli.threadsSet && cli.Threads < 1:
		return o, usagef("-j must be at least 1, got %d", cli.Threads)
	case cli.threadsSet:
		o.Threads = cli.Threads
	default:
		o.Threads = 1
		if n, ok := wasix.ThreadParallelism(); ok && n > 0 {
			o.Threads = n
		}
	}
	var replaySeed *uint64
	if cli.ReplayOps != "" {
		if replaySeed, err = readReplay(cli, &o); err != nil {
			return o, err
		}
	}
	switch {
	case cli.Seed != nil:
		o.Seed = *cli.Seed
	case replaySeed != nil:
		o.Seed = *replaySeed
	default:
		o.Seed = rand.Uint64N(1 << 32) // short enough to retype
	}
	if cli.LogStart < 0 {
		return o, usagef("-b must not be negative, got %d", cli.LogStart)
	}
	o.LogStart = cli.LogStart
	if cli.Monitor != "" {
		m, err := parseMonitor(cli.Monitor)
		if err != nil {
			return o, err
		}
		o.Monitor = m
	}
	if cli.Inject < 0 {
		return o, usagef("--inject must not be negative, got %d", cli.Inject)
	}
	o.Inject = cli.Inject
	o.ArtifactDir = cli.ArtifactDir
	o.RecordOps = cli.RecordOps
	switch {
	case cli.Verbose && cli.Quiet:
		return o, usagef("-v and -q contradict each other")
	case cli.Verbose:
		o.Verbosity = 1
	case cli.Quiet:
		o.Verbosity = -1
	}
	// With --json, stdout carries only the JSON.
	o.Out = os.Stdout
	if cli.JSON {
		o.Out = os.Stderr
	}
	o.Color = useColor(o.Out.(*os.File))
	if o.Progress, err = progressOptions(cli); err != nil {
		return o, err
	}
	// The replay line must run as typed. Natively that is this binary; a
	// WebAssembly guest cannot see how the runtime was invoked, so it names
	// the shape and leaves the volumes to the user (FSX_REPLAY_CMD overrides).
	switch {
	case os.Getenv(guestapi.EnvReplayCmd) != "":
		o.ReplayCmd = os.Getenv(guestapi.EnvReplayCmd)
	case runtime.GOOS == "wasip1":
		o.ReplayCmd = "wasmer run [the same --volume flags] fsx-wasix.wasm --"
	case os.Args[0] != "":
		o.ReplayCmd = os.Args[0]
	default:
		o.ReplayCmd = "fsx-wasix"
	}
	return o, nil
}

// readReplay loads --replay-ops into o.Replay (cut to -N ops when given)
// and returns the seed its header names, if any.
func readReplay(cli *CLI, o *exerciser.Options) (*uint64, error) {
	f, err := os.Open(cli.ReplayOps)
	if err != nil {
		return nil, usagef("--replay-ops: %v", err)
	}
	defer f.Close()
	h, ents, err := fsop.ParseOps(f)
	if err != nil {
		return nil, usagef("--replay-ops %s: %v", cli.ReplayOps, err)
	}
	if ents == nil {
		ents = []fsop.Entry{} // not nil: "replay nothing" is an error, not random mode
	}
	if cli.NumOps >= 0 && cli.NumOps < int64(len(ents)) {
		ents = ents[:cli.NumOps]
	}
	o.Replay = ents
	if !cli.threadsSet {
		o.Threads = 1
	}
	if h.HasSeed {
		return &h.Seed, nil
	}
	return nil, nil
}

func parseMonitor(s string) ([2]uint64, error) {
	from, to, ok := strings.Cut(s, ":")
	if !ok {
		return [2]uint64{}, usagef("-m wants FROM:TO, got %q", s)
	}
	a, err1 := strconv.ParseUint(from, 0, 64)
	b, err2 := strconv.ParseUint(to, 0, 64)
	if err := errors.Join(err1, err2); err != nil {
		return [2]uint64{}, usagef("-m wants two non-negative numbers FROM:TO, got %q", s)
	}
	if a >= b {
		return [2]uint64{}, usagef("-m FROM:TO needs FROM < TO, got %q", s)
	}
	return [2]uint64{a, b}, nil
}

// useColor follows https://no-color.org: any NO_COLOR value turns color off;
// otherwise color only a terminal.
func useColor(f *os.File) bool {
	if _, set := os.LookupEnv(guestapi.EnvNoColor); set {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
