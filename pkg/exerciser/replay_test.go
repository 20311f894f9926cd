package exerciser

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
)

// A failure's .fsxops artifact is the whole program: replaying it under the
// same faulty filesystem fails with the same code at the same op, and
// replaying it on a sound filesystem passes (the ops alone are not the bug).
func TestReplayOfArtifactReproducesFailure(t *testing.T) {
	t.Parallel()
	dropLate := func(fs *faultFS, f *faultFile, m string, n int, p []byte, off int64) (bool, int, error) {
		// The 1500th pwrite claims success and writes nothing: late
		// enough that the op log (1024 ops) no longer holds op 1.
		if m != "WriteAt" || n != 1500 {
			return false, 0, nil
		}
		return true, len(p), nil
	}
	eioFsync := func(fs *faultFS, f *faultFile, m string, n int, p []byte, off int64) (bool, int, error) {
		if m == "Sync" && n == 30 {
			return true, 0, syscall.EIO
		}
		return false, 0, nil
	}
	for _, tc := range []struct {
		name  string
		fault func(fs *faultFS, f *faultFile, m string, n int, p []byte, off int64) (bool, int, error)
	}{{"dropped pwrite", dropLate}, {"fsync EIO", eioFsync}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := smallConfig()
			cfg.Weights.Fsync = 1
			dir := t.TempDir()
			newFS := func() *faultFS { return &faultFS{calls: map[string]int{}, fault: tc.fault} }
			first, _ := run(t, Options{Path: filepath.Join(dir, "a"), Threads: 1, NumOps: 20000, Seed: 11, Config: cfg, FS: newFS()})
			fl := first.Workers[0].Failure
			if fl == nil {
				t.Fatal("the fault was not detected")
			}
			if !strings.Contains(fl.ReplayOps, "--replay-ops") {
				t.Fatalf("failure has no --replay-ops command: %q", fl.ReplayOps)
			}
			data, err := os.ReadFile(filepath.Join(dir, "a.fsxops"))
			if err != nil {
				t.Fatal(err)
			}
			h, ents, err := fsop.ParseOps(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(ents)) != fl.Op || h.First != 1 || h.Last != fl.Op || !h.HasSeed || h.Seed != 11 {
				t.Fatalf("artifact holds %d ops (header %+v), want ops 1..%d with seed 11", len(ents), h, fl.Op)
			}
			again, _ := run(t, Options{Path: filepath.Join(dir, "b"), Threads: 1, Seed: h.Seed, Config: cfg, FS: newFS(), Replay: ents})
			got := again.Workers[0].Failure
			if got == nil || got.Code != fl.Code || got.Op != fl.Op {
				t.Fatalf("replay under the fault: %+v, want exit %d at op %d", got, fl.Code, fl.Op)
			}
			sound, _ := run(t, Options{Path: filepath.Join(dir, "c"), Threads: 1, Seed: h.Seed, Config: cfg, Replay: ents})
			if f := sound.Workers[0].Failure; f != nil || sound.Workers[0].OpsDone != uint64(len(ents)) {
				t.Fatalf("replay on a sound filesystem: %+v after %d ops, want a pass of %d", f, sound.Workers[0].OpsDone, len(ents))
			}
		})
	}
}

// An injected op stays injected in the artifact, so its replay fails alone.
func TestReplayKeepsInjection(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first, _ := run(t, Options{Path: filepath.Join(dir, "a"), Threads: 1, NumOps: 3000, Seed: 5, Config: smallConfig(), Inject: 2000})
	fl := first.Workers[0].Failure
	if fl == nil {
		t.Fatal("the injection was not detected")
	}
	data, _ := os.ReadFile(filepath.Join(dir, "a.fsxops"))
	_, ents, err := fsop.ParseOps(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	again, _ := run(t, Options{Path: filepath.Join(dir, "b"), Threads: 1, Seed: 5, Config: smallConfig(), Replay: ents})
	if got := again.Workers[0].Failure; got == nil || got.Code != fl.Code || got.Op != fl.Op {
		t.Fatalf("replay: %+v, want exit %d at op %d", got, fl.Code, fl.Op)
	}
}

// An op list the config cannot run is refused before anything runs.
func TestReplayRefusesOpsPastFlen(t *testing.T) {
	t.Parallel()
	cfg := smallConfig()
	for _, op := range []fsop.Op{
		fsop.RandomOp(fsop.Write, cfg.FileLen-1, 2),
		fsop.RandomOp(fsop.MapRead, cfg.FileLen+1, 0),
		fsop.RandomOp(fsop.Truncate, 0, cfg.FileLen+1),
		{Kind: fsop.Open},
	} {
		ents := []fsop.Entry{{Op: fsop.RandomOp(fsop.Write, 0, 1)}, {Op: op}}
		path := filepath.Join(t.TempDir(), "f")
		_, err := Run(t.Context(), Options{Path: path, Threads: 1, Config: cfg, Replay: ents})
		if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "op 2") {
			t.Errorf("%v: got %v (exit %d), want a usage error naming op 2", op, err, ExitCode(err))
		}
		if _, serr := os.Stat(path); serr == nil {
			t.Errorf("%v: the file was created before the ops were refused", op)
		}
	}
}

// --record-ops writes every op as it runs: a passing run's record replays
// to a pass of the same length, a failing run's record replays to the same
// failure at the same op.
func TestRecordThenReplay(t *testing.T) {
	t.Parallel()
	cfg := smallConfig()
	cfg.Weights.Fsync, cfg.Weights.Fdatasync = 1, 1
	for _, tc := range []struct {
		name   string
		inject int64
	}{{"passing", 0}, {"failing", 1700}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			rec := filepath.Join(dir, "rec.fsxops")
			first, _ := run(t, Options{Path: filepath.Join(dir, "a"), Threads: 1, NumOps: 2500, Seed: 21, Config: cfg, Inject: tc.inject, RecordOps: rec})
			data, err := os.ReadFile(rec)
			if err != nil {
				t.Fatal(err)
			}
			h, ents, err := fsop.ParseOps(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			w := first.Workers[0]
			if uint64(len(ents)) != w.OpsDone || !h.HasSeed || h.Seed != 21 {
				t.Fatalf("record holds %d ops (seed %v %d), the run did %d", len(ents), h.HasSeed, h.Seed, w.OpsDone)
			}
			again, _ := run(t, Options{Path: filepath.Join(dir, "b"), Threads: 1, Seed: h.Seed, Config: cfg, Replay: ents})
			g := again.Workers[0]
			switch {
			case (w.Failure == nil) != (g.Failure == nil):
				t.Fatalf("run failure %+v, replay failure %+v", w.Failure, g.Failure)
			case w.Failure != nil && (g.Failure.Code != w.Failure.Code || g.Failure.Op != w.Failure.Op):
				t.Fatalf("replay failed with %d at op %d, the run with %d at op %d", g.Failure.Code, g.Failure.Op, w.Failure.Code, w.Failure.Op)
			case g.OpsDone != w.OpsDone:
				t.Fatalf("replay did %d ops, the run %d", g.OpsDone, w.OpsDone)
			}
		})
	}
}
