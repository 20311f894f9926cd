package oracle

import (
	"context"
	"io"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/pkg/transcript"
)

// BenchmarkFloor is the bare per-case cost the oracle is measured against:
// make a case directory with two 32-byte files, do nothing, remove it all.
// On the test's temp dir (ext4 here, like /tmp).
func BenchmarkFloor(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "case")
	data := fills[0][:32]
	for b.Loop() {
		if err := syscall.Mkdir(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		for _, f := range []string{dir + "/A", dir + "/B"} {
			fd, err := syscall.Open(f, syscall.O_RDWR|syscall.O_CREAT, 0o644)
			if err != nil {
				b.Fatal(err)
			}
			syscall.Write(fd, data)
			syscall.Close(fd)
		}
		syscall.Unlink(dir + "/A")
		syscall.Unlink(dir + "/B")
		if err := syscall.Rmdir(dir); err != nil {
			b.Fatal(err)
		}
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// benchRun runs cases [start, start+count) of chain L into a transcript
// that is only counted, and reports per-case figures.
func benchRun(b *testing.B, L int, start, count int64, lanes int, keep bool) {
	b.Helper()
	root := filepath.Join(b.TempDir(), "root")
	var cases, bytes int64
	for b.Loop() {
		cw := &countWriter{}
		w, err := transcript.NewWriter(cw, ReportHeader{Header: transcript.Header{First: start, Count: count}, ReportMeta: ReportMeta{Chain: L}}.Framing())
		if err != nil {
			b.Fatal(err)
		}
		err = Run(context.Background(), Config{Chain: L, Start: start, Count: count, Root: root, Lanes: lanes, KeepFiles: keep, StderrFD: quiet},
			func(_ int64, rec []byte) error { return w.Write(rec) })
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		cases += count
		bytes += cw.n
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(cases)/sec, "cases/s")
	b.ReportMetric(sec*1e6/float64(cases), "µs/case")
	b.ReportMetric(sec*1e6*float64(lanes)/float64(cases), "µs/case/lane")
	b.ReportMetric(float64(bytes)/float64(cases), "bytes/case")
}

// Chain 2: the whole run per iteration, on every core and on one lane.
func BenchmarkChain2(b *testing.B) {
	benchRun(b, 2, 0, 5832, runtime.NumCPU(), false)
}

func BenchmarkChain2OneLane(b *testing.B) { benchRun(b, 2, 0, 5832, 1, false) }

// Chain 2 keeping every case's files, as the mounted-volume run does.
func BenchmarkChain2Keep(b *testing.B) { benchRun(b, 2, 0, 5832, runtime.NumCPU(), true) }

// Chain 3: a 40,000-case slice from the middle per iteration (the whole
// run takes ~50 s; `fsx-wasix --oracle -N 3` measures that).
func BenchmarkChain3(b *testing.B) {
	benchRun(b, 3, 300000, 40000, runtime.NumCPU(), false)
}

// BenchmarkTranscriptRead is the cost of reading a chain-2 report back.
func BenchmarkTranscriptRead(b *testing.B) {
	path := filepath.Join(b.TempDir(), "r.bin")
	o := Options{Config: Config{Chain: 2, Start: 0, Count: 5832, Root: filepath.Join(b.TempDir(), "root"), Lanes: 2, StderrFD: quiet}, Output: path}
	if _, err := Execute(context.Background(), o); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		r, err := transcript.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := r.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
		r.Close()
	}
}
