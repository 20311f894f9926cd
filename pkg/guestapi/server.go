package guestapi

// Server mode's answers (docs/server.md). Every answer is JSON; internal/server
// fills these types, clients decode them.

// RunResponse is /run's answer, the same shape for every outcome (200, 500
// verification failure, 504 timeout, 503 cancelled, 400 refused by the
// exerciser), so a client can read ok, error and the counts without caring
// which it got.
type RunResponse struct {
	OK              bool        `json:"ok"`
	Error           string      `json:"error,omitempty"`
	Cancelled       bool        `json:"cancelled,omitempty"`
	Target          string      `json:"target"` // cwd/file; with threads > 1 each worker has cwd/thread-K/file
	Cwd             string      `json:"cwd"`
	File            string      `json:"file"`
	Seed            uint64      `json:"seed"`
	Workers         int         `json:"workers"`
	NumOpsPerWorker int64       `json:"numops_per_worker"`
	TotalOpsPlanned int64       `json:"total_ops_planned"`
	OpsDone         uint64      `json:"ops_done"`
	ElapsedMS       float64     `json:"elapsed_ms"`
	TimeoutMS       int64       `json:"timeout_ms"`
	Config          RunConfig   `json:"config"`
	Results         []RunWorker `json:"results"`
	// Report is every failed worker's full report, the text the CLI prints.
	Report string `json:"report,omitempty"`
}

// RunConfig echoes the config that ran, under the request's parameter names.
type RunConfig struct {
	FileLen      uint64 `json:"flen"`
	NoSizeChecks bool   `json:"nosizechecks"`
	OpSizeMin    uint64 `json:"opsize_min"`
	OpSizeMax    uint64 `json:"opsize_max"`
	OpSizeAlign  uint64 `json:"opsize_align"`
	CloseOpen    uint64 `json:"close_open"`
	Read         uint64 `json:"read"`
	Write        uint64 `json:"write"`
	MapRead      uint64 `json:"mapread"`
	MapWrite     uint64 `json:"mapwrite"`
	Truncate     uint64 `json:"truncate"`
	Fsync        uint64 `json:"fsync"`
	Fdatasync    uint64 `json:"fdatasync"`
}

// RunWorker is one worker of a /run.
type RunWorker struct {
	Worker    int      `json:"worker"`
	Seed      uint64   `json:"seed"`
	Path      string   `json:"path"`
	OpsDone   uint64   `json:"ops_done"`
	ElapsedMS float64  `json:"elapsed_ms"`
	Cancelled bool     `json:"cancelled,omitempty"`
	Failure   *Failure `json:"failure,omitempty"`
}

// Health is /health's answer. Its fields are in alphabetical order: the
// answer was a JSON object built from a map, whose keys encoding/json sorts,
// and the bytes stay the same.
type Health struct {
	Closing    bool     `json:"closing"` // shutting down: no new runs
	MaxRuns    int      `json:"max_runs"`
	OK         bool     `json:"ok"`
	Roots      []string `json:"roots"` // the allowed roots
	RunsActive int64    `json:"runs_active"`
	Version    string   `json:"version"`
}

// ErrorResponse is every answer that runs nothing and is not /health: a
// bad parameter, an unknown path or method, a busy file, too many runs,
// shutting down. ok is always false.
type ErrorResponse struct {
	OK    bool   `json:"ok"`
	Error string `json:"error"`
	Param string `json:"param,omitempty"` // the parameter at fault, when one is
}
