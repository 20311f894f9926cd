package diff

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

// MaxShown is how many divergent programs a report spells out: the first
// program of each signature, for the first MaxShown signatures (programs
// are long, so one example per bug reads better than twenty of one).
const MaxShown = 20

// Comparer compares a run's records with the expected ones program by
// program and groups the divergences by signature (guestapi.DiffSignature:
// the first step or snapshot entry that answered differently, and how).
// Equal bytes are equal outcomes, so only divergent programs are decoded.
type Comparer struct {
	Seed  uint64
	Known map[string]bool // signatures reported as suppressed, never hidden

	Compared, Divergent, Suppressed int64

	groups map[string]*guestapi.DiffGroup
	shown  []guestapi.DiffDivergence
	de, dg Decoded // reused for signatures
}

// NewComparer compares programs of seed.
func NewComparer(seed uint64, known map[string]bool) *Comparer {
	return &Comparer{Seed: seed, Known: known, groups: map[string]*guestapi.DiffGroup{}}
}

// Failed reports an unsuppressed divergence.
func (c *Comparer) Failed() bool { return c.Divergent > c.Suppressed }

// Compare compares program k's records and reports whether they are equal.
// A divergent program costs a decoding into reused buffers and the
// spelling of its first differing step (allocation stays small under
// wasip1, where nothing is collected); only the first MaxShown are spelled
// out whole.
func (c *Comparer) Compare(k int64, prog fsop.Program, exp, got []byte) bool {
	c.Compared++
	if bytes.Equal(exp, got) {
		return true
	}
	sig := c.signature(prog, exp, got)
	if len(c.shown) >= MaxShown || c.Known[sig] || c.groups[sig] != nil {
		c.add(k, sig, "", "")
		return false
	}
	ep := APIProgram(k, "", prog, exp)
	gp := APIProgram(k, "", prog, got)
	header := fmt.Sprintf("program %d  (seed %d, %d steps)", k, c.Seed, len(prog))
	c.add(k, sig, Explain(header, &ep, &gp), ep.Text)
	return false
}

// signature is guestapi.DiffSignature of the two records, computed from
// the first step (or final snapshot) whose outcomes differ alone.
func (c *Comparer) signature(prog fsop.Program, exp, got []byte) string {
	err1 := c.de.decode(exp, prog)
	err2 := c.dg.decode(got, prog)
	if err1 != nil || err2 != nil {
		return "undecodable record"
	}
	for i := range prog {
		if prog[i].Op.Kind == fsop.Snapshot && equalEntries(c.de.Snaps[i], c.dg.Snaps[i]) ||
			prog[i].Op.Kind != fsop.Snapshot && equalOutcome(&c.de.Steps[i], &c.dg.Steps[i]) {
			continue
		}
		e := guestapi.DiffProgram{Steps: []guestapi.DiffStep{apiStep(prog, i, &c.de, nil)}}
		g := guestapi.DiffProgram{Steps: []guestapi.DiffStep{apiStep(prog, i, &c.dg, nil)}}
		if s := guestapi.DiffSignature(&e, &g); s != "" {
			return s
		}
	}
	if !equalEntries(c.de.Final, c.dg.Final) {
		e := guestapi.DiffProgram{Final: APIEntries(c.de.Final)}
		g := guestapi.DiffProgram{Final: APIEntries(c.dg.Final)}
		if s := guestapi.DiffSignature(&e, &g); s != "" {
			return s
		}
	}
	return "records differ in encoding only"
}

func equalOutcome(a, b *fsop.Outcome) bool {
	if a.Err != b.Err || a.Value != b.Value || a.Data != b.Data || len(a.Names) != len(b.Names) ||
		(a.Shape == fsop.ShapeScalar) != (b.Shape == fsop.ShapeScalar) {
		return false
	}
	for i := range a.Names {
		if a.Names[i] != b.Names[i] {
			return false
		}
	}
	return true
}

func equalEntries(a, b []Entry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Path != b[i].Path || !equalOutcome(&a[i].O, &b[i].O) {
			return false
		}
	}
	return true
}

func (c *Comparer) add(k int64, sig, report, text string) {
	c.Divergent++
	known := c.Known[sig]
	if known {
		c.Suppressed++
	}
	g := c.groups[sig]
	if g == nil {
		g = &guestapi.DiffGroup{Signature: sig, Suppressed: known, Example: k}
		c.groups[sig] = g
	}
	g.Count++
	if report != "" {
		c.shown = append(c.shown, guestapi.DiffDivergence{Index: k, Signature: sig, Report: report, Text: text})
	}
}

// Groups are the divergence groups, most frequent first.
func (c *Comparer) Groups() []guestapi.DiffGroup {
	out := make([]guestapi.DiffGroup, 0, len(c.groups))
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

// Shown are the first program of each unsuppressed signature, for the first MaxShown signatures.
func (c *Comparer) Shown() []guestapi.DiffDivergence { return c.shown }

// Fill copies the comparison into a summary.
func (c *Comparer) Fill(s *guestapi.DiffSummary) {
	s.Compared, s.Divergent, s.Suppressed = c.Compared, c.Divergent, c.Suppressed
	s.Groups, s.First = c.Groups(), c.shown
	s.OK = !c.Failed()
}

// ReadKnown reads a --diff-known file: one signature per line, exactly as
// reports print them; blank lines and lines starting with # are ignored.
func ReadKnown(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read known signatures: %w", err)
	}
	defer f.Close()
	known := map[string]bool{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		known[line] = true
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("cannot read known signatures %s: %w", path, err)
	}
	return known, nil
}
