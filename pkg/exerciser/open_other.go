//go:build !linux

package exerciser

import "syscall"

// openPath elsewhere is syscall.Open. On wasip1 this allocates the resolved
// path (a few dozen bytes per close_open): the syscall package offers no
// way around it short of re-implementing its preopen lookup.
func openPath(path string, _ []byte, mode int) (int, error) {
	return syscall.Open(path, mode, 0o666)
}
