package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/atomicfile"
	"github.com/fsx-wasix/fsx-wasix/internal/detect"
	"github.com/fsx-wasix/fsx-wasix/internal/faultfs"
	"github.com/fsx-wasix/fsx-wasix/internal/pipeline"
	"github.com/fsx-wasix/fsx-wasix/pkg/oracle"
)

// DetectCmd is `orchestrate detect`: the detection table (internal/detect).
type DetectCmd struct {
	Faults    []string      `sep:"," placeholder:"NAME,..." help:"Faults to measure (default: the whole catalogue; 'go run ./cmd/wazero-run --list-faults')."`
	Seeds     int           `default:"5" help:"Random mode: seeds 1..N."`
	SyncSeeds int           `default:"2" help:"Random mode with fsync and fdatasync in the mix: seeds 1..N (0: no such column)."`
	NumOps    int64         `name:"numops" short:"N" default:"10000" help:"Random mode: ops per run."`
	Chains    []int         `default:"1,2" sep:"," help:"Oracle chain lengths (chain 3 is 629,856 cases per fault that goes unnoticed: minutes each)."`
	NoShrink  bool          `help:"Do not shrink the failures."`
	Jobs      int           `short:"j" default:"0" help:"Runs at once (default: the core count)."`
	Timeout   time.Duration `default:"10m" help:"Time limit per run."`
	Output    string        `short:"o" default:"docs/detection.md" placeholder:"FILE" help:"Where the table goes (written atomically; '-' for stdout)."`
	JSON      string        `name:"json" placeholder:"FILE" help:"Also write the measurements as JSON here."`
	Src       string        `placeholder:"DIR" help:"The fsx-wasix source tree (default: found upwards from the current directory)."`
	BuildDir  string        `default:"build" placeholder:"DIR" help:"Where the guest binaries are built."`
}

func (d *DetectCmd) run(ctx context.Context, e env) int {
	fail := func(err error) int {
		fmt.Fprintln(e.stderr, "orchestrate detect:", err)
		return exitUsage
	}
	// Every flag is checked before anything is built or written.
	switch {
	case d.Seeds < 1 || d.Seeds > 100:
		return fail(fmt.Errorf("--seeds %d: want 1..100", d.Seeds))
	case d.SyncSeeds < 0 || d.SyncSeeds > 100:
		return fail(fmt.Errorf("--sync-seeds %d: want 0..100", d.SyncSeeds))
	case d.NumOps < 1:
		return fail(fmt.Errorf("--numops %d: want 1 or more", d.NumOps))
	case d.Jobs < 0:
		return fail(fmt.Errorf("--jobs %d: want 0 (the core count) or more", d.Jobs))
	case d.Timeout <= 0:
		return fail(fmt.Errorf("--timeout %s: want a positive duration", d.Timeout))
	}
	for _, L := range d.Chains {
		if L < 1 || L > oracle.MaxChain {
			return fail(fmt.Errorf("--chains %d: want lengths 1..%d", L, oracle.MaxChain))
		}
	}
	for _, f := range d.Faults {
		if _, ok := faultfs.Lookup(faultfs.Kind(f)); !ok {
			return fail(fmt.Errorf("unknown fault %q (see 'go run ./cmd/wazero-run --list-faults')", f))
		}
	}
	src := d.Src
	var err error
	if src == "" {
		if src, err = pipeline.FindModuleRoot(abs(e.dir, ".")); err != nil {
			return fail(err)
		}
	}
	src = abs(e.dir, src)
	cfgTOML, err := os.ReadFile(filepath.Join(src, "cmd", "guest", "testdata", "fsx-10mb.toml"))
	if err != nil {
		return fail(err)
	}
	known, err := os.ReadFile(filepath.Join(src, "cmd", "orchestrate", "testdata", "known-wazero.txt"))
	if err != nil {
		return fail(err)
	}
	tc, err := pipeline.ReadToolchain(ctx, src)
	if err != nil {
		return fail(err)
	}
	guest, err := pipeline.BuildGuest(ctx, src, abs(e.dir, d.BuildDir), tc)
	if err != nil {
		return fail(err)
	}
	work, err := os.MkdirTemp("", "fsx-detect-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(work)
	cfg := detect.Config{Native: guest.Native, Wasm: guest.Wasm, WorkDir: work, ConfigTOML: cfgTOML, Known: known,
		Faults: d.Faults, NumOps: d.NumOps, Chains: d.Chains, Shrink: !d.NoShrink, Jobs: d.Jobs, Timeout: d.Timeout, Progress: e.stderr}
	if cfg.Jobs == 0 {
		cfg.Jobs = runtime.NumCPU()
	}
	for s := 1; s <= d.Seeds; s++ {
		cfg.Seeds = append(cfg.Seeds, uint64(s))
	}
	for s := 1; s <= d.SyncSeeds; s++ {
		cfg.SyncSeeds = append(cfg.SyncSeeds, uint64(s))
	}
	t, err := detect.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(e.stderr, "orchestrate detect:", err)
		return exitFailed
	}
	md := t.Markdown("go run ./cmd/orchestrate detect")
	if d.Output == "-" {
		e.stdout.Write(md)
	} else if err := atomicfile.WriteFile(abs(e.dir, d.Output), md); err != nil {
		fmt.Fprintln(e.stderr, "orchestrate detect:", err)
		return exitFailed
	}
	if d.JSON != "" {
		j, _ := json.MarshalIndent(t, "", "  ")
		if err := atomicfile.WriteFile(abs(e.dir, d.JSON), append(j, '\n')); err != nil {
			fmt.Fprintln(e.stderr, "orchestrate detect:", err)
			return exitFailed
		}
	}
	fmt.Fprintf(e.stderr, "orchestrate detect: %d faults measured in %.0f s; table in %s\n", len(t.Rows)-1, t.Seconds, d.Output)
	if t.Rows[0].Cells[0].Detected > 0 {
		fmt.Fprintln(e.stderr, "orchestrate detect: the control run without a fault failed: the table measures noise")
		return exitFailed
	}
	return exitOK
}
