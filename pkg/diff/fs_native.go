//go:build !wasip1

package diff

import (
	"fmt"
	"runtime"
	"syscall"

	"github.com/fsx-wasix/fsx-wasix/internal/eintr"
)

// Natively the executor names files by path (root + "/" + name): an
// allocation per call is no matter where the collector runs (compare
// fs_wasip1.go, which names them relative to a directory descriptor).
type sysFS struct {
	root string
	abs  []byte
}

// dirState is a directory handle's read position natively: getdents64
// fills the buffer, batches are served from it (as libc's readdir does).
type dirState struct {
	buf    []byte
	pos, n int
}

func (s *sysFS) init(root string) error {
	s.root = root
	s.abs = make([]byte, 0, len(root)+256)
	return nil
}

func (s *sysFS) close() {}

func (s *sysFS) path(rel []byte) string {
	s.abs = append(append(s.abs[:0], s.root...), '/')
	return string(append(s.abs, rel...))
}

func (s *sysFS) open(rel []byte, flags int) (int, error) {
	p := s.path(rel)
	for {
		fd, err := syscall.Open(p, flags|syscall.O_CLOEXEC, 0o644)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

func typeOf(mode uint32) uint8 {
	switch mode & syscall.S_IFMT {
	case syscall.S_IFREG:
		return kFile
	case syscall.S_IFDIR:
		return kDir
	}
	return kNone
}

func (s *sysFS) stat(rel []byte) (int64, uint8, error) {
	var st syscall.Stat_t
	if err := eintr.Retry(func() error { return syscall.Stat(s.path(rel), &st) }); err != nil {
		return 0, 0, err
	}
	return st.Size, typeOf(uint32(st.Mode)), nil
}

func fstatType(fd int) (int64, uint8, error) {
	var st syscall.Stat_t
	if err := eintr.Retry(func() error { return syscall.Fstat(fd, &st) }); err != nil {
		return 0, 0, err
	}
	return st.Size, typeOf(uint32(st.Mode)), nil
}

func (s *sysFS) unlink(rel []byte) error {
	p := s.path(rel)
	return eintr.Retry(func() error { return syscall.Unlink(p) })
}

func (s *sysFS) rmdir(rel []byte) error {
	p := s.path(rel)
	return eintr.Retry(func() error { return syscall.Rmdir(p) })
}

func (s *sysFS) mkdir(rel []byte) error {
	p := s.path(rel)
	return eintr.Retry(func() error { return syscall.Mkdir(p, 0o755) })
}

func (s *sysFS) rename(a, b []byte) error {
	pa, pb := s.path(a), s.path(b)
	return eintr.Retry(func() error { return syscall.Rename(pa, pb) })
}

// link is link(2), which POSIX and WASI (path_link) both have.
func (s *sysFS) link(a, b []byte) error {
	pa, pb := s.path(a), s.path(b)
	return eintr.Retry(func() error { return syscall.Link(pa, pb) })
}

func newDirState() dirState { return dirState{buf: make([]byte, 4096)} }

func (d *dirState) reset() { d.pos, d.n = 0, 0 }

// readBatch reads up to n entries (not . or ..) from the directory open as
// h, calling e.noteEntry for each; fewer than n means its end was reached.
func (e *Executor) readBatch(h *handle, n int) (int, error) {
	d := &h.ds
	got := 0
	for got < n {
		if d.pos >= d.n {
			var m int
			err := eintr.Retry(func() (err error) { m, err = syscall.ReadDirent(h.fd, d.buf); return })
			if err != nil {
				return got, err
			}
			if m <= 0 {
				break
			}
			d.pos, d.n = 0, m
		}
		consumed, cnt, names := syscall.ParseDirent(d.buf[d.pos:d.n], 1, e.nativeNames[:0])
		if consumed == 0 {
			return got, fmt.Errorf("unparsable directory entry")
		}
		d.pos += consumed
		if cnt == 1 {
			e.noteEntry(h, []byte(names[0]))
			got++
		}
	}
	return got, nil
}

// listDir lists directory rel (the root for ".") whole, appending interned
// names to out, unsorted.
func (e *Executor) listDir(rel []byte, out []string) ([]string, error) {
	fd, err := e.sys.open(rel, syscall.O_RDONLY|syscall.O_DIRECTORY)
	if err != nil {
		return out, err
	}
	defer syscall.Close(fd)
	for {
		var m int
		err := eintr.Retry(func() (err error) { m, err = syscall.ReadDirent(fd, e.listBuf); return })
		if err != nil {
			return out, err
		}
		if m <= 0 {
			return out, nil
		}
		_, _, names := syscall.ParseDirent(e.listBuf[:m], -1, e.nativeNames[:0])
		for _, n := range names {
			out = appendName(out, []byte(n))
		}
	}
}

// Natively each worker is its own OS thread.
func lockThread()   { runtime.LockOSThread() }
func unlockThread() { runtime.UnlockOSThread() }

func gcOff() {}
