package exerciser

import (
	"io"
	"syscall"
)

// File is the handle a worker drives: one method per system call the ops
// make. The OS implementation calls the syscall package directly, because
// os.File.Stat allocates (a FileInfo per call) and the loop must not; tests
// wrap it to drop writes, flip bytes or lie about the size.
type File interface {
	ReadAt(p []byte, off int64) (int, error)  // pread
	WriteAt(p []byte, off int64) (int, error) // pwrite
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
	Seek(offset int64, whence int) (int64, error)
	Truncate(size int64) error
	Sync() error
	Datasync() error
	Size() (int64, error) // fstat
	Close() error
}

// FS opens the files a worker drives.
type FS interface {
	Create(path string) (File, error) // read-write, created or truncated
	Open(path string) (File, error)   // read-write, must exist
}

// OSFS is the real filesystem.
type OSFS struct{}

func (OSFS) Create(path string) (File, error) {
	return openFD(path, syscall.O_RDWR|syscall.O_CREAT|syscall.O_TRUNC)
}

func (OSFS) Open(path string) (File, error) { return openFD(path, syscall.O_RDWR) }

func openFD(path string, mode int) (File, error) {
	f := &fdFile{path: path, pathz: append([]byte(path), 0)}
	fd, err := f.open(mode)
	if err != nil {
		return nil, err
	}
	f.fd = fd
	return f, nil
}

// reopener is a File that can close_open itself without allocating a new
// handle (a handle per close_open would make the loop allocate).
type reopener interface {
	Reopen() error // the file must be closed already
}

// fdFile is a raw descriptor. EINTR is retried (network filesystems can
// return it); every other error is the filesystem's answer and is reported.
type fdFile struct {
	fd    int
	path  string
	pathz []byte         // path with a NUL, for an allocation-free openat
	st    syscall.Stat_t // reused by Size so fstat does not allocate
}

func (f *fdFile) Reopen() error {
	fd, err := f.open(syscall.O_RDWR)
	if err != nil {
		return err
	}
	f.fd = fd
	return nil
}

func (f *fdFile) open(mode int) (int, error) {
	for {
		fd, err := openPath(f.path, f.pathz, mode)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

func (f *fdFile) ReadAt(p []byte, off int64) (int, error) {
	for {
		n, err := syscall.Pread(f.fd, p, off)
		if err != syscall.EINTR {
			return max(n, 0), err
		}
	}
}

func (f *fdFile) WriteAt(p []byte, off int64) (int, error) {
	for {
		n, err := syscall.Pwrite(f.fd, p, off)
		if err != syscall.EINTR {
			return max(n, 0), err
		}
	}
}

func (f *fdFile) Read(p []byte) (int, error) {
	for {
		n, err := syscall.Read(f.fd, p)
		if err != syscall.EINTR {
			if n == 0 && err == nil && len(p) > 0 {
				return 0, io.EOF
			}
			return max(n, 0), err
		}
	}
}

func (f *fdFile) Write(p []byte) (int, error) {
	for {
		n, err := syscall.Write(f.fd, p)
		if err != syscall.EINTR {
			return max(n, 0), err
		}
	}
}

func (f *fdFile) Seek(offset int64, whence int) (int64, error) {
	return syscall.Seek(f.fd, offset, whence)
}

func (f *fdFile) Truncate(size int64) error {
	for {
		if err := syscall.Ftruncate(f.fd, size); err != syscall.EINTR {
			return err
		}
	}
}

func (f *fdFile) Sync() error { return syscall.Fsync(f.fd) }

func (f *fdFile) Datasync() error { return fdatasync(f.fd) }

func (f *fdFile) Size() (int64, error) {
	if err := syscall.Fstat(f.fd, &f.st); err != nil {
		return -1, err
	}
	return int64(f.st.Size), nil
}

func (f *fdFile) Close() error {
	err := syscall.Close(f.fd)
	f.fd = -1
	return err
}
