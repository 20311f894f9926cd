package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/atomicfile"
	"github.com/fsx-wasix/fsx-wasix/internal/runner"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

// Volumes a cell can run on.
const (
	VolumeTmp  = "/tmp"
	VolumeData = "/data"
)

// Config is one orchestrator run.
type Config struct {
	Src      string // module root (holds cmd/guest, runners/wasmer-sdk)
	BuildDir string // guest binaries and their stamp
	CacheDir string // native oracle reports
	RunsDir  string // oracle-runs: this run's outputs, earlier runs' removed

	Chain    int
	Runtimes []Choice
	Volumes  []string // VolumeTmp and/or VolumeData
	UseCache bool
	Keep     bool // keep case trees even on success
	Shard    Shard

	// SliceSize is the cases per slice; 0 means DefaultSliceSize. It is part
	// of the native cache key (through the slice's range), so it is fixed
	// rather than derived from the core count.
	SliceSize int64
	// Jobs bounds the guest processes running at once; 0 means the core count.
	Jobs int
	// SliceTimeout bounds one runtime process; 0 derives it from the slice size.
	SliceTimeout time.Duration
	Known        string // --oracle-known FILE for every runtime cell ("" for none)
	KnownDir     string // per runtime and version: DIR/<runtime>-<version>.txt joins Known for that runtime's cells ("" for none)
	WasmerPath   string
	// NoShortest skips the shortest-program pass (stage 6, shortest.go):
	// no lower chains are run and no Group gets a Shortest.
	NoShortest bool

	Report *Reporter
	// Runner makes the runner for a name; nil means runner.New. Tests use it
	// to put a fault between the guest and the filesystem.
	Runner func(name string) (runner.Runner, error)
}

// DefaultSliceSize keeps a slice's case trees small (a /data slice keeps its
// trees until the host re-read) while making the runtimes' start-up cost
// (≈1 s for the SDK, ≈0.15 s for cached wazero) small beside the slice's work.
const DefaultSliceSize = 4096

// keptFailures is how many failing slices per cell keep their case trees:
// a runtime bug usually fails every slice alike, and keeping all of a chain-3
// run's trees would fill the disk to show the same bug many times.
const keptFailures = 2

// newRunner is runner.New; a test replaces it to make construction fail.
var newRunner = runner.New

// ErrInterrupted is returned (wrapped) when the context was cancelled.
var ErrInterrupted = errors.New("interrupted")

// cell is one runtime × volume column of the run.
type cell struct {
	choice  Choice
	r       runner.Runner
	volume  string
	backing string

	mu        sync.Mutex
	row       Row
	groups    map[string]*Group // by signature, folded over the slices
	programs  map[int64]string  // the guests' spelled-out examples, by case
	reports   []string          // per slice, in slice order
	keptCount int
	busy      time.Duration // summed process time, for the per-stage figures
	verify    time.Duration
	firstErr  string
	shortNote string // why the shortest-program pass found no shortest for some signatures
}

// plannedCell is a cell to make: a runtime (its runner made already) on a volume.
type plannedCell struct {
	choice Choice
	r      runner.Runner
	volume string
}

func (c *cell) name() string { return c.choice.Name + " " + c.volume }

// dirName is the cell as a path element: wasmer-sdk-data.
func (c *cell) dirName() string { return c.choice.Name + "-" + strings.TrimPrefix(c.volume, "/") }

// Run runs the whole pipeline and returns the summary. The error is nil when
// the run reached a verdict (whatever it is); it is set for set-up failures
// and wraps ErrInterrupted when ctx was cancelled, in which case the summary
// still says what finished and where partial outputs are.
//
// The stages, in order, are the methods below, numbered as in
// docs/orchestrator.md: newPass and lock (set-up), clean (1), build (2),
// catalog (3), setUpCells, flow (4: native → cells → host re-read →
// clean-up, per slice), merge (5), spell and shortest (6, shortest.go: the
// example programs, and the lower chains for the shortest program of every
// divergence signature) and summary (7).
func Run(ctx context.Context, cfg Config) (*Summary, error) {
	p, err := newPass(cfg)
	if err != nil {
		return nil, err
	}
	release, err := p.lock()
	if err != nil {
		return nil, err
	}
	defer release()
	if err := p.clean(); err != nil {
		return nil, err
	}
	if err := p.build(ctx); err != nil {
		return nil, err
	}
	if err := p.catalog(ctx); err != nil {
		return nil, err
	}
	if err := p.setUpCells(); err != nil {
		return nil, err
	}
	runErr := p.flow(ctx)
	interrupted := ctx.Err() != nil
	var shortErr error
	if !interrupted {
		if err := p.merge(); err != nil {
			return nil, err
		}
		p.spell(p.rep)
		if runErr == nil {
			shortErr = p.shortest(ctx)
		}
	}
	return p.summary(interrupted, runErr, shortErr)
}

// newPass fills in the defaults and makes the runners.
func newPass(cfg Config) (*pass, error) {
	if cfg.Report == nil {
		cfg.Report = NewReporter(io.Discard)
	}
	if cfg.SliceSize <= 0 {
		cfg.SliceSize = DefaultSliceSize
	}
	if cfg.Jobs <= 0 {
		cfg.Jobs = runtime.NumCPU()
	}
	p := &pass{cfg: cfg, rep: cfg.Report, cellRunner: cfg.Runner, sum: &Summary{Chain: cfg.Chain}, keptMax: keptFailures}
	if p.cellRunner == nil {
		sdkDir := filepath.Join(cfg.Src, "runners", "wasmer-sdk")
		p.cellRunner = func(name string) (runner.Runner, error) {
			return newRunner(name, runner.Options{WasmerPath: cfg.WasmerPath, SDKDir: sdkDir})
		}
	}
	var err error
	if p.nativeR, err = newRunner("native", runner.Options{}); err != nil {
		return nil, fmt.Errorf("native runner: %v", err)
	}
	if !cfg.Shard.IsWhole() {
		p.sum.Shard = cfg.Shard.String()
	}
	return p, nil
}

// lock refuses early, with one line, when outputs cannot be written, and
// keeps a second orchestrator out of the runs directory.
func (p *pass) lock() (release func(), err error) {
	if err := CheckWritable(p.cfg.CacheDir, "cache directory"); err != nil {
		return nil, err
	}
	return LockRuns(p.cfg.RunsDir)
}

// clean (stage 1) removes what earlier runs left.
func (p *pass) clean() error {
	st := p.rep.Start("clean", 1)
	cr, err := CleanStale(p.cfg.RunsDir, TmpOraclePattern, time.Now())
	if err != nil {
		return err
	}
	note := ""
	if cr.SkippedRecent > 0 {
		note = fmt.Sprintf(", left %d recent ones (maybe another run's)", cr.SkippedRecent)
	}
	p.sum.addStage("clean", st.Done("removed %d old run(s) from %s and %d stale %s%s", cr.Runs, p.cfg.RunsDir, cr.Tmp, TmpOraclePattern, note))
	return nil
}

// build (stage 2) builds the guest, natively and for wasip1, or reuses it.
func (p *pass) build(ctx context.Context) error {
	st := p.rep.Start("build", 1)
	tc, err := ReadToolchain(ctx, p.cfg.Src)
	if err != nil {
		return err
	}
	guest, err := BuildGuest(ctx, p.cfg.Src, p.cfg.BuildDir, tc)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%w during the build", ErrInterrupted)
		}
		return err
	}
	p.guest = guest
	how := "built"
	if guest.Reused {
		how = "reused (sources unchanged)"
	}
	p.sum.addStage("build", st.Done("%s %s and %s, sources %s, %s", how, guest.Native, guest.Wasm, guest.SourceHash[:12], tc))
	return nil
}

// catalog (stage 3) asks the guest how many cases there are and the hash
// every report carries, cuts this run's (or shard's) cases into slices and
// creates the run's directory.
func (p *pass) catalog(ctx context.Context) error {
	cfg := p.cfg
	info, err := ReadOracleInfo(ctx, p.guest.Native, cfg.Chain)
	if err != nil {
		return err
	}
	p.info = info
	p.start, p.count = cfg.Shard.Range(info.Total)
	p.sum.CaseStart, p.sum.CaseCount = p.start, p.count
	p.slices = Slices(p.start, p.count, cfg.SliceSize)

	if p.runDir == "" { // a lower chain's pass has its directory in its run's
		runName := time.Now().Format("20060102-150405") + fmt.Sprintf("-L%d", cfg.Chain)
		if !cfg.Shard.IsWhole() {
			runName += fmt.Sprintf("-shard%dof%d", cfg.Shard.K, cfg.Shard.N)
		}
		p.runDir = filepath.Join(cfg.RunsDir, runName)
	}
	p.sum.RunDir = p.runDir
	if err := os.MkdirAll(p.runDir, 0o755); err != nil {
		return fmt.Errorf("output directory %s is not writable: %v", cfg.RunsDir, unwrapPathError(err))
	}
	return nil
}

// setUpCells makes one cell per runtime × volume (or per planned cell: a
// lower chain's pass runs only the cells that diverged), prints the plan,
// and readies what the slices share: the cache, the process slots and the
// run's copy of the known signatures.
func (p *pass) setUpCells() error {
	cfg := p.cfg
	if p.plan == nil {
		for _, ch := range cfg.Runtimes {
			r, err := p.cellRunner(ch.Name)
			if err != nil {
				return err
			}
			p.rep.Printf("%-14s %s: %s\n", "runtime", ch.Name, ch.Why)
			for _, v := range cfg.Volumes {
				p.plan = append(p.plan, plannedCell{choice: ch, r: r, volume: v})
			}
		}
	}
	for _, pc := range p.plan {
		c := &cell{choice: pc.choice, r: pc.r, volume: pc.volume, groups: map[string]*Group{}, programs: map[int64]string{},
			reports: make([]string, len(p.slices))}
		switch {
		case pc.volume == VolumeTmp:
			c.backing = BackingRuntimeTmp
		case pc.r.HostBacked():
			c.backing = BackingHost
		default:
			c.backing = BackingCopy
		}
		c.row = Row{Runtime: pc.choice.Name, Volume: pc.volume, Backing: c.backing, Verdict: VerdictMatch}
		p.cells = append(p.cells, c)
	}
	shardNote := ""
	if !cfg.Shard.IsWhole() {
		shardNote = fmt.Sprintf(" (shard %s of %d)", cfg.Shard, p.info.Total)
	}
	p.rep.Printf("%-14s chain %d: %d cases%s in %d slice(s) of ≤%d, %d cell(s), up to %d processes at once; outputs in %s\n",
		"plan", cfg.Chain, p.count, shardNote, len(p.slices), cfg.SliceSize, len(p.cells), cfg.Jobs, p.runDir)

	p.cache = &Cache{Dir: cfg.CacheDir, Validate: ValidateReport}
	p.tokens = make(chan struct{}, cfg.Jobs)
	p.nativeReports = make([]string, len(p.slices))
	// Each runtime's cells link to the run's own copy of their known
	// signatures (never to the user's files, see linkOrCopy): --known plus
	// the list for that runtime's version in --known-dir.
	p.known = map[string]string{}
	for _, ch := range cfg.Runtimes {
		text, from, err := knownFor(cfg, ch.Name)
		if err != nil {
			return err
		}
		if len(text) == 0 {
			continue
		}
		path := filepath.Join(p.runDir, "slices", "known-"+ch.Name+".txt")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("output directory %s is not writable: %v", p.runDir, unwrapPathError(err))
		}
		if err := atomicfile.WriteFile(path, text); err != nil {
			return fmt.Errorf("known signatures for %s: %v", ch.Name, err)
		}
		p.known[ch.Name] = path
		p.rep.Printf("%-14s %s: %s\n", "known", ch.Name, strings.Join(from, " + "))
	}
	return nil
}

// flow (stage 4) sends the slices through native → cells → host
// re-read → clean-up, then prints each stage's process time.
func (p *pass) flow(ctx context.Context) error {
	st := p.rep.Start("oracle", p.count*int64(1+len(p.cells)))
	p.bar = st
	if p.outerBar != nil { // a lower chain's pass: its run's bar shows the progress
		p.bar = p.outerBar
	}
	runErr := p.run(ctx, p.slices)

	cfg, sum, rep := p.cfg, p.sum, p.rep
	hits := p.hits.Load()
	nativeHow := fmt.Sprintf("%d of %d slice(s) from cache %s", hits, len(p.slices), cfg.CacheDir)
	if !cfg.UseCache {
		nativeHow = "regenerated (--no-cache / USE_NATIVE_CACHE=0), cache " + cfg.CacheDir + " refreshed"
	}
	sum.NativeHit = cfg.UseCache && int(hits) == len(p.slices) && len(p.slices) > 0
	sum.addStage("native", rep.lineAt("native", p.nativeBusy(), "%d cases, %s", p.count, nativeHow))
	for _, c := range p.cells {
		c.row.Time = c.busy
		sum.addStage("cell "+c.name(), rep.lineAt("cell", c.busy, "%s %s (%s): %d cases, %d divergent, %s", c.choice.Name, c.volume, c.backing, c.row.Cases, c.row.Divergent, c.row.Verdict))
		if c.volume == VolumeData && c.verify > 0 {
			sum.addStage("re-read "+c.name(), rep.lineAt("host re-read", c.verify, "%s %s: checked %d file snapshots from the host", c.choice.Name, c.volume, c.row.Checked))
		}
	}
	sum.addStage("pipeline wall", st.Done("%d slice(s) through %d cell(s)", len(p.slices), len(p.cells)))
	return runErr
}

// merge (stage 5) joins the slices' reports in case order: one report per
// cell, and the native one, like the unsharded run's.
func (p *pass) merge() error {
	st := p.rep.Start("merge", int64(1+len(p.cells)))
	native := filepath.Join(p.runDir, "native-report.bin")
	if err := MergeReports(native, p.nativeReports); err != nil {
		return fmt.Errorf("merging native reports: %v", err)
	}
	p.sum.Native = native
	for _, c := range p.cells {
		if c.row.Verdict == VerdictNotSupported || c.row.Verdict == VerdictError {
			continue
		}
		dst := filepath.Join(p.runDir, c.dirName()+"-report.bin")
		if err := MergeReports(dst, c.reports); err != nil {
			c.row.Verdict, c.row.Note = VerdictError, "merging slice reports: "+err.Error()
			continue
		}
		c.row.Report = dst
	}
	p.sum.addStage("merge", st.Done("one report per cell in %s", p.runDir))
	p.removeSliceReports()
	return nil
}

// summary (stage 7) fills the verdict table, says where partial outputs
// are after an interruption, and on success keeps only the reports.
// shortErr is the shortest-program pass's interruption: the verdicts are
// whole then, but the run did not finish.
func (p *pass) summary(interrupted bool, runErr, shortErr error) (*Summary, error) {
	sum := p.sum
	for _, c := range p.cells {
		c.row.Groups = sortGroups(c.groups)
		c.row.Signatures = len(c.row.Groups)
		if interrupted && c.row.Verdict == VerdictMatch {
			c.row.Verdict = VerdictInterrupted
		}
		if c.firstErr != "" && c.row.Note == "" {
			c.row.Note = c.firstErr
		}
		if c.shortNote != "" {
			c.row.Note = strings.TrimPrefix(c.row.Note+"; "+c.shortNote, "; ")
		}
		sum.Rows = append(sum.Rows, c.row)
	}
	sum.Passed = !interrupted && Passed(sum.Rows)
	if interrupted {
		sum.Interrupted = true
		return sum, fmt.Errorf("%w: partial outputs in %s (finished slice reports under %s); the cache holds only whole reports",
			ErrInterrupted, p.runDir, filepath.Join(p.runDir, "slices"))
	}
	if runErr != nil {
		return sum, runErr
	}
	if shortErr != nil {
		sum.Interrupted = true
		return sum, shortErr
	}
	if !p.cfg.Keep && sum.Passed {
		// Success: keep only the reports (the seed's run.sh did the same).
		_ = os.RemoveAll(filepath.Join(p.runDir, "slices"))
	}
	return sum, nil
}

func (s *Summary) addStage(name string, d time.Duration) {
	s.Stages = append(s.Stages, StageTime{Stage: name, Seconds: round3(d.Seconds())})
}

// lineAt prints a stage line with a duration measured elsewhere (summed
// process time of a stage that overlapped with others).
func (r *Reporter) lineAt(name string, d time.Duration, format string, a ...any) time.Duration {
	r.Printf("%-14s %s  (%s of process time)\n", name, fmt.Sprintf(format, a...), FormatDuration(d))
	return d
}

// pass is the state of one pipeline run: what each stage found, and the
// shared state of the slices flowing through native, cells and re-read.
type pass struct {
	cfg        Config
	rep        *Reporter
	sum        *Summary
	cellRunner func(name string) (runner.Runner, error)
	nativeR    runner.Runner // the native guest: native oracle and host re-read

	guest        Guest         // build
	info         OracleInfo    // catalog
	start, count int64         // catalog: this run's (or shard's) cases
	slices       []Slice       // catalog
	runDir       string        // catalog
	plan         []plannedCell // setUpCells: the cells to make (nil: every runtime × volume)
	cells        []*cell       // setUpCells
	cache        *Cache
	bar          *Stage
	outerBar     *Stage // a lower chain's pass: the bar it advances instead of its own
	keptMax      int    // failing slices per cell that keep their case trees (keptFailures)

	known         map[string]string // by runtime: the run's private copy of its known signatures (absent: none)
	tokens        chan struct{}     // one per process allowed to run at once
	nativeReports []string
	hits          atomic.Int64
	nativeNanos   atomic.Int64

	errMu    sync.Mutex
	firstErr error
}

func (p *pass) nativeBusy() time.Duration { return time.Duration(p.nativeNanos.Load()) }

// acquire waits for a process slot; false when the run was cancelled.
func (p *pass) acquire(ctx context.Context) bool {
	select {
	case p.tokens <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (p *pass) releaseToken() { <-p.tokens }

func (p *pass) fail(err error) {
	p.errMu.Lock()
	if p.firstErr == nil {
		p.firstErr = err
	}
	p.errMu.Unlock()
}

// run feeds the slices in case order, with at most 2×Jobs slices in flight:
// enough to keep every process slot busy while one slice waits on another
// stage, few enough that the case trees on disk stay bounded.
func (p *pass) run(ctx context.Context, slices []Slice) error {
	window := make(chan struct{}, 2*p.cfg.Jobs)
	var wg sync.WaitGroup
feed:
	for _, s := range slices {
		select {
		case window <- struct{}{}:
		case <-ctx.Done():
			break feed
		}
		wg.Add(1)
		go func(s Slice) {
			defer wg.Done()
			defer func() { <-window }()
			p.slice(ctx, s)
		}(s)
	}
	wg.Wait()
	return p.firstErr
}

// sliceDir holds everything of one slice until clean-up.
func (p *pass) sliceDir(s Slice) string { return filepath.Join(p.runDir, "slices", s.String()) }

// slice takes slice s through its stages: native (cache or native guest),
// expectedCopy, then every cell at once (cellSlice).
func (p *pass) slice(ctx context.Context, s Slice) {
	native, err := p.native(ctx, s)
	if err != nil {
		if ctx.Err() == nil {
			p.fail(fmt.Errorf("native oracle, cases %d..%d: %v", s.Start, s.End()-1, err))
		}
		return
	}
	p.nativeReports[s.Index] = native
	p.bar.Add(s.Count)
	expected, err := p.expectedCopy(s, native)
	if err != nil {
		for _, c := range p.cells {
			c.recordError(s, fmt.Sprintf("preparing slice %s for %s: %v", s, c.name(), err), filepath.Dir(expected))
			p.bar.Add(s.Count)
		}
		return
	}
	defer os.Remove(expected) // the cells' links keep their own names
	var wg sync.WaitGroup
	for _, c := range p.cells {
		wg.Add(1)
		go func(c *cell) {
			defer wg.Done()
			p.cellSlice(ctx, c, s, native, expected)
			p.bar.Add(s.Count)
		}(c)
	}
	wg.Wait()
}

// expectedCopy makes the copy of slice s's native report that the cells
// link into their /work: one copy private to the slice, never the cache
// entry itself (see linkOrCopy).
func (p *pass) expectedCopy(s Slice, native string) (string, error) {
	expected := filepath.Join(p.runDir, "slices", s.String()+"-"+expectedName)
	if err := os.MkdirAll(filepath.Dir(expected), 0o755); err != nil {
		return expected, err
	}
	return expected, CopyFileAtomic(expected, native)
}

// native returns the native report of slice s, from the cache when it has
// it, else by running the native guest (and caching the result).
func (p *pass) native(ctx context.Context, s Slice) (string, error) {
	key := CacheKey{SourceHash: p.guest.SourceHash, CatalogHash: p.info.CatalogHash, Chain: p.cfg.Chain,
		Start: s.Start, Count: s.Count, Toolchain: p.guest.Toolchain}
	if p.cfg.UseCache {
		path, err := p.cache.Get(key)
		if err != nil {
			p.rep.Printf("warning: %v\n", err)
		}
		if path != "" {
			p.hits.Add(1)
			return path, nil
		}
	}
	return p.runNative(ctx, s, key)
}

// runNative runs the native guest on slice s in a process slot and puts
// its report, with its paths made canonical, into the cache under key.
func (p *pass) runNative(ctx context.Context, s Slice, key CacheKey) (string, error) {
	if !p.acquire(ctx) {
		return "", ctx.Err()
	}
	defer p.releaseToken()
	dir := filepath.Join(p.sliceDir(s), "native")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	t0 := time.Now()
	res, err := p.exec(ctx, p.nativeR, runner.Spec{
		Wasm: p.guest.Native,
		Args: NativeArgs(p.cfg.Chain, s),
		Dir:  dir,
	}, filepath.Join(dir, "native.log"))
	p.nativeNanos.Add(int64(time.Since(t0)))
	if err != nil {
		return "", err
	}
	if res.code != 0 {
		return "", fmt.Errorf("the native guest exited with %d: %s (log: %s)", res.code, res.lastLine, res.log)
	}
	out := filepath.Join(p.runDir, "slices", s.String()+"-native.bin")
	if err := os.Rename(filepath.Join(dir, reportName), out); err != nil {
		return "", fmt.Errorf("the native guest left no report: %v (log: %s)", err, res.log)
	}
	if err := CanonicalizeNative(out); err != nil {
		return "", err
	}
	_ = os.RemoveAll(dir)
	// --no-cache only skips reading: the fresh report replaces the entry, so
	// the next run is fast again.
	cached, err := p.cache.Put(key, out)
	if err != nil {
		return "", err
	}
	_ = os.Remove(out)
	return cached, nil
}

// execResult is a finished guest process.
type execResult struct {
	code     int
	stdout   []byte // stdout alone: with --json, the guest's summary
	lastLine string // the last non-empty line of stderr (or stdout), for one-line errors
	log      string
}

// exec runs one guest with its stdout and stderr in a log file (kept only
// when something went wrong) and its stdout in memory for the summary.
func (p *pass) exec(ctx context.Context, r runner.Runner, spec runner.Spec, logPath string) (execResult, error) {
	res := execResult{log: logPath}
	lf, err := os.Create(logPath)
	if err != nil {
		return res, err
	}
	defer lf.Close()
	// Output is kept in memory too, capped so a runaway guest cannot fill
	// memory: the last MiB of stdout alone (the --json summary; the guest's
	// human report and progress lines and the runtimes' own messages are
	// on stderr), of both together, and the last 8 KiB of stderr for the
	// one-line error.
	var all, stdout, stderr tailBuffer
	all.max, stdout.max, stderr.max = 1<<20, 1<<20, 8<<10
	var mu sync.Mutex
	spec.Stdout = io.MultiWriter(lf, lockedWriter{&mu, &all}, &stdout)
	spec.Stderr = io.MultiWriter(lf, lockedWriter{&mu, &all}, &stderr)
	if spec.Timeout == 0 {
		spec.Timeout = p.cfg.SliceTimeout
	}
	res.code, err = r.Run(ctx, spec)
	res.stdout = stdout.Bytes()
	res.lastLine = lastLine(stderr.Bytes())
	if res.lastLine == "" {
		res.lastLine = lastLine(all.Bytes())
	}
	if err != nil && ctx.Err() == nil && res.lastLine != "" {
		err = fmt.Errorf("%v (last output: %s; log: %s)", err, res.lastLine, logPath)
	}
	return res, err
}

// cellSlice runs slice s on one cell, in stages: prepareCell, runCell,
// checkCell, rereadCell (/data cells) and keepCell. A stage that fails
// records the error on the cell (keeping the slice's directory) and stops
// the others; a cancelled run stops without recording anything. native is
// the slice's native report (the cache entry, for the host re-read),
// expected the slice's private copy of it.
func (p *pass) cellSlice(ctx context.Context, c *cell, s Slice, native, expected string) {
	dir := filepath.Join(p.sliceDir(s), c.dirName())
	cs := &cellJob{c: c, s: s, native: native, dir: dir, work: filepath.Join(dir, "work"), data: filepath.Join(dir, "data")}
	cs.report = CellReportPath(c.volume, cs.work, cs.data)
	if p.prepareCell(cs, expected) && p.runCell(ctx, cs) && p.checkCell(cs) && p.rereadCell(ctx, cs) {
		p.keepCell(cs)
	}
}

// cellJob is one cell's work on one slice, as it goes through the stages.
type cellJob struct {
	c               *cell
	s               Slice
	native          string // the slice's native report
	dir, work, data string // the slice's directory for the cell, its /work and /data
	report          string // where the guest leaves its report on the host
	res             execResult
	out             OracleOutput // what the guest (and the re-read) said
	diverged        bool
}

// fail records a stage's error on the cell; it returns false so a stage
// can end with `return cs.fail(...)`.
func (cs *cellJob) fail(format string, a ...any) bool {
	cs.c.recordError(cs.s, fmt.Sprintf(format, a...), cs.dir)
	return false
}

// prepareCell makes the cell's /work and /data for the slice and links the
// expected report (and the known signatures) into /work.
func (p *pass) prepareCell(cs *cellJob, expected string) bool {
	var err error
	for _, d := range []string{cs.work, cs.data} {
		if err == nil {
			err = os.MkdirAll(d, 0o755)
		}
	}
	if err == nil {
		err = linkOrCopy(expected, filepath.Join(cs.work, expectedName))
	}
	if k := p.known[cs.c.choice.Name]; err == nil && k != "" {
		err = linkOrCopy(k, filepath.Join(cs.work, knownName))
	}
	if err != nil {
		return cs.fail("preparing %s: %v", cs.dir, err)
	}
	return true
}

// runCell runs the slice under the cell's runtime, in a process slot.
func (p *pass) runCell(ctx context.Context, cs *cellJob) bool {
	c, s := cs.c, cs.s
	spec := CellSpec(p.guest.Wasm, p.cfg.Chain, s, c.volume, cs.work, cs.data, p.known[c.choice.Name] != "")
	spec.Env = append(spec.Env, guestapi.Env(guestapi.EnvRuntime, c.choice.Name)) // recorded in the report's header
	if p.cfg.SliceTimeout == 0 {
		// Generous: a hung runtime must end as an error, never hang the run.
		spec.Timeout = 2*time.Minute + time.Duration(s.Count)*20*time.Millisecond
	}
	if !p.acquire(ctx) {
		return false
	}
	t0 := time.Now()
	res, runErr := p.exec(ctx, c.r, spec, filepath.Join(cs.dir, "guest.log"))
	busy := time.Since(t0)
	p.releaseToken()
	c.addBusy(busy, 0)
	if ctx.Err() != nil {
		return false
	}
	cs.res, cs.out = res, DecodeOracleOutput(res.stdout)
	if runErr != nil {
		return cs.fail("%s, cases %d..%d: %v", c.name(), s.Start, s.End()-1, runErr)
	}
	return true
}

// checkCell tells a divergence from a broken run: the guest must have left
// its report, and a non-zero exit must come with an unsuppressed divergence
// in its summary.
func (p *pass) checkCell(cs *cellJob) bool {
	c, s, res, out := cs.c, cs.s, cs.res, cs.out
	if _, err := os.Stat(cs.report); err != nil {
		return cs.fail("%s, cases %d..%d: the guest exited with %d and wrote no report: %s (log: %s)", c.name(), s.Start, s.End()-1, res.code, res.lastLine, res.log)
	}
	// A guest exits non-zero on an unsuppressed divergence; any other end
	// means the run itself broke (OracleOutput.Broken).
	cs.diverged = res.code != 0
	if broken := out.Broken(res.code); broken != "" {
		return cs.fail("%s, cases %d..%d: the guest %s: %s (log: %s)", c.name(), s.Start, s.End()-1, broken, res.lastLine, res.log)
	}
	return true
}

// rereadCell (/data cells) reads the files the runtime left on the host,
// without it. It runs even when the runtime already diverged: one known
// runtime bug in a slice must not hide the host-side check of its other
// cases.
func (p *pass) rereadCell(ctx context.Context, cs *cellJob) bool {
	c, s := cs.c, cs.s
	if c.volume != VolumeData {
		return true
	}
	if !p.acquire(ctx) {
		return false
	}
	t0 := time.Now()
	vres, verr := p.exec(ctx, p.nativeR, runner.Spec{
		Wasm: p.guest.Native,
		Args: VerifyArgs(cs.native, cs.report, p.known[c.choice.Name]),
	}, filepath.Join(cs.dir, "verify.log"))
	p.releaseToken()
	c.addBusy(0, time.Since(t0))
	if ctx.Err() != nil {
		return false
	}
	if verr != nil {
		return cs.fail("%s host re-read, cases %d..%d: %v", c.name(), s.Start, s.End()-1, verr)
	}
	vout := DecodeOracleOutput(vres.stdout)
	if broken := vout.Broken(vres.code); broken != "" {
		return cs.fail("%s host re-read, cases %d..%d: %s: %s (log: %s)", c.name(), s.Start, s.End()-1, broken, vres.lastLine, vres.log)
	}
	c.mu.Lock()
	c.row.Checked += vout.Checked
	c.mu.Unlock()
	// The re-read compares the two reports again as well as the files,
	// so its divergent cases include the runtime's own: take the larger
	// count, and add the signatures only the host saw.
	out := &cs.out
	if vout.Divergent > out.Divergent {
		out.Divergent, out.Suppressed = vout.Divergent, max(out.Suppressed, vout.Suppressed)
	}
	for sig, n := range vout.Signatures {
		if _, seen := out.Signatures[sig]; !seen {
			out.Signatures[sig] = n
		}
	}
	out.Groups = joinReread(out.Groups, vout.Groups)
	out.First = append(out.First, vout.First...) // the runtime's own programs first
	cs.diverged = cs.diverged || vres.code != 0
	return true
}

// keepCell keeps the slice's report for the merge, adds the slice to the
// cell's row, and cleans up the case trees (a diverging slice keeps them,
// for the first keptFailures such slices of the cell).
func (p *pass) keepCell(cs *cellJob) {
	c, s, out, dir := cs.c, cs.s, cs.out, cs.dir
	kept := filepath.Join(p.runDir, "slices", c.dirName()+"-"+s.String()+".bin")
	if err := os.Rename(cs.report, kept); err != nil {
		cs.fail("keeping the report of %s: %v", c.name(), err)
		return
	}
	c.mu.Lock()
	c.reports[s.Index] = kept
	c.row.Cases += s.Count
	c.row.Divergent += out.Divergent
	c.row.Suppressed += out.Suppressed
	foldGroups(c.groups, out.Groups)
	c.keepPrograms(out)
	keepTrees := p.cfg.Keep
	if cs.diverged {
		if c.row.Verdict == VerdictMatch {
			c.row.Verdict = VerdictDiverged
		}
		if c.keptCount < p.keptMax {
			c.keptCount++
			keepTrees = true
			if c.row.Kept == "" {
				c.row.Kept = dir
			}
			p.rep.Printf("%-14s %s diverged in cases %d..%d; guest output and case files kept in %s\n", "DIVERGED", c.name(), s.Start, s.End()-1, dir)
		}
	}
	c.mu.Unlock()
	if !keepTrees {
		_ = os.RemoveAll(dir)
	}
}

// keepPrograms keeps the guest's spelled-out programs (OracleSummary.First)
// of the slice's example cases: a cell's example is the lowest of its
// slices' examples, so those are the only programs the summary can need.
// The caller holds c.mu.
func (c *cell) keepPrograms(out OracleOutput) {
	examples := make(map[int64]bool, len(out.Groups))
	for _, g := range out.Groups {
		examples[g.Example] = true
	}
	for _, d := range out.First {
		if _, have := c.programs[d.Index]; examples[d.Index] && !have {
			c.programs[d.Index] = d.Program
		}
	}
}

func (c *cell) addBusy(run, verify time.Duration) {
	c.mu.Lock()
	c.busy += run + verify
	c.verify += verify
	c.mu.Unlock()
}

// recordError marks the cell as failed (not diverged: the run itself broke)
// and keeps the slice's directory for inspection.
func (c *cell) recordError(s Slice, msg, dir string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.row.Verdict = VerdictError
	if c.firstErr == "" {
		c.firstErr = msg
	}
	if c.row.Kept == "" {
		c.row.Kept = dir
	}
}

// removeSliceReports drops the per-slice reports once merged.
func (p *pass) removeSliceReports() {
	paths, _ := filepath.Glob(filepath.Join(p.runDir, "slices", "*.bin"))
	for _, path := range paths {
		_ = os.Remove(path)
	}
}

// link is os.Link; a test replaces it to make linking fail.
var link = os.Link

// linkOrCopy puts src's bytes at dst: a hard link when it can (nothing
// copied or synced), else an atomic copy — when dst exists already (a link
// never replaces a file), across filesystems, or where the filesystem has
// no hard links. Callers never pass a cache entry or a user's file as src:
// a runtime writing through its /work (the SDK runner copies changed files
// back in place) must not change them; they link from a copy private to the
// run (see pass.slice and pass.known).
func linkOrCopy(src, dst string) error {
	if err := link(src, dst); err == nil {
		return nil
	}
	return CopyFileAtomic(dst, src)
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// tailBuffer keeps the last max bytes written: a guest's summary and its
// one-line error come at the end of its output, and a runaway guest must
// not fill memory. It is a ring: memory is max bytes however much is written.
type tailBuffer struct {
	max  int
	ring []byte // allocated on the first write, len max once full
	next int    // where the next byte goes once the ring is full
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if b.max <= 0 {
		return n, nil
	}
	if len(p) >= b.max { // p alone fills the ring
		b.ring = append(b.ring[:0], p[len(p)-b.max:]...)
		b.next = 0
		return n, nil
	}
	if room := b.max - len(b.ring); room > 0 { // still filling
		k := min(room, len(p))
		b.ring = append(b.ring, p[:k]...)
		p = p[k:]
	}
	for len(p) > 0 { // full: overwrite the oldest bytes
		k := copy(b.ring[b.next:], p)
		p = p[k:]
		b.next = (b.next + k) % b.max
	}
	return n, nil
}

// Bytes is what was kept, oldest first.
func (b *tailBuffer) Bytes() []byte {
	out := make([]byte, 0, len(b.ring))
	out = append(out, b.ring[b.next:]...)
	return append(out, b.ring[:b.next]...)
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	return ""
}
