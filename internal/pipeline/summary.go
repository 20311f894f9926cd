package pipeline

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
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
	// Groups are the cell's divergences by signature, most cases first:
	// every slice's groups (and the host re-read's) folded into one.
	Groups []Group `json:"groups"`
}

// Group is every divergent case of a cell with one signature: the guest's
// guestapi.OracleGroup summed over the slices, with the example spelled out
// and, unless --no-shortest, the shortest program showing the signature.
type Group struct {
	Signature string `json:"signature"`
	Count     int64  `json:"count"`
	// Known: the signature is listed in --known or --known-dir (its cases are suppressed:
	// reported, not failed); false means new.
	Known   bool  `json:"known"`
	Example int64 `json:"example_case"` // the lowest case of this run with the signature
	// Program is the example case spelled out (steps, expected and actual
	// outcomes, snapshots); "" when it could not be (see the stage lines).
	Program string `json:"program,omitempty"`
	// Shortest is the shortest program showing the signature: the lowest
	// case at the lowest chain length where it appears. Nil with
	// --no-shortest, or when the lower chains could not be run (Row.Note).
	Shortest *Shortest `json:"shortest,omitempty"`
}

// Shortest is where a signature first shows: chain length and case index,
// and that case spelled out. Chain equal to the run's means no shorter
// program shows it (the example of this run).
type Shortest struct {
	Chain   int    `json:"chain"`
	Case    int64  `json:"case"`
	Program string `json:"program,omitempty"`
}

// foldGroups adds one slice's divergence groups (the guest's --json
// summary) to a cell's: counts add up, the lowest example case wins, and a
// signature known in any slice stays known (every slice gets the same
// --known, so they agree).
func foldGroups(dst map[string]*Group, src []guestapi.OracleGroup) {
	for _, g := range src {
		d := dst[g.Signature]
		if d == nil {
			dst[g.Signature] = &Group{Signature: g.Signature, Count: g.Count, Known: g.Suppressed, Example: g.Example}
			continue
		}
		d.Count += g.Count
		d.Known = d.Known || g.Suppressed
		if g.Example < d.Example {
			d.Example = g.Example
		}
	}
}

// joinReread joins one slice's groups from the runtime's own comparison and
// from the host re-read. The re-read compares the two reports again as well
// as the files, so a case both saw is counted by both, under the same
// signature: per signature the larger count and the lower example win, and
// signatures only the host saw (host re-read A: …) are added.
func joinReread(run, reread []guestapi.OracleGroup) []guestapi.OracleGroup {
	out := append([]guestapi.OracleGroup(nil), run...)
	at := make(map[string]int, len(out))
	for i, g := range out {
		at[g.Signature] = i
	}
	for _, g := range reread {
		i, ok := at[g.Signature]
		if !ok {
			at[g.Signature] = len(out)
			out = append(out, g)
			continue
		}
		d := &out[i]
		d.Count = max(d.Count, g.Count)
		d.Example = min(d.Example, g.Example)
		d.Suppressed = d.Suppressed || g.Suppressed
	}
	return out
}

// sortGroups lists a cell's groups as the guest does: most cases first,
// then by signature. Never nil, so --json always has a groups array.
func sortGroups(m map[string]*Group) []Group {
	out := make([]Group, 0, len(m))
	for _, g := range m {
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Signature < out[j].Signature
	})
	return out
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

// WriteDivergences prints, under the table, what diverged in each cell:
// every signature with its case count, whether it is known (--known) or
// new, an example case, and the shortest program showing it — or, when it
// was not looked for, the example spelled out. A program already printed
// for another cell is named rather than repeated.
func (s *Summary) WriteDivergences(w io.Writer) {
	diverged := false
	for _, r := range s.Rows {
		diverged = diverged || len(r.Groups) > 0
	}
	if !diverged {
		return
	}
	fmt.Fprintln(w, "\ndivergences by cell (cases, known = listed in --known or --known-dir / new, signature):")
	shownFor := map[string]string{} // program → the cell it was printed for
	for _, r := range s.Rows {
		if len(r.Groups) == 0 {
			continue
		}
		fmt.Fprintf(w, "%s: %d signature(s), %d divergent case(s)\n", r.Name(), len(r.Groups), r.Divergent)
		for _, g := range r.Groups {
			status := "new"
			if g.Known {
				status = "known"
			}
			fmt.Fprintf(w, "  %8d  %-5s  %s  (e.g. case %d)\n", g.Count, status, g.Signature, g.Example)
			var head, prog string
			switch sh := g.Shortest; {
			case sh == nil:
				head, prog = fmt.Sprintf("case %d:", g.Example), g.Program
			case sh.Chain == s.Chain:
				head, prog = fmt.Sprintf("shortest: chain %d (this run)", sh.Chain), sh.Program
			default:
				head, prog = fmt.Sprintf("shortest: chain %d case %d", sh.Chain, sh.Case), sh.Program
			}
			const indent = "             "
			switch other, seen := shownFor[prog]; {
			case prog == "":
				fmt.Fprintf(w, "%s%s  (program not available: see the warnings above)\n", indent, head)
			case seen:
				fmt.Fprintf(w, "%s%s  (program as for %s above)\n", indent, head, other)
			default:
				shownFor[prog] = r.Name()
				fmt.Fprintf(w, "%s%s\n", indent, head)
				for _, line := range strings.Split(strings.TrimRight(prog, "\n"), "\n") {
					fmt.Fprintf(w, "%s  %s\n", indent, line)
				}
			}
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
