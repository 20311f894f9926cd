package oracle

import (
	"fmt"
	"path/filepath"
	"strconv"
	"syscall"
	"unsafe"
)

// Under wasip1 the collector is off (gc_wasip1.go), so the hot path must
// not allocate, and Go's wasip1 path calls build a joined path string every
// time. The executor names files relative to directory descriptors instead:
// the case directory for A and B, the temporary directory for C, with names
// in reused buffers.
type laneFS struct {
	dirFD, tmpFD int
	fnames       [len(Files)]string
	cName        []byte
}

//go:wasmimport wasi_snapshot_preview1 path_filestat_get
//go:noescape
func pathFilestatGet(fd int32, flags uint32, path unsafe.Pointer, pathLen uint32, buf unsafe.Pointer) uint32

//go:wasmimport wasi_snapshot_preview1 path_unlink_file
//go:noescape
func pathUnlinkFile(fd int32, path unsafe.Pointer, pathLen uint32) uint32

func openDir(path string) (int, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		return -1, fmt.Errorf("cannot open directory %s: %w", path, err)
	}
	return fd, nil
}

func (l *lane) fsInit() error {
	l.fnames[0], l.fnames[1] = "A", "B"
	l.dirFD = -1
	var err error
	if l.tmpFD, err = openDir(l.cfg.TmpDir); err != nil {
		return err
	}
	// C's name relative to TmpDir: the prefix, then the case index.
	l.cName = append(l.cName[:0], filepath.Base(l.tmpPfx)...)
	if !l.cfg.KeepFiles {
		l.dirFD, err = openDir(l.dir)
	}
	return err
}

func (l *lane) fsClose() {
	syscall.Close(l.tmpFD)
	if l.dirFD >= 0 {
		syscall.Close(l.dirFD)
	}
}

func (l *lane) fsCase(index int64) error {
	if l.cfg.KeepFiles { // a new directory per case
		if l.dirFD >= 0 {
			syscall.Close(l.dirFD)
		}
		var err error
		if l.dirFD, err = openDir(l.dir); err != nil {
			return err
		}
	}
	n := len(filepath.Base(l.tmpPfx))
	l.cName = strconv.AppendInt(l.cName[:n], index, 10)
	// The string aliases the buffer; it is used only while this case runs.
	l.fnames[2] = unsafe.String(&l.cName[0], len(l.cName))
	l.paths[2] = "" // only for messages; see name()
	return nil
}

func (l *lane) fdOf(f int) int {
	if f == 2 {
		return l.tmpFD
	}
	return l.dirFD
}

func (l *lane) open(f int, flags int) (int, error) {
	return syscall.Openat(l.fdOf(f), l.fnames[f], flags, 0o644)
}

func (l *lane) stat(f int) (int64, error) {
	var buf [64]byte // WASI filestat: size at offset 32
	name := l.fnames[f]
	if e := pathFilestatGet(int32(l.fdOf(f)), 1, unsafe.Pointer(unsafe.StringData(name)), uint32(len(name)), unsafe.Pointer(&buf)); e != 0 {
		return 0, syscall.Errno(e)
	}
	return *(*int64)(unsafe.Pointer(&buf[32])), nil
}

func (l *lane) unlink(f int) error {
	name := l.fnames[f]
	if e := pathUnlinkFile(int32(l.fdOf(f)), unsafe.Pointer(unsafe.StringData(name)), uint32(len(name))); e != 0 {
		return syscall.Errno(e)
	}
	return nil
}
