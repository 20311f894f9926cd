// Command orchestrate runs the oracle end to end, replacing the seed's
// run.sh: it builds the guest natively and for wasip1, produces (or takes
// from cache/) the native oracle report, runs every runtime × volume cell
// against it, re-reads /data cells' files from the host, and prints one
// verdict table and, under it, every divergence signature with the shortest
// program that shows it. Exit status 0 means every supported cell matched.
//
//	go run ./cmd/orchestrate -chain 3
//	go run ./cmd/orchestrate --runtime wazero,wasmer-sdk --volumes data --json
//	go run ./cmd/orchestrate --chain 3 --shard 2/8        # one machine's part
//	go run ./cmd/orchestrate merge -o all.bin shard*.bin  # join the parts
//	go run ./cmd/orchestrate detect                       # the fault detection table
//
// Outputs live in the current directory: build/ (guest binaries), cache/
// (native reports) and oracle-runs/<run>/ (this run's reports). The work is
// done by internal/pipeline; this file is flags and messages.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kong"
	"github.com/fsx-wasix/fsx-wasix/internal/pipeline"
	"github.com/fsx-wasix/fsx-wasix/internal/runner"
	"github.com/fsx-wasix/fsx-wasix/pkg/oracle"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// Exit codes.
const (
	exitOK          = 0
	exitFailed      = 1 // a cell diverged or errored
	exitUsage       = 2 // bad flags or set-up (one line said why)
	exitInterrupted = 130
)

// CLI is the command line. `run` is the default command, so the flags of a
// plain `orchestrate -chain 3` are RunCmd's.
type CLI struct {
	Version kong.VersionFlag `help:"Print the version and exit."`

	Run    RunCmd    `cmd:"" default:"withargs" help:"Run the oracle pipeline (the default command)."`
	Merge  MergeCmd  `cmd:"" help:"Join shard reports into one report, byte-identical to the unsharded run's."`
	Detect DetectCmd `cmd:"" help:"Measure which mode notices which fault of the catalogue, and how soon (writes docs/detection.md)."`
	Corpus CorpusCmd `cmd:"" help:"Replay the differential regression corpus (testdata/corpus) natively and under each runtime: still present, fixed, or new."`
}

// RunCmd is the pipeline's flags.
type RunCmd struct {
	Chain      int           `default:"2" help:"Command sequence length L (1: 54 cases, 2: 5,832, 3: 629,856)."`
	Runtime    []string      `default:"auto" sep:"," help:"Runtimes to test: wasmer, wasmer-sdk, wazero or auto (the wasmer CLI if installed, else the Wasmer SDK under Node, else embedded wazero). Comma-separated or repeated."`
	Wasmer     string        `type:"path" placeholder:"PATH" help:"The wasmer CLI to use (default: \\$FSX_WASMER, the scripts/install-wasmer.sh location, then PATH)."`
	Volumes    []string      `default:"tmp,data" sep:"," help:"Volumes to test: tmp (the runtime's own /tmp) and/or data (a host directory mounted at /data)."`
	NoCache    bool          `help:"Regenerate the native reports instead of using cache/ (also: USE_NATIVE_CACHE=0)."`
	Keep       bool          `help:"Keep the case-file trees (with --diff: every slice's directory with the /data cells' kept trees) even when everything matched."`
	JSON       bool          `name:"json" help:"Print the summary as JSON on stdout (progress stays on stderr)."`
	Shard      string        `placeholder:"K/N" help:"Run only shard K of N (1-based) of the cases; merge the shards' reports with 'orchestrate merge'."`
	SliceSize  int64         `default:"4096" help:"Cases per slice (the unit of work, caching and parallelism)."`
	Jobs       int           `short:"j" default:"0" help:"Guest processes at once (default: the core count)."`
	Timeout    time.Duration `name:"slice-timeout" default:"0" help:"Time limit per runtime process (default: 2m + 20ms per case)."`
	Known      string        `type:"existingfile" placeholder:"FILE" help:"Divergence signatures to report as known (suppressed, never silently), passed to every cell as --oracle-known."`
	KnownDir   string        `type:"existingdir" placeholder:"DIR" help:"Known divergences per runtime version: DIR/<runtime>-<version>.txt (e.g. known/wasmer-7.4.2.txt) joins --known for that runtime's cells; a version without a file has none (the repository ships known/)."`
	NoShortest bool          `help:"Skip the shortest-program pass: do not run the lower chains 1..L-1 on the cells that diverged to find each divergence signature's shortest program."`
	Src        string        `placeholder:"DIR" help:"The fsx-wasix source tree (default: found upwards from the current directory)."`
	BuildDir   string        `default:"build" placeholder:"DIR" help:"Where the guest binaries are built."`
	CacheDir   string        `default:"cache" placeholder:"DIR" help:"Native report cache."`
	RunsDir    string        `default:"oracle-runs" placeholder:"DIR" help:"Run outputs; earlier runs' outputs here are removed at start."`

	DiffFlags `embed:""`
}

// MergeCmd joins reports.
type MergeCmd struct {
	Output  string   `short:"o" required:"" placeholder:"PATH" help:"The merged report."`
	Reports []string `arg:"" name:"REPORT" type:"existingfile" help:"Reports of contiguous case ranges, in any order."`
}

// env is what the command sees of the world; tests substitute it.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	dir            string // working directory; "" = the process's
	// runner, when set, makes the runners (tests put a fault in between).
	runner func(name string) (runner.Runner, error)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}))
}

type kongExit int

// run is the whole command; it returns the exit status and never panics on
// bad input (kong's exits are turned into return values).
func run(ctx context.Context, args []string, e env) (code int) {
	var cli CLI
	parser, err := kong.New(&cli,
		kong.Name("orchestrate"),
		kong.Vars{"version": "orchestrate " + version},
		kong.Description("Build the guest, run the native oracle (cached), run every runtime × volume cell against it, re-read /data from the host, and print a verdict table."),
		kong.Writers(e.stdout, e.stderr),
		kong.Exit(func(c int) { panic(kongExit(c)) }),
		kong.UsageOnError(),
	)
	if err != nil {
		fmt.Fprintln(e.stderr, "orchestrate:", err)
		return exitUsage
	}
	defer func() {
		if r := recover(); r != nil {
			c, ok := r.(kongExit)
			if !ok {
				panic(r)
			}
			code = int(c)
			if code != 0 {
				code = exitUsage
			}
		}
	}()
	kctx, err := parser.Parse(normalizeArgs(args))
	if err != nil {
		fmt.Fprintln(e.stderr, "orchestrate:", err)
		return exitUsage
	}
	switch kctx.Command() {
	case "merge <REPORT>":
		return cli.Merge.run(e)
	case "detect":
		return cli.Detect.run(ctx, e)
	case "corpus":
		return cli.Corpus.run(ctx, e)
	default:
		return cli.Run.run(ctx, e)
	}
}

// normalizeArgs turns the Go-style single-dash long flags users type
// (`-chain 3`, `-runtime=wazero`) into kong's `--chain 3`. Single letters
// (-j, -o, -h) stay short flags; everything after "--" is left alone.
func normalizeArgs(args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		name, _, _ := strings.Cut(a, "=")
		if len(name) > 2 && a[0] == '-' && a[1] != '-' && !isNumber(a[1:]) {
			a = "-" + a
		}
		out = append(out, a)
	}
	return out
}

func isNumber(s string) bool {
	for _, r := range s {
		if (r < '0' || r > '9') && r != '.' {
			return false
		}
	}
	return s != ""
}

func (c *RunCmd) run(ctx context.Context, e env) int {
	fail := func(err error) int {
		fmt.Fprintln(e.stderr, "orchestrate:", err)
		return exitUsage
	}
	// Every flag is checked before anything is removed, built or written.
	if err := checkChain(c.Chain); err != nil {
		return fail(err)
	}
	switch {
	case c.SliceSize < 1:
		return fail(fmt.Errorf("--slice-size %d: want 1 or more cases per slice (default 4096)", c.SliceSize))
	case c.Jobs < 0:
		return fail(fmt.Errorf("--jobs %d: want 0 (the core count) or more", c.Jobs))
	case c.Timeout < 0:
		return fail(fmt.Errorf("--slice-timeout %s: want 0 (the default) or a positive duration", c.Timeout))
	}
	if c.Diff != 0 {
		return c.runDiff(ctx, e)
	}
	shard, err := pipeline.ParseShard(c.Shard)
	if err != nil {
		return fail(err)
	}
	names, err := pipeline.ParseRuntimes(c.Runtime)
	if err != nil {
		return fail(err)
	}
	vols, err := parseVolumes(c.Volumes)
	if err != nil {
		return fail(err)
	}
	src, err := c.source(e)
	if err != nil {
		return fail(err)
	}
	probe, err := pipeline.NewProbe(c.Wasmer, filepath.Join(src, "runners", "wasmer-sdk"))
	if err != nil {
		return fail(err)
	}
	choices, err := probe.Choose(names)
	if err != nil {
		return fail(err)
	}
	useCache := !c.NoCache
	if v := e.getenv("USE_NATIVE_CACHE"); v == "0" || strings.EqualFold(v, "false") {
		useCache = false
	}
	wasmerPath := c.Wasmer
	for _, ch := range choices {
		if ch.Name == pipeline.RuntimeWasmer {
			wasmerPath = ch.Path
		}
	}
	cfg := pipeline.Config{
		Src:          src,
		BuildDir:     abs(e.dir, c.BuildDir),
		CacheDir:     abs(e.dir, c.CacheDir),
		RunsDir:      abs(e.dir, c.RunsDir),
		Chain:        c.Chain,
		Runtimes:     choices,
		Volumes:      vols,
		UseCache:     useCache,
		Keep:         c.Keep,
		Shard:        shard,
		SliceSize:    c.SliceSize,
		Jobs:         c.Jobs,
		SliceTimeout: c.Timeout,
		Known:        c.Known,
		KnownDir:     c.KnownDir,
		WasmerPath:   wasmerPath,
		NoShortest:   c.NoShortest,
		Report:       pipeline.NewReporter(e.stderr),
		Runner:       e.runner,
	}
	if c.Known != "" {
		cfg.Known = abs(e.dir, c.Known)
	}
	if c.KnownDir != "" {
		cfg.KnownDir = abs(e.dir, c.KnownDir)
	}
	sum, err := pipeline.Run(ctx, cfg)
	if sum != nil {
		if c.JSON {
			_ = sum.WriteJSON(e.stdout)
		} else {
			fmt.Fprintln(e.stderr)
			sum.WriteTable(e.stderr)
			sum.WriteDivergences(e.stderr)
		}
	}
	switch {
	case errors.Is(err, pipeline.ErrInterrupted):
		fmt.Fprintln(e.stderr, "orchestrate:", err)
		return exitInterrupted
	case err != nil && sum == nil:
		return fail(err)
	case err != nil:
		fmt.Fprintln(e.stderr, "orchestrate:", err)
		return exitFailed
	case !sum.Passed:
		fmt.Fprintf(e.stderr, "orchestrate: FAILED: %s; outputs in %s\n", pipeline.FailedCells(sum.Rows), sum.RunDir)
		return exitFailed
	}
	fmt.Fprintf(e.stderr, "orchestrate: every supported cell matched; reports in %s\n", sum.RunDir)
	return exitOK
}

// checkChain accepts the chain lengths the guest's oracle accepts: the
// limit is pkg/oracle's MaxChain, in one place, so the orchestrator never
// refuses a run the guest could do or starts one the guest will refuse.
func checkChain(n int) error {
	if n < 1 || n > oracle.MaxChain {
		return fmt.Errorf("--chain %d: want 1..%d (chain 4 is already tens of millions of cases; see docs/scale-out.md)", n, oracle.MaxChain)
	}
	return nil
}

func (m *MergeCmd) run(e env) int {
	out := abs(e.dir, m.Output)
	srcs := make([]string, len(m.Reports))
	for i, r := range m.Reports {
		srcs[i] = abs(e.dir, r)
	}
	if err := pipeline.MergeReports(out, srcs); err != nil {
		fmt.Fprintln(e.stderr, "orchestrate merge:", err)
		return exitFailed
	}
	fmt.Fprintf(e.stderr, "orchestrate merge: %d report(s) joined into %s\n", len(srcs), m.Output)
	return exitOK
}

func parseVolumes(vs []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, v := range vs {
		var vol string
		switch strings.TrimSpace(strings.ToLower(v)) {
		case "tmp", "/tmp":
			vol = pipeline.VolumeTmp
		case "data", "/data":
			vol = pipeline.VolumeData
		case "":
			continue
		default:
			return nil, fmt.Errorf("unknown volume %q: want tmp, data or both (tmp,data)", v)
		}
		if !seen[vol] {
			seen[vol] = true
			out = append(out, vol)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("--volumes: name at least one of tmp, data")
	}
	return out, nil
}

// abs resolves p against the command's working directory.
func abs(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	if dir == "" {
		dir, _ = os.Getwd()
	}
	return filepath.Join(dir, p)
}
