package guestapi

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Modes of the differential results.
const (
	ModeDiff        = "diff"         // --diff: a native or comparing run of generated programs
	ModeDiffProgram = "diff-program" // --diff-program FILE: the programs of a file, with their outcomes
)

// Diff is the differential mode's command line:
//
//	--diff -N PROGRAMS [-S SEED] [-f CONFIG] [--program-start K --program-count N]
//	    [--diff-expected EXP] [--diff-known K] [--diff-output OUT] [--diff-keep] [-q] [-v] [--json] ROOT
//
// and with Programs set, the program-file run the shrinker makes:
//
//	--diff-program FILE [--json] ROOT
//
// With JSON the first prints a DiffSummary on stdout, the second a
// DiffProgramsResult (the human report then goes to stderr).
type Diff struct {
	Count        int64   // -N: programs of the run (0 omits -N: a --diff-program run)
	Seed         *uint64 // -S; nil omits it (the expected transcript's seed, else a random one)
	Config       string  // -f; "" = the default config
	ProgramStart int64   // --program-start
	ProgramCount int64   // --program-count; 0 omits both (the whole run)
	Expected     string  // --diff-expected
	Known        string  // --diff-known
	Output       string  // --diff-output
	Keep         bool    // --diff-keep: leave each program's final tree in ROOT/keep/NNNNNNN
	Programs     string  // --diff-program FILE: run the programs of FILE instead
	Quiet        bool    // -q
	Verbose      bool    // -v
	JSON         bool    // --json
	Root         string  // ROOT: where the case directory is made
}

// Args is the command line (without the program name).
func (d Diff) Args() []string {
	var a []string
	if d.Programs != "" {
		a = append(a, "--diff-program", d.Programs)
	} else {
		a = append(a, "--diff", "-N", strconv.FormatInt(d.Count, 10))
	}
	if d.Seed != nil {
		a = append(a, "-S", strconv.FormatUint(*d.Seed, 10))
	}
	if d.Config != "" {
		a = append(a, "-f", d.Config)
	}
	if d.ProgramCount != 0 {
		a = append(a, "--program-start", strconv.FormatInt(d.ProgramStart, 10), "--program-count", strconv.FormatInt(d.ProgramCount, 10))
	}
	if d.Expected != "" {
		a = append(a, "--diff-expected", d.Expected)
	}
	if d.Known != "" {
		a = append(a, "--diff-known", d.Known)
	}
	if d.Output != "" {
		a = append(a, "--diff-output", d.Output)
	}
	if d.Keep {
		a = append(a, "--diff-keep")
	}
	a = appendCommon(a, d.Quiet, d.Verbose, d.JSON)
	return append(a, d.Root)
}

// DiffEntry is one entry of a snapshot: a file, a directory, or a
// directory handle's stream verdict.
type DiffEntry struct {
	// Path relative to the case directory: "A", "d0/B"; a directory ends in
	// "/" ("d0/"), the root is "."; "h0 stream" is handle h0's verdict.
	Path string `json:"path"`
	// State is "file", "dir", "stream", or the error kind reading it gave.
	State   string   `json:"state"`
	Size    int64    `json:"size,omitempty"`    // a file's size
	Content string   `json:"content,omitempty"` // a file's content digest ("a×32 0x00×16")
	Names   []string `json:"names,omitempty"`   // a directory's sorted names; a stream's verdict
}

// String spells the entry's state: "32 bytes a×32", "dir [A d0]",
// "stream [A -B]", "ENOENT".
func (e DiffEntry) String() string {
	switch e.State {
	case "file":
		if e.Content == "" || e.Content == "empty" {
			return fmt.Sprintf("%d bytes", e.Size)
		}
		return fmt.Sprintf("%d bytes %s", e.Size, e.Content)
	case "dir", "stream":
		return e.State + " [" + strings.Join(e.Names, " ") + "]"
	}
	return e.State
}

// DiffStep is one step of a program with its outcome.
type DiffStep struct {
	Step    int    `json:"step"`
	Worker  int    `json:"worker"`
	Op      string `json:"op"`      // the op in the program-file format, without the worker: "open h0 A RDWR|CREAT"
	Command string `json:"command"` // what a signature calls it: "open RDWR|CREAT", "seek end", "read"
	Class   string `json:"class"`   // "ok" or the error kind
	Outcome string `json:"outcome"` // "ok", "ok(32 a×32)", "EBADF"
	// What a success's value is, for "ok -> ok with other WHAT": count,
	// data, offset, size, names, stream, entries, value.
	What     string      `json:"what,omitempty"`
	Snapshot []DiffEntry `json:"snapshot,omitempty"` // a snapshot step's entries
}

// DiffProgram is one program and what it answered.
type DiffProgram struct {
	Index int64       `json:"index"`           // program k of a run; in a program file, its position from 0
	Label string      `json:"label,omitempty"` // a program file's label ("FILE:LINE" of its first op when it has none)
	Text  string      `json:"text"`            // the program in the program-file format (pkg/diff)
	Steps []DiffStep  `json:"steps"`
	Final []DiffEntry `json:"final"` // the snapshot after the last step
	// Record is the outcomes' encoding in hex: two runs of one program
	// answered alike exactly when their records are equal.
	Record string `json:"record"`
}

// DiffSignature is the signature of the first difference between two runs
// of one program (expected, then got), "" when they answered alike: which
// step (by its command) or snapshot entry first differed, and how —
// "read: EBADF -> EACCES", "open WRONLY|TRUNC: ok -> ENOTCAPABLE",
// "read_dir_batch: ok -> ok with other count", "final snapshot: file other
// content", "snapshot: dir exists -> missing". Names (A, d0/B) are left
// out, so one bug on several names is one group. The guest groups its
// divergences with it and a host-side shrinker can ask "does it still
// diverge the same way" with the same function.
func DiffSignature(exp, got *DiffProgram) string {
	if len(exp.Steps) != len(got.Steps) {
		return fmt.Sprintf("programs differ: %d steps -> %d steps", len(exp.Steps), len(got.Steps))
	}
	for i := range exp.Steps {
		e, g := &exp.Steps[i], &got.Steps[i]
		if e.Snapshot != nil || g.Snapshot != nil {
			if s := snapshotSignature(e.Snapshot, g.Snapshot); s != "" {
				return "snapshot: " + s
			}
		}
		if e.Outcome == g.Outcome {
			continue
		}
		if e.Class != "ok" || g.Class != "ok" {
			return fmt.Sprintf("%s: %s -> %s", e.Command, e.Class, g.Class)
		}
		what := e.What
		if what == "" {
			what = "value"
		}
		return fmt.Sprintf("%s: ok -> ok with other %s", e.Command, what)
	}
	if s := snapshotSignature(exp.Final, got.Final); s != "" {
		return "final snapshot: " + s
	}
	if exp.Record != got.Record {
		return "records differ in encoding only"
	}
	return ""
}

// DiffRereadPrefix starts the signature of a host re-read divergence.
const DiffRereadPrefix = "host re-read: "

// DiffRereadSignature is the signature of a kept tree (--diff-keep) whose
// re-read from the host differs from the program's final snapshot, the
// first difference in the words of a snapshot's — "host re-read: file
// other content", "host re-read: dir exists -> missing" — or "" when they
// agree. final holds no stream verdicts (no file holds them).
func DiffRereadSignature(final, host []DiffEntry) string {
	if s := snapshotSignature(final, host); s != "" {
		return DiffRereadPrefix + s
	}
	return ""
}

// entryKind is what an entry is, from its path: "dir", "stream" or "file".
func entryKind(path string) string {
	switch {
	case path == "." || strings.HasSuffix(path, "/"):
		return "dir"
	case strings.HasSuffix(path, " stream"):
		return "stream"
	}
	return "file"
}

// snapshotSignature is how the first differing entry of two snapshots
// differs ("" when they are alike), entries matched by path in the
// expected order.
func snapshotSignature(exp, got []DiffEntry) string {
	find := func(s []DiffEntry, p string) *DiffEntry {
		for i := range s {
			if s[i].Path == p {
				return &s[i]
			}
		}
		return nil
	}
	for i := range exp {
		e := &exp[i]
		g := find(got, e.Path)
		k := entryKind(e.Path)
		switch {
		case g == nil:
			return k + " exists -> missing"
		case e.State != g.State:
			return fmt.Sprintf("%s %s -> %s", k, e.State, g.State)
		case e.State == "file" && e.Size != g.Size:
			return k + " other length"
		case e.State == "file" && e.Content != g.Content:
			return k + " other content"
		case strings.Join(e.Names, " ") != strings.Join(g.Names, " "):
			return k + " other names"
		}
	}
	for i := range got {
		if find(exp, got[i].Path) == nil {
			return entryKind(got[i].Path) + " missing -> exists"
		}
	}
	return ""
}

// DiffSummary is --diff's --json result on stdout. The human report, on
// stdout without --json and on stderr with it, is rendered from the same
// value (WriteReport).
type DiffSummary struct {
	Mode         string `json:"mode"` // ModeDiff
	Seed         uint64 `json:"seed"`
	Programs     int64  `json:"programs"` // -N: the run's programs
	ProgramStart int64  `json:"program_start"`
	ProgramCount int64  `json:"program_count"`
	SchemaHash   string `json:"schema_hash"`  // catalog + generator + record format + config
	CatalogHash  string `json:"catalog_hash"` // catalog + generator + record format
	LengthMin    int    `json:"length_min"`
	LengthMax    int    `json:"length_max"`
	Root         string `json:"root,omitempty"`
	Output       string `json:"output,omitempty"`
	Platform     string `json:"platform"`
	Runtime      string `json:"runtime"`

	Seconds        float64 `json:"seconds,omitempty"`
	ProgramsPerSec float64 `json:"programs_per_second,omitempty"`
	Steps          int64   `json:"steps"`
	ReportBytes    int64   `json:"report_bytes,omitempty"`
	// AllocBytes is what the run allocated on the Go heap (runtime/metrics),
	// transcript reading and writing included: under wasip1 the collector
	// is off, so it must stay small per program.
	AllocBytes uint64 `json:"alloc_bytes"`
	// CaseDirsAbandoned counts case directories a program left that could
	// not be emptied (a runtime bug its snapshot shows); each later program
	// ran in a fresh one. CaseDirsNote says the first.
	CaseDirsAbandoned int64  `json:"case_dirs_abandoned,omitempty"`
	CaseDirsNote      string `json:"case_dirs_note,omitempty"`
	// Kept is set by --diff-keep: where the programs' final trees are.
	Kept *DiffKept `json:"kept,omitempty"`

	Compared   int64       `json:"compared"`
	Divergent  int64       `json:"divergent"`
	Suppressed int64       `json:"suppressed"`
	Groups     []DiffGroup `json:"groups,omitempty"`
	// First is the first divergent program of each unsuppressed signature,
	// for the first 20 signatures, spelled out.
	First []DiffDivergence `json:"first,omitempty"`
	OK    bool             `json:"ok"`
}

// DiffKept says where a --diff-keep run left each program's final tree
// (ROOT/keep/NNNNNNN, pkg/diff KeptTree), for a host re-read.
type DiffKept struct {
	Dir string `json:"dir"` // ROOT/keep, as the guest named it
	// Divergent are the programs whose records differed from the expected
	// transcript, suppressed ones included (with --diff-expected): their
	// trees are kept too, but only the others' final snapshots are known
	// to be the expected ones, so only they are re-read.
	Divergent []int64 `json:"divergent"`
}

// DiffGroup is every divergent program with one signature.
type DiffGroup struct {
	Signature  string `json:"signature"`
	Count      int64  `json:"count"`
	Suppressed bool   `json:"suppressed"`
	Example    int64  `json:"example_program"`
}

// DiffDivergence is one divergent program spelled out.
type DiffDivergence struct {
	Index      int64  `json:"program"`
	Signature  string `json:"signature"`
	Suppressed bool   `json:"suppressed"`
	Report     string `json:"report"` // every step with its outcome, "expected X  got Y" where they differ
	Text       string `json:"text"`   // the program in the program-file format, for --diff-program and shrinking
}

// Signatures is the divergent programs per signature.
func (s *DiffSummary) Signatures() map[string]int64 {
	m := make(map[string]int64, len(s.Groups))
	for _, g := range s.Groups {
		m[g.Signature] += g.Count
	}
	return m
}

// WriteReport prints the comparison: the counts, the first divergent
// programs, the groups by signature.
func (s *DiffSummary) WriteReport(w io.Writer) {
	fmt.Fprintf(w, "compared %d programs: %d divergent", s.Compared, s.Divergent)
	if s.Suppressed > 0 {
		fmt.Fprintf(w, " (%d suppressed as known)", s.Suppressed)
	}
	fmt.Fprintln(w)
	if len(s.First) > 0 {
		fmt.Fprintf(w, "the first divergent program of each signature (%d):\n", len(s.First))
		for _, d := range s.First {
			fmt.Fprintf(w, "%s\n  signature: %s\n", strings.TrimRight(d.Report, "\n"), d.Signature)
		}
	}
	if len(s.Groups) > 0 {
		fmt.Fprintf(w, "divergences by signature (%d distinct):\n", len(s.Groups))
		for _, g := range s.Groups {
			note := ""
			if g.Suppressed {
				note = "  [suppressed: known]"
			}
			fmt.Fprintf(w, "  %8d  %s  (e.g. program %d)%s\n", g.Count, g.Signature, g.Example, note)
		}
	}
}

// DiffProgramsResult is --diff-program's --json result: every program of
// the file with its outcomes.
type DiffProgramsResult struct {
	Mode        string        `json:"mode"` // ModeDiffProgram
	File        string        `json:"file"`
	CatalogHash string        `json:"catalog_hash"`
	Platform    string        `json:"platform"`
	Runtime     string        `json:"runtime"`
	Seconds     float64       `json:"seconds,omitempty"`
	Programs    []DiffProgram `json:"programs"`
}

// WriteProgram prints one program with its outcomes, as --diff-program
// does: a header line, the steps, the final snapshot.
func (p *DiffProgram) WriteProgram(w io.Writer) {
	label := p.Label
	if label == "" {
		label = strconv.FormatInt(p.Index, 10)
	}
	fmt.Fprintf(w, "program %s  (%d steps)\n", label, len(p.Steps))
	for _, st := range p.Steps {
		fmt.Fprintf(w, "  step %-3d w%d  %s  -> %s\n", st.Step, st.Worker, st.Op, st.Outcome)
		for _, e := range st.Snapshot {
			fmt.Fprintf(w, "             %s  %s\n", e.Path, e.String())
		}
	}
	for _, e := range p.Final {
		fmt.Fprintf(w, "  final  %s  %s\n", e.Path, e.String())
	}
}
