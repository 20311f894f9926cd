package oracle

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

// MaxShown is how many divergent cases a report spells out as programs.
const MaxShown = 20

// Comparer compares the records of a run with the expected ones, case by
// case, and groups the divergences by signature: which command (or file
// snapshot) first answered differently and how. Ten thousand divergent
// cases then read as a handful of distinct bugs.
type Comparer struct {
	Chain int
	// Known signatures are runtime bugs already filed: their cases are
	// counted and reported as suppressed, never hidden.
	Known map[string]bool

	Compared   int64
	Divergent  int64 // including suppressed
	Suppressed int64
	HostFiles  int64 // file snapshots checked against the host (verify-files)

	groups map[string]*Group
	shown  []Divergence
	c      Case
}

// Group is all divergent cases with one signature.
type Group struct {
	Signature  string `json:"signature"`
	Count      int64  `json:"count"`
	Suppressed bool   `json:"suppressed"`
	Example    int64  `json:"example_case"`
}

// Divergence is one divergent case spelled out.
type Divergence struct {
	Index      int64  `json:"case"`
	Signature  string `json:"signature"`
	Suppressed bool   `json:"suppressed"`
	Program    string `json:"program"`
}

// NewComparer compares records of chain length chain.
func NewComparer(chain int, known map[string]bool) *Comparer {
	return &Comparer{Chain: chain, Known: known, groups: map[string]*Group{}}
}

// Failed reports an unsuppressed divergence.
func (c *Comparer) Failed() bool { return c.Divergent > c.Suppressed }

// Compare compares one case's records and reports whether they are equal.
func (c *Comparer) Compare(index int64, exp, got []byte) bool {
	c.Compared++
	if bytes.Equal(exp, got) {
		return true
	}
	c.Case(index, exp, got)
	return false
}

// Case records a divergent case (records differ, or a host re-read
// disagreed). host, when not nil, holds host snapshots of A and B that
// replace got's for the comparison (verify-files).
func (c *Comparer) Case(index int64, exp, got []byte, host ...*fsop.Outcome) {
	c.c.Decode(c.Chain, index)
	eo, err1 := DecodeRecord(exp)
	go_, err2 := DecodeRecord(got)
	var sig, prog string
	if err1 != nil || err2 != nil || len(eo) != c.Chain+len(Files) || len(go_) != len(eo) {
		sig = "undecodable record"
		prog = fmt.Sprintf("case %d: expected record %x (%v), got %x (%v)\n", index, exp, err1, got, err2)
	} else {
		if len(host) > 0 {
			sig, prog = c.explainHost(index, eo, go_, host)
		} else {
			sig, prog = c.explain(index, eo, go_, "expected", "got")
		}
	}
	c.add(index, sig, prog)
}

func (c *Comparer) add(index int64, sig, prog string) {
	c.Divergent++
	known := c.Known[sig]
	if known {
		c.Suppressed++
	}
	g := c.groups[sig]
	if g == nil {
		g = &Group{Signature: sig, Suppressed: known, Example: index}
		c.groups[sig] = g
	}
	g.Count++
	if len(c.shown) < MaxShown && !known {
		c.shown = append(c.shown, Divergence{Index: index, Signature: sig, Suppressed: known, Program: prog})
	}
}

// explain spells case index as a program with the expected and actual
// outcomes and returns the signature of its first divergence.
func (c *Comparer) explain(index int64, eo, gotO []fsop.Outcome, expWord, gotWord string) (sig, prog string) {
	var b strings.Builder
	fmt.Fprintf(&b, "case %d  (sequence %d, assignment %d)\n", index, c.c.Sequence, c.c.Assignment)
	hfile := [Handles]int8{-1, -1}
	for i, st := range c.c.Steps {
		e := st.Entry
		cmd := e.Command()
		file := e.File
		hs := "-"
		if e.Handle >= 0 {
			hs = fmt.Sprint(e.Handle)
			if cmd.Op.Kind != fsop.Open {
				file = hfile[e.Handle]
			}
		}
		on := ""
		if file >= 0 {
			on = " on " + Files[file]
		} else if e.Handle >= 0 {
			on = " on -" // the handle is not open
		}
		fmt.Fprintf(&b, "  step %d  worker %d  handle %s  %s%s  -> ", i, st.Worker, hs, cmd.Name, on)
		ex, gt := &eo[i], &gotO[i]
		if equalOutcome(ex, gt) {
			b.WriteString(ex.Format(cmd.Op.Kind) + "\n")
		} else {
			fmt.Fprintf(&b, "%s %s  %s %s\n", expWord, ex.Format(cmd.Op.Kind), gotWord, gt.Format(cmd.Op.Kind))
			if sig == "" {
				// A file-scoped command names its file (C is on another
				// filesystem); a handle's file is context, left to the
				// program, so one bug on A, B and C is one group.
				where := ""
				if e.Handle < 0 && e.File >= 0 || cmd.Op.Kind == fsop.Open {
					where = " on " + Files[e.File]
				}
				sig = fmt.Sprintf("%s%s: %s", cmd.Name, where, changeOf(cmd.Op.Kind, ex, gt))
			}
		}
		// Follow the native truth to know which file a handle is on.
		switch cmd.Op.Kind {
		case fsop.Open:
			if ex.Err == fsop.OK {
				hfile[e.Handle] = e.File
			}
		case fsop.Close:
			hfile[e.Handle] = -1
		}
	}
	for f := range Files {
		ex, gt := &eo[c.Chain+f], &gotO[c.Chain+f]
		if equalOutcome(ex, gt) {
			fmt.Fprintf(&b, "  snapshot %s  %s\n", Files[f], ex.FormatSnapshot())
			continue
		}
		fmt.Fprintf(&b, "  snapshot %s  %s %s  %s %s\n", Files[f], expWord, ex.FormatSnapshot(), gotWord, gt.FormatSnapshot())
		if sig == "" {
			sig = fmt.Sprintf("snapshot %s: %s", Files[f], snapshotChange(ex, gt))
		}
	}
	if sig == "" {
		sig = "records differ in encoding only"
	}
	return sig, b.String()
}

// explainHost spells a case whose files on the host differ from what the
// runtime's own snapshot said.
func (c *Comparer) explainHost(index int64, eo, gotO []fsop.Outcome, host []*fsop.Outcome) (sig, prog string) {
	sig, prog = c.explain(index, eo, gotO, "native", "runtime")
	same := true
	for i := range eo {
		same = same && equalOutcome(&eo[i], &gotO[i])
	}
	if same {
		sig = "" // the reports agree: the host re-read is the divergence
	}
	var b strings.Builder
	b.WriteString(prog)
	for f, h := range host {
		if h == nil {
			continue
		}
		g := &gotO[c.Chain+f]
		if !equalOutcome(g, h) {
			fmt.Fprintf(&b, "  host re-read %s  runtime said %s  host has %s\n", Files[f], g.FormatSnapshot(), h.FormatSnapshot())
			if sig == "" {
				sig = fmt.Sprintf("host re-read %s: %s", Files[f], snapshotChange(g, h))
			}
		}
	}
	return sig, b.String()
}

func equalOutcome(a, b *fsop.Outcome) bool {
	if a.Err != b.Err || a.Value != b.Value || a.Data != b.Data || len(a.Names) != len(b.Names) {
		return false
	}
	for i := range a.Names {
		if a.Names[i] != b.Names[i] {
			return false
		}
	}
	return true
}

// changeOf is the signature's "what changed" for a step: error kinds, or
// for two successes the kind of value that differs.
func changeOf(op fsop.Kind, ex, gt *fsop.Outcome) string {
	cls := func(o *fsop.Outcome) string {
		if o.Err != fsop.OK {
			return o.Err.String()
		}
		return "ok"
	}
	if ex.Err != fsop.OK || gt.Err != fsop.OK {
		return cls(ex) + " -> " + cls(gt)
	}
	what := map[fsop.Kind]string{fsop.Write: "count", fsop.WriteStderr: "count", fsop.Read: "data", fsop.Seek: "offset",
		fsop.Fstat: "size", fsop.Stat: "size", fsop.ReadDir: "names"}[op]
	if what == "" {
		what = "value"
	}
	return "ok -> ok with other " + what
}

func snapshotChange(ex, gt *fsop.Outcome) string {
	cls := func(o *fsop.Outcome) string {
		switch o.Err {
		case fsop.OK:
			return "exists"
		case fsop.ENOENT:
			return "missing"
		}
		return o.Err.String()
	}
	if ex.Err != fsop.OK || gt.Err != fsop.OK {
		return cls(ex) + " -> " + cls(gt)
	}
	if ex.Value != gt.Value {
		return "other length"
	}
	return "other content"
}

// Groups are the divergence groups, most frequent first.
func (c *Comparer) Groups() []Group {
	out := make([]Group, 0, len(c.groups))
	for _, g := range c.groups {
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

// Shown are the first MaxShown unsuppressed divergent cases.
func (c *Comparer) Shown() []Divergence { return c.shown }

// Fill puts the comparison into the contract's summary (pkg/guestapi):
// counts, groups by signature, the first divergent programs, the verdict.
func (c *Comparer) Fill(sum *guestapi.OracleSummary) {
	sum.Compared, sum.Divergent, sum.Suppressed, sum.HostFiles = c.Compared, c.Divergent, c.Suppressed, c.HostFiles
	sum.Groups, sum.First = nil, nil
	for _, g := range c.Groups() {
		sum.Groups = append(sum.Groups, guestapi.OracleGroup{Signature: g.Signature, Count: g.Count, Suppressed: g.Suppressed, Example: g.Example})
	}
	for _, d := range c.Shown() {
		sum.First = append(sum.First, guestapi.OracleDivergence{Index: d.Index, Signature: d.Signature, Suppressed: d.Suppressed, Program: d.Program})
	}
	sum.OK = !c.Failed()
}

// WriteReport prints the divergence report (counts, the first divergent
// programs, the groups by signature), rendered by the contract's summary
// so the guest's words and these are one text.
func (c *Comparer) WriteReport(w io.Writer) {
	var sum guestapi.OracleSummary
	c.Fill(&sum)
	sum.WriteReport(w)
}

// ReadKnown reads a --oracle-known file: one signature per line, exactly
// as reports print them; blank lines and lines starting with # are ignored.
func ReadKnown(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read known signatures: %w", err)
	}
	defer f.Close()
	known := map[string]bool{}
	s := bufio.NewScanner(f)
	for n := 1; s.Scan(); n++ {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		// A signature is printable text "WHAT: HOW" (e.g. "read(zero_bytes):
		// EBADF -> ok"); anything else is not a known-signatures file.
		if !utf8.ValidString(line) || strings.IndexFunc(line, unicode.IsControl) >= 0 || !strings.Contains(line, ": ") {
			return nil, fmt.Errorf("%s:%d: not a divergence signature (want lines like \"read(zero_bytes): EBADF -> ok\", as reports print them)", path, n)
		}
		known[line] = true
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("cannot read known signatures %s: %w", path, err)
	}
	return known, nil
}
