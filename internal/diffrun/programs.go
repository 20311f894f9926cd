package diffrun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/fsx-wasix/fsx-wasix/pkg/diff"
	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

// Outcome is what one program answered on one target: its outcomes, or
// how the process running it broke ("crash: …", "hang: …"); on /data also
// what the host re-read of its kept tree (Host, stream verdicts aside).
type Outcome struct {
	Program *guestapi.DiffProgram
	Broken  string
	Host    []guestapi.DiffEntry // nil: not re-read (native, /tmp)
}

// batchSeq names the scratch directories of batches.
var batchSeq atomic.Int64

// programFile is progs in the program file format, labelled c0, c1, ….
func programFile(progs []fsop.Program) []byte {
	var b []byte
	for i, p := range progs {
		b = diff.AppendProgram(b, fmt.Sprintf("c%d", i), p)
	}
	return b
}

// runBatch runs progs in one guest process on t (--diff-program FILE
// --json) and returns each program's outcomes. A process that breaks
// (crashes, hangs, answers no JSON) is split in halves and each half run
// again, down to single programs, so one program that breaks the runtime
// only costs its own answer: it comes back with Broken set. err is for
// what is not the target's fault (the scratch directory, a cancelled run,
// a kept tree missing). On /data (a runtime's, not native's) the programs
// run with --diff-keep and the host re-reads each one's tree into Host.
func (p *procs) runBatch(ctx context.Context, t Target, scratch string, progs []fsop.Program) ([]Outcome, error) {
	// An empty program (ddmin's last try) does nothing anywhere: it answers
	// alike without running, and the guest refuses a file without programs.
	var idx []int
	var run []fsop.Program
	for i, pr := range progs {
		if len(pr) > 0 {
			idx, run = append(idx, i), append(run, pr)
		}
	}
	if len(run) < len(progs) {
		out := make([]Outcome, len(progs))
		for i := range out {
			out[i].Program = &guestapi.DiffProgram{Index: int64(i)}
		}
		got, err := p.runBatch(ctx, t, scratch, run)
		if err != nil {
			return nil, err
		}
		for j, i := range idx {
			out[i] = got[j]
		}
		return out, nil
	}
	out := make([]Outcome, len(progs))
	if len(progs) == 0 {
		return out, nil
	}
	dir := filepath.Join(scratch, fmt.Sprintf("b%06d-%s", batchSeq.Add(1), t.dirName()))
	if err := os.MkdirAll(filepath.Join(dir, "work"), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "work", programsName), programFile(progs), 0o644); err != nil {
		return nil, err
	}
	keep := t.Runtime != "native" && t.rereads()
	args := guestapi.Diff{Programs: guestWork + "/" + programsName, Keep: keep, JSON: true, Quiet: true, Root: rootFor(t)}.Args()
	r := p.run(ctx, t, dir, args, int64(len(progs)))
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res, ok := decodePrograms(r.stdout)
	if r.err == nil && r.code == 0 && ok && len(res.Programs) == len(progs) {
		for i := range res.Programs {
			out[i].Program = &res.Programs[i]
			if keep {
				host, err := diff.SnapshotTree(diff.KeptPath(hostRoot(dir), int64(i)))
				if err != nil {
					return nil, fmt.Errorf("%s: host re-read of program %d of a program file: its kept tree cannot be re-read (%v; kept in %s)", t.Name(), i, err, dir)
				}
				out[i].Host = diff.APIEntries(host)
			}
		}
		_ = os.RemoveAll(dir)
		return out, nil
	}
	if t.Runtime == "native" {
		return nil, fmt.Errorf("the native guest failed on a program file (%s): %s (log: %s)", r.breakage(), r.lastLine, r.log)
	}
	if len(progs) == 1 {
		out[0].Broken = r.breakage()
		return out, nil
	}
	_ = os.RemoveAll(dir)
	h := len(progs) / 2
	a, err := p.runBatch(ctx, t, scratch, progs[:h])
	if err != nil {
		return nil, err
	}
	b, err := p.runBatch(ctx, t, scratch, progs[h:])
	if err != nil {
		return nil, err
	}
	return append(a, b...), nil
}

func decodePrograms(stdout []byte) (guestapi.DiffProgramsResult, bool) {
	var res guestapi.DiffProgramsResult
	dec := json.NewDecoder(bytes.NewReader(stdout))
	if err := dec.Decode(&res); err != nil || res.Mode != guestapi.ModeDiffProgram {
		return res, false
	}
	return res, true
}

// Signature is how a program's run on a target differs from its native
// run: guestapi.DiffSignature, or the target's breakage; when the runtime
// answered alike, how the host re-read of its kept tree differs from the
// native final snapshot (guestapi.DiffRereadSignature); "" when alike.
func Signature(native, got Outcome) string {
	switch {
	case got.Broken != "":
		return got.Broken
	case native.Program == nil || got.Program == nil:
		return "no outcome"
	}
	if s := guestapi.DiffSignature(native.Program, got.Program); s != "" || got.Host == nil {
		return s
	}
	return guestapi.DiffRereadSignature(treeEntries(native.Program.Final), got.Host)
}

// treeEntries are the entries of a snapshot that a tree on disk holds: all
// but the stream verdicts.
func treeEntries(es []guestapi.DiffEntry) []guestapi.DiffEntry {
	out := make([]guestapi.DiffEntry, 0, len(es))
	for _, e := range es {
		if e.State != "stream" && !strings.HasSuffix(e.Path, " stream") {
			out = append(out, e)
		}
	}
	return out
}

// Explain spells a program's run on a target beside its native run: each
// step with its outcome, the first difference marked with both outcomes.
func Explain(native, got Outcome, indent string) string {
	var b strings.Builder
	if native.Program == nil {
		return indent + "(no native outcome)\n"
	}
	first := -1
	if got.Program != nil {
		for i := range native.Program.Steps {
			if i >= len(got.Program.Steps) {
				break
			}
			e, g := &native.Program.Steps[i], &got.Program.Steps[i]
			if e.Outcome != g.Outcome || snapDiffers(e.Snapshot, g.Snapshot) {
				first = i
				break
			}
		}
	}
	w := 0
	for _, st := range native.Program.Steps {
		w = max(w, len(st.Op)+3)
	}
	for i, st := range native.Program.Steps {
		line := fmt.Sprintf("%sw%d %-*s -> %s", indent, st.Worker, w, st.Op, st.Outcome)
		switch {
		case i == first:
			line = fmt.Sprintf("%sw%d %-*s -> native %s, got %s   <- first difference", indent, st.Worker, w, st.Op, st.Outcome, got.Program.Steps[i].Outcome)
		case got.Broken != "" && i == len(native.Program.Steps)-1:
			line += "   <- " + got.Broken
		}
		b.WriteString(line + "\n")
		if i == first {
			writeSnapDiff(&b, indent+"     ", st.Snapshot, got.Program.Steps[i].Snapshot)
		}
	}
	if first < 0 && got.Program != nil {
		writeSnapDiff(&b, indent+"final ", native.Program.Final, got.Program.Final)
		if got.Host != nil {
			writeSnapDiff(&b, indent+"host re-read ", treeEntries(native.Program.Final), got.Host)
		}
	}
	return b.String()
}

func snapDiffers(a, b []guestapi.DiffEntry) bool {
	if len(a) != len(b) {
		return true
	}
	for i := range a {
		if a[i].Path != b[i].Path || a[i].String() != b[i].String() {
			return true
		}
	}
	return false
}

// writeSnapDiff prints the entries of two snapshots that differ.
func writeSnapDiff(b *strings.Builder, indent string, exp, got []guestapi.DiffEntry) {
	find := func(s []guestapi.DiffEntry, p string) string {
		for i := range s {
			if s[i].Path == p {
				return s[i].String()
			}
		}
		return "missing"
	}
	seen := map[string]bool{}
	for _, e := range exp {
		seen[e.Path] = true
		if g := find(got, e.Path); g != e.String() {
			fmt.Fprintf(b, "%s%s: native %s, got %s\n", indent, e.Path, e.String(), g)
		}
	}
	for _, g := range got {
		if !seen[g.Path] {
			fmt.Fprintf(b, "%s%s: native missing, got %s\n", indent, g.Path, g.String())
		}
	}
}
