// Package faultfs is a deliberately broken filesystem for the wazero
// runner. It wraps the sys.FS wazero would mount for a volume
// (sysfs.DirFS) and breaks exactly one read or write of a regular file,
// chosen by call count, so the tests can prove that fsx-wasix notices a
// runtime whose filesystem loses or mangles data: a checker that is never
// shown a broken filesystem proves nothing about its own judges.
//
// A fault is a spec string KIND:N[@GUEST]:
//
//	drop-write:N    the Nth write/pwrite reports success but writes nothing
//	short-write:N   the Nth write/pwrite writes the first half, reports all
//	corrupt-read:N  the Nth read/pread returns one byte with its bits flipped
//
// N counts from 1, over the calls of that kind (write/pwrite, or
// read/pread) on regular files of every wrapped mount together, in the
// order wazero makes them. Only calls that move data count: a write of 0
// bytes, or a read that returns 0 bytes, is passed through uncounted. With
// @GUEST only the volume mounted at that guest path is wrapped; without it
// every volume is. The fault fires once, then the filesystem is honest.
package faultfs

import (
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/tetratelabs/wazero/experimental/sys"
)

// Kind is what the fault does.
type Kind string

// The fault kinds.
const (
	DropWrite   Kind = "drop-write"
	ShortWrite  Kind = "short-write"
	CorruptRead Kind = "corrupt-read"
)

var kinds = []Kind{DropWrite, ShortWrite, CorruptRead}

// Fault is one parsed fault and its call counter, shared by every mount it
// wraps. Safe for concurrent use.
type Fault struct {
	Kind  Kind
	N     int64  // the call, counting from 1, that is broken
	Guest string // the only guest mount path to wrap; "" = every volume

	mu    sync.Mutex
	calls int64  // calls of Kind's class seen so far
	fired string // what was broken, once it was
}

// Parse parses KIND:N[@GUEST]. Its error is one line naming the valid kinds.
func Parse(spec string) (*Fault, error) {
	s, guest, hasGuest := strings.Cut(spec, "@")
	k, n, ok := strings.Cut(s, ":")
	f := &Fault{Kind: Kind(k)}
	valid := false
	for _, v := range kinds {
		valid = valid || f.Kind == v
	}
	num, err := strconv.ParseInt(n, 10, 64)
	switch {
	case !valid || !ok:
		return nil, fmt.Errorf("bad fault %q: want KIND:N[@GUEST] with KIND one of drop-write, short-write, corrupt-read", spec)
	case err != nil || num < 1:
		return nil, fmt.Errorf("bad fault %q: N must be a whole number from 1", spec)
	case hasGuest && !strings.HasPrefix(guest, "/"):
		return nil, fmt.Errorf("bad fault %q: @GUEST must be an absolute guest path", spec)
	}
	f.N = num
	if hasGuest {
		f.Guest = path.Clean(guest)
	}
	return f, nil
}

// String is the spec Parse would read back.
func (f *Fault) String() string {
	s := fmt.Sprintf("%s:%d", f.Kind, f.N)
	if f.Guest != "" {
		s += "@" + f.Guest
	}
	return s
}

// Applies reports whether the volume mounted at guest is to be wrapped.
func (f *Fault) Applies(guest string) bool {
	return f.Guest == "" || f.Guest == path.Clean(guest)
}

// Report is one line saying whether and where the fault fired.
func (f *Fault) Report() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fired != "" {
		return fmt.Sprintf("fault %s injected: %s", f, f.fired)
	}
	return fmt.Sprintf("fault %s NOT injected: only %d %s calls were made", f, f.calls, f.class())
}

// Fired reports whether the fault has broken its call yet.
func (f *Fault) Fired() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fired != ""
}

func (f *Fault) class() string {
	if f.Kind == CorruptRead {
		return "read/pread"
	}
	return "write/pwrite"
}

// hit counts one call of the fault's class and reports whether it is the
// one to break, recording what as a description.
func (f *Fault) hit(what func() string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls != f.N {
		return false
	}
	f.fired = what()
	return true
}

// Wrap returns fsys with the regular files it opens broken by f.
func Wrap(fsys sys.FS, f *Fault) sys.FS { return &faultFS{FS: fsys, f: f} }

type faultFS struct {
	sys.FS
	f *Fault
}

func (w *faultFS) OpenFile(p string, flag sys.Oflag, perm fs.FileMode) (sys.File, sys.Errno) {
	file, errno := w.FS.OpenFile(p, flag, perm)
	if errno != 0 {
		return file, errno
	}
	if dir, e := file.IsDir(); e != 0 || dir {
		return file, errno // directories pass through untouched
	}
	return &faultFile{File: file, f: w.f, path: p}, 0
}

type faultFile struct {
	sys.File
	f    *Fault
	path string
}

func (w *faultFile) Write(buf []byte) (int, sys.Errno) {
	if n, ok := w.breakWrite("write", buf, -1); ok {
		return n, 0
	}
	return w.File.Write(buf)
}

func (w *faultFile) Pwrite(buf []byte, off int64) (int, sys.Errno) {
	if n, ok := w.breakWrite("pwrite", buf, off); ok {
		return n, 0
	}
	return w.File.Pwrite(buf, off)
}

// breakWrite counts a write and, when it is the broken one, does what the
// fault says in its place: it reports len(buf) and ok.
func (w *faultFile) breakWrite(op string, buf []byte, off int64) (int, bool) {
	if len(buf) == 0 || w.f.Kind == CorruptRead {
		return 0, false
	}
	if !w.f.hit(func() string { return describe(op, w.path, len(buf), off) }) {
		return 0, false
	}
	if w.f.Kind == ShortWrite {
		half := buf[:len(buf)/2]
		if off < 0 {
			w.File.Write(half)
			// The caller's offset must move as if all was written.
			w.skip(int64(len(buf) - len(half)))
		} else {
			w.File.Pwrite(half, off)
		}
	} else if off < 0 {
		w.skip(int64(len(buf))) // a dropped write still moves the offset
	}
	return len(buf), true
}

// skip moves the file offset on by n, as the unbroken write would have (in
// append mode the offset is the end of file anyway).
func (w *faultFile) skip(n int64) {
	if !w.File.IsAppend() {
		w.File.Seek(n, io.SeekCurrent)
	}
}

func (w *faultFile) Read(buf []byte) (int, sys.Errno) {
	n, errno := w.File.Read(buf)
	w.breakRead("read", buf[:n], -1)
	return n, errno
}

func (w *faultFile) Pread(buf []byte, off int64) (int, sys.Errno) {
	n, errno := w.File.Pread(buf, off)
	w.breakRead("pread", buf[:n], off)
	return n, errno
}

// breakRead counts a read that returned data and flips every bit of the
// middle byte of the broken one.
func (w *faultFile) breakRead(op string, got []byte, off int64) {
	if len(got) == 0 || w.f.Kind != CorruptRead {
		return
	}
	if w.f.hit(func() string { return describe(op, w.path, len(got), off) }) {
		got[len(got)/2] ^= 0xff
	}
}

func describe(op, p string, n int, off int64) string {
	if off < 0 {
		return fmt.Sprintf("%s of %d bytes on %s", op, n, p)
	}
	return fmt.Sprintf("%s of %d bytes at offset %d on %s", op, n, off, p)
}
