package exerciser

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/fsx-wasix/fsx-wasix/internal/atomicfile"
	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
)

// miscompare fills the failure for bad data the way fsx.c's check_buffers
// prints it: a table of bad runs (OFFSET, GOOD and BAD as 16-bit values,
// RANGE = bytes in the run) and the op number the bad data carries.
func (w *worker) miscompare(buf []byte, off uint64, when string) bool {
	good := w.mod.good[off : off+uint64(len(buf))]
	var b strings.Builder
	ctx := ""
	if when != "" {
		ctx = " (full compare " + when + ")"
	}
	fmt.Fprintf(&b, "READ BAD DATA: offset = 0x%x, size = 0x%x, fname = %s%s\n", off, len(buf), w.path, ctx)
	fmt.Fprintf(&b, "OFFSET\tGOOD\tBAD\tRANGE\n")
	first, nbad, runs := -1, 0, 0
	for i := 0; i < len(buf); {
		if buf[i] == good[i] {
			i++
			continue
		}
		j := i
		for j < len(buf) && buf[j] != good[j] {
			j++
		}
		if first < 0 {
			first = i
		}
		runs++
		nbad += j - i
		if runs <= 16 {
			fmt.Fprintf(&b, "0x%05x\t0x%04x\t0x%04x\t0x%05x\n", off+uint64(i), shortAt(good, i), shortAt(buf, i), j-i)
			w.describeOp(&b, buf, off, i)
		}
		i = j
	}
	if runs > 16 {
		fmt.Fprintf(&b, "... %d more runs\n", runs-16)
	}
	fmt.Fprintf(&b, "0x%x bad bytes in %d runs\n", nbad, runs)
	bad := off + uint64(first)
	w.failf(ExitMiscompare, "data miscompare at offset 0x%x (0x%x bad bytes)%s", bad, nbad, ctx)
	if w.fail.code == ExitMiscompare && w.fail.detail == "" {
		w.fail.detail = b.String()
		w.fail.badOff = int64(bad)
	}
	return false
}

func shortAt(b []byte, i int) uint16 {
	if i+1 < len(b) {
		return uint16(b[i])<<8 | uint16(b[i+1])
	}
	return uint16(b[i]) << 8
}

// describeOp names the op that wrote the bad byte at buf[i]: even offsets
// hold the op number mod 256; odd ones hold it plus the original byte.
func (w *worker) describeOp(b *strings.Builder, buf []byte, off uint64, i int) {
	abs := off + uint64(i)
	var opb byte
	switch {
	case abs%2 == 0:
		opb = buf[i]
	case i+1 < len(buf):
		opb = buf[i+1]
	default:
		opb = buf[i] - w.orig[abs]
	}
	if opb == 0 {
		fmt.Fprintf(b, "operation# (mod 256) for the bad data unknown, check HOLE and EXTEND ops\n")
		return
	}
	fmt.Fprintf(b, "operation# (mod 256) for the bad data may be %d", opb)
	var cands []string
	ents := w.log.entries()
	for k := len(ents) - 1; k >= 0 && len(cands) < 4; k-- {
		e := ents[k]
		if (e.op.Kind.Writes()) && e.flags&flagSkipped == 0 && byte(e.num) == opb {
			cover := ""
			if abs >= e.op.Offset && abs < e.op.Offset+e.op.Size {
				cover = ", covers it"
			}
			cands = append(cands, fmt.Sprintf("op %d %s 0x%x thru 0x%x%s", e.num, strings.ToUpper(e.op.Kind.String()), e.op.Offset, e.op.Offset+e.op.Size-1, cover))
		}
	}
	if len(cands) > 0 {
		fmt.Fprintf(b, ": %s", strings.Join(cands, "; "))
	}
	b.WriteString("\n")
}

// report prints the failure, saves the artifacts and returns the Failure.
func (w *worker) report() *Failure {
	fl := w.fail
	if fl == nil { // cannot happen: every false path calls failf
		fl = &failure{code: ExitInternal, op: w.op, summary: "unknown failure", badOff: -1}
	}
	dir := w.artDir
	name := filepath.Join(dir, w.artName)
	var b strings.Builder
	who := ""
	if w.opts.Threads > 1 {
		who = fmt.Sprintf(" worker %d", w.id)
	}
	fmt.Fprintf(&b, "%s%s (%s) at op %d: %s\n", w.colored("FAILED", colorRed), who, w.path, fl.op, fl.summary)
	if w.injected > 0 {
		fmt.Fprintf(&b, "(op %d was injected with --inject %d: applied to the model only)\n", w.injected, w.inject)
	}
	b.WriteString(fl.detail)
	w.logDump(&b, fl.badOff)
	fmt.Fprintf(&b, "Using seed %d\n", w.seed)

	cfgPath := w.opts.ConfigPath
	var saveErrs []string
	save := func(path string, data []byte) bool {
		if w.opts.NoArtifacts {
			return false
		}
		if err := writeFileAtomic(path, data); err != nil {
			saveErrs = append(saveErrs, err.Error())
			return false
		}
		return true
	}
	if save(name+".fsxgood", w.mod.good[:w.mod.size]) {
		fmt.Fprintf(&b, "Correct content saved for comparison\n(maybe hexdump %q vs %q)\n", w.path, name+".fsxgood")
	}
	opsSaved := !w.opts.NoArtifacts && save(name+".fsxops", w.opsFile(fl.badOff))
	if opsSaved {
		fmt.Fprintf(&b, "Log of operations saved to %q\n", name+".fsxops")
	}
	if cfgPath == "" && !w.opts.NoArtifacts {
		cfgPath = name + ".fsxconfig.toml"
		save(cfgPath, w.cfg.TOML())
	}
	replay := w.replayCommand(cfgPath, fl)
	fmt.Fprintf(&b, "Replay this worker alone (expect exit code %d at op %d):\n  %s\n", fl.code, fl.op, replay)
	replayOps, opsFile := "", ""
	if opsSaved {
		opsFile = name + ".fsxops"
		replayOps = w.replayOpsCommand(cfgPath, name+".fsxops")
		fmt.Fprintf(&b, "or run exactly the saved ops, no random choice:\n  %s\n", replayOps)
	}
	if !w.opts.NoArtifacts {
		fmt.Fprintf(&b, "Everything printed is saved to %q\n", name+".fsxlog")
	}
	for _, e := range saveErrs {
		fmt.Fprintf(&b, "could not save an artifact: %s\n", e)
	}
	text := b.String()
	w.emit([]byte(text))
	log := w.printed
	if w.printedDropped {
		log = append([]byte("... (older lines dropped)\n"), log...)
	}
	if !w.opts.NoArtifacts && !save(name+".fsxlog", log) {
		// The line above promised the log; say at once that it is not there.
		w.emit([]byte(fmt.Sprintf("could not save an artifact: %s\n", saveErrs[len(saveErrs)-1])))
	}
	return &Failure{
		Code:    fl.code,
		Op:      fl.op,
		Summary: strings.TrimPrefix(fmt.Sprintf("%s at op %d: %s", strings.TrimSpace(who), fl.op, fl.summary), " "),
		Report:  text,
		Replay:  replay,

		ReplayOps: replayOps,
		OpsFile:   opsFile,
	}
}

// logDump prints the op ring as fsx.c's logdump does, with HOLE/EXTEND and
// the marks of ops that touch the first bad byte.
func (w *worker) logDump(b *strings.Builder, badOff int64) {
	ents := w.log.entries()
	fmt.Fprintf(b, "LOG DUMP (%d total operations):\n", w.log.count)
	for _, e := range ents {
		fmt.Fprintf(b, "%d(%3d mod 256): ", e.num, e.num%256)
		over := overlaps(e, badOff)
		switch {
		case e.flags&flagSkipped != 0:
			fmt.Fprintf(b, "SKIPPED (%s, no operation)", e.op.Kind)
		case e.op.Kind.Reads():
			fmt.Fprintf(b, "%-8s 0x%x thru 0x%x\t(0x%x bytes)", strings.ToUpper(e.op.Kind.String()), e.op.Offset, e.op.Offset+e.op.Size-1, e.op.Size)
			if over {
				b.WriteString("\t***RRRR***")
			}
		case e.op.Kind.Writes():
			fmt.Fprintf(b, "%-8s 0x%x thru 0x%x\t(0x%x bytes)", strings.ToUpper(e.op.Kind.String()), e.op.Offset, e.op.Offset+e.op.Size-1, e.op.Size)
			if e.op.Offset > e.oldSize {
				b.WriteString(" HOLE")
			} else if e.op.Offset+e.op.Size > e.oldSize {
				b.WriteString(" EXTEND")
			}
			if over {
				b.WriteString("\t***WWWW")
			}
		case e.op.Kind == fsop.Truncate:
			dir := "UP"
			if e.op.Size < e.oldSize {
				dir = "DOWN"
			}
			fmt.Fprintf(b, "TRUNCATE %s\tfrom 0x%x to 0x%x", dir, e.oldSize, e.op.Size)
			if over {
				b.WriteString("\t******WWWW")
			}
		case e.op.Kind == fsop.CloseOpen:
			b.WriteString("CLOSE/OPEN")
		default:
			b.WriteString(strings.ToUpper(e.op.Kind.String()))
		}
		if e.flags&flagInjected != 0 {
			b.WriteString("\t[INJECTED: model only]")
		}
		b.WriteString("\n")
	}
}

func overlaps(e logEntry, badOff int64) bool {
	return overlapsOp(e.op, e.oldSize, e.flags&flagSkipped != 0, badOff)
}

func overlapsOp(op fsop.Op, oldSize uint64, skipped bool, badOff int64) bool {
	if badOff < 0 || skipped {
		return false
	}
	x := uint64(badOff)
	switch op.Kind {
	case fsop.Read, fsop.MapRead:
		return x >= op.Offset && x < op.Offset+op.Size
	case fsop.Write, fsop.MapWrite:
		// a write past EOF also zero-fills the hole before it
		return (x >= op.Offset || x >= oldSize) && x < op.Offset+op.Size
	case fsop.Truncate:
		return x >= min(op.Size, oldSize) && x < max(op.Size, oldSize)
	}
	return false
}

// opsFile is the .fsxops artifact: the whole program up to the failing op
// (see program) when it is not absurdly long, else the op log, with the
// seed in the header so --replay-ops can run it.
func (w *worker) opsFile(badOff int64) []byte {
	var ents []fsop.Entry
	whole := false
	if w.op <= maxProgram {
		ents, whole = w.program(w.op)
	}
	if !whole {
		for _, e := range w.log.entries() {
			ents = append(ents, fsop.Entry{Op: e.op, FileSize: e.oldSize,
				Skipped: e.flags&flagSkipped != 0, Injected: e.flags&flagInjected != 0})
		}
	}
	first := int64(1)
	if !whole {
		first = w.op - int64(len(ents)) + 1
	}
	b := fsop.AppendHeader(nil, fsop.Header{Seed: w.seed, HasSeed: true, File: w.path, First: first, Last: first + int64(len(ents)) - 1})
	if !whole {
		b = append(b, "# only the newest ops: replay the whole run from the seed (-S) instead\n"...)
	}
	for _, e := range ents {
		e.Overlap = overlapsOp(e.Op, e.FileSize, e.Skipped, badOff)
		b = fsop.AppendEntry(b, e)
	}
	return b
}

// replayCommand is the command line that runs this worker alone, up to the
// failing op, with the same seed, config and injection.
func (w *worker) replayCommand(cfgPath string, fl *failure) string {
	prog := w.opts.ReplayCmd
	if prog == "" {
		prog = "fsx-wasix"
	}
	args := []string{prog, "-f", cfgPath, "-N", strconv.FormatInt(fl.op, 10), "-S", strconv.FormatUint(w.seed, 10), "-j", "1"}
	if w.inject > 0 {
		args = append(args, "--inject", strconv.FormatInt(w.inject, 10))
	}
	if w.opts.ArtifactDir != "" {
		args = append(args, "-P", w.opts.ArtifactDir)
	}
	args = append(args, w.path)
	for i := 1; i < len(args); i++ {
		args[i] = shellQuote(args[i])
	}
	return strings.Join(args, " ")
}

// replayOpsCommand runs the .fsxops artifact with --replay-ops: the same
// ops from an empty file, judged the same way (the seed makes the data).
func (w *worker) replayOpsCommand(cfgPath, opsPath string) string {
	prog := w.opts.ReplayCmd
	if prog == "" {
		prog = "fsx-wasix"
	}
	args := []string{"-f", cfgPath, "--replay-ops", opsPath, "-S", strconv.FormatUint(w.seed, 10), "-j", "1"}
	if w.opts.ArtifactDir != "" {
		args = append(args, "-P", w.opts.ArtifactDir)
	}
	args = append(args, w.path)
	for i := range args {
		args[i] = shellQuote(args[i])
	}
	return prog + " " + strings.Join(args, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=+,@", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// writeFileAtomic writes through internal/atomicfile (temp file, sync,
// rename), so a reader never sees half an artifact.
func writeFileAtomic(path string, data []byte) error { return atomicfile.WriteFile(path, data) }
