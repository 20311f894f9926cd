package oracle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/progress"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
	"github.com/fsx-wasix/fsx-wasix/pkg/transcript"
)

// Options is one oracle run with its report and comparison.
type Options struct {
	Config
	Output   string          // write the transcript here ("" = none)
	Expected string          // compare with this transcript while running ("" = none)
	Known    map[string]bool // signatures to suppress
	// StopAtFirst ends a comparing run at its first unsuppressed
	// divergence (Result.Stopped), writing no report: for measuring how
	// soon a broken filesystem is noticed.
	StopAtFirst bool
	// Progress reports the run's progress on its writer, stderr: cases
	// done of the total, cases/s and, when comparing, the divergent cases
	// so far; a bar on a terminal, else a line every Interval. The zero
	// value reports nothing.
	Progress progress.Options
}

// Result is what a run found.
type Result struct {
	Header   ReportHeader
	Elapsed  time.Duration
	Comparer *Comparer // nil without Expected
	Stopped  bool      // StopAtFirst ended the run early
}

// divergentSoFar is the progress line's end for a comparing run: the
// divergent cases so far, and how many of them are known. nil (nothing)
// without a comparison. It does not allocate.
func divergentSoFar(c *Comparer) func(b []byte) []byte {
	if c == nil {
		return nil
	}
	return func(b []byte) []byte {
		b = strconv.AppendInt(b, c.Divergent, 10)
		b = append(b, " divergent"...)
		if c.Suppressed > 0 {
			b = append(b, " ("...)
			b = strconv.AppendInt(b, c.Suppressed, 10)
			b = append(b, " known)"...)
		}
		return b
	}
}

// errStopped ends Run at StopAtFirst's divergence.
var errStopped = errors.New("stopped at the first divergence")

// Platform is GOOS/GOARCH of this build.
func Platform() string { return runtime.GOOS + "/" + runtime.GOARCH }

// RuntimeName names what runs this process: "native", or under wasip1 the
// runtime named by $FSX_RUNTIME (runners set it), else "unknown".
func RuntimeName() string {
	if runtime.GOOS != "wasip1" {
		return "native"
	}
	if r := os.Getenv(guestapi.EnvRuntime); r != "" {
		return r
	}
	return "unknown"
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

// Header is the report header a run with o writes.
func (o *Options) Header() ReportHeader {
	return ReportHeader{
		Header: transcript.Header{Schema: Schema, SchemaHash: CatalogHash, First: o.Start, Count: o.Count},
		ReportMeta: ReportMeta{
			Chain:     o.Chain,
			Platform:  Platform(),
			Runtime:   RuntimeName(),
			Root:      absClean(o.Root),
			Output:    absClean(o.Output),
			KeptFiles: o.KeepFiles,
		},
	}
}

// CheckExpected validates an expected report against a run of chain L over
// cases [start, start+count) and returns its header. It reads the whole
// file, so a truncated or corrupt report is refused before any work.
func CheckExpected(path string, L int, start, count int64) (ReportHeader, error) {
	f, err := transcript.Verify(path, ExpectReport())
	if err != nil {
		return ReportHeader{}, err
	}
	h, err := ReadHeader(path, f)
	if err != nil {
		return h, err
	}
	return h, checkCovers(path, h, L, start, count, "this run")
}

// checkCovers refuses an expected report (header h, at path) whose chain
// is not L or whose cases do not include [start, start+count).
func checkCovers(path string, h ReportHeader, L int, start, count int64, who string) error {
	if h.Chain != L {
		return fmt.Errorf("%s: expected report has chain length %d, %s has %d", path, h.Chain, who, L)
	}
	if start < h.First || start+count > h.End() {
		return fmt.Errorf("%s: expected report covers cases %d..%d, %s needs %d..%d", path, h.First, h.End()-1, who, start, start+count-1)
	}
	return nil
}

// InputError is a run refused before it started: bad input, not a failure
// of the filesystem under test.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Session is an oracle run whose input Prepare has checked: run it with
// Run, or drop it with Close.
type Session struct {
	o    Options
	er   *transcript.Reader // the expected report, positioned at o.Start; nil without Expected
	gcOn func()             // undoes gcOff (a no-op everywhere today)
	done bool               // run or closed
}

// Prepare is the one place a run's input is checked, before anything runs
// or is written: the case root (CheckRoot), the case range, the expected
// report (CheckExpected reads it whole, so a missing, truncated or corrupt
// one, or one for another catalog, chain or range, is refused) and that
// the root can be created. Every refusal is an *InputError. A caller that
// wants to say something between the checks and the run (the guest's
// banner) calls Prepare and Session.Run rather than checking on its own.
func Prepare(o Options) (*Session, error) {
	// Before reading the expected report: its decoders allocate megabytes.
	s := &Session{o: o, gcOn: gcOff()}
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
	total, err := CaseCount(o.Chain)
	if err != nil {
		return &InputError{err}
	}
	if o.Start < 0 || o.Count < 1 || o.Start+o.Count > total || o.Start+o.Count < o.Start {
		return &InputError{fmt.Errorf("cases %d..%d out of range: chain %d has cases 0..%d", o.Start, o.Start+o.Count-1, o.Chain, total-1)}
	}
	if o.Expected != "" {
		if _, err := CheckExpected(o.Expected, o.Chain, o.Start, o.Count); err != nil {
			return &InputError{err}
		}
		// The second read of the file, streamed alongside the run.
		var eh ReportHeader
		if s.er, eh, err = OpenReport(o.Expected); err != nil {
			return &InputError{err}
		}
		for i := eh.First; i < o.Start; i++ {
			if _, err := s.er.Next(); err != nil {
				return err
			}
		}
	}
	// Before Create: the report may live inside the root (a /data cell).
	if err := os.MkdirAll(o.Root, 0o755); err != nil {
		return &InputError{fmt.Errorf("cannot create root: %w", err)}
	}
	return nil
}

// Close releases what Prepare opened; Run calls it. It is safe to call twice.
func (s *Session) Close() {
	s.done = true
	if s.er != nil {
		s.er.Close()
		s.er = nil
	}
	if s.gcOn != nil {
		s.gcOn()
		s.gcOn = nil
	}
}

// Execute runs the cases of o, writing and comparing transcripts as asked:
// Prepare, then Session.Run. Bad input (an expected report that is missing,
// corrupt, truncated or for another catalog or chain; an unwritable output)
// fails before any case runs, and an existing report at Output is replaced
// only by a whole one.
func Execute(ctx context.Context, o Options) (*Result, error) {
	s, err := Prepare(o)
	if err != nil {
		return nil, err
	}
	return s.Run(ctx)
}

// Run runs the prepared cases. An unwritable Output is still an
// *InputError, found before any case runs.
func (s *Session) Run(ctx context.Context) (*Result, error) {
	if s.done {
		return nil, errors.New("oracle: session already run or closed")
	}
	defer s.Close()
	o, er := s.o, s.er
	res := &Result{Header: o.Header()}
	if er != nil {
		res.Comparer = NewComparer(o.Chain, o.Known)
	}
	var w *transcript.Writer
	var err error
	if o.Output != "" {
		if w, err = transcript.Create(o.Output, res.Header.Framing()); err != nil {
			return nil, &InputError{err}
		}
		defer w.Abort()
	}
	meter := progress.New(o.Progress, "oracle", "cases", o.Count, divergentSoFar(res.Comparer))
	defer meter.Finish()
	t0 := time.Now()
	err = Run(ctx, o.Config, func(index int64, rec []byte) error {
		if w != nil {
			if err := w.Write(rec); err != nil {
				return err
			}
		}
		if er != nil {
			exp, err := er.Next()
			if err == io.EOF {
				return fmt.Errorf("%s: ends before case %d", o.Expected, index)
			}
			if err != nil {
				return err
			}
			res.Comparer.Compare(index, exp, rec)
			if o.StopAtFirst && res.Comparer.Failed() {
				return errStopped
			}
		}
		meter.Add(1)
		return nil
	})
	res.Elapsed = time.Since(t0)
	meter.Finish()
	if errors.Is(err, errStopped) {
		res.Stopped = true
		return res, nil // the deferred Abort drops the partial report
	}
	if err != nil {
		return nil, err
	}
	if w != nil {
		if err := w.Close(); err != nil {
			return nil, err
		}
	}
	return res, nil
}
