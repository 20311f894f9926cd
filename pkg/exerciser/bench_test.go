package exerciser

import (
	"bytes"
	"io"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// benchWorker runs one worker's loop for b.N ops (set-up excluded) and
// reports ops/s and the worker's memory. The file lives in b.TempDir(), so
// TMPDIR picks the filesystem (docs/perf-random.md: ext4 and tmpfs).
func benchWorker(b *testing.B, cfg Config) {
	opts := Options{Path: filepath.Join(b.TempDir(), "f"), Threads: 1, NumOps: int64(b.N), Config: cfg, Seed: 1, Out: io.Discard}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	w, err := setupWorker(1, &opts, OSFS{}, &syncWriter{w: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	res := w.run(b.Context())
	el := time.Since(start)
	b.StopTimer()
	if res.Failure != nil {
		b.Fatal(res.Failure.Report)
	}
	b.ReportMetric(float64(b.N)/el.Seconds(), "ops/s")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB/worker")
}

// The seed's fsx-10mb.toml mix: a sixth of the ops are close_open, each
// followed by a full-file compare.
func BenchmarkSeedMix(b *testing.B) { benchWorker(b, seedConfig(b)) }

// The same mix without close_open: what the per-op loop costs.
func BenchmarkSeedMixNoCloseOpen(b *testing.B) {
	c := seedConfig(b)
	c.Weights.CloseOpen = 0
	benchWorker(b, c)
}

// The seed's mix without the size judge (nosizechecks): what fstat and
// seek-to-end after every op cost. The issue requires them; this only
// measures them.
func BenchmarkSeedMixNoSizeChecks(b *testing.B) {
	c := seedConfig(b)
	c.NoSizeChecks = true
	benchWorker(b, c)
}

// BenchmarkBareLoop is the baseline the issue compares against: pwrite,
// pread and compare of 1..64 KiB at random offsets in a 10 MiB file, with
// nothing else (no model, no size checks). One pair per iteration.
func BenchmarkBareLoop(b *testing.B) {
	const flen, maxOp = 10 << 20, 64 << 10
	fd, err := syscall.Open(filepath.Join(b.TempDir(), "bare"), syscall.O_RDWR|syscall.O_CREAT|syscall.O_TRUNC, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.Ftruncate(fd, flen); err != nil {
		b.Fatal(err)
	}
	wbuf, rbuf := make([]byte, maxOp), make([]byte, maxOp)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range wbuf {
		wbuf[i] = byte(r.Uint32())
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		n := 1 + r.IntN(maxOp)
		off := int64(r.IntN(flen - n + 1))
		if w, err := syscall.Pwrite(fd, wbuf[:n], off); err != nil || w != n {
			b.Fatal(w, err)
		}
		if got, err := syscall.Pread(fd, rbuf[:n], off); err != nil || got != n {
			b.Fatal(got, err)
		}
		if !bytes.Equal(wbuf[:n], rbuf[:n]) {
			b.Fatal("miscompare")
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "pairs/s")
}

// Reads and writes only (no truncate, no close_open): the loop's own
// overhead next to BenchmarkBareLoop, without the model's memclr on growth.
func BenchmarkReadWriteOnly(b *testing.B) {
	c := seedConfig(b)
	c.Weights = Weights{Read: 1, Write: 1, MapRead: 1, MapWrite: 1}
	benchWorker(b, c)
}
