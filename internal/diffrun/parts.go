package diffrun

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/pipeline"
	"github.com/fsx-wasix/fsx-wasix/pkg/diff"
	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
)

// Stage is the differential stage's parts, without Run's flow over every
// runtime × volume: a run's native transcript, a comparing run on one
// target at a time, a divergent program shrunk on its target. A host
// measurement that is not a verdict table uses them — the detection table
// (internal/detect) compares one run under each wazero fault — so that it
// runs, narrows crashes and shrinks exactly as `orchestrate --diff` does.
type Stage struct {
	st  *stage
	seq atomic.Int64
}

// NewStage prepares a stage for cfg (the guest built or given, the
// known signatures read, the scratch directory under cfg.RunsDir made).
// cfg.Runtimes and cfg.Volumes are not used: each Compare names its
// target.
func NewStage(ctx context.Context, cfg Config) (*Stage, error) {
	cfg.Runtimes, cfg.Volumes = nil, []string{pipeline.VolumeData}
	st, err := newStage(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &Stage{st: st}, nil
}

// Native writes the native transcript of programs start..start+count-1 of
// the run (from the cache when cfg.UseCache and the guest was built here)
// and returns its path.
func (s *Stage) Native(ctx context.Context, start, count int64) (string, error) {
	if start < 0 || count < 1 || start+count > s.st.cfg.Programs {
		return "", fmt.Errorf("programs %d..%d: the run has programs 0..%d", start, start+count-1, s.st.cfg.Programs-1)
	}
	sl := pipeline.Slice{Index: int(s.seq.Add(1)), Start: start, Count: count}
	return s.st.native(ctx, sl)
}

// Compared is one target's comparing run.
type Compared struct {
	Row  Row   // the cell's line of a verdict table
	Sigs []Sig // its signatures, most frequent first
	// First is the first divergent program that --known does not suppress
	// (a crash or hang included), -1 when there is none; FirstSig its
	// signature.
	First    int64
	FirstSig string
}

// Compare runs programs start..start+count-1 on t against expected (a
// transcript from Native that covers them), as one cell of Run: one guest
// process, and a process that crashes or hangs narrowed down to the
// program that broke it.
func (s *Stage) Compare(ctx context.Context, t Target, expected string, start, count int64) Compared {
	c := &cell{t: t, sigs: map[string]*Sig{}}
	c.row = Row{Runtime: t.Runtime, Volume: t.Volume, Backing: t.Backing(), Verdict: pipeline.VerdictMatch}
	s.st.cellRange(ctx, c, pipeline.Slice{Start: start, Count: count}, expected, start, count)
	c.mu.Lock()
	defer c.mu.Unlock()
	out := Compared{Row: c.row, First: -1}
	out.Row.Signatures = len(c.sigs)
	out.Row.Seconds = round3(c.busy.Seconds())
	if out.Row.Verdict == pipeline.VerdictMatch && out.Row.Divergent > out.Row.Suppressed {
		out.Row.Verdict = pipeline.VerdictDiverged
	}
	out.Row.Note = c.errNote
	for _, g := range sortedSigs(c.sigs) {
		out.Sigs = append(out.Sigs, *g)
		if !g.Known && g.Example >= 0 && (out.First < 0 || g.Example < out.First) {
			out.First, out.FirstSig = g.Example, g.Signature
		}
	}
	return out
}

// Shrunk is a divergent program shrunk on its target.
type Shrunk struct {
	Program fsop.Program // nil when the program could not be shrunk (Note says why)
	Text    string       // Program in the program file format, for --diff-program
	// Minimal: no single step can be removed. False when the time budget
	// ran out first (Note says so).
	Minimal bool
	Note    string // steps before and after, candidates, batches, time; or why not
}

// Shrink shrinks program k of the run, which diverges on t with signature
// sig, within budget (0: DefaultShrinkTime), as Run shrinks a signature's
// first program.
func (s *Stage) Shrink(ctx context.Context, t Target, sig string, k int64, budget time.Duration) (Shrunk, error) {
	if budget <= 0 {
		budget = DefaultShrinkTime
	}
	sh := &Shrinker{p: s.st.p, scratch: filepath.Join(s.st.scratch, fmt.Sprintf("shrink-%d", s.seq.Add(1)))}
	f, note, err := s.st.shrinkOne(ctx, sh, &cell{t: t}, &Sig{Signature: sig, Example: k}, nil, budget)
	if err != nil || f == nil {
		return Shrunk{Note: note}, err
	}
	return Shrunk{Program: f.prog, Text: string(diff.AppendProgram(nil, "", f.prog)), Minimal: f.stopped == "", Note: note}, nil
}

// Program is program k of the run, regenerated from the seed.
func (s *Stage) Program(k int64) fsop.Program { return s.st.program(k) }
