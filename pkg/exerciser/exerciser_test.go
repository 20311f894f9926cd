package exerciser

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/progress"
	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
)

// smallConfig is the seed's mix on a 1 MiB file, plus fsync and fdatasync:
// every op kind runs, and a run of a few thousand ops takes well under a
// second.
func smallConfig() Config {
	return Config{
		FileLen: 1 << 20,
		OpSize:  OpSize{Min: 1, Max: 65536, Align: 1},
		Weights: Weights{CloseOpen: 1, Read: 1, Write: 1, MapRead: 1, MapWrite: 1, Truncate: 1, Fsync: 0, Fdatasync: 0},
	}
}

func seedConfig(t testing.TB) Config {
	c, err := LoadConfig("testdata/fsx-10mb.toml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func run(t *testing.T, o Options) (Result, string) {
	t.Helper()
	var out bytes.Buffer
	o.Out = &out
	if o.Path == "" {
		o.Path = filepath.Join(t.TempDir(), "fsxfile")
	}
	if o.Threads == 0 {
		o.Threads = 1
	}
	res, err := Run(t.Context(), o)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res, out.String()
}

func TestRunPasses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     Config
		threads int
		seed    uint64
		ops     int64
	}{
		{"seed config j1", seedConfig(t), 1, 1, 300},
		{"seed config j3", seedConfig(t), 3, 42, 200},
		{"small all ops", func() Config { c := smallConfig(); c.Weights.Fsync, c.Weights.Fdatasync = 1, 1; return c }(), 2, 7, 500},
		{"aligned", func() Config { c := smallConfig(); c.OpSize = OpSize{Min: 512, Max: 8192, Align: 512}; return c }(), 1, 9, 500},
		{"nosizechecks", func() Config { c := smallConfig(); c.NoSizeChecks = true; return c }(), 1, 11, 500},
		{"tiny file, tiny ops", Config{FileLen: 7, OpSize: OpSize{Max: 3}, Weights: Weights{Read: 1, Write: 1, Truncate: 1, CloseOpen: 1}}, 1, 5, 2000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, out := run(t, Options{Config: tt.cfg, Threads: tt.threads, Seed: tt.seed, NumOps: tt.ops})
			if !res.OK() {
				t.Fatalf("run failed (exit %d):\n%s", res.ExitCode(), out)
			}
			if len(res.Workers) != tt.threads {
				t.Fatalf("%d worker results, want %d", len(res.Workers), tt.threads)
			}
			for _, w := range res.Workers {
				if w.OpsDone != uint64(tt.ops) || w.Seed != tt.seed+uint64(w.Worker-1) {
					t.Fatalf("worker %+v: want %d ops and seed %d", w, tt.ops, tt.seed+uint64(w.Worker-1))
				}
			}
			if got := strings.Count(out, "All operations completed A-OK!"); got != tt.threads {
				t.Fatalf("%d A-OK lines, want %d:\n%s", got, tt.threads, out)
			}
		})
	}
}

// The worker's file is dir/thread-K/base with -j > 1 and FILE itself with -j 1.
func TestWorkerPaths(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	res, _ := run(t, Options{Config: smallConfig(), Threads: 2, NumOps: 10, Path: filepath.Join(dir, "f")})
	for _, w := range res.Workers {
		want := filepath.Join(dir, "thread-"+string(rune('0'+w.Worker)), "f")
		if w.Path != want {
			t.Fatalf("worker %d path %s, want %s", w.Worker, w.Path, want)
		}
		if _, err := os.Stat(want); err != nil {
			t.Fatal(err)
		}
	}
	res, _ = run(t, Options{Config: smallConfig(), Threads: 1, NumOps: 10, Path: filepath.Join(dir, "g")})
	if res.Workers[0].Path != filepath.Join(dir, "g") {
		t.Fatalf("-j 1 path %s", res.Workers[0].Path)
	}
}

// Two runs with the same seed do the same ops (the .fsxops of an injected
// failure are identical), and a different seed does different ones.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	ops := func(seed uint64) string {
		dir := t.TempDir()
		res, out := run(t, Options{Config: smallConfig(), Seed: seed, NumOps: 400, Inject: 300, Path: filepath.Join(dir, "f")})
		if res.OK() {
			t.Fatalf("inject did not fail:\n%s", out)
		}
		b, err := os.ReadFile(filepath.Join(dir, "f.fsxops"))
		if err != nil {
			t.Fatal(err)
		}
		_, body, _ := strings.Cut(string(b), "\n") // the header names the temp dir
		return body
	}
	a, b, c := ops(5), ops(5), ops(6)
	if a != b {
		t.Fatal("same seed, different ops")
	}
	if a == c {
		t.Fatal("different seeds, same ops")
	}
}

func TestInjectFailsWithReportAndArtifacts(t *testing.T) {
	t.Parallel()
	for _, seed := range []uint64{1, 2, 3, 4} {
		dir := t.TempDir()
		art := filepath.Join(dir, "art")
		res, out := run(t, Options{Config: seedConfig(t), Seed: seed, NumOps: 1000, Inject: 50, Path: filepath.Join(dir, "f"), ArtifactDir: art, ConfigPath: "cfg.toml"})
		f := res.Workers[0].Failure
		if f == nil {
			t.Fatalf("seed %d: --inject 50 did not fail:\n%s", seed, out)
		}
		if f.Code != ExitMiscompare && f.Code != ExitSize && f.Code != ExitRead {
			t.Fatalf("seed %d: exit %d, want 110, 120 or 141", seed, f.Code)
		}
		if f.Op < 50 || f.Op > 1000 {
			t.Fatalf("seed %d: failed at op %d, want at or after 50", seed, f.Op)
		}
		for _, want := range []string{"LOG DUMP", "Using seed " + itoa(seed), "INJECTED", f.Replay, "-N " + itoa(uint64(f.Op)), "--inject 50", "-f cfg.toml", "-P " + art} {
			if !strings.Contains(f.Report, want) || !strings.Contains(out, want) {
				t.Fatalf("seed %d: report lacks %q:\n%s", seed, want, f.Report)
			}
		}
		for _, ext := range []string{".fsxgood", ".fsxlog", ".fsxops"} {
			if _, err := os.Stat(filepath.Join(art, "f"+ext)); err != nil {
				t.Fatalf("seed %d: artifact: %v", seed, err)
			}
		}
		log, _ := os.ReadFile(filepath.Join(art, "f.fsxlog"))
		if !strings.Contains(string(log), f.Report) {
			t.Fatalf("seed %d: .fsxlog lacks the report", seed)
		}
	}
}

func itoa(v uint64) string { return string(appendUint(nil, v)) }

func appendUint(b []byte, v uint64) []byte {
	if v >= 10 {
		b = appendUint(b, v/10)
	}
	return append(b, byte('0'+v%10))
}

// ---- a deliberately faulty file layer ----

// faultFS wraps the OS files; fault decides, per call, whether to misbehave.
// The counters live here because close_open replaces the File.
type faultFS struct {
	OSFS
	mu    sync.Mutex
	calls map[string]int
	fault func(fs *faultFS, f *faultFile, method string, n int, p []byte, off int64) (handled bool, res int, err error)
}

type faultFile struct {
	File
	fs *faultFS
}

func (fs *faultFS) Create(path string) (File, error) { return fs.wrap(fs.OSFS.Create(path)) }
func (fs *faultFS) Open(path string) (File, error) {
	if h, _, err := fs.hit(nil, "Open", nil, 0); h {
		return nil, err
	}
	return fs.wrap(fs.OSFS.Open(path))
}

func (fs *faultFS) wrap(f File, err error) (File, error) {
	if err != nil {
		return nil, err
	}
	return &faultFile{File: f, fs: fs}, nil
}

func (fs *faultFS) hit(f *faultFile, method string, p []byte, off int64) (bool, int, error) {
	fs.mu.Lock()
	fs.calls[method]++
	n := fs.calls[method]
	fs.mu.Unlock()
	return fs.fault(fs, f, method, n, p, off)
}

func (f *faultFile) WriteAt(p []byte, off int64) (int, error) {
	if h, n, err := f.fs.hit(f, "WriteAt", p, off); h {
		return n, err
	}
	return f.File.WriteAt(p, off)
}

func (f *faultFile) Write(p []byte) (int, error) {
	if h, n, err := f.fs.hit(f, "Write", p, 0); h {
		return n, err
	}
	return f.File.Write(p)
}

func (f *faultFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.File.ReadAt(p, off)
	if h, n2, err2 := f.fs.hit(f, "ReadAt", p[:n], off); h {
		return n2, err2
	}
	return n, err
}

func (f *faultFile) Read(p []byte) (int, error) {
	n, err := f.File.Read(p)
	if h, n2, err2 := f.fs.hit(f, "Read", p[:n], 0); h {
		return n2, err2
	}
	return n, err
}

func (f *faultFile) Size() (int64, error) {
	n, err := f.File.Size()
	if h, n2, err2 := f.fs.hit(f, "Size", nil, n); h {
		return int64(n2), err2
	}
	return n, err
}

func (f *faultFile) Truncate(size int64) error {
	if h, _, err := f.fs.hit(f, "Truncate", nil, size); h {
		return err
	}
	return f.File.Truncate(size)
}

func (f *faultFile) Sync() error {
	if h, _, err := f.fs.hit(f, "Sync", nil, 0); h {
		return err
	}
	return f.File.Sync()
}

func (f *faultFile) Datasync() error {
	if h, _, err := f.fs.hit(f, "Datasync", nil, 0); h {
		return err
	}
	return f.File.Datasync()
}

func (f *faultFile) Close() error {
	if h, _, err := f.fs.hit(f, "Close", nil, 0); h {
		f.File.Close()
		return err
	}
	return f.File.Close()
}

func TestFaultyFileLayerIsCaught(t *testing.T) {
	t.Parallel()
	eio := syscall.EIO
	tests := []struct {
		name     string
		weights  *Weights
		fault    func(fs *faultFS, f *faultFile, method string, n int, p []byte, off int64) (bool, int, error)
		wantCode int
		wantText string
	}{
		{name: "no fault passes", fault: func(*faultFS, *faultFile, string, int, []byte, int64) (bool, int, error) { return false, 0, nil }},
		{name: "dropped pwrite inside the file", wantCode: ExitMiscompare, wantText: "OFFSET\tGOOD\tBAD\tRANGE",
			fault: func(fs *faultFS, f *faultFile, m string, n int, p []byte, off int64) (bool, int, error) {
				if m != "WriteAt" || fs.calls["dropped"] > 0 {
					return false, 0, nil
				}
				size, _ := f.File.Size()
				if n < 20 || off+int64(len(p)) > size {
					return false, 0, nil
				}
				fs.calls["dropped"]++
				return true, len(p), nil // claims success, writes nothing
			}},
		{name: "one corrupted byte read back", wantCode: ExitMiscompare, wantText: "operation# (mod 256)",
			fault: func(fs *faultFS, f *faultFile, m string, n int, p []byte, off int64) (bool, int, error) {
				if m == "Read" && n == 15 && len(p) > 0 {
					p[len(p)/2] ^= 0x40
				}
				return false, 0, nil
			}},
		{name: "fstat lies about the size", wantCode: ExitSize, wantText: "Size error",
			fault: func(fs *faultFS, f *faultFile, m string, n int, p []byte, off int64) (bool, int, error) {
				if m == "Size" && n == 40 {
					return true, int(off) + 1, nil
				}
				return false, 0, nil
			}},
		{name: "short read", wantCode: ExitRead, wantText: "read: 0x",
			fault: func(fs *faultFS, f *faultFile, m string, n int, p []byte, off int64) (bool, int, error) {
				if m == "Read" && n == 5 && len(p) > 1 {
					return true, len(p) - 1, nil
				}
				return false, 0, nil
			}},
		{name: "short pwrite", wantCode: ExitMapWrite, wantText: "mapwrite (pwrite)",
			fault: func(fs *faultFS, f *faultFile, m string, n int, p []byte, off int64) (bool, int, error) {
				if m == "WriteAt" && n == 7 {
					return true, len(p) / 2, nil
				}
				return false, 0, nil
			}},
		{name: "write error", wantCode: ExitWrite, wantText: "input/output error",
			fault: func(fs *faultFS, f *faultFile, m string, n int, p []byte, off int64) (bool, int, error) {
				if m == "Write" && n == 3 {
					return true, 0, eio
				}
				return false, 0, nil
			}},
		{name: "truncate ignored", wantCode: ExitSize, wantText: "Size error",
			fault: func(fs *faultFS, f *faultFile, m string, n int, p []byte, off int64) (bool, int, error) {
				if m != "Truncate" {
					return false, 0, nil
				}
				size, _ := f.File.Size()
				if n >= 10 && off != size {
					return true, 0, nil
				}
				return false, 0, nil
			}},
		{name: "data lost at close", wantCode: ExitMiscompare, wantText: "after close/open",
			fault: func(fs *faultFS, f *faultFile, m string, n int, p []byte, off int64) (bool, int, error) {
				if m != "Close" {
					return false, 0, nil
				}
				size, _ := f.File.Size()
				if n >= 10 && size > 4096 && fs.calls["lost"] == 0 {
					fs.calls["lost"]++
					f.File.WriteAt(bytes.Repeat([]byte{0xAA}, 4096), size-4096) // the tail is garbage after close
					return true, 0, f.File.Close()
				}
				return false, 0, nil
			}},
		// The model marks grown pages as zero instead of clearing them
		// (zeropages.go); a file layer that exposes stale bytes there must
		// still be caught, whether the file grew by truncate or by a hole
		// (at every growth: a later write or truncate may hide one).
		{name: "stale data after truncate up", wantCode: ExitMiscompare, wantText: "OFFSET\tGOOD\tBAD\tRANGE",
			fault: func(fs *faultFS, f *faultFile, m string, n int, p []byte, off int64) (bool, int, error) {
				if m != "Truncate" || n < 10 {
					return false, 0, nil
				}
				size, _ := f.File.Size()
				if off-size < 4*pageSize {
					return false, 0, nil
				}
				err := f.File.Truncate(off)
				f.File.WriteAt([]byte{0xAA}, size+(off-size)/2)
				return true, 0, err
			}},
		{name: "stale data in a hole", wantCode: ExitMiscompare, wantText: "OFFSET\tGOOD\tBAD\tRANGE",
			fault: func(fs *faultFS, f *faultFile, m string, n int, p []byte, off int64) (bool, int, error) {
				if m != "WriteAt" || n < 10 {
					return false, 0, nil
				}
				size, _ := f.File.Size()
				if off-size < 4*pageSize {
					return false, 0, nil
				}
				f.File.WriteAt([]byte{0xAA}, size+(off-size)/2)
				return false, 0, nil
			}},
		{name: "close error", wantCode: ExitCloseOpen, wantText: "close/open: close",
			fault: func(fs *faultFS, f *faultFile, m string, n int, p []byte, off int64) (bool, int, error) {
				return m == "Close" && n == 2, 0, eio
			}},
		{name: "reopen error", wantCode: ExitReopen, wantText: "reopen",
			fault: func(fs *faultFS, f *faultFile, m string, n int, p []byte, off int64) (bool, int, error) {
				return m == "Open" && n == 3, 0, syscall.ENOENT
			}},
		{name: "fsync error", weights: &Weights{Write: 1, Fsync: 1}, wantCode: ExitFsync, wantText: "fsync",
			fault: func(fs *faultFS, f *faultFile, m string, n int, p []byte, off int64) (bool, int, error) {
				return m == "Sync" && n == 3, 0, eio
			}},
		{name: "fdatasync error", weights: &Weights{Write: 1, Fdatasync: 1}, wantCode: ExitFdatasync, wantText: "fdatasync",
			fault: func(fs *faultFS, f *faultFile, m string, n int, p []byte, off int64) (bool, int, error) {
				return m == "Datasync" && n == 3, 0, eio
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := smallConfig()
			if tt.weights != nil {
				cfg.Weights = *tt.weights
			}
			fs := &faultFS{calls: map[string]int{}, fault: tt.fault}
			res, out := run(t, Options{Config: cfg, Seed: 3, NumOps: 600, FS: fs})
			f := res.Workers[0].Failure
			if tt.wantCode == 0 {
				if f != nil {
					t.Fatalf("clean wrapper failed:\n%s", out)
				}
				return
			}
			if f == nil {
				t.Fatalf("fault not caught (calls %v):\n%s", fs.calls, out)
			}
			if f.Code != tt.wantCode || !strings.Contains(f.Report, tt.wantText) {
				t.Fatalf("exit %d, want %d, and report must contain %q:\n%s", f.Code, tt.wantCode, tt.wantText, f.Report)
			}
		})
	}
}

func TestSetupErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "plainfile")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		o    Options
		code int
	}{
		{"file under a regular file", Options{Path: filepath.Join(file, "f"), Threads: 1}, ExitOpenFile},
		{"thread dir under a regular file", Options{Path: filepath.Join(file, "f"), Threads: 2}, ExitOpenFile},
		{"artifact dir under a regular file", Options{Path: filepath.Join(dir, "f"), Threads: 1, ArtifactDir: filepath.Join(file, "art")}, ExitArtifactDir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.o.Config = smallConfig()
			_, err := Run(t.Context(), tt.o)
			var se *SetupError
			if !errors.As(err, &se) || ExitCode(err) != tt.code || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v (exit %d), want one-line setup error with exit %d", err, ExitCode(err), tt.code)
			}
		})
	}
}

// The step must not allocate: under the Wasmer SDK a Go guest hangs as soon
// as the garbage collector's background work sleeps. close_open and
// --record-ops included.
func TestStepDoesNotAllocate(t *testing.T) {
	cfg := seedConfig(t)
	cfg.FileLen = 1 << 20
	cfg.Weights.Fsync, cfg.Weights.Fdatasync = 1, 1
	dir := t.TempDir()
	// With progress on, and due at every step: each step counts itself
	// into the meter, which formats and writes a line (the bar's drawing
	// is internal/progress's TestAddDoesNotAllocate).
	var shown countWriter
	opts := Options{Path: filepath.Join(dir, "f"), Threads: 1, NumOps: -1, Config: cfg, Seed: 1, RecordOps: filepath.Join(dir, "rec"),
		Progress: progress.Options{W: &shown, Interval: time.Nanosecond}}
	sw := &syncWriter{w: io.Discard}
	w, err := setupWorker(1, &opts, OSFS{}, sw)
	if err != nil {
		t.Fatal(err)
	}
	defer w.file.f.Close()
	defer w.rec.close()
	sw.meter, w.progEvery = newMeter(&opts), 1
	seen := map[fsop.Kind]bool{}
	allocs := testing.AllocsPerRun(3000, func() {
		if !w.step() {
			panic("step failed: " + w.fail.summary)
		}
		seen[w.log.ring[(w.log.count-1)%logSize].op.Kind] = true
	})
	if allocs != 0 {
		t.Fatalf("a step allocates %.2f times on average; want 0", allocs)
	}
	if len(seen) != fsop.NumRandomKinds {
		t.Fatalf("only %d op kinds ran: %v", len(seen), seen)
	}
	if shown.writes < 2000 {
		t.Fatalf("progress written %d times in 3001 steps; want (nearly) every step", shown.writes)
	}
}

// countWriter counts writes and keeps nothing.
type countWriter struct{ writes int }

func (c *countWriter) Write(p []byte) (int, error) { c.writes++; return len(p), nil }
