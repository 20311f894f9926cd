package diff

import (
	"encoding/binary"
	"fmt"
	"runtime/debug"
	"syscall"
	"unsafe"
)

// Under wasip1 the guest's collector is off (cmd/guest/gc_wasip1.go,
// docs/findings.md finding 3), so a program must allocate (next to)
// nothing, and Go's wasip1 path calls build a joined path string on every
// call. The executor names files relative to a descriptor of the case
// directory instead, with names in reused buffers, through the WASI calls
// themselves (path_open via syscall.Openat, path_filestat_get,
// path_unlink_file, path_rename, path_link, path_create_directory,
// path_remove_directory, fd_readdir via syscall.ReadDir, fd_datasync).
type sysFS struct {
	rootFD int
}

// dirState is a directory handle's read position under WASI: the cookie
// after the last entry returned. Every batch is one fd_readdir from that
// cookie (so a runtime's cookies are exercised while entries change).
type dirState struct {
	buf    []byte
	cookie uint64
}

//go:wasmimport wasi_snapshot_preview1 path_filestat_get
//go:noescape
func pathFilestatGet(fd int32, flags uint32, path unsafe.Pointer, pathLen uint32, buf unsafe.Pointer) uint32

//go:wasmimport wasi_snapshot_preview1 path_unlink_file
//go:noescape
func pathUnlinkFile(fd int32, path unsafe.Pointer, pathLen uint32) uint32

//go:wasmimport wasi_snapshot_preview1 path_remove_directory
//go:noescape
func pathRemoveDirectory(fd int32, path unsafe.Pointer, pathLen uint32) uint32

//go:wasmimport wasi_snapshot_preview1 path_create_directory
//go:noescape
func pathCreateDirectory(fd int32, path unsafe.Pointer, pathLen uint32) uint32

//go:wasmimport wasi_snapshot_preview1 path_rename
//go:noescape
func pathRename(fd int32, old unsafe.Pointer, oldLen uint32, newFD int32, new unsafe.Pointer, newLen uint32) uint32

//go:wasmimport wasi_snapshot_preview1 path_link
//go:noescape
func pathLink(oldFD int32, oldFlags uint32, old unsafe.Pointer, oldLen uint32, newFD int32, new unsafe.Pointer, newLen uint32) uint32

//go:wasmimport wasi_snapshot_preview1 fd_datasync
func fdDatasync(fd int32) uint32

func errOf(e uint32) error {
	if e != 0 {
		return syscall.Errno(e)
	}
	return nil
}

func ptr(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }

func (s *sysFS) init(root string) error {
	fd, err := syscall.Open(root, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		return fmt.Errorf("cannot open directory %s: %w", root, err)
	}
	s.rootFD = fd
	return nil
}

func (s *sysFS) close() { syscall.Close(s.rootFD) }

func (s *sysFS) open(rel []byte, flags int) (int, error) {
	// The string aliases the buffer only for the call.
	return syscall.Openat(s.rootFD, unsafe.String(unsafe.SliceData(rel), len(rel)), flags, 0o644)
}

// filestat: dev u64, ino u64, filetype u8 @16, nlink u64 @24, size u64 @32.
func statOf(buf *[64]byte) (int64, uint8) {
	t := kNone
	switch buf[16] {
	case syscall.FILETYPE_REGULAR_FILE:
		t = kFile
	case syscall.FILETYPE_DIRECTORY:
		t = kDir
	}
	return int64(binary.LittleEndian.Uint64(buf[32:])), t
}

func (s *sysFS) stat(rel []byte) (int64, uint8, error) {
	var buf [64]byte
	if e := pathFilestatGet(int32(s.rootFD), 1, ptr(rel), uint32(len(rel)), unsafe.Pointer(&buf)); e != 0 {
		return 0, 0, syscall.Errno(e)
	}
	size, t := statOf(&buf)
	return size, t, nil
}

func fstatType(fd int) (int64, uint8, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return 0, 0, err
	}
	t := kNone
	switch st.Filetype {
	case syscall.FILETYPE_REGULAR_FILE:
		t = kFile
	case syscall.FILETYPE_DIRECTORY:
		t = kDir
	}
	return int64(st.Size), t, nil
}

func (s *sysFS) unlink(rel []byte) error {
	return errOf(pathUnlinkFile(int32(s.rootFD), ptr(rel), uint32(len(rel))))
}

func (s *sysFS) rmdir(rel []byte) error {
	return errOf(pathRemoveDirectory(int32(s.rootFD), ptr(rel), uint32(len(rel))))
}

func (s *sysFS) mkdir(rel []byte) error {
	return errOf(pathCreateDirectory(int32(s.rootFD), ptr(rel), uint32(len(rel))))
}

func (s *sysFS) rename(a, b []byte) error {
	return errOf(pathRename(int32(s.rootFD), ptr(a), uint32(len(a)), int32(s.rootFD), ptr(b), uint32(len(b))))
}

// link is path_link with no lookup flags (link(2) does not follow a
// trailing symlink either). WASI has path_link; what it lacks is linkat's
// AT_EMPTY_PATH (linking an open descriptor) and O_TMPFILE, so neither is
// in the catalog.
func (s *sysFS) link(a, b []byte) error {
	return errOf(pathLink(int32(s.rootFD), 0, ptr(a), uint32(len(a)), int32(s.rootFD), ptr(b), uint32(len(b))))
}

func fdatasync(fd int) error { return errOf(fdDatasync(int32(fd))) }

func newDirState() dirState { return dirState{buf: make([]byte, 4096)} }

func (d *dirState) reset() { d.cookie = 0 }

// A WASI dirent: d_next u64, d_ino u64, d_namlen u32 @16, d_type u8 @20,
// then the name at 24.
const direntSize = 24

// readBatch reads up to n entries (not . or ..) from the directory open as
// h, calling e.noteEntry for each; fewer than n means its end was reached.
func (e *Executor) readBatch(h *handle, n int) (int, error) {
	d := &h.ds
	got := 0
	for got < n {
		m, err := syscall.ReadDir(h.fd, d.buf, d.cookie)
		if err != nil {
			return got, err
		}
		off, progressed := 0, false
		for got < n && off+direntSize <= m {
			l := int(binary.LittleEndian.Uint32(d.buf[off+16:]))
			if off+direntSize+l > m {
				break // cut off by the buffer's end: read again from its cookie
			}
			name := d.buf[off+direntSize : off+direntSize+l]
			d.cookie = binary.LittleEndian.Uint64(d.buf[off:])
			off += direntSize + l
			progressed = true
			if isDot(name) {
				continue
			}
			e.noteEntry(h, name)
			got++
		}
		if m < len(d.buf) && off >= m || !progressed {
			break // the end of the directory (or an entry too big to read)
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
	var cookie uint64
	for {
		m, err := syscall.ReadDir(fd, e.listBuf, cookie)
		if err != nil {
			return out, err
		}
		off, progressed := 0, false
		for off+direntSize <= m {
			l := int(binary.LittleEndian.Uint32(e.listBuf[off+16:]))
			if off+direntSize+l > m {
				break
			}
			name := e.listBuf[off+direntSize : off+direntSize+l]
			cookie = binary.LittleEndian.Uint64(e.listBuf[off:])
			off += direntSize + l
			progressed = true
			if !isDot(name) {
				out = appendName(out, name)
			}
			if len(out) > 4*maxListNames {
				return out, nil // a runtime inventing entries: enough to show it
			}
		}
		if m < len(e.listBuf) && off >= m || !progressed {
			return out, nil
		}
	}
}

// Under wasip1 there is one thread and nothing to pin.
func lockThread()   {}
func unlockThread() {}

// gcOff keeps the collector off for the rest of the process: a collection
// with a file open hangs the guest under Wasmer (docs/findings.md, finding
// 3). The guest already does this at start-up unless GOGC is set; this
// keeps the package safe in other wasip1 programs.
func gcOff() { debug.SetGCPercent(-1) }
