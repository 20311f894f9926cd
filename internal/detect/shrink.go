package detect

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/fsx-wasix/fsx-wasix/internal/runner"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

// shrinkRows shrinks, for each fault random mode noticed after some ops,
// the failure of the first seed that noticed it: the failing run again,
// then `fsx-wasix shrink` on its .fsxops, both under wazero with the fault.
// The cell gets the minimal program's length.
func shrinkRows(ctx context.Context, cfg Config, r runner.Runner, work string, t *Table, results []result) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(cfg.Jobs, 1))
	for i := range t.Rows {
		var first *result
		for k := range results {
			res := &results[k]
			if res.row == i && res.mode == "random" && res.detected && !res.setup && res.fault != "" {
				first = res
				break
			}
		}
		if first == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			n, err := shrinkOne(ctx, cfg, r, work, first)
			c := &t.Rows[first.row].Cells[first.cell]
			if err != nil {
				c.Err = "shrink: " + err.Error()
			} else {
				c.Shrunk = n
			}
			if cfg.Progress != nil {
				fmt.Fprintf(cfg.Progress, "detect: shrink %-24s -S %d: %d ops %v\n", first.fault, first.seed, n, errOrEmpty(err))
			}
		}()
	}
	wg.Wait()
}

func errOrEmpty(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func shrinkOne(ctx context.Context, cfg Config, r runner.Runner, work string, res *result) (int, error) {
	data := filepath.Join(cfg.WorkDir, "shrink", res.fault)
	defer os.RemoveAll(data)
	if err := os.MkdirAll(data, 0o755); err != nil {
		return 0, err
	}
	spec := runner.Spec{Wasm: cfg.Wasm, Timeout: cfg.Timeout, Fault: res.fault + "@/data",
		Volumes: []runner.Volume{{Host: work, Guest: "/work"}, {Host: data, Guest: "/data"}}}
	// The artifacts go to the honest /work volume: a fault that breaks
	// every write on /data would break the .fsxops too.
	art := "art-" + res.fault
	if err := os.MkdirAll(filepath.Join(work, art), 0o755); err != nil {
		return 0, err
	}
	defer os.RemoveAll(filepath.Join(work, art))
	run := guestapi.Random{Config: "/work/fsx.toml", NumOps: cfg.NumOps, Seed: res.seed, Threads: 1, Quiet: true,
		ArtifactDir: "/work/" + art, File: "/data/fsxfile"}
	spec.Args = run.Args()
	if code, err := r.Run(ctx, spec); err != nil || code == 0 {
		return 0, fmt.Errorf("the failing run again: exit %d %v", code, err)
	}
	run.NumOps, run.ShrinkOps, run.Quiet, run.JSON = -1, "/work/"+art+"/fsxfile.fsxops", false, true
	spec.Args = run.Args()
	var out, errb bytes.Buffer
	spec.Stdout, spec.Stderr = &out, &errb
	code, err := r.Run(ctx, spec)
	if err != nil || code != 0 {
		return 0, fmt.Errorf("shrink: exit %d %v: %s", code, err, lastLine(errb.Bytes()))
	}
	var sr guestapi.ShrinkResult
	if err := json.Unmarshal(out.Bytes(), &sr); err != nil {
		return 0, fmt.Errorf("shrink: no result: %v", err)
	}
	return sr.Ops, nil
}
