//go:build wasip1

package main

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"
	"unsafe"
)

//go:wasmimport wasi_snapshot_preview1 poll_oneoff
func pollOneoff(in, out unsafe.Pointer, nsubscriptions uint32, nevents unsafe.Pointer) uint32

//go:wasmimport wasi_snapshot_preview1 clock_time_get
func clockTimeGet(id uint32, precision uint64, ts unsafe.Pointer) uint32

//go:wasmimport wasi_snapshot_preview1 fd_fdstat_get
func fdFdstatGet(fd int32, buf unsafe.Pointer) uint32

// pollClock waits d with one clock subscription on the monotonic clock:
// relative (flags=0, as Go's runtime does) or absolute (flags=1, deadline =
// now + d), with the given precision (Go's runtime asks for 1µs).
func pollClock(abs bool, d, precision time.Duration) uint32 {
	var sub [48]byte // userdata u64, tag u8 @8 (0 = clock), id u32 @16, timeout u64 @24, precision u64 @32, flags u16 @40
	var ev [32]byte
	var n uint32
	timeout := uint64(d)
	if abs {
		var now uint64
		clockTimeGet(1, 0, unsafe.Pointer(&now))
		timeout += now
		binary.LittleEndian.PutUint16(sub[40:], 1)
	}
	binary.LittleEndian.PutUint32(sub[16:], 1) // CLOCK_MONOTONIC
	binary.LittleEndian.PutUint64(sub[24:], timeout)
	binary.LittleEndian.PutUint64(sub[32:], uint64(precision))
	return pollOneoff(unsafe.Pointer(&sub), unsafe.Pointer(&ev), 1, unsafe.Pointer(&n))
}

// pollFd is one poll_oneoff with an fd_read (tag 1) or fd_write (tag 2)
// subscription on fd (userdata 1; fd u32 @16) and, when clock, a relative
// monotonic clock subscription after it (userdata 2, timeout d, precision
// 1µs: the netpoller's own clock). It describes the errno and each event:
// userdata u64 @0, error u16 @8, type u8 @10, nbytes u64 @16, flags u16 @24.
func pollFd(fd int, write, clock bool, d time.Duration) string {
	var subs [2 * 48]byte
	var evs [2 * 32]byte
	var n uint32
	binary.LittleEndian.PutUint64(subs[0:], 1)
	subs[8] = 1 // EVENTTYPE_FD_READ
	if write {
		subs[8] = 2 // EVENTTYPE_FD_WRITE
	}
	binary.LittleEndian.PutUint32(subs[16:], uint32(fd))
	nsubs := uint32(1)
	if clock {
		c := subs[48:]
		binary.LittleEndian.PutUint64(c[0:], 2)
		binary.LittleEndian.PutUint32(c[16:], 1) // CLOCK_MONOTONIC, tag 0, flags 0 (relative)
		binary.LittleEndian.PutUint64(c[24:], uint64(d))
		binary.LittleEndian.PutUint64(c[32:], 1000)
		nsubs = 2
	}
	errno := pollOneoff(unsafe.Pointer(&subs), unsafe.Pointer(&evs), nsubs, unsafe.Pointer(&n))
	var b strings.Builder
	fmt.Fprintf(&b, "errno=%d nevents=%d", errno, n)
	for i := uint32(0); i < n && i < 2; i++ {
		e := evs[32*i:]
		fmt.Fprintf(&b, " [userdata=%d type=%s error=%d nbytes=%d flags=%d]",
			binary.LittleEndian.Uint64(e), [...]string{"clock", "fd_read", "fd_write", "?"}[min(e[10], 3)],
			binary.LittleEndian.Uint16(e[8:]), binary.LittleEndian.Uint64(e[16:]), binary.LittleEndian.Uint16(e[24:]))
	}
	return b.String()
}

// fdFlags is fd_fdstat_get's fs_flags (u16 @2 of the 24-byte fdstat;
// 4 = NONBLOCK) and errno.
func fdFlags(fd int) (uint16, uint32) {
	var st [24]byte
	errno := fdFdstatGet(int32(fd), unsafe.Pointer(&st))
	return binary.LittleEndian.Uint16(st[2:]), errno
}
