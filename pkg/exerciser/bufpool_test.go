package exerciser

import (
	"bytes"
	"testing"
)

// TestRunsReuseDirtyBuffers: a second run takes the first run's buffers
// (so a server with the GC off does not grow per run), and buffers full of
// stale bytes never make a correct file look wrong.
func TestRunsReuseDirtyBuffers(t *testing.T) {
	// Not parallel: it watches the package's pool.
	cfg := smallConfig()
	stale := make([][]byte, 6)
	for i := range stale {
		stale[i] = bytes.Repeat([]byte{0xa5}, int(cfg.FileLen))
	}
	buffers.put(stale...)
	for round := 1; round <= 2; round++ {
		res, out := run(t, Options{Config: cfg, NumOps: 2000, Seed: uint64(round), Threads: 2})
		if !res.OK() {
			t.Fatalf("round %d over reused, dirty buffers failed:\n%s", round, out)
		}
	}
	buffers.mu.Lock()
	n := len(buffers.free)
	buffers.mu.Unlock()
	// 6 stale buffers in; each 2-worker run takes 6 (2 models, 2 patterns,
	// 2 read buffers, all fit in the stale ones) and gives all 6 back.
	// Fewer means runs keep buffers; more means they allocate new ones.
	if n != 6 {
		t.Fatalf("pool holds %d buffers after two 2-worker runs; want exactly the 6 it started with", n)
	}
}
