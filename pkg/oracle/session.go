package oracle

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
	"github.com/fsx-wasix/fsx-wasix/pkg/transcript"
)

// Options is one oracle run with its report and comparison.
type Options struct {
	Config
	Output   string          // write the transcript here ("" = none)
	Expected string          // compare with this transcript while running ("" = none)
	Known    map[string]bool // signatures to suppress
}

// Result is what a run found.
type Result struct {
	Header   transcript.Header
	Elapsed  time.Duration
	Comparer *Comparer // nil without Expected
}

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

// Header is the transcript header a run with o writes.
func (o *Options) Header() transcript.Header {
	return transcript.Header{
		CatalogHash: CatalogHash,
		Chain:       o.Chain,
		CaseStart:   o.Start,
		CaseCount:   o.Count,
		Platform:    Platform(),
		Runtime:     RuntimeName(),
		Root:        absClean(o.Root),
		Output:      absClean(o.Output),
		KeptFiles:   o.KeepFiles,
	}
}

// CheckExpected validates an expected report against a run of chain L over
// cases [start, start+count) and returns its header. It reads the whole
// file, so a truncated or corrupt report is refused before any work.
func CheckExpected(path string, L int, start, count int64) (transcript.Header, error) {
	h, err := transcript.Verify(path, transcript.ExpectCatalog(CatalogHash))
	if err != nil {
		return h, err
	}
	if h.Chain != L {
		return h, fmt.Errorf("%s: expected report has chain length %d, this run has %d", path, h.Chain, L)
	}
	if start < h.CaseStart || start+count > h.End() {
		return h, fmt.Errorf("%s: expected report covers cases %d..%d, this run needs %d..%d", path, h.CaseStart, h.End()-1, start, start+count-1)
	}
	return h, nil
}

// InputError is a run refused before it started: bad input, not a failure
// of the filesystem under test.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Execute runs the cases of o, writing and comparing transcripts as asked.
// Bad input (an expected report that is missing, corrupt, truncated or for
// another catalog or chain; an unwritable output) fails before any case
// runs, and an existing report at Output is replaced only by a whole one.
func Execute(ctx context.Context, o Options) (*Result, error) {
	res := &Result{Header: o.Header()}
	// Before reading the expected report: its decoders allocate megabytes.
	defer gcOff()()
	if err := CheckRoot(o.Root); err != nil {
		return nil, &InputError{err}
	}
	total, err := CaseCount(o.Chain)
	if err != nil {
		return nil, &InputError{err}
	}
	if o.Start < 0 || o.Count < 1 || o.Start+o.Count > total || o.Start+o.Count < o.Start {
		return nil, &InputError{fmt.Errorf("cases %d..%d out of range: chain %d has cases 0..%d", o.Start, o.Start+o.Count-1, o.Chain, total-1)}
	}
	var er *transcript.Reader
	if o.Expected != "" {
		if _, err := CheckExpected(o.Expected, o.Chain, o.Start, o.Count); err != nil {
			return nil, &InputError{err}
		}
		if er, err = transcript.Open(o.Expected, transcript.ExpectCatalog(CatalogHash)); err != nil {
			return nil, &InputError{err}
		}
		defer er.Close()
		for i := er.Header().CaseStart; i < o.Start; i++ {
			if _, err := er.Next(); err != nil {
				return nil, err
			}
		}
		res.Comparer = NewComparer(o.Chain, o.Known)
	}
	if err := os.MkdirAll(o.Root, 0o755); err != nil {
		return nil, &InputError{fmt.Errorf("cannot create root: %w", err)}
	}
	var w *transcript.Writer
	if o.Output != "" {
		if w, err = transcript.Create(o.Output, res.Header); err != nil {
			return nil, &InputError{err}
		}
		defer w.Abort()
	}
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
		}
		return nil
	})
	res.Elapsed = time.Since(t0)
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
