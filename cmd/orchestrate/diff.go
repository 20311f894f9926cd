package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/atomicfile"
	"github.com/fsx-wasix/fsx-wasix/internal/diffrun"
	"github.com/fsx-wasix/fsx-wasix/internal/pipeline"
	"github.com/fsx-wasix/fsx-wasix/internal/runner"
)

// DiffFlags turn `orchestrate` (the run command) into the differential
// stage: `orchestrate --diff N [--runtime R,...]`. A flag of run rather than
// a subcommand because the command line is exactly that, and the
// stage shares run's flags (--runtime, --volumes, --known, --keep, -j,
// --json, the build and cache directories) with the same meaning
// (docs/diff.md).
type DiffFlags struct {
	Diff        int64         `name:"diff" placeholder:"N" help:"Differential stage: run N generated programs natively (cached) and on every available runtime × volume, shrink every divergence (docs/diff.md). --runtime then defaults to every available runtime, --known to diff signatures."`
	Seed        uint64        `name:"seed" short:"S" default:"1" help:"Differential: the programs' seed."`
	DiffConfig  string        `name:"diff-config" type:"existingfile" placeholder:"FILE" help:"Differential: a [diff] config (lengths, weights) for the guest's -f."`
	DiffSlice   int64         `name:"diff-slice" default:"250" help:"Differential: programs per slice (one process per cell and slice)."`
	NoShrink    bool          `name:"no-shrink" help:"Differential: do not shrink the divergences."`
	ShrinkTime  time.Duration `name:"shrink-time" default:"2m" help:"Differential: time limit for shrinking one signature."`
	ShrinkTotal time.Duration `name:"shrink-total" default:"20m" help:"Differential: time limit for the whole shrink phase (signatures left are reported as not shrunk)."`
	ShrinkBatch int           `name:"shrink-batch" default:"0" help:"Differential: shrink candidates per guest process (0: a whole ddmin round; 1: one per process)."`
	DiffRuns    string        `name:"diff-runs" default:"diff-runs" placeholder:"DIR" help:"Differential: where each run's outputs (minimal programs, summary.json) go."`
}

// chooseAll resolves --runtime for the differential commands: "auto" (the
// default) is every runtime available here, each missing one named.
func chooseAll(probe pipeline.Probe, names []string, e env) ([]pipeline.Choice, error) {
	if len(names) == 1 && names[0] == pipeline.RuntimeAuto {
		var out []pipeline.Choice
		for _, n := range []string{pipeline.RuntimeWasmer, pipeline.RuntimeWasmerSDK, pipeline.RuntimeWazero} {
			ch, err := probe.Choose([]string{n})
			if err != nil {
				fmt.Fprintf(e.stderr, "orchestrate: skipping %v\n", err)
				continue
			}
			out = append(out, ch...)
		}
		return out, nil
	}
	return probe.Choose(names)
}

func (c *RunCmd) source(e env) (string, error) {
	src := c.Src
	if src == "" {
		var err error
		if src, err = pipeline.FindModuleRoot(abs(e.dir, ".")); err != nil {
			return "", err
		}
	}
	src = abs(e.dir, src)
	if st, err := os.Stat(src); err != nil || !st.IsDir() {
		return "", fmt.Errorf("--src %s: no such directory", src)
	}
	return src, nil
}

func (c *RunCmd) runDiff(ctx context.Context, e env) int {
	fail := func(err error) int {
		fmt.Fprintln(e.stderr, "orchestrate:", err)
		return exitUsage
	}
	if c.Diff < 1 {
		return fail(fmt.Errorf("--diff %d: want 1 or more programs", c.Diff))
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
	choices, err := chooseAll(probe, names, e)
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
	cfg := diffrun.Config{
		Src: src, BuildDir: abs(e.dir, c.BuildDir), CacheDir: abs(e.dir, c.CacheDir), RunsDir: abs(e.dir, c.DiffRuns),
		Programs: c.Diff, Seed: c.Seed, Runtimes: choices, Volumes: vols, UseCache: useCache, Keep: c.Keep,
		SliceSize: c.DiffSlice, Jobs: c.Jobs, Timeout: c.Timeout, NoShrink: c.NoShrink, ShrinkTime: c.ShrinkTime, ShrinkTotal: c.ShrinkTotal, ShrinkBatch: c.ShrinkBatch,
		Report: pipeline.NewReporter(e.stderr), Runner: e.runner, WasmerPath: wasmerPath,
	}
	if c.DiffConfig != "" {
		cfg.ConfigFile = abs(e.dir, c.DiffConfig)
	}
	if c.Known != "" {
		cfg.Known = abs(e.dir, c.Known)
	}
	sum, err := diffrun.Run(ctx, cfg)
	if sum != nil {
		var b strings.Builder
		sum.WriteReport(&b)
		fmt.Fprint(e.stderr, "\n"+b.String())
		if c.JSON {
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			_ = enc.Encode(sum)
		}
	}
	switch {
	case errors.Is(err, diffrun.ErrInterrupted):
		fmt.Fprintln(e.stderr, "orchestrate:", err)
		return exitInterrupted
	case err != nil && sum == nil:
		return fail(err)
	case err != nil:
		fmt.Fprintln(e.stderr, "orchestrate:", err)
		return exitFailed
	case !sum.Passed:
		fmt.Fprintf(e.stderr, "orchestrate: DIVERGED: unsuppressed divergences or errors; minimal programs and summary.json in %s\n", sum.RunDir)
		return exitFailed
	}
	fmt.Fprintf(e.stderr, "orchestrate: every cell agreed with native (suppressed signatures aside); outputs in %s\n", sum.RunDir)
	return exitOK
}

// CorpusCmd replays the regression corpus.
type CorpusCmd struct {
	Dir      string   `default:"testdata/corpus" placeholder:"DIR" help:"The corpus: one *.prog file per finding."`
	Runtime  []string `default:"auto" sep:"," help:"Runtimes: wasmer, wasmer-sdk, wazero, or auto (every one available here)."`
	Volumes  []string `default:"tmp,data" sep:"," help:"Volumes: tmp and/or data."`
	Wasmer   string   `type:"path" placeholder:"PATH" help:"The wasmer CLI to use."`
	JSON     bool     `name:"json" help:"Print the replay as JSON on stdout."`
	Update   bool     `help:"Rewrite the entries' expect lines for the replayed runtimes and volumes to what this replay saw (after a change of the guest's own words; review the diff before committing)."`
	Jobs     int      `short:"j" default:"0" help:"Guest processes at once (default: the core count)."`
	Src      string   `placeholder:"DIR" help:"The fsx-wasix source tree (default: found upwards from the current directory)."`
	BuildDir string   `default:"build" placeholder:"DIR" help:"Where the guest binaries are built."`
}

func (cc *CorpusCmd) run(ctx context.Context, e env) int {
	fail := func(err error) int {
		fmt.Fprintln(e.stderr, "orchestrate corpus:", err)
		return exitUsage
	}
	names, err := pipeline.ParseRuntimes(cc.Runtime)
	if err != nil {
		return fail(err)
	}
	vols, err := parseVolumes(cc.Volumes)
	if err != nil {
		return fail(err)
	}
	rc := RunCmd{Src: cc.Src}
	src, err := rc.source(e)
	if err != nil {
		return fail(err)
	}
	dir := cc.Dir
	if !filepath.IsAbs(dir) {
		if _, err := os.Stat(abs(e.dir, dir)); err == nil {
			dir = abs(e.dir, dir)
		} else {
			dir = filepath.Join(src, dir)
		}
	}
	entries, err := diffrun.ReadCorpus(dir)
	if err != nil {
		return fail(err)
	}
	sdkDir := filepath.Join(src, "runners", "wasmer-sdk")
	probe, err := pipeline.NewProbe(cc.Wasmer, sdkDir)
	if err != nil {
		return fail(err)
	}
	var skipped []string
	choices, err := chooseAll(probe, names, env{stderr: &collect{&skipped}})
	if err != nil {
		return fail(err)
	}
	tc, err := pipeline.ReadToolchain(ctx, src)
	if err != nil {
		return fail(err)
	}
	g, err := pipeline.BuildGuest(ctx, src, abs(e.dir, cc.BuildDir), tc)
	if err != nil {
		return fail(err)
	}
	var targets []diffrun.Target
	for _, ch := range choices {
		path := cc.Wasmer
		if ch.Name == pipeline.RuntimeWasmer {
			path = ch.Path
		}
		mk := e.runner
		if mk == nil {
			mk = func(name string) (runner.Runner, error) {
				return runner.New(name, runner.Options{WasmerPath: path, SDKDir: sdkDir})
			}
		}
		r, err := mk(ch.Name)
		if err != nil {
			return fail(err)
		}
		for _, v := range vols {
			targets = append(targets, diffrun.Target{Runtime: ch.Name, Volume: v, R: r})
		}
	}
	scratch, err := os.MkdirTemp("", "fsx-corpus-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(scratch)
	res, err := diffrun.Replay(ctx, diffrun.Guest{Native: g.Native, Wasm: g.Wasm}, targets, entries, scratch, cc.Jobs)
	if err != nil {
		fmt.Fprintln(e.stderr, "orchestrate corpus:", err)
		return exitFailed
	}
	res.Skipped = skipped
	var b strings.Builder
	res.Write(&b)
	fmt.Fprint(e.stderr, b.String())
	if cc.JSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(res)
	}
	if cc.Update {
		changed := res.Rebase(entries)
		for _, en := range changed {
			if err := atomicfile.WriteFile(en.Path, en.Format()); err != nil {
				fmt.Fprintln(e.stderr, "orchestrate corpus:", err)
				return exitFailed
			}
		}
		fmt.Fprintf(e.stderr, "orchestrate corpus: --update rewrote %d of %d entries in %s\n", len(changed), len(entries), dir)
		if len(res.Problems) > 0 {
			return exitFailed
		}
		return exitOK
	}
	if res.Failed() {
		return exitFailed
	}
	return exitOK
}

// collect keeps the lines chooseAll writes (the runtimes it skips).
type collect struct{ lines *[]string }

func (c *collect) Write(p []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimSpace(string(p)), "\n") {
		if l = strings.TrimPrefix(strings.TrimSpace(l), "orchestrate: skipping "); l != "" {
			*c.lines = append(*c.lines, l)
		}
	}
	return len(p), nil
}
