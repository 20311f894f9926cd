//go:build wasip1

package wasix

import "unsafe"

//go:wasmimport wasix_32v1 thread_parallelism
func threadParallelism(ret unsafe.Pointer) uint32

// ThreadParallelism asks the runtime how many threads it can run in
// parallel (WASIX thread_parallelism). ok is false when the runtime does
// not say.
func ThreadParallelism() (n int, ok bool) {
	var v uint32
	if errno := threadParallelism(unsafe.Pointer(&v)); errno != 0 || v == 0 {
		return 0, false
	}
	return int(v), true
}
