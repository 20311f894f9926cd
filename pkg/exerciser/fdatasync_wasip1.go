package exerciser

import "syscall"

// Go's syscall package has no Fdatasync on wasip1, but WASI preview 1 has
// fd_datasync, so we import it ourselves: every WASI runtime provides it,
// and falling back to fd_sync would leave the runtime's datasync untested.
//
//go:wasmimport wasi_snapshot_preview1 fd_datasync
func fdDatasync(fd int32) uint32

func fdatasync(fd int) error {
	if errno := fdDatasync(int32(fd)); errno != 0 {
		return syscall.Errno(errno)
	}
	return nil
}
