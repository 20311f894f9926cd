package fsop

import (
	"errors"
	"syscall"
)

// Errno is a portable error kind: a closed set, the same on every platform.
// Linux and WASI number their errnos differently, so a transcript never
// holds a raw errno number; anything outside the set is EOTHER (printed
// with its platform message in verbose runs).
type Errno uint8

// The error kinds. OK is success.
const (
	OK Errno = iota
	ENOENT
	EEXIST
	EBADF
	EISDIR
	ENOTDIR
	EINVAL
	EACCES
	EPERM
	ENOSPC
	EXDEV
	EIO
	ENOTEMPTY
	ESPIPE
	EROFS
	EMFILE
	ENFILE
	ENOTSUP
	ENOSYS
	EAGAIN
	EINTR
	EFBIG
	ENAMETOOLONG
	ELOOP
	EBUSY
	EOVERFLOW
	ENOTCAPABLE
	EFAULT
	EOTHER
	numErrno
)

var errnoNames = [numErrno]string{"ok", "ENOENT", "EEXIST", "EBADF", "EISDIR", "ENOTDIR", "EINVAL", "EACCES", "EPERM",
	"ENOSPC", "EXDEV", "EIO", "ENOTEMPTY", "ESPIPE", "EROFS", "EMFILE", "ENFILE", "ENOTSUP", "ENOSYS", "EAGAIN",
	"EINTR", "EFBIG", "ENAMETOOLONG", "ELOOP", "EBUSY", "EOVERFLOW", "ENOTCAPABLE", "EFAULT", "EOTHER"}

func (e Errno) String() string {
	if e < numErrno {
		return errnoNames[e]
	}
	return "EOTHER"
}

// ParseErrno is String's inverse.
func ParseErrno(s string) (Errno, bool) {
	for i, n := range errnoNames {
		if n == s {
			return Errno(i), true
		}
	}
	return 0, false
}

// errnoMap maps the platform's errnos; errno_wasip1.go adds WASI-only ones.
var errnoMap = map[syscall.Errno]Errno{
	syscall.ENOENT: ENOENT, syscall.EEXIST: EEXIST, syscall.EBADF: EBADF, syscall.EISDIR: EISDIR,
	syscall.ENOTDIR: ENOTDIR, syscall.EINVAL: EINVAL, syscall.EACCES: EACCES, syscall.EPERM: EPERM,
	syscall.ENOSPC: ENOSPC, syscall.EXDEV: EXDEV, syscall.EIO: EIO, syscall.ENOTEMPTY: ENOTEMPTY,
	syscall.ESPIPE: ESPIPE, syscall.EROFS: EROFS, syscall.EMFILE: EMFILE, syscall.ENFILE: ENFILE,
	syscall.ENOTSUP: ENOTSUP, syscall.ENOSYS: ENOSYS, syscall.EAGAIN: EAGAIN,
	syscall.EINTR: EINTR, syscall.EFBIG: EFBIG, syscall.ENAMETOOLONG: ENAMETOOLONG, syscall.ELOOP: ELOOP,
	syscall.EBUSY: EBUSY, syscall.EOVERFLOW: EOVERFLOW, syscall.EFAULT: EFAULT,
}

// ErrnoOf normalises err: nil is OK, a syscall errno maps into the closed
// set, anything else is EOTHER.
func ErrnoOf(err error) Errno {
	if err == nil {
		return OK
	}
	// The executor's errors are bare errnos: no errors.As, which allocates.
	e, ok := err.(syscall.Errno)
	if !ok && !errors.As(err, &e) {
		return EOTHER
	}
	if k, ok := errnoMap[e]; ok {
		return k
	}
	return EOTHER
}

// Where EOPNOTSUPP is a different number from ENOTSUP (WASI), it is the same kind.
func init() {
	if _, dup := errnoMap[syscall.EOPNOTSUPP]; !dup {
		errnoMap[syscall.EOPNOTSUPP] = ENOTSUP
	}
}
