package exerciser

import (
	"syscall"
	"unsafe"
)

// openPath is openat(AT_FDCWD, …) on a NUL-terminated path prepared once:
// syscall.Open would allocate the C string on every close_open.
func openPath(_ string, pathz []byte, mode int) (int, error) {
	atFDCWD := -0x64
	fd, _, errno := syscall.Syscall6(syscall.SYS_OPENAT, uintptr(atFDCWD), uintptr(unsafe.Pointer(&pathz[0])),
		uintptr(mode|syscall.O_CLOEXEC), 0o666, 0, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}
