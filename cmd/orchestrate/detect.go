package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/atomicfile"
	"github.com/fsx-wasix/fsx-wasix/internal/detect"
	"github.com/fsx-wasix/fsx-wasix/internal/faultfs"
	"github.com/fsx-wasix/fsx-wasix/internal/pipeline"
	"github.com/fsx-wasix/fsx-wasix/pkg/oracle"
)

// DetectCmd is `orchestrate detect`: the detection table (internal/detect).
type DetectCmd struct {
	Modes     []string      `default:"random,random+sync,oracle,diff" sep:"," placeholder:"MODE,..." help:"Columns to compute (default: all): random, random+sync, oracle (every --chains length), oracle-L (chain L), diff. With --merge, only these columns are recomputed."`
	Merge     string        `placeholder:"FILE" help:"Merge the computed columns into this table (the JSON of an earlier run, e.g. docs/detection.json): its other columns stay; the merged table is written back to FILE (or --json) and rendered to -o. E.g. 'detect --modes diff --merge docs/detection.json'."`
	Faults    []string      `sep:"," placeholder:"NAME,..." help:"Faults to measure (default: the whole catalogue; 'go run ./cmd/wazero-run --list-faults'). Not with --merge, which takes whole columns."`
	Seeds     int           `default:"5" help:"Random mode: seeds 1..N."`
	SyncSeeds int           `default:"2" help:"Random mode with fsync and fdatasync in the mix: seeds 1..N (0: no such column)."`
	NumOps    int64         `name:"numops" short:"N" default:"10000" help:"Random mode: ops per run."`
	Chains    []int         `default:"1,2" sep:"," help:"Oracle chain lengths of the 'oracle' mode (chain 3 is 629,856 cases per fault that goes unnoticed: minutes each)."`
	DiffN     int64         `name:"diff-programs" default:"2000" help:"Differential mode: programs 0..N-1 per fault."`
	DiffSeed  uint64        `name:"diff-seed" default:"1" help:"Differential mode: the seed of the programs."`
	DiffTime  time.Duration `name:"diff-shrink-time" default:"2m" help:"Differential mode: the time budget of one fault's shrink (a fault whose shrink runs out of it gets no step count, and says so)."`
	Render    bool          `help:"Compute nothing: render the table of --merge FILE to -o again (after a change to how it is rendered)."`
	NoShrink  bool          `help:"Do not shrink the failures."`
	Jobs      int           `short:"j" default:"0" help:"Runs at once (default: the core count)."`
	Timeout   time.Duration `default:"10m" help:"Time limit per run."`
	Output    string        `short:"o" default:"docs/detection.md" placeholder:"FILE" help:"Where the table goes (written atomically; '-' for stdout)."`
	JSON      string        `name:"json" placeholder:"FILE" help:"Also write the measurements as JSON here (default with --merge: the merged file)."`
	Src       string        `placeholder:"DIR" help:"The fsx-wasix source tree (default: found upwards from the current directory)."`
	BuildDir  string        `default:"build" placeholder:"DIR" help:"Where the guest binaries are built."`
}

// detectModes are the columns of --modes: chains are the 'oracle' mode's
// lengths. It returns the chains to run and whether each other column is
// wanted.
func detectModes(modes []string, chains []int) (oracleChains []int, random, sync, dif bool, err error) {
	if len(modes) == 0 {
		return nil, false, false, false, fmt.Errorf("--modes: give at least one of random, random+sync, oracle, oracle-L, diff")
	}
	add := func(L int) {
		if !slices.Contains(oracleChains, L) {
			oracleChains = append(oracleChains, L)
		}
	}
	for _, m := range modes {
		switch m = strings.TrimSpace(m); {
		case m == "random":
			random = true
		case m == "random+sync":
			sync = true
		case m == "diff":
			dif = true
		case m == "oracle":
			for _, L := range chains {
				add(L)
			}
		case strings.HasPrefix(m, "oracle-"):
			L, err := strconv.Atoi(strings.TrimPrefix(m, "oracle-"))
			if err != nil || L < 1 || L > oracle.MaxChain {
				return nil, false, false, false, fmt.Errorf("--modes %s: unknown mode (the oracle's chains are oracle-1..oracle-%d)", m, oracle.MaxChain)
			}
			add(L)
		default:
			return nil, false, false, false, fmt.Errorf("--modes %s: unknown mode (valid: random, random+sync, oracle, oracle-1..oracle-%d, diff)", m, oracle.MaxChain)
		}
	}
	slices.Sort(oracleChains)
	return oracleChains, random, sync, dif, nil
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
	case d.DiffN < 1 || d.DiffN > 1_000_000:
		return fail(fmt.Errorf("--diff-programs %d: want 1..1000000 (a run under wazero is ~100 programs/s per fault)", d.DiffN))
	case d.DiffTime <= 0:
		return fail(fmt.Errorf("--diff-shrink-time %s: want a positive duration", d.DiffTime))
	case d.Merge != "" && len(d.Faults) > 0:
		return fail(fmt.Errorf("--merge takes whole columns: give no --faults"))
	case d.Render && d.Merge == "":
		return fail(fmt.Errorf("--render renders the table of --merge FILE: give --merge"))
	}
	for _, L := range d.Chains {
		if L < 1 || L > oracle.MaxChain {
			return fail(fmt.Errorf("--chains %d: want lengths 1..%d", L, oracle.MaxChain))
		}
	}
	chains, random, withSync, withDiff, err := detectModes(d.Modes, d.Chains)
	if err != nil {
		return fail(err)
	}
	for _, f := range d.Faults {
		if _, ok := faultfs.Lookup(faultfs.Kind(f)); !ok {
			return fail(fmt.Errorf("unknown fault %q (see 'go run ./cmd/wazero-run --list-faults')", f))
		}
	}
	var old *detect.Table
	jsonOut := d.JSON
	if d.Merge != "" {
		if old, err = detect.ReadTable(abs(e.dir, d.Merge)); err != nil {
			return fail(fmt.Errorf("--merge: %v", unwrapPath(err)))
		}
		if jsonOut == "" {
			jsonOut = d.Merge
		}
	}
	if d.Render {
		return d.write(e, old, "", "rendered")
	}
	src := d.Src
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
	knownDiff, err := os.ReadFile(filepath.Join(src, "cmd", "orchestrate", "testdata", "known-diff-wazero.txt"))
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
		Faults: d.Faults, NumOps: d.NumOps, Chains: chains, Shrink: !d.NoShrink, Jobs: d.Jobs, Timeout: d.Timeout, Progress: e.stderr}
	if cfg.Jobs == 0 {
		cfg.Jobs = runtime.NumCPU()
	}
	for s := 1; random && s <= d.Seeds; s++ {
		cfg.Seeds = append(cfg.Seeds, uint64(s))
	}
	for s := 1; withSync && s <= d.SyncSeeds; s++ {
		cfg.SyncSeeds = append(cfg.SyncSeeds, uint64(s))
	}
	if withDiff {
		cfg.DiffPrograms, cfg.DiffSeed, cfg.DiffKnown, cfg.DiffShrinkTime = d.DiffN, d.DiffSeed, knownDiff, d.DiffTime
	}
	t, err := detect.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(e.stderr, "orchestrate detect:", err)
		return exitFailed
	}
	computed := len(t.Rows) - 1
	// A control that noticed something means the table measures noise
	// (a known list or the fault wiring is wrong): nothing is written.
	for _, c := range t.Rows[0].Cells {
		if c.Detected > 0 || c.Err != "" {
			fmt.Fprintf(e.stderr, "orchestrate detect: the control run without a fault noticed something in %s (%d at %d: %s%s): the table would measure noise; nothing written\n",
				c.Mode, c.Detected, c.ToDetect, c.Sig, c.Err)
			return exitFailed
		}
	}
	if old != nil {
		if t, err = detect.Merge(old, t); err != nil {
			fmt.Fprintln(e.stderr, "orchestrate detect:", err)
			return exitFailed
		}
	}
	what := "table in " + d.Output
	if old != nil {
		what = fmt.Sprintf("column(s) %s merged into %s; table in %s", strings.Join(t.Parts[len(t.Parts)-1].Modes, ", "), jsonOut, d.Output)
	}
	return d.write(e, t, jsonOut, fmt.Sprintf("%d faults measured in %.0f s; %s", computed, t.Parts[len(t.Parts)-1].Seconds, what))
}

// write renders t to -o and, when jsonOut is set, writes it there, each
// atomically, then says what was done.
func (d *DetectCmd) write(e env, t *detect.Table, jsonOut, done string) int {
	md := t.Markdown("go run ./cmd/orchestrate detect")
	var j []byte
	if jsonOut != "" {
		j, _ = json.MarshalIndent(t, "", "  ")
		j = append(j, '\n')
	}
	if d.Output == "-" {
		e.stdout.Write(md)
	} else if err := atomicfile.WriteFile(abs(e.dir, d.Output), md); err != nil {
		fmt.Fprintln(e.stderr, "orchestrate detect:", err)
		return exitFailed
	}
	if jsonOut != "" {
		if err := atomicfile.WriteFile(abs(e.dir, jsonOut), j); err != nil {
			fmt.Fprintln(e.stderr, "orchestrate detect:", err)
			return exitFailed
		}
	}
	if done == "rendered" {
		done = fmt.Sprintf("%s rendered to %s", d.Merge, d.Output)
	}
	fmt.Fprintf(e.stderr, "orchestrate detect: %s\n", done)
	return exitOK
}

// unwrapPath turns "open x: no such file or directory" into the one line
// it already is, without Go's *PathError wording twice.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %v", pe.Path, pe.Err)
	}
	return err
}
