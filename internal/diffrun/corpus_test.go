package diffrun

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/internal/pipeline"
	"github.com/fsx-wasix/fsx-wasix/internal/runner"
	"github.com/fsx-wasix/fsx-wasix/internal/testutil"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

// CorpusDir is the regression corpus.
var corpusDir = filepath.Join(testutil.RepoRoot(), "testdata", "corpus")

// The regression corpus replays natively and under each runtime here: a
// finding still present or fixed passes (a fixed one is logged as "fixed in
// this runtime version"); a new divergence or a harness error fails.
// wazero is required; the wasmer CLI and the SDK are skipped, with the
// reason, when they are not installed.
func TestCorpusReplay(t *testing.T) {
	entries, err := ReadCorpus(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	g := *testGuest(t)
	sdkDir := runner.SDKDir("")
	for _, name := range []string{pipeline.RuntimeWazero, pipeline.RuntimeWasmer, pipeline.RuntimeWasmerSDK} {
		t.Run(name, func(t *testing.T) {
			r, err := runner.New(name, runner.Options{SDKDir: sdkDir})
			if err != nil {
				t.Fatal(err)
			}
			testutil.NeedRuntime(t, name, r.Available(), name != pipeline.RuntimeWasmer)
			var targets []Target
			for _, v := range []string{pipeline.VolumeTmp, pipeline.VolumeData} {
				targets = append(targets, Target{Runtime: name, Volume: v, R: r})
			}
			res, err := Replay(context.Background(), g, targets, entries, t.TempDir(), 2)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			res.Write(&b)
			t.Log("\n" + b.String())
			if res.Failed() {
				t.Errorf("corpus replay under %s: %d new divergence(s), %d harness error(s)", name, res.New, len(res.Problems))
			}
			if len(res.Lines) != 2*len(entries) {
				t.Errorf("%d verdicts for %d entries on 2 volumes", len(res.Lines), len(entries))
			}
		})
	}
}

// The corpus files themselves: each parses, names its signature, and says
// where it was found.
func TestCorpusEntriesAreWellFormed(t *testing.T) {
	entries, err := ReadCorpus(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Finding == "" || e.Found == "" || len(e.Program) == 0 {
			t.Errorf("%s: want # finding:, # found: and a program", e.Path)
		}
		for _, x := range e.Expects {
			switch x.Runtime {
			case pipeline.RuntimeWasmer, pipeline.RuntimeWasmerSDK, pipeline.RuntimeWazero:
			default:
				t.Errorf("%s: expect line for unknown runtime %q", e.Path, x.Runtime)
			}
		}
	}
}

// Programs per second at length 30, in the guest (its own clock, start-up
// excluded) and per process (start-up included): natively and under each
// runtime on its /tmp. docs/diff.md has the figures.
func BenchmarkPrograms30(b *testing.B) {
	g := *testGuest(b)
	const n = 200
	for _, name := range []string{"native", pipeline.RuntimeWazero, pipeline.RuntimeWasmer, pipeline.RuntimeWasmerSDK} {
		b.Run(name, func(b *testing.B) {
			r, err := runner.New(name, runner.Options{SDKDir: runner.SDKDir("")})
			if err != nil {
				b.Fatal(err)
			}
			if err := r.Available(); err != nil {
				b.Skipf("SKIP %s unavailable: %v", name, err)
			}
			nat := mustRunner(b, "native")
			p := newProcs(g, nat, 1, DefaultTimeout, perProgramTime, "")
			t := Target{Runtime: name, Volume: pipeline.VolumeTmp, R: r}
			var inGuest, wall float64
			for i := 0; i < b.N; i++ {
				dir := b.TempDir()
				os.MkdirAll(filepath.Join(dir, "work"), 0o755)
				os.WriteFile(filepath.Join(dir, "work", configName), []byte("[diff]\nlength_min = 30\nlength_max = 30\n"), 0o644)
				seed := uint64(1)
				args := guestapi.Diff{Count: n, Seed: &seed, Config: guestWork + "/" + configName, JSON: true, Quiet: true, Root: rootFor(t)}.Args()
				pr := p.run(context.Background(), t, dir, args, n)
				var sum guestapi.DiffSummary
				if pr.err != nil || json.Unmarshal(pr.stdout, &sum) != nil {
					b.Fatalf("%s: %v %s", name, pr.err, pr.lastLine)
				}
				inGuest += sum.Seconds
				wall += pr.elapsed.Seconds()
			}
			b.ReportMetric(float64(n*b.N)/inGuest, "programs/s")
			b.ReportMetric(float64(n*b.N)/wall, "programs/s-with-startup")
		})
	}
}
