//go:build !wasip1

package wasix

import "runtime"

// ThreadParallelism is runtime.NumCPU natively.
func ThreadParallelism() (n int, ok bool) { return runtime.NumCPU(), true }
