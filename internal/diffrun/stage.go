// Package diffrun is the host side of the differential mode (docs/diff.md):
// `orchestrate --diff N` runs N generated programs natively (each slice's
// transcript cached), then on every runtime × volume cell against them,
// narrows a crashing or hanging process down to the program that broke it,
// folds the guests' summaries into a verdict table, and shrinks each
// unsuppressed signature to a minimal program (Run). The same parts serve
// one target at a time (Stage: the detection table compares a run under
// each wazero fault with them), and the regression corpus of minimal
// programs is replayed here (Replay).
package diffrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/pipeline"
	"github.com/fsx-wasix/fsx-wasix/internal/runner"
	"github.com/fsx-wasix/fsx-wasix/pkg/diff"
	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
	"github.com/fsx-wasix/fsx-wasix/pkg/transcript"
)

// Config is one differential stage: N programs natively, then on every
// runtime × volume cell, then every divergence shrunk.
type Config struct {
	Src      string // module root
	BuildDir string
	CacheDir string // native transcripts (under CacheDir/diff)
	RunsDir  string // this run's outputs go to RunsDir/<run>

	Programs   int64
	Seed       uint64
	ConfigFile string // a [diff] config; "" = the default config
	Runtimes   []pipeline.Choice
	Volumes    []string
	Known      string // signatures to suppress (one per line); "" = none
	UseCache   bool
	// Keep keeps every slice's directory — its kept trees (the /data
	// cells' programs' final trees, re-read by the host) and its guest
	// log — instead of removing it once checked.
	Keep bool

	SliceSize int64 // programs per slice; 0 = DefaultSliceSize
	Jobs      int   // guest processes at once; 0 = the core count
	// Timeout bounds one runtime process: Timeout + 50 ms per program (0:
	// DefaultTimeout). A process that outlives it is a hang.
	Timeout time.Duration

	NoShrink   bool
	ShrinkTime time.Duration // per signature; 0 = DefaultShrinkTime
	// ShrinkTotal bounds the whole shrink phase; signatures left when it
	// is spent are reported as not shrunk. 0 = DefaultShrinkTotal.
	ShrinkTotal time.Duration
	// ShrinkBatch is the most shrink candidates one guest process runs: 0
	// is a whole ddmin round, 1 one candidate per process (to measure).
	ShrinkBatch int

	Report *pipeline.Reporter
	// Runner makes the runner for a name; nil means runner.New.
	Runner func(name string) (runner.Runner, error)
	// Fault is a wazero fault on every wazero cell (tests).
	Fault      string
	WasmerPath string
	// Guest, when set, is used instead of building one (tests, and the
	// detection table, which builds its own); its native transcripts are
	// not cached.
	Guest *Guest
}

// Defaults.
const (
	DefaultSliceSize   = 250
	DefaultTimeout     = 60 * time.Second
	DefaultShrinkTime  = 2 * time.Minute
	DefaultShrinkTotal = 20 * time.Minute
	perProgramTime     = 100 * time.Millisecond
	// warmUpTimeout bounds the first process of each runtime, which
	// compiles the guest (the wasmer CLI: ~1.5 min for our 19 MB module on
	// 2 busy cores) and leaves it in the runtime's cache for the rest.
	warmUpTimeout = 15 * time.Minute
	// maxBreaks is how many crashing or hanging programs a cell may have
	// before the stage stops narrowing them down and calls the cell broken:
	// a runtime that breaks on everything is a harness problem.
	maxBreaks = 250
)

// Row is one runtime × volume cell of the verdict table.
type Row struct {
	Runtime    string `json:"runtime"`
	Volume     string `json:"volume"`
	Backing    string `json:"backing"`
	Programs   int64  `json:"programs"`
	Divergent  int64  `json:"divergent"`  // including suppressed, crashes and hangs
	Suppressed int64  `json:"suppressed"` // by --known
	Crashes    int64  `json:"crashes"`
	Hangs      int64  `json:"hangs"`
	Signatures int    `json:"signatures"`
	// Reread counts the programs whose kept tree the host re-read (on
	// /data: every program the runtime judged equal to native), and
	// RereadSeconds is the time that took (included in Seconds).
	Reread        int64   `json:"reread"`
	RereadSeconds float64 `json:"reread_seconds"`
	Seconds       float64 `json:"seconds"` // process time of the cell's runs and host re-reads
	Verdict       string  `json:"verdict"` // match, DIVERGED, ERROR
	Note          string  `json:"note,omitempty"`
}

// Sig is one divergence signature of one cell.
type Sig struct {
	Runtime   string `json:"runtime"`
	Volume    string `json:"volume"`
	Signature string `json:"signature"`
	Count     int64  `json:"count"`
	Example   int64  `json:"example_program"`
	Known     bool   `json:"known"` // suppressed by --known
	// The minimal program (not for known signatures, or with --no-shrink).
	Minimal      string            `json:"minimal,omitempty"` // its file
	MinimalSteps int               `json:"minimal_steps,omitempty"`
	MinimalText  string            `json:"minimal_text,omitempty"`
	Explained    string            `json:"explained,omitempty"` // the program with the first difference
	ShrinkNote   string            `json:"shrink,omitempty"`    // attempts, batches, time, or why not
	Elsewhere    map[string]string `json:"elsewhere,omitempty"` // the minimal program on every target: "" = agrees with native
}

// Summary is the stage's result.
type Summary struct {
	Mode       string  `json:"mode"` // "diff"
	Seed       uint64  `json:"seed"`
	Programs   int64   `json:"programs"`
	SchemaHash string  `json:"schema_hash"`
	NativeHits int     `json:"native_cache_hits"`
	Slices     int     `json:"slices"`
	RunDir     string  `json:"run_dir"`
	Rows       []Row   `json:"cells"`
	Sigs       []Sig   `json:"signatures"`
	Seconds    float64 `json:"seconds"`
	ShrinkSecs float64 `json:"shrink_seconds"`
	Passed     bool    `json:"passed"`
}

// ErrInterrupted wraps a cancelled run.
var ErrInterrupted = errors.New("interrupted")

type cell struct {
	t Target

	mu      sync.Mutex
	row     Row
	sigs    map[string]*Sig
	busy    time.Duration
	reread  time.Duration
	errNote string
}

type stage struct {
	cfg     Config
	rep     *pipeline.Reporter
	p       *procs
	dcfg    diff.Config
	schema  string
	known   map[string]bool
	runDir  string
	scratch string
	cache   *pipeline.Cache
	guest   Guest
	source  string
	tc      pipeline.Toolchain
	cells   []*cell
	hits    int
	hitsMu  sync.Mutex
	errMu   sync.Mutex
	err     error
}

// Run runs the differential stage to a verdict. The error is for set-up
// failures and interruptions; divergences, crashes and hangs are verdicts.
func Run(ctx context.Context, cfg Config) (*Summary, error) {
	t0 := time.Now()
	st, err := newStage(ctx, cfg)
	if err != nil {
		return nil, err
	}
	sum := &Summary{Mode: "diff", Seed: cfg.Seed, Programs: cfg.Programs, SchemaHash: st.schema, RunDir: st.runDir}
	slices := pipeline.Slices(0, cfg.Programs, st.cfg.SliceSize)
	sum.Slices = len(slices)
	st.rep.Printf("%-14s %d programs (seed %d, %d..%d steps, schema %s) in %d slice(s) of ≤%d, %d cell(s), up to %d processes at once; outputs in %s\n",
		"plan", cfg.Programs, cfg.Seed, st.dcfg.LengthMin, st.dcfg.LengthMax, st.schema, len(slices), st.cfg.SliceSize, len(st.cells), st.cfg.Jobs, st.runDir)
	if err := st.warmUp(ctx); err != nil {
		return nil, err
	}
	bar := st.rep.Start("diff", cfg.Programs*int64(1+len(st.cells)))
	st.flow(ctx, slices, bar)
	bar.Done("%d programs through native and %d cell(s)", cfg.Programs, len(st.cells))
	if ctx.Err() != nil {
		return st.summary(sum, t0), fmt.Errorf("%w: partial outputs in %s", ErrInterrupted, st.runDir)
	}
	if st.err != nil {
		return st.summary(sum, t0), st.err
	}
	// The verdicts are in: a run stopped while shrinking still leaves them.
	st.writeSummary(st.summary(sum, t0))
	if !cfg.NoShrink {
		ts := time.Now()
		if err := st.shrinkAll(ctx); err != nil {
			if ctx.Err() != nil {
				return st.summary(sum, t0), fmt.Errorf("%w while shrinking: partial outputs in %s", ErrInterrupted, st.runDir)
			}
			return st.summary(sum, t0), err
		}
		sum.ShrinkSecs = time.Since(ts).Seconds()
	}
	sum = st.summary(sum, t0)
	st.writeSummary(sum)
	if sum.Passed && !cfg.Keep {
		_ = os.RemoveAll(st.scratch)
	}
	return sum, nil
}

func (st *stage) writeSummary(sum *Summary) {
	if data, err := json.MarshalIndent(sum, "", "  "); err == nil {
		_ = pipeline.WriteFileAtomic(filepath.Join(st.runDir, "summary.json"), append(data, '\n'))
	}
}

func newStage(ctx context.Context, cfg Config) (*stage, error) {
	if cfg.Programs < 1 || cfg.Programs > diff.MaxPrograms {
		return nil, fmt.Errorf("--diff %d: want 1..%d programs", cfg.Programs, int64(diff.MaxPrograms))
	}
	if cfg.Report == nil {
		cfg.Report = pipeline.NewReporter(io.Discard)
	}
	if cfg.SliceSize <= 0 {
		cfg.SliceSize = DefaultSliceSize
	}
	if cfg.Jobs <= 0 {
		cfg.Jobs = runtime.NumCPU()
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.ShrinkTime <= 0 {
		cfg.ShrinkTime = DefaultShrinkTime
	}
	if cfg.ShrinkTotal <= 0 {
		cfg.ShrinkTotal = DefaultShrinkTotal
	}
	if len(cfg.Volumes) == 0 {
		cfg.Volumes = []string{pipeline.VolumeTmp, pipeline.VolumeData}
	}
	st := &stage{cfg: cfg, rep: cfg.Report, dcfg: diff.DefaultConfig()}
	if cfg.ConfigFile != "" {
		c, err := diff.LoadConfig(cfg.ConfigFile)
		if err != nil {
			return nil, err
		}
		st.dcfg = c
	}
	st.schema = diff.SchemaHash(&st.dcfg)
	if cfg.Known != "" {
		k, err := diff.ReadKnown(cfg.Known)
		if err != nil {
			return nil, err
		}
		st.known = k
	}
	if err := pipeline.CheckWritable(cfg.CacheDir, "cache directory"); err != nil {
		return nil, err
	}
	st.runDir = filepath.Join(cfg.RunsDir, time.Now().Format("20060102-150405")+fmt.Sprintf("-diff%d-S%d", cfg.Programs, cfg.Seed))
	st.scratch = filepath.Join(st.runDir, "work")
	if err := os.MkdirAll(st.scratch, 0o755); err != nil {
		return nil, fmt.Errorf("output directory %s is not writable: %v", cfg.RunsDir, err)
	}
	if cfg.Guest != nil {
		st.guest, st.source = *cfg.Guest, "test-guest"
		st.rep.Printf("%-14s given %s and %s\n", "build", st.guest.Native, st.guest.Wasm)
	} else {
		bs := st.rep.Start("build", 1)
		tc, err := pipeline.ReadToolchain(ctx, cfg.Src)
		if err != nil {
			return nil, err
		}
		g, err := pipeline.BuildGuest(ctx, cfg.Src, cfg.BuildDir, tc)
		if err != nil {
			return nil, err
		}
		st.guest, st.source, st.tc = Guest{Native: g.Native, Wasm: g.Wasm}, g.SourceHash, tc
		how := "built"
		if g.Reused {
			how = "reused (sources unchanged)"
		}
		bs.Done("%s %s and %s", how, g.Native, g.Wasm)
	}
	mk := cfg.Runner
	if mk == nil {
		sdkDir := filepath.Join(cfg.Src, "runners", "wasmer-sdk")
		mk = func(name string) (runner.Runner, error) {
			return runner.New(name, runner.Options{WasmerPath: cfg.WasmerPath, SDKDir: sdkDir})
		}
	}
	nat, err := runner.New("native", runner.Options{})
	if err != nil {
		return nil, err
	}
	cfgPath := ""
	if cfg.ConfigFile != "" {
		cfgPath = filepath.Join(st.runDir, configName)
		if err := pipeline.CopyFileAtomic(cfgPath, cfg.ConfigFile); err != nil {
			return nil, err
		}
	}
	st.p = newProcs(st.guest, nat, cfg.Jobs, cfg.Timeout, perProgramTime, cfgPath)
	for _, ch := range cfg.Runtimes {
		r, err := mk(ch.Name)
		if err != nil {
			return nil, err
		}
		st.rep.Printf("%-14s %s: %s\n", "runtime", ch.Name, ch.Why)
		for _, v := range cfg.Volumes {
			t := Target{Runtime: ch.Name, Volume: v, R: r}
			if ch.Name == pipeline.RuntimeWazero {
				t.Fault = cfg.Fault
			}
			c := &cell{t: t, sigs: map[string]*Sig{}}
			c.row = Row{Runtime: ch.Name, Volume: v, Backing: t.Backing(), Verdict: pipeline.VerdictMatch}
			st.cells = append(st.cells, c)
		}
	}
	st.cache = &pipeline.Cache{Dir: filepath.Join(cfg.CacheDir, "diff"), Validate: func(p string) error {
		_, err := transcript.Verify(p)
		return err
	}}
	st.cfg = cfg
	return st, nil
}

func (st *stage) fail(err error) {
	st.errMu.Lock()
	if st.err == nil {
		st.err = err
	}
	st.errMu.Unlock()
}

// flow sends the slices through native, then every cell, at most 2×Jobs
// slices in flight.
func (st *stage) flow(ctx context.Context, slices []pipeline.Slice, bar *pipeline.Stage) {
	window := make(chan struct{}, 2*st.cfg.Jobs)
	var wg sync.WaitGroup
	for _, s := range slices {
		select {
		case window <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(s pipeline.Slice) {
			defer wg.Done()
			defer func() { <-window }()
			exp, err := st.native(ctx, s)
			if err != nil {
				if ctx.Err() == nil {
					st.fail(fmt.Errorf("native, programs %d..%d: %v", s.Start, s.End()-1, err))
				}
				return
			}
			bar.Add(s.Count)
			var cw sync.WaitGroup
			for _, c := range st.cells {
				cw.Add(1)
				go func(c *cell) {
					defer cw.Done()
					st.cellRange(ctx, c, s, exp, s.Start, s.Count)
					bar.Add(s.Count)
				}(c)
			}
			cw.Wait()
		}(s)
	}
	wg.Wait()
}

// nativeKey names slice s's native transcript: the guest's sources, the
// seed, N, the config (its schema hash covers catalog, generator and
// config), the range and the toolchain.
func (st *stage) nativeKey(s pipeline.Slice) pipeline.CacheKey {
	return pipeline.CacheKey{SourceHash: st.source, CatalogHash: fmt.Sprintf("diff schema %s seed %d programs %d", st.schema, st.cfg.Seed, st.cfg.Programs),
		Start: s.Start, Count: s.Count, Toolchain: st.tc}
}

// native returns slice s's native transcript, from the cache or by running
// the native guest.
func (st *stage) native(ctx context.Context, s pipeline.Slice) (string, error) {
	key := st.nativeKey(s)
	if st.cfg.UseCache && st.source != "test-guest" {
		path, err := st.cache.Get(key)
		if err != nil {
			st.rep.Printf("warning: %v\n", err)
		}
		if path != "" {
			st.hitsMu.Lock()
			st.hits++
			st.hitsMu.Unlock()
			return path, nil
		}
	}
	dir := filepath.Join(st.scratch, fmt.Sprintf("native-%s", s))
	out := filepath.Join(dir, "work", expectedName)
	args := st.diffArgs(Target{Runtime: "native", Volume: pipeline.VolumeData}, s.Start, s.Count, false)
	args = append(args[:len(args)-1], "--diff-output", guestWork+"/"+expectedName, args[len(args)-1])
	r := st.p.run(ctx, Target{Runtime: "native", Volume: pipeline.VolumeData}, dir, args, s.Count)
	if r.err != nil {
		return "", r.err
	}
	if _, ok := decodeSummary(r.stdout); r.code != 0 || !ok {
		return "", fmt.Errorf("the native guest exited with %d: %s (log: %s)", r.code, r.lastLine, r.log)
	}
	if st.source == "test-guest" {
		return out, nil
	}
	cached, err := st.cache.Put(key, out)
	if err != nil {
		return "", err
	}
	_ = os.RemoveAll(dir)
	return cached, nil
}

// diffArgs is the --diff command line for programs start..start+count-1
// on t; compare adds the expected transcript and the known signatures.
func (st *stage) diffArgs(t Target, start, count int64, compare bool) []string {
	seed := st.cfg.Seed
	d := guestapi.Diff{Count: st.cfg.Programs, Seed: &seed, ProgramStart: start, ProgramCount: count, JSON: true, Quiet: true, Root: rootFor(t)}
	if st.p.config != "" {
		d.Config = guestWork + "/" + configName
	}
	if compare {
		d.Expected = guestWork + "/" + expectedName
		if st.cfg.Known != "" {
			d.Known = guestWork + "/" + knownName
		}
		d.Keep = t.rereads()
	}
	return d.Args()
}

func decodeSummary(stdout []byte) (guestapi.DiffSummary, bool) {
	var sum guestapi.DiffSummary
	dec := json.NewDecoder(bytes.NewReader(stdout))
	if err := dec.Decode(&sum); err != nil || sum.Mode != guestapi.ModeDiff {
		return sum, false
	}
	return sum, true
}

// cellRange runs programs start..start+count-1 of slice s on cell c. A
// process that breaks (crashes, hangs, prints no summary) is narrowed down
// to the program that breaks it: the program its last line names, else by
// halving the range down to single programs; the breaking program is a
// "crash" or "hang" divergence and the rest of the range runs around it.
func (st *stage) cellRange(ctx context.Context, c *cell, s pipeline.Slice, expected string, start, count int64) {
	dir := filepath.Join(st.scratch, fmt.Sprintf("%s-%d+%d", c.t.dirName(), start, count))
	if err := st.prepareWork(dir, expected); err != nil {
		st.cellError(c, fmt.Sprintf("preparing %s: %v", dir, err))
		return
	}
	r := st.p.run(ctx, c.t, dir, st.diffArgs(c.t, start, count, true), count)
	c.addBusy(r.elapsed)
	if ctx.Err() != nil {
		return
	}
	sum, ok := decodeSummary(r.stdout)
	if r.err == nil && ok && (r.code == 0 && sum.OK || r.code == 1 && !sum.OK) {
		if c.t.rereads() {
			rr, err := st.reread(hostRoot(dir), expected, start, count, sum.Kept)
			if err != nil {
				// Nothing of the slice is counted: its verdict would be
				// the runtime's alone, which on /data is not the whole one.
				st.cellError(c, fmt.Sprintf("host re-read of programs %d..%d: %v (slice kept in %s)", start, start+count-1, err, dir))
				return
			}
			rr.fold(&sum)
			c.addReread(rr)
		}
		c.addSummary(&sum, st.known)
		if !st.cfg.Keep {
			_ = os.RemoveAll(dir)
		}
		return
	}
	if c.breaks() >= maxBreaks {
		st.cellError(c, fmt.Sprintf("more than %d programs crashed or hung; stopped narrowing them down (last: programs %d..%d: %s; log: %s)", maxBreaks, start, start+count-1, r.breakage(), r.log))
		return
	}
	if count == 1 {
		c.addBroken(start, r.breakage(), st.known)
		return
	}
	// The broken run's log is kept beside the narrowed-down runs'.
	_ = os.Rename(r.log, filepath.Join(st.scratch, fmt.Sprintf("broken-%s-%d+%d.log", c.t.dirName(), start, count)))
	_ = os.RemoveAll(dir)
	if k := crashHint(guestLine(r.tail)); k >= start && k < start+count {
		// The guest named the program it broke on ("program 30: cannot
		// empty the case directory …"): that program is the crash, and the
		// programs around it, whose answers the dead process took with it,
		// run again. Trusting the name saves a run per crash; under Wasmer
		// a run of 250 programs breaks this way about ten times.
		c.addBroken(k, r.breakage(), st.known)
		st.both(func() {
			if k > start {
				st.cellRange(ctx, c, s, expected, start, k-start)
			}
		}, func() {
			if k+1 < start+count {
				st.cellRange(ctx, c, s, expected, k+1, start+count-k-1)
			}
		})
		return
	}
	h := count / 2
	st.both(func() { st.cellRange(ctx, c, s, expected, start, h) }, func() { st.cellRange(ctx, c, s, expected, start+h, count-h) })
}

// both runs a and b at once (the process slots still bound the work).
func (st *stage) both(a, b func()) {
	done := make(chan struct{})
	go func() { defer close(done); a() }()
	b()
	<-done
}

// prepareWork makes dir/work with the expected transcript (a copy: the SDK
// copies /work back) and the known signatures and config.
func (st *stage) prepareWork(dir, expected string) error {
	work := filepath.Join(dir, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	if err := pipeline.CopyFileAtomic(filepath.Join(work, expectedName), expected); err != nil {
		return err
	}
	if st.cfg.Known != "" {
		if err := pipeline.CopyFileAtomic(filepath.Join(work, knownName), st.cfg.Known); err != nil {
			return err
		}
	}
	if st.p.config != "" {
		if err := pipeline.CopyFileAtomic(filepath.Join(work, configName), st.p.config); err != nil {
			return err
		}
	}
	return nil
}

func (st *stage) cellError(c *cell, msg string) {
	c.mu.Lock()
	c.row.Verdict = pipeline.VerdictError
	if c.errNote == "" {
		c.errNote = msg
	}
	c.mu.Unlock()
}

// breaks is how many programs crashed or hung so far.
func (c *cell) breaks() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.row.Crashes + c.row.Hangs
}

// warmUp runs each runtime once, one after the other, with a long
// timeout: the first run compiles the guest, which under a busy machine
// takes longer than a slice's timeout, and would otherwise be taken for a
// hang in every cell at once.
func (st *stage) warmUp(ctx context.Context) error {
	seen := map[string]bool{}
	for _, c := range st.cells {
		if seen[c.t.Runtime] || c.t.Runtime == "native" {
			continue
		}
		seen[c.t.Runtime] = true
		dir := filepath.Join(st.scratch, "warmup-"+c.t.Runtime)
		t0 := time.Now()
		p := *st.p
		p.base = warmUpTimeout
		t := c.t
		t.Fault, t.noReread = "", true
		out, err := p.runBatch(ctx, t, dir, []fsop.Program{{{Worker: 1, Op: fsop.Op{Kind: fsop.Stat, File: 0, File2: fsop.NoFile, Handle: fsop.NoHandle}}}})
		if err != nil {
			return err
		}
		note := "ok"
		if out[0].Broken != "" {
			note = out[0].Broken
		}
		st.rep.Printf("%-14s %s: %s (%s; compiles the guest once for the runtime's cache)\n", "warm-up", c.t.Runtime, note, pipeline.FormatDuration(time.Since(t0)))
	}
	return nil
}

func (c *cell) addReread(rr *rereadResult) {
	c.mu.Lock()
	c.row.Reread += rr.checked
	c.reread += rr.elapsed
	c.mu.Unlock()
}

func (c *cell) addBusy(d time.Duration) {
	c.mu.Lock()
	c.busy += d
	c.mu.Unlock()
}

func (c *cell) sig(s string) *Sig {
	g := c.sigs[s]
	if g == nil {
		g = &Sig{Runtime: c.t.Runtime, Volume: c.t.Volume, Signature: s, Example: -1}
		c.sigs[s] = g
	}
	return g
}

func (c *cell) addSummary(sum *guestapi.DiffSummary, known map[string]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.row.Programs += sum.Compared
	c.row.Divergent += sum.Divergent
	c.row.Suppressed += sum.Suppressed
	for _, g := range sum.Groups {
		s := c.sig(g.Signature)
		s.Count += g.Count
		s.Known = g.Suppressed || known[g.Signature]
		if s.Example < 0 || g.Example < s.Example {
			s.Example = g.Example
		}
	}
}

// addBroken records program k as a crash or hang divergence.
func (c *cell) addBroken(k int64, sig string, known map[string]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.row.Programs++
	c.row.Divergent++
	if strings.HasPrefix(sig, "hang: ") {
		c.row.Hangs++
	} else {
		c.row.Crashes++
	}
	s := c.sig(sig)
	s.Count++
	if known[sig] {
		s.Known = true
		c.row.Suppressed++
	}
	if s.Example < 0 || k < s.Example {
		s.Example = k
	}
}

// summary fills the verdict table and the signatures.
func (st *stage) summary(sum *Summary, t0 time.Time) *Summary {
	sum.Rows, sum.Sigs = nil, nil
	sum.NativeHits = st.hits
	passed := len(st.cells) > 0 && st.err == nil
	for _, c := range st.cells {
		c.mu.Lock()
		row := c.row
		row.Signatures = len(c.sigs)
		row.Seconds = round3((c.busy + c.reread).Seconds())
		row.RereadSeconds = round3(c.reread.Seconds())
		if row.Verdict == pipeline.VerdictMatch && row.Divergent > row.Suppressed {
			row.Verdict = pipeline.VerdictDiverged
		}
		if c.errNote != "" {
			row.Note = c.errNote
		}
		if row.Verdict != pipeline.VerdictMatch {
			passed = false
		}
		sum.Rows = append(sum.Rows, row)
		for _, s := range sortedSigs(c.sigs) {
			sum.Sigs = append(sum.Sigs, *s)
		}
		c.mu.Unlock()
	}
	sum.Passed = passed
	sum.Seconds = round3(time.Since(t0).Seconds())
	return sum
}

// sortedSigs are a cell's signatures, most frequent first.
func sortedSigs(m map[string]*Sig) []*Sig {
	out := make([]*Sig, 0, len(m))
	for _, s := range m {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Signature < out[j].Signature
	})
	return out
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

// program is program k of the run, freshly allocated.
func (st *stage) program(k int64) fsop.Program { return diff.Generate(st.cfg.Seed, k, st.dcfg) }
