package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/internal/runner"
	"github.com/fsx-wasix/fsx-wasix/internal/testutil"
	"github.com/fsx-wasix/fsx-wasix/pkg/transcript"
)

// The end-to-end tests run the whole command in-process, each in its own
// temporary work directory (so the repository's cache/ and oracle-runs/ are
// never touched), sharing one build directory so the guest is built once.
var (
	sharedOnce  sync.Once
	sharedBuild string
)

func buildDir(t *testing.T) string {
	sharedOnce.Do(func() {
		d, err := os.MkdirTemp("", "fsx-orchestrate-test-build-")
		if err != nil {
			t.Fatal(err)
		}
		sharedBuild = d
	})
	return sharedBuild
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedBuild != "" {
		os.RemoveAll(sharedBuild)
	}
	os.Exit(code)
}

// summaryJSON is the part of --json the tests read.
type summaryJSON struct {
	Chain     int    `json:"chain"`
	CaseCount int64  `json:"case_count"`
	NativeHit bool   `json:"native_cache_hit"`
	Native    string `json:"native_report"`
	RunDir    string `json:"run_dir"`
	Passed    bool   `json:"passed"`
	Cells     []struct {
		Runtime, Volume, Backing, Verdict, Report string
		Cases, Divergent, Suppressed              int64
		Groups                                    []groupJSON `json:"groups"`
	} `json:"cells"`
}

type e2eRun struct {
	code   int
	stderr string
	sum    summaryJSON
}

// orchestrate runs the command in work with the shared build dir, --json and
// the repository as source.
func orchestrate(t *testing.T, work string, hook func(string) (runner.Runner, error), args ...string) e2eRun {
	t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"--src", testutil.RepoRoot(), "--build-dir", buildDir(t), "--json", "--slice-timeout", "90s"}, args...)
	code := run(context.Background(), full, env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, dir: work, runner: hook})
	r := e2eRun{code: code, stderr: errb.String()}
	if out.Len() > 0 {
		if err := json.Unmarshal(out.Bytes(), &r.sum); err != nil {
			t.Fatalf("--json output is not JSON: %v\n%s", err, out.String())
		}
	}
	return r
}

// known is the file of known divergence signatures of a runtime (findings,
// see the comments in testdata/known-*.txt).
func known(t *testing.T, rt string) string {
	if rt == "wasmer-sdk" {
		rt = "wasmer"
	}
	p, err := filepath.Abs(filepath.Join("testdata", "known-"+rt+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// checkRun asserts exit 0, one matching row per runtime × volume with every
// case, and whether the native report came from the cache.
func checkRun(t *testing.T, r e2eRun, rt string, chain int, wantHit bool) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("orchestrate -chain %d --runtime %s: exit %d\n%s", chain, rt, r.code, r.stderr)
	}
	if r.sum.Chain != chain || len(r.sum.Cells) != 2 || !r.sum.Passed {
		t.Fatalf("summary: %+v\n%s", r.sum, r.stderr)
	}
	for i, vol := range []string{"/tmp", "/data"} {
		c := r.sum.Cells[i]
		if c.Runtime != rt || c.Volume != vol || c.Verdict != "match" || c.Cases != r.sum.CaseCount || c.Report == "" {
			t.Errorf("row %d: %+v", i, c)
		}
	}
	if r.sum.NativeHit != wantHit {
		t.Errorf("native cache hit = %v, want %v\n%s", r.sum.NativeHit, wantHit, r.stderr)
	}
	if !strings.Contains(r.stderr, "RUNTIME") && !strings.Contains(r.stderr, "native") {
		t.Errorf("no stage lines on stderr:\n%s", r.stderr)
	}
}

func endToEnd(t *testing.T, rt string, extra ...string) {
	for _, chain := range []int{1, 2} {
		t.Run(fmt.Sprintf("chain%d", chain), func(t *testing.T) {
			work := t.TempDir()
			args := append([]string{fmt.Sprintf("-chain=%d", chain), "-runtime", rt, "--known", known(t, rt)}, extra...)
			first := orchestrate(t, work, nil, args...)
			checkRun(t, first, rt, chain, false)
			if rt == "wasmer-sdk" && !strings.Contains(first.stderr, "in-memory copy") {
				t.Errorf("the SDK's /data cell is not labelled as an in-memory copy:\n%s", first.stderr)
			}
			second := orchestrate(t, work, nil, args...)
			checkRun(t, second, rt, chain, true)
			if !strings.Contains(second.stderr, "from cache") || !strings.Contains(second.stderr, "reused (sources unchanged)") {
				t.Errorf("second run did not say it used the cache and the build:\n%s", second.stderr)
			}
		})
	}
}

func TestEndToEndWazero(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	endToEnd(t, "wazero")
}

func TestEndToEndWasmerSDK(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	sdk, _ := runner.New("wasmer-sdk", runner.Options{SDKDir: filepath.Join(testutil.RepoRoot(), "runners", "wasmer-sdk")})
	testutil.NeedRuntime(t, "wasmer-sdk", sdk.Available(), true)
	endToEnd(t, "wasmer-sdk")
}

func TestEndToEndWasmerCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	_, err := runner.FindWasmer("")
	testutil.NeedRuntime(t, "wasmer", err, false)
	endToEnd(t, "wasmer")
}

// tamperingRunner hands the runtime an expected report in which one case's
// record is replaced by another's, as if the native run had answered
// differently: the cell must diverge and the command must name it.
type tamperingRunner struct {
	runner.Runner
	t *testing.T
}

func (r tamperingRunner) Run(ctx context.Context, s runner.Spec) (int, error) {
	for _, v := range s.Volumes {
		if v.Guest == "/work" {
			tamper(r.t, filepath.Join(v.Host, "expected.bin"))
		}
	}
	return r.Runner.Run(ctx, s)
}

func tamper(t *testing.T, path string) {
	rd, err := transcript.Open(path)
	if err != nil {
		t.Errorf("tamper: %v", err)
		return
	}
	defer rd.Close()
	var recs [][]byte
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Errorf("tamper: %v", err)
			return
		}
		recs = append(recs, append([]byte(nil), rec...))
	}
	for i := 1; i < len(recs); i++ { // case 0 takes the first record that differs from it
		if !bytes.Equal(recs[i], recs[0]) {
			recs[0] = recs[i]
			break
		}
	}
	w, err := transcript.Create(path, rd.Header())
	if err != nil {
		t.Errorf("tamper: %v", err)
		return
	}
	for _, rec := range recs {
		w.Write(rec)
	}
	if err := w.Close(); err != nil {
		t.Errorf("tamper: %v", err)
	}
}

func TestTamperedExpectedReportFailsAndNamesTheCell(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	t.Parallel()
	hook := func(name string) (runner.Runner, error) {
		r, err := runner.New(name, runner.Options{})
		return tamperingRunner{r, t}, err
	}
	r := orchestrate(t, t.TempDir(), hook, "-chain", "1", "--runtime", "wazero", "--volumes", "data")
	if r.code != exitFailed {
		t.Fatalf("tampered run: exit %d, want %d\n%s", r.code, exitFailed, r.stderr)
	}
	if !strings.Contains(r.stderr, "FAILED: wazero /data (DIVERGED)") {
		t.Errorf("the failing cell is not named:\n%s", r.stderr)
	}
	if len(r.sum.Cells) != 1 || r.sum.Cells[0].Divergent != 1 || r.sum.Passed {
		t.Errorf("summary: %+v", r.sum)
	}
}

// TestShardsMergeToTheUnshardedReports runs chain 2 whole and as two
// shards, and checks that `orchestrate merge` of the shards' reports gives
// the unsharded native and cell reports byte for byte.
func TestShardsMergeToTheUnshardedReports(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	t.Parallel()
	cache := filepath.Join(t.TempDir(), "cache")
	common := []string{"-chain", "2", "--runtime", "wazero", "--volumes", "tmp", "--known", known(t, "wazero"), "--cache-dir", cache}
	whole := orchestrate(t, t.TempDir(), nil, common...)
	if whole.code != 0 {
		t.Fatalf("unsharded: exit %d\n%s", whole.code, whole.stderr)
	}
	var natives, cells []string
	for k := 1; k <= 2; k++ {
		r := orchestrate(t, t.TempDir(), nil, append(common, "-shard", fmt.Sprintf("%d/2", k))...)
		if r.code != 0 {
			t.Fatalf("shard %d/2: exit %d\n%s", k, r.code, r.stderr)
		}
		if r.sum.CaseCount != whole.sum.CaseCount/2 {
			t.Errorf("shard %d/2 has %d cases of %d", k, r.sum.CaseCount, whole.sum.CaseCount)
		}
		natives = append(natives, r.sum.Native)
		cells = append(cells, r.sum.Cells[0].Report)
	}
	dir := t.TempDir()
	for _, c := range []struct {
		name  string
		parts []string
		want  string
	}{{"native", natives, whole.sum.Native}, {"wazero /tmp", cells, whole.sum.Cells[0].Report}} {
		out := filepath.Join(dir, strings.NewReplacer(" ", "-", "/", "").Replace(c.name)+".bin")
		var errb bytes.Buffer
		// Shards given in reverse order: merge sorts them by case range.
		code := run(context.Background(), []string{"merge", "-o", out, c.parts[1], c.parts[0]}, env{stdout: io.Discard, stderr: &errb, getenv: os.Getenv})
		if code != 0 {
			t.Fatalf("merge %s: exit %d: %s", c.name, code, errb.String())
		}
		got, _ := os.ReadFile(out)
		want, _ := os.ReadFile(c.want)
		if len(want) == 0 || !bytes.Equal(got, want) {
			t.Errorf("%s: merged shards (%d bytes) differ from the unsharded report (%d bytes)", c.name, len(got), len(want))
		}
	}
}

// TestInterruptLeavesCacheWholeAndSaysWhere cancels a run (as Ctrl-C or
// SIGTERM do through signal.NotifyContext) once its first runtime process
// has started: the command must exit 130, say where the partial outputs
// are, and leave only whole entries in the cache.
func TestInterruptLeavesCacheWholeAndSaysWhere(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	t.Parallel()
	work := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	hook := func(name string) (runner.Runner, error) {
		r, err := runner.New(name, runner.Options{})
		return cancellingRunner{r, func() { once.Do(cancel) }}, err
	}
	var out, errb bytes.Buffer
	code := run(ctx, []string{"--src", testutil.RepoRoot(), "--build-dir", buildDir(t), "-chain", "2", "--runtime", "wazero", "--slice-size", "1000"},
		env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, dir: work, runner: hook})
	if code != exitInterrupted {
		t.Fatalf("interrupted run: exit %d, want %d\n%s", code, exitInterrupted, errb.String())
	}
	if !strings.Contains(errb.String(), "interrupted: partial outputs in "+filepath.Join(work, "oracle-runs")) {
		t.Errorf("does not say where the partial outputs are:\n%s", errb.String())
	}
	entries, _ := filepath.Glob(filepath.Join(work, "cache", "*"))
	for _, e := range entries {
		if strings.HasSuffix(e, ".sum") {
			continue
		}
		if strings.Contains(filepath.Base(e), ".tmp") {
			t.Errorf("temporary file left in the cache: %s", e)
			continue
		}
		if _, err := os.Stat(e + ".sum"); err != nil {
			t.Errorf("cache entry without its checksum: %s", e)
		}
		if _, err := transcript.Verify(e); err != nil {
			t.Errorf("cache entry not whole: %v", err)
		}
	}
}

// cancellingRunner cancels the run as soon as a runtime process starts.
type cancellingRunner struct {
	runner.Runner
	cancel func()
}

func (r cancellingRunner) Run(ctx context.Context, s runner.Spec) (int, error) {
	r.cancel()
	return r.Runner.Run(ctx, s)
}
