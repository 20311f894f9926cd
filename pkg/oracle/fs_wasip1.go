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

func (fs *caseFS) fsInit() error {
	fs.fnames[0], fs.fnames[1] = "A", "B"
	fs.dirFD = -1
	var err error
	if fs.tmpFD, err = openDir(fs.cfg.TmpDir); err != nil {
		return err
	}
	// C's name relative to TmpDir: the prefix, then the case index.
	fs.cName = append(fs.cName[:0], filepath.Base(fs.tmpPfx)...)
	if !fs.cfg.KeepFiles {
		fs.dirFD, err = openDir(fs.dir)
	}
	return err
}

func (fs *caseFS) fsClose() {
	syscall.Close(fs.tmpFD)
	if fs.dirFD >= 0 {
		syscall.Close(fs.dirFD)
	}
}

func (fs *caseFS) fsCase(index int64) error {
	if fs.cfg.KeepFiles { // a new directory per case
		if fs.dirFD >= 0 {
			syscall.Close(fs.dirFD)
		}
		var err error
		if fs.dirFD, err = openDir(fs.dir); err != nil {
			return err
		}
	}
	n := len(filepath.Base(fs.tmpPfx))
	fs.cName = strconv.AppendInt(fs.cName[:n], index, 10)
	// The string aliases the buffer; it is used only while this case runs.
	fs.fnames[2] = unsafe.String(&fs.cName[0], len(fs.cName))
	fs.paths[2] = "" // only for messages; see name()
	return nil
}

func (fs *caseFS) fdOf(f int) int {
	if f == 2 {
		return fs.tmpFD
	}
	return fs.dirFD
}

func (fs *caseFS) open(f int, flags int) (int, error) {
	return syscall.Openat(fs.fdOf(f), fs.fnames[f], flags, 0o644)
}

func (fs *caseFS) stat(f int) (int64, error) {
	var buf [64]byte // WASI filestat: size at offset 32
	name := fs.fnames[f]
	if e := pathFilestatGet(int32(fs.fdOf(f)), 1, unsafe.Pointer(unsafe.StringData(name)), uint32(len(name)), unsafe.Pointer(&buf)); e != 0 {
		return 0, syscall.Errno(e)
	}
	return *(*int64)(unsafe.Pointer(&buf[32])), nil
}

func (fs *caseFS) unlink(f int) error {
	name := fs.fnames[f]
	if e := pathUnlinkFile(int32(fs.fdOf(f)), unsafe.Pointer(unsafe.StringData(name)), uint32(len(name))); e != 0 {
		return syscall.Errno(e)
	}
	return nil
}
