package server

import (
	"math/rand/v2"
	"strings"
	"time"

	"github.com/fsx-wasix/fsx-wasix/pkg/exerciser"
)

// runResponse is /run's JSON answer, the same shape for every outcome so a
// client can read ok, error and the counts without caring which it got.
type runResponse struct {
	OK              bool         `json:"ok"`
	Error           string       `json:"error,omitempty"`
	Cancelled       bool         `json:"cancelled,omitempty"`
	Target          string       `json:"target"` // cwd/file; with threads > 1 each worker has cwd/thread-K/file
	Cwd             string       `json:"cwd"`
	File            string       `json:"file"`
	Seed            uint64       `json:"seed"`
	Workers         int          `json:"workers"`
	NumOpsPerWorker int64        `json:"numops_per_worker"`
	TotalOpsPlanned int64        `json:"total_ops_planned"`
	OpsDone         uint64       `json:"ops_done"`
	ElapsedMS       float64      `json:"elapsed_ms"`
	TimeoutMS       int64        `json:"timeout_ms"`
	Config          configJSON   `json:"config"`
	Results         []workerJSON `json:"results"`
	// Report is every failed worker's full report, the text the CLI prints.
	Report string `json:"report,omitempty"`
}

// configJSON echoes the config that ran, under the request's parameter names.
type configJSON struct {
	FileLen      uint64 `json:"flen"`
	NoSizeChecks bool   `json:"nosizechecks"`
	OpSizeMin    uint64 `json:"opsize_min"`
	OpSizeMax    uint64 `json:"opsize_max"`
	OpSizeAlign  uint64 `json:"opsize_align"`
	exerciser.Weights
}

type workerJSON struct {
	Worker    int                `json:"worker"`
	Seed      uint64             `json:"seed"`
	Path      string             `json:"path"`
	OpsDone   uint64             `json:"ops_done"`
	ElapsedMS float64            `json:"elapsed_ms"`
	Cancelled bool               `json:"cancelled,omitempty"`
	Failure   *exerciser.Failure `json:"failure,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func newRunResponse(req runRequest, opts exerciser.Options, res exerciser.Result) runResponse {
	c := opts.Config
	r := runResponse{
		Target:          opts.Path,
		Cwd:             req.Cwd,
		File:            req.File,
		Seed:            opts.Seed,
		Workers:         opts.Threads,
		NumOpsPerWorker: opts.NumOps,
		TotalOpsPlanned: opts.NumOps * int64(opts.Threads),
		ElapsedMS:       ms(res.Elapsed),
		TimeoutMS:       req.Timeout.Milliseconds(),
		Config: configJSON{
			FileLen: c.FileLen, NoSizeChecks: c.NoSizeChecks,
			OpSizeMin: c.OpSize.Min, OpSizeMax: c.OpSize.Max, OpSizeAlign: c.OpSize.Align,
			Weights: c.Weights,
		},
		Results: []workerJSON{},
	}
	var reports []string
	for _, w := range res.Workers {
		r.OpsDone += w.OpsDone
		r.Results = append(r.Results, workerJSON{
			Worker: w.Worker, Seed: w.Seed, Path: w.Path, OpsDone: w.OpsDone,
			ElapsedMS: ms(w.Elapsed), Cancelled: w.Cancelled, Failure: w.Failure,
		})
		if w.Failure != nil {
			reports = append(reports, w.Failure.Report)
		}
	}
	r.Report = strings.Join(reports, "\n")
	return r
}

func (r runResponse) firstSummary() string {
	for _, w := range r.Results {
		if w.Failure != nil {
			return w.Failure.Summary
		}
	}
	return ""
}

// randomSeed picks a seed for a request without one; the answer names it so
// the run can be replayed.
// Like the CLI's, it is short enough to retype.
func randomSeed() uint64 { return rand.Uint64N(1 << 32) }
