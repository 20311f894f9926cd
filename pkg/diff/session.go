package diff

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
	"github.com/fsx-wasix/fsx-wasix/pkg/transcript"
)

// Schema names a differential transcript's records in its header; what
// they mean is pinned by SchemaHash (catalog, generator, record format and
// config). Record i is the record of program First+i.
const Schema = "fsx-wasix diff"

// MaxPrograms bounds -N.
const MaxPrograms = 1 << 40

// Meta is what a differential transcript's header says beyond the
// framing, in the transcript header's opaque Meta (msgpack).
type Meta struct {
	Seed     uint64 `msgpack:"seed"`
	Programs int64  `msgpack:"programs"` // -N of the run the slice belongs to
	Config   string `msgpack:"config"`   // the config, every key spelled out (Config.TOML)
	Platform string `msgpack:"platform"` // GOOS/GOARCH of the producer
	Runtime  string `msgpack:"runtime"`  // "native", or $FSX_RUNTIME under wasip1
	Root     string `msgpack:"root"`
	Output   string `msgpack:"output"`
}

// Header is a differential transcript's header.
type Header struct {
	transcript.Header
	Meta
}

// Framing is the transcript header to write.
func (h Header) Framing() transcript.Header {
	f := h.Header
	f.Schema = Schema
	meta, err := msgpack.Marshal(&h.Meta)
	if err != nil { // a plain struct
		panic(err)
	}
	f.Meta = meta
	return f
}

// ReadHeader is a differential transcript's header from its framing.
func ReadHeader(name string, f transcript.Header) (Header, error) {
	h := Header{Header: f}
	if f.Schema != Schema {
		return h, fmt.Errorf("%s: not a differential transcript (it holds %q records)", name, f.Schema)
	}
	if err := msgpack.Unmarshal(f.Meta, &h.Meta); err != nil {
		return h, fmt.Errorf("%s: corrupt differential transcript header: %v", name, err)
	}
	return h, nil
}

// PeekHeader reads a transcript's header without checking its schema hash
// (to take the seed of an expected transcript when -S is not given).
func PeekHeader(path string) (Header, error) {
	r, err := transcript.Open(path)
	if err != nil {
		return Header{}, err
	}
	defer r.Close()
	return ReadHeader(path, r.Header())
}

// Platform is GOOS/GOARCH of this build.
func Platform() string { return runtime.GOOS + "/" + runtime.GOARCH }

// RuntimeName is "native", or under wasip1 $FSX_RUNTIME (else "unknown").
func RuntimeName() string {
	if runtime.GOOS != "wasip1" {
		return "native"
	}
	if r := os.Getenv(guestapi.EnvRuntime); r != "" {
		return r
	}
	return "unknown"
}

// InputError is a run refused before it started: bad input (exit 2).
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func inputErrorf(format string, a ...any) error { return &InputError{fmt.Errorf(format, a...)} }

// RefusedRoots may not be the root themselves: give a subdirectory.
var RefusedRoots = []string{"/", "/tmp", "/data"}

// CaseDirName is the directory under the root that programs run in.
const CaseDirName = "diff-case"

// CheckRoot refuses an empty root and the RefusedRoots.
func CheckRoot(root string) error {
	if root == "" {
		return errors.New("differential mode needs a root directory (e.g. /tmp/fsx-diff)")
	}
	clean := absClean(root)
	for _, r := range RefusedRoots {
		if clean == r {
			return fmt.Errorf("refusing root %s: give a subdirectory such as %s", root, filepath.Join(r, "fsx-diff"))
		}
	}
	return nil
}

func absClean(p string) string {
	if p == "" {
		return ""
	}
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}

// Options is one differential run.
type Options struct {
	Seed     uint64
	Config   Config
	Programs int64 // -N: the run is programs 0..Programs-1
	Start    int64 // the slice this process runs
	Count    int64
	Root     string
	Output   string          // write the transcript here ("" = none)
	Expected string          // compare with this transcript while running ("" = none)
	Known    map[string]bool // signatures to suppress
	// Keep runs each program in ROOT/keep/NNNNNNN (KeptTree) and leaves its
	// tree there (--diff-keep), for a host re-read.
	Keep bool
	// Progress, when set, is called before each program: a runtime that
	// crashes mid-run then leaves the program's number behind (-v).
	Progress func(k int64)
}

// Header is the transcript header a run with o writes.
func (o *Options) Header() Header {
	return Header{
		Header: transcript.Header{Schema: Schema, SchemaHash: SchemaHash(&o.Config), First: o.Start, Count: o.Count},
		Meta: Meta{Seed: o.Seed, Programs: o.Programs, Config: o.Config.TOML(), Platform: Platform(), Runtime: RuntimeName(),
			Root: absClean(o.Root), Output: absClean(o.Output)},
	}
}

// Result is what a run found.
type Result struct {
	Header     Header
	Elapsed    time.Duration
	Steps      int64
	AllocBytes uint64    // heap bytes allocated during the run
	Comparer   *Comparer // nil without Expected
	// Abandoned counts case directories a program left that could not be
	// emptied (the program's snapshot shows why); AbandonedFirst says the first.
	Abandoned      int64
	AbandonedFirst string
	// Divergent are the programs whose records differed from the expected
	// ones (with Keep and Expected only).
	Divergent []int64
}

// Session is a run whose input Prepare checked.
type Session struct {
	o    Options
	er   *transcript.Reader
	done bool
}

// Prepare checks a run's input once, before anything runs or is written:
// the root, the config, the program range, and the expected transcript
// (read whole: a missing, truncated or corrupt one, one of another schema
// hash — another catalog, generator or config — or of another seed, or one
// that does not cover the range is refused). Every refusal is an
// *InputError with a one-line message.
func Prepare(o Options) (*Session, error) {
	gcOff() // before reading the expected transcript: its decoders allocate
	s := &Session{o: o}
	if err := s.prepare(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Session) prepare() error {
	o := &s.o
	if err := CheckRoot(o.Root); err != nil {
		return &InputError{err}
	}
	if err := o.Config.Validate(); err != nil {
		return &InputError{err}
	}
	if o.Programs < 1 || o.Programs > MaxPrograms {
		return inputErrorf("-N %d: the number of programs must be 1..%d", o.Programs, int64(MaxPrograms))
	}
	if o.Start < 0 || o.Count < 1 || o.Start+o.Count > o.Programs {
		return inputErrorf("programs %d..%d out of range: the run has programs 0..%d", o.Start, o.Start+o.Count-1, o.Programs-1)
	}
	if o.Expected != "" {
		f, err := transcript.Verify(o.Expected, transcript.ExpectSchema(Schema, SchemaHash(&o.Config)))
		if err != nil {
			return &InputError{err}
		}
		h, err := ReadHeader(o.Expected, f)
		if err != nil {
			return &InputError{err}
		}
		if h.Seed != o.Seed {
			return inputErrorf("%s: expected transcript has seed %d, this run has seed %d", o.Expected, h.Seed, o.Seed)
		}
		if o.Start < h.First || o.Start+o.Count > h.End() {
			return inputErrorf("%s: expected transcript covers programs %d..%d, this run needs %d..%d", o.Expected, h.First, h.End()-1, o.Start, o.Start+o.Count-1)
		}
		if s.er, err = transcript.Open(o.Expected, transcript.ExpectSchema(Schema, SchemaHash(&o.Config))); err != nil {
			return &InputError{err}
		}
		for i := h.First; i < o.Start; i++ {
			if _, err := s.er.Next(); err != nil {
				return err
			}
		}
	}
	if err := os.MkdirAll(o.Root, 0o755); err != nil {
		return inputErrorf("cannot create root: %v", err)
	}
	return nil
}

// SetProgress sets Options.Progress after Prepare.
func (s *Session) SetProgress(f func(k int64)) { s.o.Progress = f }

// Close releases what Prepare opened; Run calls it.
func (s *Session) Close() {
	s.done = true
	if s.er != nil {
		s.er.Close()
		s.er = nil
	}
}

// allocated is the heap bytes allocated so far (runtime/metrics, not
// ReadMemStats, which hangs the guest under the Wasmer SDK).
func allocated() uint64 {
	m := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(m)
	return m[0].Value.Uint64()
}

// caseDirs hands out case directories: ROOT/diff-case, and when a program
// leaves one that cannot be emptied (a runtime bug: its snapshot shows
// it), ROOT/diff-case-1, -2, … so the run goes on.
//
// With keep, every program gets a directory of its own instead,
// ROOT/keep/NNNNNNN (KeptTree), and leaves its tree there.
type caseDirs struct {
	root      string
	keep      bool
	ex        *Executor
	dir       string
	dirs      []string
	Abandoned int64
	First     string // the first abandonment, as a message
}

// start makes the first case directory, or with keep an empty ROOT/keep
// (a previous run's trees are removed).
func (c *caseDirs) start() error {
	if !c.keep {
		return c.open()
	}
	kd := filepath.Join(c.root, KeepDirName)
	if err := os.RemoveAll(kd); err != nil {
		return fmt.Errorf("cannot empty %s: %w", kd, err)
	}
	if err := os.MkdirAll(kd, 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %w", kd, err)
	}
	return nil
}

// keepDir moves the executor to program k's own directory (with keep).
func (c *caseDirs) keepDir(k int64) error {
	dir := KeptPath(c.root, k)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %w", dir, err)
	}
	var err error
	if c.ex == nil {
		if c.ex, err = NewExecutor(dir); err == nil {
			c.ex.Keep = true
		}
	} else {
		err = c.ex.Retarget(dir)
	}
	if err == nil {
		c.dir = dir
	}
	return err
}

// maxAbandoned is how many case directories a run may give up on before
// it stops: past that, the runtime cannot empty a directory at all.
const maxAbandoned = 100

func (c *caseDirs) open() error {
	dir, err := makeCaseDir(c.root, len(c.dirs))
	if err != nil {
		return err
	}
	if c.ex == nil {
		c.ex, err = NewExecutor(dir)
	} else {
		err = c.ex.Retarget(dir)
	}
	if err == nil {
		c.dir, c.dirs = dir, append(c.dirs, dir)
	}
	return err
}

// run runs prog; when its directory cannot be emptied afterwards, it moves
// on to a fresh one.
func (c *caseDirs) run(k int64, prog fsop.Program, label string) ([]byte, error) {
	if c.keep {
		if err := c.keepDir(k); err != nil {
			return nil, fmt.Errorf("program %s: %w", label, err)
		}
	}
	rec, err := c.ex.Run(prog)
	var ee *EmptyError
	if errors.As(err, &ee) {
		c.Abandoned++
		if c.First == "" {
			c.First = fmt.Sprintf("after program %s: %v", label, err)
		}
		if c.Abandoned > maxAbandoned {
			return nil, fmt.Errorf("program %s: %w (%d case directories could not be emptied; giving up)", label, err, c.Abandoned)
		}
		return rec, c.open() // rec stays valid: Retarget keeps the buffers as they are
	}
	if err != nil {
		return nil, fmt.Errorf("program %s: %w", label, err)
	}
	return rec, nil
}

// close closes the executor and removes the case directories it can.
func (c *caseDirs) close() {
	if c.ex != nil {
		c.ex.Close()
	}
	for _, d := range c.dirs {
		os.RemoveAll(d)
	}
}

// makeCaseDir makes ROOT/diff-case (or diff-case-N) exist and be empty.
func makeCaseDir(root string, n int) (string, error) {
	dir := filepath.Join(root, CaseDirName)
	if n > 0 {
		dir += "-" + strconv.Itoa(n)
	}
	if err := os.RemoveAll(dir); err != nil { // left by a crashed run
		return dir, fmt.Errorf("cannot empty %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return dir, fmt.Errorf("cannot create %s: %w", dir, err)
	}
	return dir, nil
}

// Run runs the prepared programs, writing and comparing transcripts as
// asked. A step's failure is an outcome; Run fails only when the run cannot
// go on (the case directory cannot be emptied, the output cannot be
// written, ctx was cancelled).
func (s *Session) Run(ctx context.Context) (*Result, error) {
	if s.done {
		return nil, errors.New("diff: session already run or closed")
	}
	defer s.Close()
	o, er := &s.o, s.er
	res := &Result{Header: o.Header()}
	if er != nil {
		res.Comparer = NewComparer(o.Seed, o.Known)
	}
	var w *transcript.Writer
	var err error
	if o.Output != "" {
		if w, err = transcript.Create(o.Output, res.Header.Framing()); err != nil {
			return nil, &InputError{err}
		}
		defer w.Abort()
	}
	cd := &caseDirs{root: o.Root, keep: o.Keep}
	if err := cd.start(); err != nil {
		return nil, err
	}
	defer cd.close()
	g := NewGenerator(o.Seed, o.Config)
	t0, a0 := time.Now(), allocated()
	for k := o.Start; k < o.Start+o.Count; k++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if o.Progress != nil {
			o.Progress(k)
		}
		prog := g.Program(k)
		rec, err := cd.run(k, prog, strconv.FormatInt(k, 10))
		if err != nil {
			return nil, err
		}
		res.Steps += int64(len(prog))
		if w != nil {
			if err := w.Write(rec); err != nil {
				return nil, err
			}
		}
		if er != nil {
			exp, err := er.Next()
			if err == io.EOF {
				return nil, fmt.Errorf("%s: ends before program %d", o.Expected, k)
			}
			if err != nil {
				return nil, err
			}
			if !res.Comparer.Compare(k, prog, exp, rec) && o.Keep {
				res.Divergent = append(res.Divergent, k)
			}
		}
	}
	res.Elapsed, res.AllocBytes = time.Since(t0), allocated()-a0
	res.Abandoned, res.AbandonedFirst = cd.Abandoned, cd.First
	if w != nil {
		if err := w.Close(); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// Execute is Prepare, then Run.
func Execute(ctx context.Context, o Options) (*Result, error) {
	s, err := Prepare(o)
	if err != nil {
		return nil, err
	}
	return s.Run(ctx)
}

// RunPrograms runs programs (of a program file) one after the other in
// ROOT/diff-case and returns each with its outcomes: what --diff-program
// prints, and what a host-side shrinker compares between a native run and
// a run under a runtime.
//
// With keep, program i runs in ROOT/keep/NNNNNNN (KeptTree(i)) and leaves
// its tree there, for a host re-read.
func RunPrograms(ctx context.Context, root string, progs []Program, keep bool, progress func(i int)) ([]guestapi.DiffProgram, error) {
	if err := CheckRoot(root); err != nil {
		return nil, &InputError{err}
	}
	gcOff()
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, inputErrorf("cannot create root: %v", err)
	}
	cd := &caseDirs{root: root, keep: keep}
	if err := cd.start(); err != nil {
		return nil, err
	}
	defer cd.close()
	out := make([]guestapi.DiffProgram, 0, len(progs))
	for i, p := range progs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if progress != nil {
			progress(i)
		}
		rec, err := cd.run(int64(i), p.Steps, p.Label)
		if err != nil {
			return nil, err
		}
		out = append(out, APIProgram(int64(i), p.Label, p.Steps, rec))
	}
	return out, nil
}
