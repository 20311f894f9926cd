package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/fsx-wasix/fsx-wasix/pkg/exerciser"
)

// TestRandomResultKeepsTheWireFormat: random mode's --json printed the
// exerciser's Result as it was; the contract type it prints now encodes to
// the same bytes, every field set (a failure, a cancelled worker) and not.
func TestRandomResultKeepsTheWireFormat(t *testing.T) {
	t.Parallel()
	for _, res := range []exerciser.Result{
		{},
		{Seed: 7, Elapsed: 1500 * time.Millisecond, TotalOps: 30, OpsPerSec: 20, Workers: []exerciser.WorkerResult{
			{Worker: 1, Seed: 7, Path: "/tmp/thread-1/f", OpsDone: 20, Elapsed: time.Second},
			{Worker: 2, Seed: 8, Path: "/tmp/thread-2/f", OpsDone: 9, Elapsed: time.Second, Cancelled: true},
			{Worker: 3, Seed: 9, Path: "/tmp/thread-3/f", OpsDone: 1, Elapsed: time.Millisecond, Failure: &exerciser.Failure{
				Code: 110, Op: 1, Summary: "one line", Report: "the\nreport", Replay: "fsx-wasix -N 1 -S 9 -j 1 /tmp/thread-3/f"}},
		}},
	} {
		want, err1 := json.MarshalIndent(res, "", "  ")
		got, err2 := json.MarshalIndent(randomResult(res), "", "  ")
		if err1 != nil || err2 != nil || string(got) != string(want) {
			t.Errorf("--json changed:\n got %s\nwant %s", got, want)
		}
	}
}
