// Package eintr holds the system calls the executors make, repeated when a
// signal interrupts them (natively, Go's preemption signals can interrupt
// a syscall; WASI has no signals). One copy for the oracle and the
// differential executor; they must not allocate (the guest's collector is
// off under wasip1), and these do not.
package eintr

import "syscall"

// Retry calls f until it does not fail with EINTR.
func Retry(f func() error) error {
	for {
		if err := f(); err != syscall.EINTR {
			return err
		}
	}
}

// Close closes fd; an interrupted close is not retried, since Linux has
// released the descriptor either way.
func Close(fd int) error {
	err := syscall.Close(fd)
	if err == syscall.EINTR {
		return nil
	}
	return err
}

// Write writes b to fd; n is never negative.
func Write(fd int, b []byte) (int, error) {
	for {
		n, err := syscall.Write(fd, b)
		if err != syscall.EINTR {
			return max(n, 0), err
		}
	}
}

// Unlink removes path.
func Unlink(path string) error {
	for {
		if err := syscall.Unlink(path); err != syscall.EINTR {
			return err
		}
	}
}
