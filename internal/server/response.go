package server

import (
	"math/rand/v2"
	"strings"
	"time"

	"github.com/fsx-wasix/fsx-wasix/pkg/exerciser"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// newRunResponse is /run's answer for a run that started: the contract's
// guestapi.RunResponse, the same shape for every outcome.
func newRunResponse(req runRequest, opts exerciser.Options, res exerciser.Result) guestapi.RunResponse {
	c := opts.Config
	r := guestapi.RunResponse{
		Target:          opts.Path,
		Cwd:             req.Cwd,
		File:            req.File,
		Seed:            opts.Seed,
		Workers:         opts.Threads,
		NumOpsPerWorker: opts.NumOps,
		TotalOpsPlanned: opts.NumOps * int64(opts.Threads),
		ElapsedMS:       ms(res.Elapsed),
		TimeoutMS:       req.Timeout.Milliseconds(),
		Config: guestapi.RunConfig{
			FileLen: c.FileLen, NoSizeChecks: c.NoSizeChecks,
			OpSizeMin: c.OpSize.Min, OpSizeMax: c.OpSize.Max, OpSizeAlign: c.OpSize.Align,
			CloseOpen: c.Weights.CloseOpen, Read: c.Weights.Read, Write: c.Weights.Write,
			MapRead: c.Weights.MapRead, MapWrite: c.Weights.MapWrite, Truncate: c.Weights.Truncate,
			Fsync: c.Weights.Fsync, Fdatasync: c.Weights.Fdatasync,
		},
		Results: []guestapi.RunWorker{},
	}
	var reports []string
	for _, w := range res.Workers {
		r.OpsDone += w.OpsDone
		r.Results = append(r.Results, guestapi.RunWorker{
			Worker: w.Worker, Seed: w.Seed, Path: w.Path, OpsDone: w.OpsDone,
			ElapsedMS: ms(w.Elapsed), Cancelled: w.Cancelled, Failure: w.Failure.API(),
		})
		if w.Failure != nil {
			reports = append(reports, w.Failure.Report)
		}
	}
	r.Report = strings.Join(reports, "\n")
	return r
}

// firstSummary is the first failed worker's one-line summary.
func firstSummary(r guestapi.RunResponse) string {
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
