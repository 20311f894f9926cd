//go:build !linux && !wasip1

package exerciser

import "syscall"

// Platforms without fdatasync(2) in the syscall package (macOS, BSDs) get
// fsync, which gives at least the same guarantee.
func fdatasync(fd int) error { return syscall.Fsync(fd) }
