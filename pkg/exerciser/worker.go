package exerciser

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"time"

	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
)

// yieldEvery is how often (in ops) a worker checks for cancellation and
// yields: on wasip1 all workers share one thread, so this is what makes them
// interleave.
const yieldEvery = 256

// progressEvery is how often (in ops) a worker counts its ops into the
// progress meter, which then reads the clock: the only way progress is
// driven (no timer goroutine; see internal/progress).
const progressEvery = 256

// worker is one exerciser: one file, one seed. Its parts each have one
// job: src chooses ops (gen.go), mod is what the file must hold (model.go),
// file is the real file (target.go), log keeps the last ops (ops.go), and
// step, with the two judges, is the loop. Everything the loop touches is
// allocated in newWorker: a step must not allocate (under the Wasmer SDK a
// Go guest hangs once the garbage collector runs).
type worker struct {
	id      int // from 1
	seed    uint64
	path    string
	artDir  string
	artName string
	opts    *Options
	cfg     Config

	src  source
	mod  model
	file target
	orig []byte // the random pattern writes mix in (fsx's original buffer)
	tmp  []byte // read and write buffer, also the chunk for full compares

	op             int64 // number of the current op, from 1
	numOps         int64
	progEvery      int64 // count ops into the progress meter every this many
	log            opLog
	rec            *recorder // --record-ops; nil when off
	inject         int64     // op from which to inject (0: off)
	injected       int64     // op that was injected (0: none yet)
	injectDetected bool

	out            *syncWriter
	line           []byte // one log line, reused
	printed        []byte // what this worker printed, for .fsxlog; bounded
	printedDropped bool
	trace          bool
	traceFrom      int64
	monitor        bool
	monFrom, monTo uint64

	fail *failure
}

// failure is the first failed check of a worker.
type failure struct {
	code    int
	op      int64
	summary string
	detail  string
	badOff  int64 // first bad byte for LOG DUMP marks; -1 unknown
}

const printedCap = 1 << 20

func newWorker(id int, seed uint64, path string, opts *Options, fs FS, out *syncWriter) *worker {
	c := opts.Config
	w := &worker{
		id: id, seed: seed, path: path, opts: opts, cfg: c, out: out,
		src:       newSource(seed, c, opts.Replay),
		mod:       newModel(c.FileLen),
		file:      target{fs: fs, path: path},
		numOps:    opts.NumOps,
		progEvery: progressEvery,
		inject:    opts.Inject,
		line:      make([]byte, 0, 256),
		trace:     opts.Verbosity > 0 || opts.LogStart > 0,
		traceFrom: opts.LogStart,
		monitor:   opts.Monitor != [2]uint64{},
		monFrom:   opts.Monitor[0],
		monTo:     opts.Monitor[1],
	}
	if opts.Replay != nil {
		w.numOps = int64(len(opts.Replay))
	}
	w.orig = buffers.get(c.FileLen)
	fillRandom(&w.src.rng, w.orig)
	// The buffer doubles as the full-compare chunk, so give it at least
	// 256 KiB (capped at flen) even when ops are tiny.
	w.tmp = buffers.get(min(c.FileLen, max(w.src.opMax, 256<<10)))
	pc := 16 << 10
	if w.trace || w.monitor {
		pc = printedCap
	}
	w.printed = make([]byte, 0, pc)
	return w
}

// run is the loop: pick, do, judge, until -N ops, a failure or ctx.
func (w *worker) run(ctx context.Context) WorkerResult {
	start := time.Now()
	res := WorkerResult{Worker: w.id, Seed: w.seed, Path: w.path}
	ok := true
	for w.numOps < 0 || w.op < w.numOps {
		if w.op%yieldEvery == 0 {
			if ctx.Err() != nil {
				res.Cancelled = true
				break
			}
			runtime.Gosched()
		}
		if ok = w.step(); !ok {
			break
		}
	}
	if ok && !res.Cancelled {
		ok = w.fullCompare("at the end of the run")
	}
	if w.file.f != nil {
		err := w.file.f.Close()
		w.file.f = nil
		if ok && !res.Cancelled && err != nil {
			ok = w.failf(ExitFinalClose, "close at the end of the run: %v", err)
		}
	}
	if w.rec != nil {
		if err := w.rec.close(); err != nil {
			w.printf("%srecord-ops: %v (the record is incomplete)\n", w.prefix(), err)
		}
		w.rec = nil
	}
	res.OpsDone = uint64(w.op)
	res.Elapsed = time.Since(start)
	switch {
	case !ok:
		w.mod.materialize()
		res.Failure = w.report()
	case res.Cancelled:
		w.printf("%sstopped (cancelled) after %d ops\n", w.prefix(), w.op)
	default:
		w.printf("%s%s\n", w.colored("All operations completed A-OK!", colorGreen), w.suffix())
	}
	return res
}

// step is one op: fsx-rs's step(). The source names the op, do applies
// it to the model and the file, and the two judges (checkBuffers inside
// reads, checkSize here) decide.
func (w *worker) step() bool {
	w.op++
	if w.op%w.progEvery == 0 {
		w.out.progress(w.progEvery)
	}
	op, injected := w.src.next(w.mod.size)
	if injected && w.inject == 0 {
		w.inject = w.op // a replayed injection: the model only, again
	}
	if !w.do(&op) {
		return false
	}
	if !w.cfg.NoSizeChecks && !w.checkSize() {
		return false
	}
	if w.injected == w.op {
		// A self-test must fail deterministically: compare the whole file
		// now rather than hope a later read lands on the injected range.
		w.injectDetected = true
		return w.fullCompare("after the injected op")
	}
	return true
}

// do applies one op: one function per kind.
func (w *worker) do(op *fsop.Op) bool {
	switch op.Kind {
	case fsop.CloseOpen:
		return w.closeOpen(op)
	case fsop.Read, fsop.MapRead:
		return w.read(op)
	case fsop.Write, fsop.MapWrite:
		return w.write(op)
	case fsop.Truncate:
		return w.truncate(op)
	default:
		return w.sync(op)
	}
}

func (w *worker) skip(op *fsop.Op) {
	w.logOp(logEntry{num: w.op, op: *op, oldSize: w.mod.size, flags: flagSkipped})
	if w.trace && w.op >= w.traceFrom {
		b := w.appendOpPrefix(w.line[:0])
		b = append(b, "skipping zero size or past-EOF "...)
		b = append(b, op.Kind.String()...)
		w.emit(append(b, '\n'))
	}
}

// injectNow says whether this op is the one to apply to the model only.
func (w *worker) injectNow() bool {
	return w.inject > 0 && w.injected == 0 && w.op >= w.inject
}

// transferFail names each data op's failures with fsx.c's exit codes: the
// seek (read and write go through the file offset) and the transfer.
var transferFail = [...]struct {
	seek, io int
	what     string
}{
	fsop.Read:     {ExitReadSeek, ExitRead, "read"},
	fsop.Write:    {ExitWriteSeek, ExitWrite, "write"},
	fsop.MapRead:  {0, ExitMapRead, "mapread (pread)"},
	fsop.MapWrite: {0, ExitMapWrite, "mapwrite (pwrite)"},
}

// transfer moves a data op's bytes between buf and the file and judges the
// count: read and write as a seek and a Cursor op, the map ops positioned.
func (w *worker) transfer(op *fsop.Op, buf []byte) bool {
	c := &transferFail[op.Kind]
	io := *op
	if op.Kind == fsop.Read || op.Kind == fsop.Write {
		if !w.seekTo(op.Offset, c.seek, c.what) {
			return false
		}
		io.Offset = fsop.Cursor
	}
	if r := w.file.Apply(&io, buf); r.Err != fsop.OK || r.Value != int64(op.Size) {
		return w.failf(c.io, "%s: 0x%x bytes instead of 0x%x at 0x%x (%v)", c.what, r.Value, op.Size, op.Offset, w.file.err)
	}
	return true
}

// seekTo is the first half of fsx's read and write: a seek through the
// file's offset, judged on its own (fsx.c has an exit code for it).
func (w *worker) seekTo(off uint64, code int, what string) bool {
	seek := fsop.Op{Kind: fsop.Seek, Offset: off, Whence: fsop.FromStart}
	if r := w.file.Apply(&seek, nil); r.Err != fsop.OK || r.Value != int64(off) {
		return w.failf(code, "%s: seek to 0x%x returned 0x%x, %v", what, off, r.Value, w.file.err)
	}
	return true
}

func (w *worker) read(op *fsop.Op) bool {
	off, size := op.Offset, op.Size
	if size == 0 || off+size > w.mod.size {
		w.skip(op)
		return true
	}
	w.logOp(logEntry{num: w.op, op: *op, oldSize: w.mod.size})
	w.traceIO(op.Kind, off, size)
	buf := w.tmp[:size]
	return w.transfer(op, buf) && w.checkBuffers(buf, off, "")
}

func (w *worker) write(op *fsop.Op) bool {
	off, size := op.Offset, op.Size
	if size == 0 {
		w.skip(op)
		return true
	}
	old := w.mod.size
	data := w.tmp[:size]
	gendata(data, w.orig[off:off+size], off, byte(w.op))
	var flags uint8
	if w.injectNow() && (off+size > old || !w.mod.equal(data, off)) {
		w.injected, flags = w.op, flagInjected
	}
	w.mod.Apply(op, data)
	w.logOp(logEntry{num: w.op, op: *op, oldSize: old, flags: flags})
	w.traceIO(op.Kind, off, size)
	return flags&flagInjected != 0 || w.transfer(op, data)
}

func (w *worker) truncate(op *fsop.Op) bool {
	size, old := op.Size, w.mod.size
	var flags uint8
	// Without size checks a truncate down the file never shows, so only
	// one that grows the file may be the injected op then.
	if w.injectNow() && size != old && (!w.cfg.NoSizeChecks || size > old) {
		w.injected, flags = w.op, flagInjected
	}
	w.mod.Apply(op, nil)
	w.logOp(logEntry{num: w.op, op: *op, oldSize: old, flags: flags})
	w.traceIO(fsop.Truncate, min(old, size), max(old, size)-min(old, size))
	if flags&flagInjected != 0 {
		return true
	}
	if r := w.file.Apply(op, nil); r.Err != fsop.OK {
		return w.failf(ExitTruncate, "truncate from 0x%x to 0x%x: %v", old, size, w.file.err)
	}
	return true
}

func (w *worker) sync(op *fsop.Op) bool {
	w.logOp(logEntry{num: w.op, op: *op, oldSize: w.mod.size})
	w.traceIO(op.Kind, 0, 0)
	if r := w.file.Apply(op, nil); r.Err != fsop.OK {
		if op.Kind == fsop.Fsync {
			return w.failf(ExitFsync, "fsync: %v", w.file.err)
		}
		return w.failf(ExitFdatasync, "fdatasync: %v", w.file.err)
	}
	return true
}

func (w *worker) closeOpen(op *fsop.Op) bool {
	w.logOp(logEntry{num: w.op, op: *op, oldSize: w.mod.size})
	w.traceIO(fsop.CloseOpen, 0, 0)
	if r := w.file.Apply(op, nil); r.Err != fsop.OK {
		if w.file.reopenFailed {
			return w.failf(ExitReopen, "close/open: reopen %s: %v", w.path, w.file.err)
		}
		return w.failf(ExitCloseOpen, "close/open: close: %v", w.file.err)
	}
	return w.fullCompare("after close/open")
}

// checkSize is the size judge: fstat and seek-to-end must both agree with
// the model.
func (w *worker) checkSize() bool {
	st, err1 := w.file.f.Size()
	pos, err2 := w.file.f.Seek(0, io.SeekEnd)
	if err1 != nil || err2 != nil || st != int64(w.mod.size) || pos != int64(w.mod.size) {
		return w.failf(ExitSize, "Size error: expected 0x%x stat 0x%x seek 0x%x%s",
			w.mod.size, st, pos, errSuffix(err1, err2))
	}
	return true
}

// fullCompare reads the whole file back in chunks and judges every chunk.
func (w *worker) fullCompare(when string) bool {
	for pos := uint64(0); pos < w.mod.size; {
		buf := w.tmp[:min(uint64(len(w.tmp)), w.mod.size-pos)]
		n, err := w.file.f.ReadAt(buf, int64(pos))
		if n != len(buf) || (err != nil && err != io.EOF) {
			return w.failf(ExitRead, "full compare %s: 0x%x bytes instead of 0x%x at 0x%x (%v)", when, n, len(buf), pos, err)
		}
		if !w.checkBuffers(buf, pos, when) {
			return false
		}
		pos += uint64(len(buf))
	}
	return true
}

// checkBuffers is the data judge: buf was read at off and must equal the
// model there.
func (w *worker) checkBuffers(buf []byte, off uint64, when string) bool {
	if w.mod.equal(buf, off) {
		return true
	}
	w.mod.materialize()
	return w.miscompare(buf, off, when)
}

func errSuffix(errs ...error) string {
	s := ""
	for _, e := range errs {
		if e != nil {
			s += " (" + e.Error() + ")"
		}
	}
	return s
}

// failf records the first failure and returns false. Only the failure path
// formats, so the boxing of its arguments costs nothing in a passing run.
func (w *worker) failf(code int, format string, a ...any) bool {
	if w.fail == nil {
		w.fail = &failure{code: code, op: w.op, summary: fmt.Sprintf(format, a...), badOff: -1}
	}
	return false
}

// ---- the human log, without allocating ----

// traceIO prints one fsx-style line for an op when -v/-b asks for it or it
// touches the -m range.
func (w *worker) traceIO(kind fsop.Kind, off, size uint64) {
	on := w.trace && w.op >= w.traceFrom
	if !on && w.monitor && size > 0 && off < w.monTo && off+size > w.monFrom {
		on = true
	}
	if !on {
		return
	}
	b := w.appendOpPrefix(w.line[:0])
	b = append(b, kind.String()...)
	switch kind {
	case fsop.Read, fsop.Write, fsop.MapRead, fsop.MapWrite:
		b = append(b, "\t0x"...)
		b = strconv.AppendUint(b, off, 16)
		b = append(b, " thru\t0x"...)
		b = strconv.AppendUint(b, off+size-1, 16)
		b = append(b, "\t(0x"...)
		b = strconv.AppendUint(b, size, 16)
		b = append(b, " bytes)"...)
	case fsop.Truncate:
		b = append(b, "\tfrom 0x"...)
		b = strconv.AppendUint(b, w.log.ring[(w.log.count-1)%logSize].oldSize, 16)
		b = append(b, " to 0x"...)
		b = strconv.AppendUint(b, w.mod.size, 16)
	}
	w.emit(append(b, '\n'))
}

func (w *worker) appendOpPrefix(b []byte) []byte {
	if w.opts.Threads > 1 {
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(w.id), 10)
		b = append(b, "] "...)
	}
	b = strconv.AppendInt(b, w.op, 10)
	return append(b, ' ')
}

// emit writes a line to Out and keeps it for .fsxlog (the newest 1 MiB).
func (w *worker) emit(b []byte) {
	_, _ = w.out.Write(b)
	if len(w.printed)+len(b) > cap(w.printed) {
		half := len(w.printed) / 2
		n := copy(w.printed, w.printed[half:])
		w.printed = w.printed[:n]
		w.printedDropped = true
		if len(b) > cap(w.printed)-n {
			return
		}
	}
	w.printed = append(w.printed, b...)
}

// printf is emit for the failure and summary paths, where allocating is fine.
func (w *worker) printf(format string, a ...any) {
	w.emit([]byte(fmt.Sprintf(format, a...)))
}

func (w *worker) prefix() string {
	if w.opts.Threads > 1 {
		return "[" + strconv.Itoa(w.id) + "] "
	}
	return ""
}

func (w *worker) suffix() string {
	if w.opts.Threads > 1 {
		return fmt.Sprintf(" [worker %d, %d ops]", w.id, w.op)
	}
	return fmt.Sprintf(" [%d ops]", w.op)
}

const (
	colorGreen = "\x1b[32m"
	colorRed   = "\x1b[31m"
)

func (w *worker) colored(s, color string) string {
	if !w.opts.Color {
		return s
	}
	return color + s + "\x1b[0m"
}
