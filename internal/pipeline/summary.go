package pipeline

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Verdicts of a cell. Only VerdictMatch passes; VerdictNotSupported is
// neither a pass nor a failure, and is never shown as a pass.
const (
	VerdictMatch        = "match"
	VerdictDiverged     = "DIVERGED"
	VerdictError        = "ERROR"
	VerdictNotSupported = "not supported"
	VerdictInterrupted  = "interrupted"
)

// Backing says what a cell's volume really was, so an SDK copy is never
// mistaken for coverage of Wasmer's host filesystem layer.
const (
	BackingRuntimeTmp = "runtime's own /tmp"
	BackingHost       = "host-backed"
	BackingCopy       = "in-memory copy"
)

// Row is one runtime × volume cell of the summary.
type Row struct {
	Runtime    string        `json:"runtime"`
	Volume     string        `json:"volume"`  // "/tmp" or "/data"
	Backing    string        `json:"backing"` // see Backing*
	Cases      int64         `json:"cases"`
	Divergent  int64         `json:"divergent"`  // including suppressed
	Suppressed int64         `json:"suppressed"` // known signatures (--known), reported, not failed
	Signatures int           `json:"signatures"`
	Checked    int64         `json:"files_checked,omitempty"` // host re-read snapshots
	Time       time.Duration `json:"-"`
	Seconds    float64       `json:"seconds"`
	Verdict    string        `json:"verdict"`
	Report     string        `json:"report,omitempty"`
	Kept       string        `json:"kept,omitempty"` // case trees kept for inspection
	Note       string        `json:"note,omitempty"`
}

// Name is how messages name the cell: "wasmer-sdk /data".
func (r Row) Name() string { return r.Runtime + " " + r.Volume }

// Summary is the whole run's result.
type Summary struct {
	Chain       int         `json:"chain"`
	Shard       string      `json:"shard,omitempty"`
	CaseStart   int64       `json:"case_start"`
	CaseCount   int64       `json:"case_count"`
	Native      string      `json:"native_report,omitempty"`
	NativeHit   bool        `json:"native_cache_hit"`
	RunDir      string      `json:"run_dir"`
	Rows        []Row       `json:"cells"`
	Stages      []StageTime `json:"stages"`
	Passed      bool        `json:"passed"`
	Interrupted bool        `json:"interrupted,omitempty"`
}

// StageTime is one stage's wall time, for the summary and docs/perf-orchestrator.md.
type StageTime struct {
	Stage   string  `json:"stage"`
	Seconds float64 `json:"seconds"`
}

// Passed is true when every supported cell matched and at least one ran.
func Passed(rows []Row) bool {
	ran := false
	for _, r := range rows {
		switch r.Verdict {
		case VerdictMatch:
			ran = true
		case VerdictNotSupported:
		default:
			return false
		}
	}
	return ran
}

// WriteTable prints the summary table for people.
func (s *Summary) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUNTIME\tVOLUME\tBACKING\tCASES\tDIVERGENT\tSIGNATURES\tTIME\tVERDICT")
	for _, r := range s.Rows {
		cases, div, sig := fmt.Sprint(r.Cases), fmt.Sprint(r.Divergent), fmt.Sprint(r.Signatures)
		if r.Verdict == VerdictNotSupported {
			cases, div, sig = "-", "-", "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Runtime, r.Volume, r.Backing, cases, div, sig, FormatDuration(r.Time), r.Verdict)
	}
	tw.Flush()
	for _, r := range s.Rows {
		if r.Suppressed > 0 {
			fmt.Fprintf(w, "  %s: %d divergent case(s) suppressed as known (--known)\n", r.Name(), r.Suppressed)
		}
		if r.Note != "" {
			fmt.Fprintf(w, "  %s: %s\n", r.Name(), r.Note)
		}
		if r.Kept != "" {
			fmt.Fprintf(w, "  %s: case files kept in %s\n", r.Name(), r.Kept)
		}
	}
}

// WriteJSON prints the same summary for machines.
func (s *Summary) WriteJSON(w io.Writer) error {
	for i := range s.Rows {
		s.Rows[i].Seconds = round3(s.Rows[i].Time.Seconds())
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

// FailedCells names the cells that did not pass, for the final line.
func FailedCells(rows []Row) string {
	var names []string
	for _, r := range rows {
		if r.Verdict != VerdictMatch && r.Verdict != VerdictNotSupported {
			names = append(names, r.Name()+" ("+r.Verdict+")")
		}
	}
	return strings.Join(names, ", ")
}
