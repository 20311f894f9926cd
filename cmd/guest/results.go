package main

import (
	"github.com/fsx-wasix/fsx-wasix/pkg/exerciser"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

// randomResult is random mode's --json result: the exerciser's outcome in
// the contract's types (pkg/guestapi), field for field.
func randomResult(res exerciser.Result) guestapi.RandomResult {
	out := guestapi.RandomResult{Seed: res.Seed, Elapsed: res.Elapsed, TotalOps: res.TotalOps, OpsPerSec: res.OpsPerSec}
	if res.Workers != nil { // nil stays null, as the exerciser's own encoding had it
		out.Workers = make([]guestapi.RandomWorker, len(res.Workers))
	}
	for i, w := range res.Workers {
		out.Workers[i] = guestapi.RandomWorker{
			Worker: w.Worker, Seed: w.Seed, Path: w.Path, OpsDone: w.OpsDone, Elapsed: w.Elapsed,
			Failure: failure(w.Failure), Cancelled: w.Cancelled,
		}
	}
	return out
}

// failure is a worker's verification failure in the contract's type.
func failure(f *exerciser.Failure) *guestapi.Failure {
	if f == nil {
		return nil
	}
	return &guestapi.Failure{Code: f.Code, Op: f.Op, Summary: f.Summary, Report: f.Report, Replay: f.Replay}
}
