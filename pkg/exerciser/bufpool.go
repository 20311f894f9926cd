package exerciser

import "sync"

// buffers hands the workers' model buffers from one run to the next. A
// long-lived server under Wasmer runs with the garbage collector off
// (docs/findings.md: a collection stalls the guest there), so a buffer a
// finished run dropped would never come back; reusing them bounds the
// server's memory by its busiest moment instead of the sum of all its runs.
var buffers bufPool

type bufPool struct {
	mu   sync.Mutex
	free [][]byte
}

// get returns a buffer of length n, reusing the smallest free one that fits.
// Its contents are arbitrary: the worker fills or clears what it reads.
func (p *bufPool) get(n uint64) []byte {
	p.mu.Lock()
	best := -1
	for i, b := range p.free {
		if uint64(cap(b)) >= n && (best < 0 || cap(b) < cap(p.free[best])) {
			best = i
		}
	}
	if best >= 0 {
		b := p.free[best]
		p.free = append(p.free[:best], p.free[best+1:]...)
		p.mu.Unlock()
		return b[:n]
	}
	p.mu.Unlock()
	return make([]byte, n)
}

// put gives buffers back for a later run.
func (p *bufPool) put(bs ...[]byte) {
	p.mu.Lock()
	for _, b := range bs {
		if cap(b) > 0 {
			p.free = append(p.free, b)
		}
	}
	p.mu.Unlock()
}

// release gives the worker's buffers back; the worker must not run again.
func (w *worker) release() {
	buffers.put(w.mod.good, w.orig, w.tmp)
	w.mod.good, w.orig, w.tmp = nil, nil, nil
}
