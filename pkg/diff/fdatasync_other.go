//go:build !linux && !wasip1

package diff

import "syscall"

// Where the platform has no fdatasync, fsync stands in (natively only: the
// expected answers come from Linux).
func fdatasync(fd int) error { return syscall.Fsync(fd) }
