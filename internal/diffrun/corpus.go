package diffrun

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/fsx-wasix/fsx-wasix/internal/pipeline"
	"github.com/fsx-wasix/fsx-wasix/internal/runner"
	"github.com/fsx-wasix/fsx-wasix/pkg/diff"
	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
)

// The regression corpus: one program file per finding (testdata/corpus/
// NAME.prog), in the program file format with header comments:
//
//	# finding: Wasmer answers a read through a write-only handle with EACCES
//	# signature: read: EBADF -> EACCES
//	# found: wasmer CLI 7.4.2 on /tmp, orchestrate --diff 2000 -S 1, program 17, 2026-12-04
//	# expect wasmer /tmp: read: EBADF -> EACCES
//	# expect wasmer-sdk /data: read: EBADF -> EACCES
//	program NAME
//	w1 open h0 A WRONLY|CREAT|APPEND
//	w1 read h0 32
//
// Each "expect" line is a runtime × volume on which the program diverges
// from Linux with that signature when the entry was made; on every other
// cell it is expected to agree with Linux. The guest reads the file as it
// is (comments are ignored), so any entry replays with
// `fsx-wasix --diff-program FILE ROOT`.

// Expect is one cell on which an entry diverges.
type Expect struct {
	Runtime, Volume, Signature string
	// Flaky: the divergence comes and goes from run to run ("# flaky
	// RUNTIME VOLUME: SIGNATURE"); a replay that does not see it is not a
	// fix.
	Flaky bool
}

// Entry is one corpus file.
type Entry struct {
	Path      string
	Name      string // the program's label: the file's base name
	Finding   string
	Signature string
	Found     string
	Notes     []string // other comment lines, kept
	Expects   []Expect
	Program   fsop.Program
}

// Format is the entry as a corpus file.
func (e *Entry) Format() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# fsx-wasix differential corpus entry (docs/diff.md): replay with `go run ./cmd/orchestrate corpus`\n")
	fmt.Fprintf(&b, "# finding: %s\n# signature: %s\n", e.Finding, e.Signature)
	if e.Found != "" {
		fmt.Fprintf(&b, "# found: %s\n", e.Found)
	}
	for _, x := range e.Expects {
		word := "expect"
		if x.Flaky {
			word = "flaky"
		}
		fmt.Fprintf(&b, "# %s %s %s: %s\n", word, x.Runtime, x.Volume, x.Signature)
	}
	for _, n := range e.Notes {
		fmt.Fprintf(&b, "# %s\n", n)
	}
	b.Write(diff.AppendProgram(nil, e.Name, e.Program))
	return b.Bytes()
}

// ParseEntry reads a corpus file: its header comments and its one program.
func ParseEntry(path string) (*Entry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	e := &Entry{Path: path, Name: strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		t := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(t, "#") {
			continue
		}
		t = strings.TrimSpace(strings.TrimPrefix(t, "#"))
		switch {
		case strings.HasPrefix(t, "finding:"):
			e.Finding = strings.TrimSpace(strings.TrimPrefix(t, "finding:"))
		case strings.HasPrefix(t, "signature:"):
			e.Signature = strings.TrimSpace(strings.TrimPrefix(t, "signature:"))
		case strings.HasPrefix(t, "found:"):
			e.Found = strings.TrimSpace(strings.TrimPrefix(t, "found:"))
		case strings.HasPrefix(t, "expect "), strings.HasPrefix(t, "flaky "):
			word, rest, _ := strings.Cut(t, " ")
			cellPart, sig, ok := strings.Cut(rest, ": ")
			f := strings.Fields(cellPart)
			if !ok || len(f) != 2 || strings.TrimSpace(sig) == "" {
				return nil, fmt.Errorf("%s:%d: want '# %s RUNTIME VOLUME: SIGNATURE'", path, line, word)
			}
			e.Expects = append(e.Expects, Expect{Runtime: f[0], Volume: f[1], Signature: strings.TrimSpace(sig), Flaky: word == "flaky"})
		case strings.HasPrefix(t, "fsx-wasix differential corpus entry"):
		default:
			e.Notes = append(e.Notes, t)
		}
	}
	progs, err := diff.ParsePrograms(bytes.NewReader(data), path)
	if err != nil {
		return nil, err
	}
	if len(progs) != 1 {
		return nil, fmt.Errorf("%s: a corpus entry holds one program, this file has %d", path, len(progs))
	}
	if e.Signature == "" {
		return nil, fmt.Errorf("%s: no '# signature:' line", path)
	}
	e.Program = progs[0].Steps
	return e, nil
}

// ReadCorpus reads every *.prog file of dir, sorted by name.
func ReadCorpus(dir string) ([]*Entry, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.prog"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var out []*Entry
	for _, p := range paths {
		e, err := ParseEntry(p)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no corpus entries (*.prog) in %s", dir)
	}
	return out, nil
}

// Version names a runtime with its version: "wasmer CLI 7.4.2".
func Version(rt string) string {
	switch rt {
	case pipeline.RuntimeWasmer:
		return "wasmer CLI " + pipeline.RuntimeVersion(rt)
	case pipeline.RuntimeWasmerSDK:
		return "@wasmer/sdk " + pipeline.RuntimeVersion(rt)
	case pipeline.RuntimeWazero:
		return "wazero " + pipeline.RuntimeVersion(rt)
	}
	return rt
}

// Replay verdicts of one entry on one cell.
const (
	StillPresent = "still present"
	Fixed        = "fixed in this runtime version"
	Agrees       = "agrees with native"
	NotSeen      = "agrees with native (a flaky finding, not seen this time)"
	NewDiv       = "new divergence"
)

// sameBreak says whether two crash (or hang) signatures are one finding:
// the words a runtime dies with vary (the SDK reports one panic as
// "capacity overflow" or only as "js: unreachable"), the kind does not.
func sameBreak(a, b string) bool {
	for _, k := range []string{"crash: ", "hang: "} {
		if strings.HasPrefix(a, k) && strings.HasPrefix(b, k) {
			return true
		}
	}
	return false
}

// ReplayLine is one entry on one cell.
type ReplayLine struct {
	Entry     string `json:"entry"`
	Runtime   string `json:"runtime"`
	Volume    string `json:"volume"`
	Verdict   string `json:"verdict"`
	Expected  string `json:"expected,omitempty"`
	Signature string `json:"signature,omitempty"`
}

// ReplayResult is a corpus replay.
type ReplayResult struct {
	Lines    []ReplayLine `json:"lines"`
	Skipped  []string     `json:"skipped,omitempty"` // runtimes not available, with why
	New      int          `json:"new"`
	Fixed    int          `json:"fixed"`
	Present  int          `json:"present"`
	Entries  int          `json:"entries"`
	Targets  []string     `json:"targets"`
	Problems []string     `json:"problems,omitempty"` // harness errors
}

// Replay runs every entry natively and on every target (one process per
// target, the whole corpus in it) and judges each entry on each target
// against its expectations.
func Replay(ctx context.Context, g Guest, targets []Target, entries []*Entry, scratch string, jobs int) (*ReplayResult, error) {
	nat, err := runner.New("native", runner.Options{})
	if err != nil {
		return nil, err
	}
	p := newProcs(g, nat, jobs, DefaultTimeout, perProgramTime, "")
	progs := make([]fsop.Program, len(entries))
	for i, e := range entries {
		progs[i] = e.Program
	}
	res := &ReplayResult{Entries: len(entries)}
	native, err := p.runBatch(ctx, Target{Runtime: "native", Volume: pipeline.VolumeData}, scratch, progs)
	if err != nil {
		return nil, err
	}
	got := make([][]Outcome, len(targets))
	errs := make([]error, len(targets))
	done := make(chan int)
	for i, t := range targets {
		go func(i int, t Target) {
			got[i], errs[i] = p.replayTarget(ctx, t, scratch, entries, progs)
			done <- i
		}(i, t)
	}
	for range targets {
		<-done
	}
	for i, t := range targets {
		res.Targets = append(res.Targets, t.Name())
		if errs[i] != nil {
			res.Problems = append(res.Problems, fmt.Sprintf("%s: %v", t.Name(), errs[i]))
			continue
		}
		for ei, e := range entries {
			l := ReplayLine{Entry: e.Name, Runtime: t.Runtime, Volume: t.Volume, Signature: Signature(native[ei], got[i][ei])}
			flaky := false
			for _, x := range e.Expects {
				if x.Runtime == t.Runtime && x.Volume == t.Volume {
					l.Expected, flaky = x.Signature, x.Flaky
				}
			}
			switch {
			case l.Expected != "" && (l.Signature == l.Expected || sameBreak(l.Signature, l.Expected)):
				l.Verdict = StillPresent
				res.Present++
			case flaky && l.Signature == "":
				l.Verdict = NotSeen
			case l.Expected != "" && l.Signature == "":
				l.Verdict = Fixed
				res.Fixed++
			case l.Signature == "":
				l.Verdict = Agrees
			default:
				l.Verdict = NewDiv
				res.New++
			}
			res.Lines = append(res.Lines, l)
		}
	}
	return res, nil
}

// replayTarget runs the entries on t: those expected to crash or hang
// there one per process (a crash takes its process's other programs with
// it, and finding which one broke costs several runs), the rest in one.
func (p *procs) replayTarget(ctx context.Context, t Target, scratch string, entries []*Entry, progs []fsop.Program) ([]Outcome, error) {
	out := make([]Outcome, len(entries))
	var batch []int
	var alone []int
	for i, e := range entries {
		breaks := false
		for _, x := range e.Expects {
			if x.Runtime == t.Runtime && x.Volume == t.Volume && (strings.HasPrefix(x.Signature, "crash: ") || strings.HasPrefix(x.Signature, "hang: ")) {
				breaks = true
			}
		}
		if breaks {
			alone = append(alone, i)
		} else {
			batch = append(batch, i)
		}
	}
	bp := make([]fsop.Program, len(batch))
	for j, i := range batch {
		bp[j] = progs[i]
	}
	type one struct {
		i   int
		o   []Outcome
		err error
	}
	ch := make(chan one, len(alone))
	for _, i := range alone {
		go func(i int) {
			o, err := p.runBatch(ctx, t, scratch, progs[i:i+1])
			ch <- one{i, o, err}
		}(i)
	}
	got, err := p.runBatch(ctx, t, scratch, bp)
	for range alone {
		r := <-ch
		if r.err != nil && err == nil {
			err = r.err
		}
		if r.err == nil {
			out[r.i] = r.o[0]
		}
	}
	if err != nil {
		return nil, err
	}
	for j, i := range batch {
		out[i] = got[j]
	}
	return out, nil
}

// Failed says whether the replay should fail a build: a new divergence or
// a harness error (a finding that disappeared is not a failure).
func (r *ReplayResult) Failed() bool { return r.New > 0 || len(r.Problems) > 0 }

// Write prints the replay, one line per entry and target.
func (r *ReplayResult) Write(w *strings.Builder) {
	for _, l := range r.Lines {
		fmt.Fprintf(w, "%-44s %-18s %s", l.Entry, l.Runtime+" "+l.Volume, l.Verdict)
		switch l.Verdict {
		case StillPresent:
			fmt.Fprintf(w, " (%s)", l.Signature)
			if l.Signature != l.Expected {
				fmt.Fprintf(w, " [the entry says %s]", l.Expected)
			}
		case Fixed:
			fmt.Fprintf(w, " (was %s)", l.Expected)
		case NewDiv:
			if l.Expected != "" {
				fmt.Fprintf(w, " (%s; the entry expects %s)", l.Signature, l.Expected)
			} else {
				fmt.Fprintf(w, " (%s)", l.Signature)
			}
		}
		w.WriteString("\n")
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(w, "skipped: %s\n", s)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "ERROR: %s\n", p)
	}
	fmt.Fprintf(w, "corpus: %d entries on %d target(s) (%s): %d still present, %d fixed, %d new divergence(s)\n",
		r.Entries, len(r.Targets), strings.Join(r.Targets, ", "), r.Present, r.Fixed, r.New)
}

// Rebase makes each entry's expectations on the replayed targets what this
// replay saw: a new divergence becomes its "expect" line (one still present
// keeps its words: a crash's words vary from run to run),
// a fixed one loses it, a flaky line stays unless the replay saw another
// signature there. It is for the day the guest itself changes (a new
// normalisation, a harness bug fixed) and every entry's words move with
// it; the replay before and after says what changed. It returns the
// entries whose expectations changed.
func (r *ReplayResult) Rebase(entries []*Entry) []*Entry {
	byName := make(map[string]*Entry, len(entries))
	for _, e := range entries {
		byName[e.Name] = e
	}
	changed := map[*Entry]bool{}
	for _, l := range r.Lines {
		e := byName[l.Entry]
		if e == nil || l.Verdict == StillPresent || l.Verdict == Agrees || l.Verdict == NotSeen {
			continue
		}
		kept := e.Expects[:0:0]
		flaky := false
		for _, x := range e.Expects {
			if x.Runtime == l.Runtime && x.Volume == l.Volume {
				flaky = x.Flaky
				continue
			}
			kept = append(kept, x)
		}
		if l.Signature != "" {
			kept = append(kept, Expect{Runtime: l.Runtime, Volume: l.Volume, Signature: l.Signature, Flaky: flaky})
		}
		e.Expects = kept
		changed[e] = true
	}
	var out []*Entry
	for _, e := range entries {
		if changed[e] {
			sort.SliceStable(e.Expects, func(i, j int) bool {
				a, b := e.Expects[i], e.Expects[j]
				if a.Runtime != b.Runtime {
					return a.Runtime < b.Runtime
				}
				return a.Volume > b.Volume // /tmp before /data, as entries are written
			})
			out = append(out, e)
		}
	}
	return out
}
