package exerciser

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
	"github.com/fsx-wasix/fsx-wasix/pkg/shrink"
)

// Faults that depend on what an op does, not on how many calls came before
// (a real runtime bug's shape), so that a shrunk program still meets them.
var stateFaults = []struct {
	name  string
	fault func(fs *faultFS, f *faultFile, m string, n int, p []byte, off int64) (bool, int, error)
}{
	{"large pwrite past 64 KiB dropped", func(fs *faultFS, f *faultFile, m string, n int, p []byte, off int64) (bool, int, error) {
		return m == "WriteAt" && off >= 64<<10 && len(p) > 3000, len(p), nil
	}},
	{"read through the offset flips a byte past 128 KiB", func(fs *faultFS, f *faultFile, m string, n int, p []byte, off int64) (bool, int, error) {
		if m == "Read" && len(p) > 100 {
			pos, _ := f.File.Seek(0, 1)
			if pos-int64(len(p)) >= 128<<10 {
				p[len(p)/2] ^= 1
			}
		}
		return false, 0, nil
	}},
	{"truncate down fails with EIO", func(fs *faultFS, f *faultFile, m string, n int, p []byte, off int64) (bool, int, error) {
		if m == "Truncate" {
			if size, _ := f.File.Size(); off < size && off > 0 {
				return true, 0, syscall.EIO
			}
		}
		return false, 0, nil
	}},
}

// Shrinking a failure from each fault ends with at most 10 ops that still
// fail the same way, and every op is needed: removing any one, or halving
// any one's size, passes.
func TestShrinkIsOneMinimal(t *testing.T) {
	t.Parallel()
	for _, sf := range stateFaults {
		t.Run(sf.name, func(t *testing.T) {
			t.Parallel()
			cfg := smallConfig()
			dir := t.TempDir()
			fs := &faultFS{calls: map[string]int{}, fault: sf.fault}
			first, _ := run(t, Options{Path: filepath.Join(dir, "a"), Threads: 1, NumOps: 5000, Seed: 3, Config: cfg, FS: fs})
			fl := first.Workers[0].Failure
			if fl == nil {
				t.Fatal("the fault was not detected")
			}
			data, _ := os.ReadFile(fl.OpsFile)
			_, ops, err := fsop.ParseOps(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			opts := Options{Path: filepath.Join(dir, "s"), Threads: 1, Seed: 3, Config: cfg, FS: fs, Out: &bytes.Buffer{}}
			r, err := Shrink(t.Context(), opts, ops, shrink.Options[fsop.Entry]{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Stopped != "" || len(r.Ops) > 10 || r.Failure == nil || r.Failure.Code != fl.Code {
				t.Fatalf("shrunk %d ops to %d (stopped %q), failure %+v; want <= 10 ops failing with %d", r.Original, len(r.Ops), r.Stopped, r.Failure, fl.Code)
			}
			t.Logf("%d ops -> %d in %d runs: %v", r.Original, len(r.Ops), r.Attempts, r.Ops)
			fails := func(c []fsop.Entry) bool {
				o := opts
				o.Replay, o.NoArtifacts, o.Out = c, true, nil
				res, err := Run(context.Background(), o)
				if err != nil {
					return false
				}
				f := res.Workers[0].Failure
				return f != nil && f.Code == fl.Code
			}
			for i := range r.Ops {
				less := append(append([]fsop.Entry(nil), r.Ops[:i]...), r.Ops[i+1:]...)
				if len(less) > 0 && fails(less) {
					t.Errorf("still fails without op %d (%v): not 1-minimal", i+1, r.Ops[i].Op)
				}
				if half, ok := halveSize(r.Ops[i]); ok {
					smaller := append([]fsop.Entry(nil), r.Ops...)
					smaller[i] = half
					if fails(smaller) {
						t.Errorf("still fails with op %d's size halved (%v): not 1-minimal", i+1, half.Op)
					}
				}
			}
		})
	}
}

func TestShrinkOfAPassingProgram(t *testing.T) {
	t.Parallel()
	ops := []fsop.Entry{{Op: fsop.RandomOp(fsop.Write, 0, 100)}, {Op: fsop.RandomOp(fsop.Read, 0, 100)}}
	_, err := Shrink(t.Context(), Options{Path: filepath.Join(t.TempDir(), "f"), Threads: 1, Seed: 1, Config: smallConfig()}, ops, shrink.Options[fsop.Entry]{})
	if !errors.Is(err, ErrNoFailure) {
		t.Fatalf("got %v, want ErrNoFailure", err)
	}
}
