package exerciser

import (
	"io"

	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
)

// target is the real file as an fsop.Backend: one method of File per op.
// Read and Write at an offset are two calls (seek, then read or write), so
// random mode applies them as a Seek op and a Cursor op and judges each:
// fsx.c has an exit code for each. The last error is kept for the report's
// words; the Result carries its portable kind.
type target struct {
	fsop.Unimplemented
	fs   FS
	path string
	f    File
	err  error // the last op's error, for messages

	reopenFailed bool // close_open's close worked and its open did not
}

// Apply does op on the file.
func (t *target) Apply(op *fsop.Op, data []byte) fsop.Result {
	var n int
	var pos int64
	var err error
	switch op.Kind {
	case fsop.Seek:
		pos, err = t.f.Seek(int64(op.Offset), int(op.Whence))
		n = int(pos)
	case fsop.Read:
		n, err = t.f.Read(data[:op.Size])
	case fsop.MapRead:
		n, err = t.f.ReadAt(data[:op.Size], int64(op.Offset))
	case fsop.Write:
		n, err = t.f.Write(data[:op.Size])
	case fsop.MapWrite:
		n, err = t.f.WriteAt(data[:op.Size], int64(op.Offset))
	case fsop.Truncate:
		err = t.f.Truncate(int64(op.Size))
	case fsop.Fsync:
		err = t.f.Sync()
	case fsop.Fdatasync:
		err = t.f.Datasync()
	case fsop.Fstat:
		pos, err = t.f.Size()
		n = int(pos)
	case fsop.CloseOpen:
		err = t.closeOpen()
	default:
		return t.Unimplemented.Apply(op, data)
	}
	t.err = err
	if err == io.EOF && n > 0 {
		err = nil
	}
	if err != nil {
		return fsop.Result{Err: fsop.ErrnoOf(err), Value: int64(n)}
	}
	return fsop.Result{Value: int64(n)}
}

// closeOpen closes the file and opens it again, without a new handle where
// the File can reopen itself (a handle per close_open would allocate).
func (t *target) closeOpen() error {
	t.reopenFailed = false
	if err := t.f.Close(); err != nil {
		t.f = nil
		return err
	}
	var err error
	if r, ok := t.f.(reopener); ok {
		err = r.Reopen()
	} else {
		t.f, err = t.fs.Open(t.path)
	}
	if err != nil {
		t.f, t.reopenFailed = nil, true
	}
	return err
}
