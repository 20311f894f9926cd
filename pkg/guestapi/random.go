package guestapi

import "time"

// RandomResult is random mode's --json result on stdout (the human log then
// goes to stderr). Its exit code is the first failing worker's fsx.c code
// (docs/exit-codes.md), 0 when every worker passed.
type RandomResult struct {
	Seed      uint64         `json:"seed"`
	Workers   []RandomWorker `json:"workers"`
	Elapsed   time.Duration  `json:"elapsed_ns"`
	TotalOps  uint64         `json:"total_ops"`
	OpsPerSec float64        `json:"ops_per_sec"`
}

// RandomWorker is one worker's outcome.
type RandomWorker struct {
	Worker  int           `json:"worker"` // 1..j
	Seed    uint64        `json:"seed"`   // the run's seed + worker - 1
	Path    string        `json:"path"`
	OpsDone uint64        `json:"ops_done"`
	Elapsed time.Duration `json:"elapsed_ns"`
	Failure *Failure      `json:"failure,omitempty"`
	// Cancelled: the run was stopped before -N ops (not a failure).
	Cancelled bool `json:"cancelled,omitempty"`
}

// Failure is a verification failure: what went wrong, where, and how to
// replay it. The server's RunWorker carries the same object.
type Failure struct {
	Code    int    `json:"exit_code"` // fsx.c's exit code for this kind of failure
	Op      int64  `json:"op"`        // the failing op's number
	Summary string `json:"summary"`   // one line
	Report  string `json:"report"`    // the full fsx-style report, as printed
	Replay  string `json:"replay"`    // the command line that replays this worker alone
	// ReplayOps runs the saved .fsxops instead: exactly the ops that ran.
	ReplayOps string `json:"replay_ops,omitempty"`
	// OpsFile is the saved .fsxops: the whole program up to the failure.
	OpsFile string `json:"ops_file,omitempty"`
}

// FirstFailure is the first failing worker's failure, or nil.
func (r RandomResult) FirstFailure() *Failure {
	for _, w := range r.Workers {
		if w.Failure != nil {
			return w.Failure
		}
	}
	return nil
}

// ShrinkResult is `fsx-wasix shrink --json` (and --shrink with --json): a
// failure reduced to its smallest program.
type ShrinkResult struct {
	Original int      `json:"original_ops"` // ops up to the failing op, before shrinking
	Ops      int      `json:"ops"`          // ops of the minimal program
	Program  []string `json:"program"`      // the minimal program, one .fsxops line per op
	Attempts int      `json:"attempts"`     // candidate runs
	Seconds  float64  `json:"seconds"`
	Minimal  bool     `json:"one_minimal"`       // removing or halving any op makes it pass
	Stopped  string   `json:"stopped,omitempty"` // the budget that stopped it early
	Failure  *Failure `json:"failure"`           // the minimal program's failure, with its replay lines
}
