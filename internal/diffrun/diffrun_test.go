package diffrun

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/pipeline"
	"github.com/fsx-wasix/fsx-wasix/internal/runner"
	"github.com/fsx-wasix/fsx-wasix/internal/testutil"
	"github.com/fsx-wasix/fsx-wasix/pkg/diff"
	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
)

// knownWazero is the documented list of native-vs-wazero divergences.
var knownWazero = filepath.Join(testutil.RepoRoot(), "cmd", "orchestrate", "testdata", "known-diff-wazero.txt")

func testGuest(t testing.TB) *Guest {
	return &Guest{Native: testutil.GuestNative(t), Wasm: testutil.GuestWasm(t)}
}

// fastDir is a directory on tmpfs when the machine has one (native
// programs there run ~3x faster than on ext4, where fsync waits), else a
// test temp dir.
func fastDir(t testing.TB) string {
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		d, err := os.MkdirTemp("/dev/shm", "fsx-diffrun-test-")
		if err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}

func baseConfig(t testing.TB, n int64) Config {
	d := fastDir(t)
	return Config{
		Src: testutil.RepoRoot(), CacheDir: filepath.Join(d, "cache"), RunsDir: filepath.Join(d, "runs"),
		Programs: n, Seed: 1, Guest: testGuest(t), NoShrink: true,
	}
}

// Native against native, through the whole stage (slices, the cells'
// --diff-expected runs, the summary): thousands of programs and not one
// divergence, or the generator or the normalisation is not deterministic.
func TestNativeAgainstNativeAgrees(t *testing.T) {
	if testing.Short() {
		t.Skip("thousands of programs")
	}
	cfg := baseConfig(t, 2000)
	cfg.SliceSize = 1000
	cfg.Runtimes = []pipeline.Choice{{Name: "native", Why: "native against native"}}
	cfg.Volumes = []string{pipeline.VolumeData}
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Rows) != 1 || sum.Rows[0].Programs != 2000 || sum.Rows[0].Divergent != 0 || !sum.Passed {
		var b strings.Builder
		sum.WriteReport(&b)
		t.Fatalf("native against native: want 2000 programs, no divergence\n%s", b.String())
	}
}

// readKnown reads a known list and checks that every signature has its
// reason: the comment lines right above it.
func readKnown(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	var reason []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		switch {
		case l == "":
			reason = nil
		case strings.HasPrefix(l, "#"):
			reason = append(reason, strings.TrimSpace(strings.TrimPrefix(l, "#")))
		default:
			if len(reason) == 0 {
				t.Errorf("%s:%d: signature %q has no reason (comment lines right above it)", path, n, l)
			}
			out[l] = strings.Join(reason, " ")
		}
	}
	return out
}

// Native against wazero: every divergence is in the documented list
// (cmd/orchestrate/testdata/known-diff-wazero.txt, a reason per
// signature); a new one fails the test with its example program.
func TestWazeroOnlyDocumentedDivergences(t *testing.T) {
	if testing.Short() {
		t.Skip("a thousand programs under wazero")
	}
	known := readKnown(t, knownWazero)
	cfg := baseConfig(t, 1000)
	cfg.Runtimes = []pipeline.Choice{{Name: pipeline.RuntimeWazero, Why: "reference"}}
	cfg.Known = knownWazero
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, s := range sum.Sigs {
		if _, ok := known[s.Signature]; !ok {
			t.Errorf("%s %s: undocumented divergence %q (%d programs, e.g. program %d of seed 1): add it to %s with a reason, or fix it",
				s.Runtime, s.Volume, s.Signature, s.Count, s.Example, knownWazero)
			continue
		}
		seen++
	}
	for _, r := range sum.Rows {
		if r.Programs != 1000 || r.Verdict == pipeline.VerdictError {
			t.Errorf("%s %s: %d programs, verdict %s (%s)", r.Runtime, r.Volume, r.Programs, r.Verdict, r.Note)
		}
	}
	if seen == 0 {
		t.Errorf("no documented divergence at all in 1000 programs: is the comparison running?")
	}
}

// A planted divergence — a wazero fault from the catalogue — is found,
// and shrinks to a program where every step is needed: without any one of
// them it no longer diverges the same way.
func TestShrinkPlantedFaultEveryStepNeeded(t *testing.T) {
	if testing.Short() {
		t.Skip("shrinks under wazero")
	}
	for _, fault := range []string{"stale-handle-read@/data", "rename-keeps-size@/data"} {
		t.Run(strings.SplitN(fault, "@", 2)[0], func(t *testing.T) {
			cfg := baseConfig(t, 300)
			cfg.Runtimes = []pipeline.Choice{{Name: pipeline.RuntimeWazero, Why: "faulted"}}
			cfg.Volumes = []string{pipeline.VolumeData}
			cfg.Known = knownWazero
			cfg.Fault = fault
			cfg.NoShrink = false
			cfg.ShrinkTime = 2 * time.Minute
			t0 := time.Now()
			sum, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			var planted []Sig
			for _, s := range sum.Sigs {
				if !s.Known {
					planted = append(planted, s)
				}
			}
			if len(planted) == 0 {
				t.Fatalf("fault %s: no divergence outside the known list in 300 programs", fault)
			}
			t.Logf("fault %s: %d signature(s), found and shrunk in %s", fault, len(planted), time.Since(t0).Round(time.Millisecond))
			p := newProcs(*cfg.Guest, mustRunner(t, "native"), 2, DefaultTimeout, perProgramTime, "")
			tgt := Target{Runtime: pipeline.RuntimeWazero, Volume: pipeline.VolumeData, R: runner.NewWazero(), Fault: fault}
			for _, s := range planted {
				if s.Minimal == "" {
					t.Errorf("%s: not shrunk: %s", s.Signature, s.ShrinkNote)
					continue
				}
				e, err := ParseEntry(s.Minimal)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%s: %d steps (%s)\n%s", s.Signature, len(e.Program), s.ShrinkNote, s.Explained)
				// The program itself, then each one-step removal.
				cands := []fsop.Program{e.Program}
				for i := range e.Program {
					c := append(append(fsop.Program(nil), e.Program[:i]...), e.Program[i+1:]...)
					cands = append(cands, c)
				}
				nat, err := p.runBatch(context.Background(), Target{Runtime: "native", Volume: pipeline.VolumeData}, t.TempDir(), cands)
				if err != nil {
					t.Fatal(err)
				}
				got, err := p.runBatch(context.Background(), tgt, t.TempDir(), cands)
				if err != nil {
					t.Fatal(err)
				}
				if sig := Signature(nat[0], got[0]); sig != s.Signature {
					t.Errorf("%s: the minimal program now gives %q", s.Signature, sig)
				}
				for i := 1; i < len(cands); i++ {
					if sig := Signature(nat[i], got[i]); sig == s.Signature {
						t.Errorf("%s: step %d (%s) is not needed: without it the program still diverges the same way",
							s.Signature, i-1, diff.FormatStep(&e.Program[i-1]))
					}
				}
			}
		})
	}
}

func mustRunner(t testing.TB, name string) runner.Runner {
	r, err := runner.New(name, runner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}
