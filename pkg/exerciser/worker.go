package exerciser

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strconv"
	"time"
)

// yieldEvery is how often (in ops) a worker checks for cancellation and
// yields: on wasip1 all workers share one thread, so this is what makes them
// interleave.
const yieldEvery = 256

// worker is one exerciser: one file, one seed, one model. Everything the
// per-op loop touches is allocated in newWorker; a step must not allocate
// (under the Wasmer SDK a Go guest hangs once the garbage collector runs).
type worker struct {
	id      int // from 1
	seed    uint64
	path    string
	artDir  string
	artName string
	opts    *Options
	cfg     Config
	fs      FS
	f       File
	rng     rand.PCG
	pick    picker

	flen, align    uint64
	opMin, opMax   uint64
	good, orig     []byte    // the model: what the file must hold; the random pattern
	zero           zeroPages // pages of good that read as zeros (zeropages.go)
	tmp            []byte    // read buffer, also the chunk for full compares
	fileSize       uint64
	op             int64 // number of the current op, from 1
	numOps         int64
	log            opLog
	inject         int64 // op from which to inject (0: off)
	injected       int64 // op that was injected (0: none yet)
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
		id: id, seed: seed, path: path, opts: opts, cfg: c, fs: fs, out: out,
		rng:       newRNG(seed),
		pick:      newPicker(c.Weights),
		flen:      c.FileLen,
		align:     max(c.OpSize.Align, 1),
		opMax:     min(c.OpSize.Max, c.FileLen),
		numOps:    opts.NumOps,
		inject:    opts.Inject,
		line:      make([]byte, 0, 256),
		trace:     opts.Verbosity > 0 || opts.LogStart > 0,
		traceFrom: opts.LogStart,
		monitor:   opts.Monitor != [2]uint64{},
		monFrom:   opts.Monitor[0],
		monTo:     opts.Monitor[1],
	}
	w.opMin = min(c.OpSize.Min, w.opMax)
	w.good = buffers.get(c.FileLen)
	w.zero = newZeroPages(c.FileLen)
	w.orig = buffers.get(c.FileLen)
	fillRandom(&w.rng, w.orig)
	// The read buffer doubles as the full-compare chunk, so give it at
	// least 256 KiB (capped at flen) even when ops are tiny.
	w.tmp = buffers.get(min(c.FileLen, max(w.opMax, 256<<10)))
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
	if w.f != nil {
		err := w.f.Close()
		w.f = nil
		if ok && !res.Cancelled && err != nil {
			ok = w.failf(ExitFinalClose, "close at the end of the run: %v", err)
		}
	}
	res.OpsDone = uint64(w.op)
	res.Elapsed = time.Since(start)
	switch {
	case !ok:
		w.materialize()
		res.Failure = w.report()
	case res.Cancelled:
		w.printf("%sstopped (cancelled) after %d ops\n", w.prefix(), w.op)
	default:
		w.printf("%s%s\n", w.colored("All operations completed A-OK!", colorGreen), w.suffix())
	}
	return res
}

// step is one op: fsx-rs's step(). Each op has one function; after it, the
// two judges (checkBuffers inside reads, checkSize here) decide.
func (w *worker) step() bool {
	w.op++
	kind := w.pick.next(&w.rng)
	size := w.opMin + below(&w.rng, w.opMax-w.opMin+1)
	off := w.rng.Uint64()
	var ok bool
	switch kind {
	case opCloseOpen:
		ok = w.closeOpen()
	case opRead, opMapRead:
		off, size = w.trim(off, size, w.fileSize)
		ok = w.read(kind, off, size)
	case opWrite, opMapWrite:
		off, size = w.trim(off, size, w.flen)
		ok = w.write(kind, off, size)
	case opTruncate:
		ok = w.truncate(below(&w.rng, w.flen))
	case opFsync, opFdatasync:
		ok = w.sync(kind)
	}
	if !ok {
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

// trim fits an op into [0, limit) and the alignment, as fsx does.
func (w *worker) trim(off, size, limit uint64) (uint64, uint64) {
	if limit == 0 {
		return 0, 0
	}
	off %= limit
	off -= off % w.align
	if off+size > limit {
		size = limit - off
	}
	size -= size % w.align
	return off, size
}

func (w *worker) skip(kind opKind, off, size uint64) {
	w.log.add(logEntry{num: w.op, off: off, size: size, oldSize: w.fileSize, kind: kind, flags: flagSkipped})
	if w.trace && w.op >= w.traceFrom {
		b := w.appendOpPrefix(w.line[:0])
		b = append(b, "skipping zero size or past-EOF "...)
		b = append(b, opNames[kind]...)
		w.emit(append(b, '\n'))
	}
}

// injectNow says whether this op is the one to apply to the model only.
func (w *worker) injectNow() bool {
	return w.inject > 0 && w.injected == 0 && w.op >= w.inject
}

func (w *worker) read(kind opKind, off, size uint64) bool {
	if size == 0 || off+size > w.fileSize {
		w.skip(kind, off, size)
		return true
	}
	w.log.add(logEntry{num: w.op, off: off, size: size, oldSize: w.fileSize, kind: kind})
	w.traceIO(kind, off, size)
	buf := w.tmp[:size]
	if kind == opRead {
		pos, err := w.f.Seek(int64(off), io.SeekStart)
		if err != nil || pos != int64(off) {
			return w.failf(ExitReadSeek, "read: seek to 0x%x returned 0x%x, %v", off, pos, err)
		}
		n, err := w.f.Read(buf)
		if err != nil || n != len(buf) {
			return w.failf(ExitRead, "read: 0x%x bytes instead of 0x%x at 0x%x (%v)", n, size, off, err)
		}
	} else {
		n, err := w.f.ReadAt(buf, int64(off))
		if err != nil || n != len(buf) {
			return w.failf(ExitMapRead, "mapread (pread): 0x%x bytes instead of 0x%x at 0x%x (%v)", n, size, off, err)
		}
	}
	return w.checkBuffers(buf, off, "")
}

func (w *worker) write(kind opKind, off, size uint64) bool {
	if size == 0 {
		w.skip(kind, off, size)
		return true
	}
	old := w.fileSize
	if old < off {
		w.zeroModel(old, off) // the hole reads back as zeros
	}
	w.unmark(off, off+size) // the data lands on real zeros, not marks
	inject := w.injectNow()
	if inject {
		copy(w.tmp[:size], w.good[off:off+size])
	}
	gendata(w.good[off:off+size], w.orig[off:off+size], off, byte(w.op))
	if off+size > old {
		w.fileSize = off + size
	}
	var flags uint8
	if inject && (w.fileSize != old || !bytes.Equal(w.tmp[:size], w.good[off:off+size])) {
		w.injected, flags = w.op, flagInjected
	}
	w.log.add(logEntry{num: w.op, off: off, size: size, oldSize: old, kind: kind, flags: flags})
	w.traceIO(kind, off, size)
	if flags&flagInjected != 0 {
		return true
	}
	data := w.good[off : off+size]
	if kind == opWrite {
		pos, err := w.f.Seek(int64(off), io.SeekStart)
		if err != nil || pos != int64(off) {
			return w.failf(ExitWriteSeek, "write: seek to 0x%x returned 0x%x, %v", off, pos, err)
		}
		n, err := w.f.Write(data)
		if err != nil || n != len(data) {
			return w.failf(ExitWrite, "write: 0x%x bytes instead of 0x%x at 0x%x (%v)", n, size, off, err)
		}
		return true
	}
	n, err := w.f.WriteAt(data, int64(off))
	if err != nil || n != len(data) {
		return w.failf(ExitMapWrite, "mapwrite (pwrite): 0x%x bytes instead of 0x%x at 0x%x (%v)", n, size, off, err)
	}
	return true
}

func (w *worker) truncate(size uint64) bool {
	size -= size % w.align
	old := w.fileSize
	if size > old {
		w.zeroModel(old, size)
	}
	w.fileSize = size
	var flags uint8
	// Without size checks a truncate down the file never shows, so only
	// one that grows the file may be the injected op then.
	if w.injectNow() && size != old && (!w.cfg.NoSizeChecks || size > old) {
		w.injected, flags = w.op, flagInjected
	}
	w.log.add(logEntry{num: w.op, size: size, oldSize: old, kind: opTruncate, flags: flags})
	w.traceIO(opTruncate, min(old, size), max(old, size)-min(old, size))
	if flags&flagInjected != 0 {
		return true
	}
	if err := w.f.Truncate(int64(size)); err != nil {
		return w.failf(ExitTruncate, "truncate from 0x%x to 0x%x: %v", old, size, err)
	}
	return true
}

func (w *worker) sync(kind opKind) bool {
	w.log.add(logEntry{num: w.op, oldSize: w.fileSize, kind: kind})
	w.traceIO(kind, 0, 0)
	if kind == opFsync {
		if err := w.f.Sync(); err != nil {
			return w.failf(ExitFsync, "fsync: %v", err)
		}
		return true
	}
	if err := w.f.Datasync(); err != nil {
		return w.failf(ExitFdatasync, "fdatasync: %v", err)
	}
	return true
}

func (w *worker) closeOpen() bool {
	w.log.add(logEntry{num: w.op, oldSize: w.fileSize, kind: opCloseOpen})
	w.traceIO(opCloseOpen, 0, 0)
	if err := w.f.Close(); err != nil {
		w.f = nil
		return w.failf(ExitCloseOpen, "close/open: close: %v", err)
	}
	var err error
	if r, ok := w.f.(reopener); ok {
		err = r.Reopen()
	} else {
		w.f, err = w.fs.Open(w.path)
	}
	if err != nil {
		w.f = nil
		return w.failf(ExitReopen, "close/open: reopen %s: %v", w.path, err)
	}
	return w.fullCompare("after close/open")
}

// checkSize is the size judge: fstat and seek-to-end must both agree with
// the model.
func (w *worker) checkSize() bool {
	st, err1 := w.f.Size()
	pos, err2 := w.f.Seek(0, io.SeekEnd)
	if err1 != nil || err2 != nil || st != int64(w.fileSize) || pos != int64(w.fileSize) {
		return w.failf(ExitSize, "Size error: expected 0x%x stat 0x%x seek 0x%x%s",
			w.fileSize, st, pos, errSuffix(err1, err2))
	}
	return true
}

// fullCompare reads the whole file back in chunks and judges every chunk.
func (w *worker) fullCompare(when string) bool {
	for pos := uint64(0); pos < w.fileSize; {
		buf := w.tmp[:min(uint64(len(w.tmp)), w.fileSize-pos)]
		n, err := w.f.ReadAt(buf, int64(pos))
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
	if w.modelEqual(buf, off) {
		return true
	}
	w.materialize()
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
func (w *worker) traceIO(kind opKind, off, size uint64) {
	on := w.trace && w.op >= w.traceFrom
	if !on && w.monitor && size > 0 && off < w.monTo && off+size > w.monFrom {
		on = true
	}
	if !on {
		return
	}
	b := w.appendOpPrefix(w.line[:0])
	b = append(b, opNames[kind]...)
	switch kind {
	case opRead, opWrite, opMapRead, opMapWrite:
		b = append(b, "\t0x"...)
		b = strconv.AppendUint(b, off, 16)
		b = append(b, " thru\t0x"...)
		b = strconv.AppendUint(b, off+size-1, 16)
		b = append(b, "\t(0x"...)
		b = strconv.AppendUint(b, size, 16)
		b = append(b, " bytes)"...)
	case opTruncate:
		b = append(b, "\tfrom 0x"...)
		b = strconv.AppendUint(b, w.log.ring[(w.log.count-1)%logSize].oldSize, 16)
		b = append(b, " to 0x"...)
		b = strconv.AppendUint(b, w.fileSize, 16)
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
