//go:build !wasip1

package oracle

import "runtime"

// Natively the collector runs as usual (see gc_wasip1.go for why wasip1 differs).
func gcOff() func() { return func() {} }

// Natively each worker is its own OS thread, as in the Rust tool.
func lockThread()   { runtime.LockOSThread() }
func unlockThread() { runtime.UnlockOSThread() }
