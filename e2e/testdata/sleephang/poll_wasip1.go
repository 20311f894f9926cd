//go:build wasip1

package main

import (
	"encoding/binary"
	"time"
	"unsafe"
)

//go:wasmimport wasi_snapshot_preview1 poll_oneoff
func pollOneoff(in, out unsafe.Pointer, nsubscriptions uint32, nevents unsafe.Pointer) uint32

//go:wasmimport wasi_snapshot_preview1 clock_time_get
func clockTimeGet(id uint32, precision uint64, ts unsafe.Pointer) uint32

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
