//go:build wasip1

package server

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"unsafe"
)

//go:wasmimport wasi_snapshot_preview1 fd_fdstat_get
func fdFdstatGet(fd int32, stat unsafe.Pointer) uint32

const (
	filetypeSocketStream = 6
	errnoBADF            = 8
	maxPreopenScan       = 256
)

// preopenedListener finds the first listening TCP socket the host pre-opened.
// wazero numbers pre-opened sockets after the pre-opened directories, so
// their fd depends on how many volumes the runner mounted: scan from 3.
//
// The type is checked with fd_fdstat_get before wrapping the fd in an
// os.File: a failed net.FileListener followed by Close (or the os.File's
// finalizer) would close a pre-opened directory.
func preopenedListener() (net.Listener, string, error) {
	for fd := int32(3); fd < maxPreopenScan; fd++ {
		var st [24]byte // fdstat: filetype u8, flags u16, rights u64 ×2
		switch e := fdFdstatGet(fd, unsafe.Pointer(&st[0])); {
		case e == errnoBADF:
			return nil, "", errors.New("no pre-opened listening socket (under wazero, start the runner with a TCP listener)")
		case e != 0 || st[0] != filetypeSocketStream:
			continue
		}
		// Non-blocking, or accept would block the only thread in the host and
		// no accepted connection would ever be served.
		if err := syscall.SetNonblock(int(fd), true); err != nil {
			return nil, "", fmt.Errorf("pre-opened fd %d: set non-blocking: %w", fd, err)
		}
		f := os.NewFile(uintptr(fd), "preopened-listener")
		ln, err := net.FileListener(f)
		f.Close() // the listener holds its own reference
		if err != nil {
			return nil, "", fmt.Errorf("pre-opened fd %d: %w", fd, err)
		}
		return ln, fmt.Sprintf("pre-opened socket (fd %d)", fd), nil
	}
	return nil, "", errors.New("no pre-opened listening socket among the first 256 fds")
}
