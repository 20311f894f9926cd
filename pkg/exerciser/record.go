package exerciser

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
)

// recorder is --record-ops: every op of a worker, written as it runs in the
// .fsxops format, so a run that dies (or is killed) still leaves what it
// did. It is a stream, not an artifact: it is appended, not renamed into
// place. Writing goes through a buffer and a reused line, so recording
// keeps the step allocation-free.
type recorder struct {
	f    *os.File
	w    *bufio.Writer
	line []byte
	err  error // the first write error, reported at the end of the run
}

// recordPath is where worker k records: the path itself with one worker,
// PATH.thread-K with several.
func recordPath(path string, k, threads int) string {
	if threads > 1 {
		return fmt.Sprintf("%s.thread-%d", path, k)
	}
	return path
}

func newRecorder(path string, seed uint64, file string) (*recorder, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	r := &recorder{f: f, w: bufio.NewWriterSize(f, 64<<10), line: make([]byte, 0, 128)}
	_, r.err = r.w.Write(fsop.AppendHeader(nil, fsop.Header{Seed: seed, HasSeed: true, File: file, First: 1}))
	return r, nil
}

func (r *recorder) add(e *logEntry) {
	if r.err != nil {
		return
	}
	r.line = fsop.AppendEntry(r.line[:0], fsop.Entry{Op: e.op, FileSize: e.oldSize,
		Skipped: e.flags&flagSkipped != 0, Injected: e.flags&flagInjected != 0})
	_, r.err = r.w.Write(r.line)
}

// close flushes and closes; it returns the first error of the recording.
func (r *recorder) close() error {
	if err := r.w.Flush(); r.err == nil {
		r.err = err
	}
	if err := r.f.Close(); r.err == nil {
		r.err = err
	}
	return r.err
}

// logOp keeps an op in the log ring and, with --record-ops, the record.
func (w *worker) logOp(e logEntry) {
	w.log.add(e)
	if w.rec != nil {
		w.rec.add(&e)
	}
}
