package diff

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

// A record is a msgpack array: one element per step, then the final
// snapshot. A step's element is its fsop outcome (fsop.Outcome.Append), or
// for a snapshot step a snapshot. A snapshot is a flat array
// [path, state, path, state, …] whose states are fsop outcomes: -errno;
// [size, run…] or [size, bin8 hash] for a file; [n, name…] for a
// directory or a stream verdict. Which elements are snapshots follows from
// the program, which both sides know.

// Entry is one decoded snapshot entry.
type Entry struct {
	Path string
	O    fsop.Outcome
}

// Decoded is a record taken apart.
type Decoded struct {
	Steps []fsop.Outcome
	Snaps [][]Entry // a snapshot step's entries, by step (nil for other steps)
	Final []Entry
}

// DecodeRecord takes the record of prog apart.
func DecodeRecord(rec []byte, prog fsop.Program) (*Decoded, error) {
	d := &Decoded{}
	return d, d.decode(rec, prog)
}

// decode takes the record of prog apart into d, reusing d's memory.
func (d *Decoded) decode(rec []byte, prog fsop.Program) error {
	dec := msgpack.NewDecoder(bytes.NewReader(rec))
	n, err := dec.DecodeArrayLen()
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	if n != len(prog)+1 {
		return fmt.Errorf("record: %d elements for a program of %d steps", n, len(prog))
	}
	d.Steps = resize(d.Steps, len(prog))
	for len(d.Snaps) < len(prog) {
		d.Snaps = append(d.Snaps, nil)
	}
	d.Snaps = d.Snaps[:len(prog)]
	for i := range prog {
		if prog[i].Op.Kind == fsop.Snapshot {
			if d.Snaps[i], err = decodeSnap(dec, d.Snaps[i]); err != nil {
				return fmt.Errorf("record step %d: %w", i, err)
			}
			continue
		}
		d.Snaps[i] = nil
		if err := fsop.DecodeOutcome(dec, &d.Steps[i]); err != nil {
			return fmt.Errorf("record step %d: %w", i, err)
		}
	}
	if d.Final, err = decodeSnap(dec, d.Final); err != nil {
		return fmt.Errorf("record final snapshot: %w", err)
	}
	return nil
}

// resize is s with n emptied outcomes, reusing s's memory and names.
func resize(s []fsop.Outcome, n int) []fsop.Outcome {
	for len(s) < n {
		s = append(s, fsop.Outcome{})
	}
	s = s[:n]
	for i := range s {
		s[i] = fsop.Outcome{Names: s[i].Names[:0]}
	}
	return s
}

func decodeSnap(d *msgpack.Decoder, es []Entry) ([]Entry, error) {
	n, err := d.DecodeArrayLen()
	if err != nil {
		return es, err
	}
	if n < 0 || n%2 != 0 || n > 2*(maxSnapshot+1+Handles) {
		return es, fmt.Errorf("snapshot of %d elements", n)
	}
	for len(es) < n/2 {
		es = append(es, Entry{})
	}
	es = es[:n/2]
	for i := range es {
		es[i].O = fsop.Outcome{Names: es[i].O.Names[:0]}
		if es[i].Path, err = d.DecodeString(); err != nil {
			return es, err
		}
		if err := fsop.DecodeOutcome(d, &es[i].O); err != nil {
			return es, err
		}
	}
	return es, nil
}

// FormatOutcome spells the outcome of an op of kind k: "ok", "ok(32)",
// "ok(32 a×32)", "ok(dir)", "ok(~)" (an unspecified batch count),
// "ok([A B])", "ok(stream [A -B])", or the error kind. ok(~) is an
// unspecified batch count, or a seek on a directory handle (not issued).
func FormatOutcome(k fsop.Kind, o *fsop.Outcome) string {
	if o.Err != fsop.OK {
		return o.Err.String()
	}
	if o.Value >= ValueNegative && o.Value < 2*ValueNegative {
		return fmt.Sprintf("ok(-%d)", o.Value-ValueNegative)
	}
	switch k {
	case fsop.Read, fsop.MapRead:
		if o.Value == 0 && o.Data.N == 0 && !o.Data.Hashed {
			return "ok(0)"
		}
		return fmt.Sprintf("ok(%d %s)", o.Value, o.Data.String())
	case fsop.ReadDir:
		return "ok([" + strings.Join(o.Names, " ") + "])"
	case fsop.Open, fsop.Close:
		if o.Shape != fsop.ShapeScalar { // a stream's verdict, maybe empty
			return "ok(stream [" + strings.Join(o.Names, " ") + "])"
		}
		return "ok"
	case fsop.Fstat, fsop.Stat:
		if o.Value == ValueDir {
			return "ok(dir)"
		}
	case fsop.ReadDirBatch, fsop.Seek:
		if o.Value == ValueUnspecified {
			return "ok(~)"
		}
	case fsop.Delete, fsop.Rename, fsop.Link, fsop.Mkdir, fsop.Rmdir, fsop.Truncate, fsop.Fsync, fsop.Fdatasync, fsop.Snapshot:
		if o.Value == 0 {
			return "ok"
		}
	}
	return fmt.Sprintf("ok(%d)", o.Value)
}

// whatOf is what a success's value is, for a signature's "other WHAT".
func whatOf(k fsop.Kind) string {
	switch k {
	case fsop.Read, fsop.MapRead:
		return "data"
	case fsop.Write, fsop.MapWrite, fsop.ReadDirBatch:
		return "count"
	case fsop.Seek:
		return "offset"
	case fsop.Fstat, fsop.Stat:
		return "size"
	case fsop.ReadDir:
		return "names"
	case fsop.Open, fsop.Close:
		return "stream"
	case fsop.RemoveAll:
		return "entries"
	}
	return "value"
}

// Command is what a signature calls op: its kind, with the open flags or
// the seek origin, which decide the answer, and "0" for I/O of zero bytes
// (POSIX lets it skip the checks other sizes get); names and other sizes
// are left out.
func Command(op *fsop.Op) string {
	switch op.Kind {
	case fsop.Read, fsop.Write, fsop.MapRead, fsop.MapWrite:
		if op.Size == 0 {
			return op.Kind.String() + " 0"
		}
	case fsop.Open:
		return "open " + FormatFlags(op.Flags)
	case fsop.Seek:
		if int(op.Whence) < len(whenceNames) {
			return "seek " + whenceNames[op.Whence]
		}
	}
	return op.Kind.String()
}

// APIEntries are decoded snapshot entries in the contract's form.
func APIEntries(es []Entry) []guestapi.DiffEntry {
	out := make([]guestapi.DiffEntry, len(es))
	for i := range es {
		e, o := &es[i], &es[i].O
		a := guestapi.DiffEntry{Path: e.Path}
		switch {
		case o.Err != fsop.OK:
			a.State = o.Err.String()
		case strings.HasSuffix(e.Path, " stream"):
			a.State, a.Names = "stream", o.Names
		case e.Path == "." || strings.HasSuffix(e.Path, "/"):
			a.State, a.Names = "dir", o.Names
		default:
			a.State, a.Size, a.Content = "file", o.Value, o.Data.String()
		}
		if a.Names == nil && a.State != "file" && o.Err == fsop.OK {
			a.Names = []string{}
		}
		out[i] = a
	}
	return out
}

// APIProgram is program prog with its record, in the contract's form.
// An undecodable record gives a program whose steps say so.
func APIProgram(index int64, label string, prog fsop.Program, rec []byte) guestapi.DiffProgram {
	p := guestapi.DiffProgram{Index: index, Label: label, Text: string(AppendProgram(nil, "", prog)), Record: hex.EncodeToString(rec)}
	dec, err := DecodeRecord(rec, prog)
	for i := range prog {
		p.Steps = append(p.Steps, apiStep(prog, i, dec, err))
	}
	p.Final = []guestapi.DiffEntry{}
	if err == nil {
		p.Final = APIEntries(dec.Final)
	}
	return p
}

// apiStep is step i of prog with its outcome from dec.
func apiStep(prog fsop.Program, i int, dec *Decoded, err error) guestapi.DiffStep {
	op := &prog[i].Op
	st := guestapi.DiffStep{Step: i, Worker: prog[i].Worker, Op: FormatOp(op), Command: Command(op)}
	switch {
	case err != nil:
		st.Class, st.Outcome = "undecodable", "undecodable record: "+err.Error()
	case op.Kind == fsop.Snapshot:
		st.Class, st.Outcome, st.What = "ok", "ok", "entries"
		st.Snapshot = APIEntries(dec.Snaps[i])
	default:
		o := &dec.Steps[i]
		st.Class, st.Outcome = "ok", FormatOutcome(op.Kind, o)
		if o.Err != fsop.OK {
			st.Class = o.Err.String()
		} else {
			st.What = whatOf(op.Kind)
		}
	}
	return st
}

// Explain spells a divergent program: every step with its outcome, and
// "expected X  got Y" where the two runs differ, then the final snapshot
// likewise. header is its first line.
func Explain(header string, exp, got *guestapi.DiffProgram) string {
	var b strings.Builder
	b.WriteString(header + "\n")
	for i := range exp.Steps {
		e := &exp.Steps[i]
		var g *guestapi.DiffStep
		if i < len(got.Steps) {
			g = &got.Steps[i]
		}
		fmt.Fprintf(&b, "  step %-3d w%d  %s  -> ", e.Step, e.Worker, e.Op)
		if g == nil || g.Outcome == e.Outcome {
			b.WriteString(e.Outcome + "\n")
		} else {
			fmt.Fprintf(&b, "expected %s  got %s\n", e.Outcome, g.Outcome)
		}
		if e.Snapshot != nil {
			var gs []guestapi.DiffEntry
			if g != nil {
				gs = g.Snapshot
			}
			explainEntries(&b, "             ", e.Snapshot, gs)
		}
	}
	explainEntries(&b, "  final  ", exp.Final, got.Final)
	return b.String()
}

func explainEntries(b *strings.Builder, indent string, exp, got []guestapi.DiffEntry) {
	seen := map[string]bool{}
	for _, e := range exp {
		seen[e.Path] = true
		var g *guestapi.DiffEntry
		for i := range got {
			if got[i].Path == e.Path {
				g = &got[i]
			}
		}
		switch {
		case g == nil:
			fmt.Fprintf(b, "%s%s  expected %s  got missing\n", indent, e.Path, e.String())
		case g.String() != e.String():
			fmt.Fprintf(b, "%s%s  expected %s  got %s\n", indent, e.Path, e.String(), g.String())
		default:
			fmt.Fprintf(b, "%s%s  %s\n", indent, e.Path, e.String())
		}
	}
	for _, g := range got {
		if !seen[g.Path] {
			fmt.Fprintf(b, "%s%s  expected missing  got %s\n", indent, g.Path, g.String())
		}
	}
}

// EncodeRecord is DecodeRecord's inverse: the bytes the executor wrote for
// d (tests use it to plant a divergence in a transcript).
func EncodeRecord(d *Decoded, prog fsop.Program) []byte {
	b := fsop.AppendArray(nil, len(prog)+1)
	for i := range prog {
		if prog[i].Op.Kind == fsop.Snapshot {
			b = encodeSnap(b, d.Snaps[i])
			continue
		}
		b = d.Steps[i].Append(b)
	}
	return encodeSnap(b, d.Final)
}

func encodeSnap(b []byte, es []Entry) []byte {
	b = fsop.AppendArray(b, 2*len(es))
	for i := range es {
		b = appendStr(b, []byte(es[i].Path))
		b = es[i].O.Append(b)
	}
	return b
}
