package oracle

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// Under the Wasmer SDK a Go guest hangs as soon as the garbage collector
// runs in the background: its workers sleep through poll_oneoff with a
// relative timeout, which never returns there (docs/findings.md). An
// explicit runtime.GC() does not sleep and completes. So for the length of
// a run the automatic collector is off and the merger collects by hand
// after every gcEvery bytes allocated; per-case allocation is kept small, so
// that is rare.
const gcEvery = 16 << 20

type gcGuard struct {
	sample [1]metrics.Sample
	last   uint64
}

func newGCGuard() *gcGuard {
	g := &gcGuard{}
	g.sample[0].Name = "/gc/heap/allocs:bytes"
	g.last = g.allocs()
	return g
}

func (g *gcGuard) allocs() uint64 {
	metrics.Read(g.sample[:])
	if g.sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return g.sample[0].Value.Uint64()
}

// gcOff turns the automatic collector off for the rest of the process.
// It is never turned back on: restoring it with a heap above the old goal
// starts a background cycle at once, and the guest hangs at the end of an
// otherwise finished run (seen on the SDK with kept case files).
func gcOff() func() {
	debug.SetGCPercent(-1)
	return func() {}
}

// maybe collects when enough was allocated since the last collection.
func (g *gcGuard) maybe() {
	if a := g.allocs(); a-g.last >= gcEvery {
		runtime.GC()
		g.last = g.allocs()
	}
}
