// Package exerciser is fsx's random mode: it applies weighted random
// operations to a file, mirrors each one in an in-memory model, and checks the
// file against the model after every step.
package exerciser

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/progress"
	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

// Config is the TOML config, with fsx-rs's keys.
type Config struct {
	FileLen      uint64  `toml:"flen"`
	NoSizeChecks bool    `toml:"nosizechecks"`
	OpSize       OpSize  `toml:"opsize"`
	Weights      Weights `toml:"weights"`
}

// OpSize bounds the length of reads and writes.
type OpSize struct {
	Min   uint64 `toml:"min"`
	Max   uint64 `toml:"max"`
	Align uint64 `toml:"align"`
}

// Weights are the relative frequencies of the operations. The keys are
// fsop's kind names, in fsop's order (TestWeightKeysAreKindNames): Go
// struct tags cannot be computed, so this is the one place they are
// spelled again, and a test holds it to fsop.
type Weights struct {
	CloseOpen uint64 `toml:"close_open" json:"close_open"`
	Read      uint64 `toml:"read" json:"read"`
	Write     uint64 `toml:"write" json:"write"`
	MapRead   uint64 `toml:"mapread" json:"mapread"`
	MapWrite  uint64 `toml:"mapwrite" json:"mapwrite"`
	Truncate  uint64 `toml:"truncate" json:"truncate"`
	Fsync     uint64 `toml:"fsync" json:"fsync"`
	Fdatasync uint64 `toml:"fdatasync" json:"fdatasync"`
}

// Of is the weight of kind k, which must be one of random mode's.
func (w *Weights) Of(k fsop.Kind) *uint64 {
	return [fsop.NumRandomKinds]*uint64{&w.CloseOpen, &w.Read, &w.Write, &w.MapRead, &w.MapWrite, &w.Truncate, &w.Fsync, &w.Fdatasync}[k]
}

// Options is one run: the config plus the command line's choices.
type Options struct {
	Path        string // FILE; with Threads > 1 worker K uses dir(Path)/thread-K/base(Path)
	ConfigPath  string // for the replay command only
	NumOps      int64  // per worker; < 0 means unlimited
	Seed        uint64 // worker K uses Seed+K-1
	Threads     int    // >= 1
	Config      Config
	LogStart    int64     // start logging at this op
	Monitor     [2]uint64 // log ops touching [from, to); zero means off
	ArtifactDir string    // where .fsxgood/.fsxlog/.fsxops go; "" = the file's directory
	Inject      int64     // op N is applied to the model only; 0 = off
	Verbosity   int       // -1 quiet, 0 normal, 1 verbose
	Out         io.Writer // the human log; nil = io.Discard
	ReplayCmd   string    // how to name this program in replay commands; "" = "fsx-wasix"
	FS          FS        // the files to drive; nil = OSFS (tests wrap it to inject faults)
	// Replay, when not nil, is the op list to run instead of drawing ops
	// (--replay-ops): exactly these ops, in order, with Threads 1. NumOps
	// is its length. The seed still makes the data the writes carry.
	Replay []fsop.Entry
	// RecordOps writes every op to this file as it runs (.fsxops format;
	// PATH.thread-K per worker when Threads > 1).
	RecordOps string
	// NoArtifacts keeps a failure in memory: no .fsxgood/.fsxlog/.fsxops
	// (the shrinker runs hundreds of candidates).
	NoArtifacts bool
	Color       bool // color the verdicts (the caller checks NO_COLOR and the terminal)
	// Progress reports the run's progress (ops done of the total, ops/s,
	// the seed, the workers) on its writer, stderr: a bar on a terminal,
	// else a line every Interval. The zero value reports nothing (the
	// server, the shrinker). Driven by the workers' own loops, never by a
	// timer: see internal/progress.
	Progress progress.Options
}

// Result is a whole run's outcome. Verification failures live in the
// workers' results; Run's error is for set-up problems only.
type Result struct {
	Seed      uint64         `json:"seed"`
	Workers   []WorkerResult `json:"workers"`
	Elapsed   time.Duration  `json:"elapsed_ns"`
	TotalOps  uint64         `json:"total_ops"`
	OpsPerSec float64        `json:"ops_per_sec"`
}

// OK reports whether every worker passed (a cancelled worker did not fail).
func (r Result) OK() bool { return r.ExitCode() == 0 }

// ExitCode is the first failing worker's fsx.c code, or 0.
func (r Result) ExitCode() int {
	for _, w := range r.Workers {
		if w.Failure != nil {
			return w.Failure.Code
		}
	}
	return ExitOK
}

// WorkerResult is one worker's outcome.
type WorkerResult struct {
	Worker  int           `json:"worker"`
	Seed    uint64        `json:"seed"`
	Path    string        `json:"path"`
	OpsDone uint64        `json:"ops_done"`
	Elapsed time.Duration `json:"elapsed_ns"`
	Failure *Failure      `json:"failure,omitempty"`
	// Cancelled is set when ctx stopped the worker before -N ops.
	Cancelled bool `json:"cancelled,omitempty"`
}

// Failure is a verification failure: what went wrong, where, and how to replay it.
type Failure struct {
	Code    int    `json:"exit_code"` // fsx.c's exit code for this kind of failure
	Op      int64  `json:"op"`
	Summary string `json:"summary"` // one line
	Report  string `json:"report"`  // the full fsx-style report
	Replay  string `json:"replay"`  // the command line that replays this worker alone
	// ReplayOps runs the saved .fsxops instead: exactly the ops that ran.
	ReplayOps string `json:"replay_ops,omitempty"`
	// OpsFile is the saved .fsxops: the whole program up to the failure.
	OpsFile string `json:"ops_file,omitempty"`
}

// API is the result in the guest↔host contract's types (pkg/guestapi), field
// for field: what --json prints and the host reads.
func (r Result) API() guestapi.RandomResult {
	out := guestapi.RandomResult{Seed: r.Seed, Elapsed: r.Elapsed, TotalOps: r.TotalOps, OpsPerSec: r.OpsPerSec}
	if r.Workers != nil { // nil stays null, as this type's own encoding has it
		out.Workers = make([]guestapi.RandomWorker, len(r.Workers))
	}
	for i, w := range r.Workers {
		out.Workers[i] = guestapi.RandomWorker{
			Worker: w.Worker, Seed: w.Seed, Path: w.Path, OpsDone: w.OpsDone, Elapsed: w.Elapsed,
			Failure: w.Failure.API(), Cancelled: w.Cancelled,
		}
	}
	return out
}

// API is the failure in the contract's type; nil stays nil.
func (f *Failure) API() *guestapi.Failure {
	if f == nil {
		return nil
	}
	return &guestapi.Failure{Code: f.Code, Op: f.Op, Summary: f.Summary, Report: f.Report, Replay: f.Replay,
		ReplayOps: f.ReplayOps, OpsFile: f.OpsFile}
}

// Run runs the workers and waits for them. Cancelling ctx stops every worker
// at its next op. The error is a *UsageError (bad options or config, exit 2)
// or a *SetupError (file or directory cannot be created); see ExitCode.
func Run(ctx context.Context, opts Options) (Result, error) {
	if err := opts.validate(); err != nil {
		return Result{}, err
	}
	out := opts.Out
	if out == nil {
		out = io.Discard
	}
	sw := &syncWriter{w: out}
	fs := opts.FS
	if fs == nil {
		fs = OSFS{}
	}
	if opts.ArtifactDir != "" {
		if err := os.MkdirAll(opts.ArtifactDir, 0o755); err != nil {
			return Result{}, &SetupError{ExitArtifactDir, fmt.Errorf("artifact directory: %w", err)}
		}
	}
	// Set every worker up before any starts, so a bad directory fails the
	// run before it has done anything.
	workers := make([]*worker, opts.Threads)
	for i := range workers {
		w, err := setupWorker(i+1, &opts, fs, sw)
		if err != nil {
			closeAll(workers)
			return Result{}, err
		}
		workers[i] = w
	}

	if opts.Threads == 1 {
		workers[0].emit([]byte(fmt.Sprintf("Using seed %d\n", opts.Seed)))
	} else {
		fmt.Fprintf(sw, "Using seed %d (worker K uses seed %d+K-1)\n", opts.Seed, opts.Seed)
		for _, w := range workers {
			if opts.Verbosity >= 0 {
				w.emit([]byte(fmt.Sprintf("[%d] worker %d: seed %d, file %s\n", w.id, w.id, w.seed, w.path)))
			}
		}
	}
	if opts.Inject > 0 && opts.Verbosity >= 0 {
		fmt.Fprintf(sw, "Injecting a failure at op %d (or the first op after it that changes the file)\n", opts.Inject)
	}

	sw.meter = newMeter(&opts)
	start := time.Now()
	res := Result{Seed: opts.Seed, Workers: make([]WorkerResult, len(workers))}
	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res.Workers[i] = w.run(ctx)
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	sw.finish()
	for _, w := range workers {
		w.release()
	}
	for _, w := range res.Workers {
		res.TotalOps += w.OpsDone
	}
	if s := res.Elapsed.Seconds(); s > 0 {
		res.OpsPerSec = float64(res.TotalOps) / s
	}
	printSummary(sw, &opts, res)
	return res, nil
}

// setupWorker creates worker k's directory and file and checks that
// ftruncate extends it.
func setupWorker(k int, opts *Options, fs FS, sw *syncWriter) (*worker, error) {
	path, artDir, artName := opts.Path, filepath.Dir(opts.Path), filepath.Base(opts.Path)
	if opts.Threads > 1 {
		dir := filepath.Join(filepath.Dir(opts.Path), "thread-"+strconv.Itoa(k))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, &SetupError{ExitOpenFile, fmt.Errorf("worker %d: %w", k, err)}
		}
		path, artDir = filepath.Join(dir, artName), dir
		if opts.ArtifactDir != "" {
			artName = "thread-" + strconv.Itoa(k) + "." + artName
		}
	}
	if opts.ArtifactDir != "" {
		artDir = opts.ArtifactDir
	}
	f, err := fs.Create(path)
	if err != nil {
		return nil, &SetupError{ExitOpenFile, fmt.Errorf("cannot create %s: %w", path, err)}
	}
	w := newWorker(k, opts.Seed+uint64(k-1), path, opts, fs, sw)
	w.file.f, w.artDir, w.artName = f, artDir, artName
	if opts.RecordOps != "" {
		rp := recordPath(opts.RecordOps, k, opts.Threads)
		if w.rec, err = newRecorder(rp, w.seed, path); err != nil {
			f.Close()
			w.release()
			return nil, &SetupError{ExitOpenFile, fmt.Errorf("--record-ops %s: %w", rp, err)}
		}
	}
	if err := w.checkTruncExtend(); err != nil {
		closeAll([]*worker{w})
		return nil, err
	}
	return w, nil
}

func closeAll(ws []*worker) {
	for _, w := range ws {
		if w == nil {
			continue
		}
		if w.file.f != nil {
			w.file.f.Close()
		}
		if w.rec != nil {
			w.rec.close()
		}
		w.release()
	}
}

func (o *Options) validate() error {
	if err := o.Config.Validate(); err != nil {
		return &UsageError{fmt.Errorf("config: %w", err)}
	}
	switch {
	case o.Path == "":
		return usagef("no FILE given")
	case o.Threads < 1:
		return usagef("threads (-j) must be at least 1, got %d", o.Threads)
	case o.Threads > maxThreads:
		return usagef("threads (-j) %d is more than the limit %d", o.Threads, maxThreads)
	case o.NumOps < -1:
		return usagef("numops (-N) must be -1 (unlimited) or more, got %d", o.NumOps)
	case o.Inject < 0:
		return usagef("--inject must not be negative, got %d", o.Inject)
	case o.LogStart < 0:
		return usagef("-b must not be negative, got %d", o.LogStart)
	case o.Monitor[0] > o.Monitor[1]:
		return usagef("-m FROM:TO needs FROM <= TO, got %d:%d", o.Monitor[0], o.Monitor[1])
	case o.Replay != nil && o.Threads != 1:
		return usagef("--replay-ops runs one worker's ops: -j must be 1, got %d", o.Threads)
	case o.Replay != nil && len(o.Replay) == 0:
		return usagef("--replay-ops: the file has no ops")
	case o.Inject > 0 && o.Replay == nil && o.NumOps >= 0 && o.Inject > o.NumOps:
		return usagef("--inject %d is past the last op (-N %d): it would never fire", o.Inject, o.NumOps)
	case o.Inject > 0 && o.Replay != nil && o.Inject > int64(len(o.Replay)):
		return usagef("--inject %d is past the last of the %d replayed ops: it would never fire", o.Inject, len(o.Replay))
	}
	if o.Replay != nil {
		if err := CheckReplay(o.Replay, o.Config); err != nil {
			return usagef("--replay-ops: %v", err)
		}
	}
	return nil
}

// checkTruncExtend is fsx.c's check_trunc_hack: a filesystem whose ftruncate
// cannot extend a file would fail every later check for a boring reason.
func (w *worker) checkTruncExtend() error {
	fail := func(what string, err error) error {
		return &SetupError{ExitTruncExtend, fmt.Errorf("%s: no extend on truncate: %s%s", w.path, what, errSuffix(err))}
	}
	if err := w.file.f.Truncate(100000); err != nil {
		return fail("ftruncate to 100000 failed", err)
	}
	size, err := w.file.f.Size()
	if err != nil || size != 100000 {
		return fail(fmt.Sprintf("size after ftruncate to 100000 is %d", size), err)
	}
	if err := w.file.f.Truncate(0); err != nil {
		return fail("ftruncate back to 0 failed", err)
	}
	return nil
}

// syncWriter serialises the workers' lines onto Out, and their progress
// with them: a bar on the terminal is cleared before a line is written, so
// the two never share a line.
type syncWriter struct {
	mu    sync.Mutex
	w     io.Writer
	meter *progress.Meter // nil: no progress
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.meter.Clear()
	return s.w.Write(p)
}

// progress counts n more ops done by a worker; it prints when a print is
// due. It does not allocate.
func (s *syncWriter) progress(n int64) {
	if s.meter == nil {
		return
	}
	s.mu.Lock()
	s.meter.Add(n)
	s.mu.Unlock()
}

func (s *syncWriter) finish() {
	s.mu.Lock()
	s.meter.Finish()
	s.meter = nil
	s.mu.Unlock()
}

// newMeter is the run's progress meter, or nil when it reports nothing:
// ops done of the total (unknown for an unlimited -N), the seed and, with
// -j > 1, the workers.
func newMeter(o *Options) *progress.Meter {
	if !o.Progress.On() {
		return nil
	}
	total := int64(-1)
	switch {
	case o.Replay != nil:
		total = int64(len(o.Replay))
	case o.NumOps >= 0:
		total = o.NumOps * int64(o.Threads)
	}
	suffix := []byte("seed " + strconv.FormatUint(o.Seed, 10))
	if o.Threads > 1 {
		suffix = append(suffix, ", "+strconv.Itoa(o.Threads)+" workers"...)
	}
	return progress.New(o.Progress, "fsx", "ops", total, func(b []byte) []byte { return append(b, suffix...) })
}

func printSummary(out io.Writer, opts *Options, res Result) {
	if opts.Verbosity >= 0 && len(res.Workers) > 1 {
		fmt.Fprintf(out, "%-6s %-20s %10s %10s  %s\n", "worker", "seed", "ops", "time", "result")
		for _, w := range res.Workers {
			verdict := "A-OK"
			switch {
			case w.Failure != nil:
				verdict = fmt.Sprintf("FAILED exit %d: %s", w.Failure.Code, w.Failure.Summary)
			case w.Cancelled:
				verdict = "cancelled"
			}
			fmt.Fprintf(out, "%-6d %-20d %10d %10s  %s\n", w.Worker, w.Seed, w.OpsDone, w.Elapsed.Round(time.Millisecond), verdict)
		}
	}
	fmt.Fprintf(out, "total: %d ops in %s, %.0f ops/s\n", res.TotalOps, res.Elapsed.Round(time.Millisecond), res.OpsPerSec)
}
