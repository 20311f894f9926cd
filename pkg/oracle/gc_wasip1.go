package oracle

import "runtime/debug"

// Under the Wasmer SDK a Go guest hangs as soon as the garbage collector
// runs: its background workers sleep through poll_oneoff with a relative
// timeout, which never returns there, and in this guest even a collection
// started by hand (runtime.GC) hung at the first call (docs/findings.md).
// So under wasip1 the automatic collector is switched off for the rest of
// the process and never collects: the executor names files through
// directory descriptors with reused buffers, so a case allocates about 21
// bytes and a whole chain-3 run stays far below wasm32's 4 GiB. (The guest
// already turns the collector off at start-up; this keeps the package safe
// for other wasip1 programs.)
func gcOff() func() {
	debug.SetGCPercent(-1)
	return func() {} // never back on: a cycle would start at once and hang
}

// Under wasip1 there is one thread and nothing to pin: the workers stay
// plain goroutines.
func lockThread()   {}
func unlockThread() {}
