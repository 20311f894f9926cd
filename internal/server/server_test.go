package server

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsx-wasix/fsx-wasix/pkg/exerciser"
)

// okRun is a run that does every planned op and passes.
func okRun(_ context.Context, o exerciser.Options) (exerciser.Result, error) {
	res := exerciser.Result{Seed: o.Seed, Elapsed: 3 * time.Millisecond}
	for k := 1; k <= o.Threads; k++ {
		res.Workers = append(res.Workers, exerciser.WorkerResult{Worker: k, Seed: o.Seed + uint64(k) - 1, OpsDone: uint64(o.NumOps)})
	}
	return res, nil
}

type fixture struct {
	root    string // the allowed root
	outside string // a directory outside it
	srv     *Server
	mu      sync.Mutex
	got     []exerciser.Options // what the run function was given
}

func newFixture(t *testing.T, run RunFunc, lim Limits) *fixture {
	t.Helper()
	base := t.TempDir()
	f := &fixture{root: filepath.Join(base, "root"), outside: filepath.Join(base, "outside")}
	for _, d := range []string{f.root, f.outside, filepath.Join(f.root, "sub", "thread-1"), filepath.Join(f.root, "trap")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	must(t, os.Symlink(f.outside, filepath.Join(f.root, "escape")))
	must(t, os.Symlink(filepath.Join(f.root, "sub"), filepath.Join(f.root, "inside")))
	must(t, os.Symlink("/etc/hostname", filepath.Join(f.root, "linkfile")))
	must(t, os.WriteFile(filepath.Join(f.root, "plain"), nil, 0o644))
	// trap/thread-2 leads outside: a 2-thread run in trap would write there.
	must(t, os.Symlink(f.outside, filepath.Join(f.root, "trap", "thread-2")))
	if run == nil {
		run = okRun
	}
	f.srv = New(Options{
		Roots:          []string{f.root},
		Limits:         lim,
		DefaultThreads: 2,
		Version:        "test",
		Run: func(ctx context.Context, o exerciser.Options) (exerciser.Result, error) {
			f.mu.Lock()
			f.got = append(f.got, o)
			f.mu.Unlock()
			return run(ctx, o)
		},
	})
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// seedQuery is the seed's curl example with numops reduced.
func (f *fixture) seedQuery(cwd string) string {
	return "cwd=" + url.QueryEscape(cwd) + "&file=fsxfile&numops=100&threads=4&seed=1&flen=10485760&opsize_min=1&opsize_max=65536" +
		"&close_open=1&read=1&write=1&mapread=1&mapwrite=1&truncate=1&fsync=0&fdatasync=0"
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func do(t *testing.T, h http.Handler, req *http.Request) answer {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	a := answer{status: rec.Code, header: rec.Header(), raw: rec.Body.String()}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &a.body); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, a.raw)
	}
	return a
}

func get(t *testing.T, h http.Handler, target string) answer {
	return do(t, h, httptest.NewRequest(http.MethodGet, target, nil))
}

// getNow is get for a request that must be answered at once (a refusal),
// so a broken refusal fails the test instead of hanging it.
func getNow(t *testing.T, h http.Handler, target string) answer {
	t.Helper()
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() { h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil)); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("GET %s not answered within 5s", target)
	}
	a := answer{status: rec.Code, header: rec.Header(), raw: rec.Body.String()}
	if err := json.Unmarshal(rec.Body.Bytes(), &a.body); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, a.raw)
	}
	return a
}

func TestStatuses(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, Limits{MaxNumOps: 1000, MaxThreads: 8, MaxFileLen: 16 << 20, MaxTotalFileLen: 64 << 20, MaxRunTime: time.Minute})
	q := func(extra string) string { return "/run?cwd=" + url.QueryEscape(f.root) + "&file=fsxfile&" + extra }
	big := strings.Repeat("x", 70<<10)
	tests := []struct {
		name, method, target, body, ctype string
		status                            int
		param                             string // the parameter the error must name
	}{
		{name: "health", method: "GET", target: "/health", status: 200},
		{name: "seed query", method: "GET", target: "/run?" + f.seedQuery(f.root), status: 200},
		{name: "post form", method: "POST", target: "/run", body: f.seedQuery(f.root), ctype: "application/x-www-form-urlencoded", status: 200},
		{name: "aliases", method: "GET", target: "/run?cwd=" + url.QueryEscape(f.root) + "&path=a&n=5&j=1", status: 200},
		{name: "symlink inside root", method: "GET", target: "/run?cwd=" + url.QueryEscape(filepath.Join(f.root, "inside")) + "&file=a&n=5", status: 200},
		{name: "unknown path", method: "GET", target: "/nope", status: 404},
		{name: "root path", method: "GET", target: "/", status: 404},
		{name: "delete run", method: "DELETE", target: q("numops=1"), status: 405},
		{name: "post health", method: "POST", target: "/health", status: 405},
		{name: "json body", method: "POST", target: "/run", body: `{"cwd":"/tmp"}`, ctype: "application/json", status: 415},
		{name: "huge body", method: "POST", target: "/run", body: "cwd=" + big, ctype: "application/x-www-form-urlencoded", status: 413},
		{name: "unknown parameter", method: "GET", target: q("numops=5&wirte=3"), status: 400, param: "wirte"},
		{name: "numops not a number", method: "GET", target: q("numops=ten"), status: 400, param: "numops"},
		{name: "numops plus sign", method: "GET", target: q("numops=%2B5"), status: 400, param: "numops"},
		{name: "numops negative", method: "GET", target: q("numops=-1"), status: 400, param: "numops"},
		{name: "numops over cap", method: "GET", target: q("numops=1001"), status: 400, param: "numops"},
		{name: "numops overflow", method: "GET", target: q("numops=99999999999999999999"), status: 400, param: "numops"},
		{name: "threads zero", method: "GET", target: q("threads=0"), status: 400, param: "threads"},
		{name: "threads over cap", method: "GET", target: q("j=9"), status: 400, param: "threads"},
		{name: "seed negative", method: "GET", target: q("seed=-3"), status: 400, param: "seed"},
		{name: "seed overflow", method: "GET", target: q("seed=18446744073709551616"), status: 400, param: "seed"},
		{name: "seed hex", method: "GET", target: q("seed=0x10"), status: 400, param: "seed"},
		{name: "flen over cap", method: "GET", target: q("flen=16777217"), status: 400, param: "flen"},
		{name: "flen times threads over cap", method: "GET", target: q("flen=16777216&threads=8"), status: 400, param: "flen"},
		{name: "flen zero", method: "GET", target: q("flen=0"), status: 400},
		{name: "weight not a number", method: "GET", target: q("read=lots"), status: 400, param: "read"},
		{name: "all weights zero", method: "GET", target: q("read=0&write=0&mapread=0&mapwrite=0&truncate=0"), status: 400},
		{name: "opsize min over max", method: "GET", target: q("opsize_min=10&opsize_max=5"), status: 400},
		{name: "nosizechecks not bool", method: "GET", target: q("nosizechecks=maybe"), status: 400, param: "nosizechecks"},
		{name: "timeout zero", method: "GET", target: q("timeout_ms=0"), status: 400, param: "timeout_ms"},
		{name: "timeout over cap", method: "GET", target: q("timeout_ms=60001"), status: 400, param: "timeout_ms"},
		{name: "param twice", method: "GET", target: q("numops=1&numops=2"), status: 400, param: "numops"},
		{name: "alias and name", method: "GET", target: q("numops=1&n=2"), status: 400, param: "numops"},
		{name: "cwd missing", method: "GET", target: "/run?file=a", status: 400, param: "cwd"},
		{name: "file missing", method: "GET", target: "/run?cwd=" + url.QueryEscape(f.root), status: 400, param: "file"},
		{name: "cwd relative", method: "GET", target: "/run?cwd=tmp&file=a", status: 400, param: "cwd"},
		{name: "cwd dotdot", method: "GET", target: "/run?cwd=" + url.QueryEscape(f.root+"/../root") + "&file=a", status: 400, param: "cwd"},
		{name: "cwd absolute escape", method: "GET", target: "/run?cwd=" + url.QueryEscape(f.outside) + "&file=a", status: 400, param: "cwd"},
		{name: "cwd slash", method: "GET", target: "/run?cwd=/&file=a", status: 400, param: "cwd"},
		{name: "cwd symlink out", method: "GET", target: "/run?cwd=" + url.QueryEscape(filepath.Join(f.root, "escape")) + "&file=a", status: 400, param: "cwd"},
		{name: "cwd not there", method: "GET", target: "/run?cwd=" + url.QueryEscape(filepath.Join(f.root, "nope")) + "&file=a", status: 400, param: "cwd"},
		{name: "cwd is a file", method: "GET", target: "/run?cwd=" + url.QueryEscape(filepath.Join(f.root, "plain")) + "&file=a", status: 400, param: "cwd"},
		{name: "file with dir", method: "GET", target: "/run?cwd=" + url.QueryEscape(f.root) + "&file=sub%2Fa", status: 400, param: "file"},
		{name: "file dotdot", method: "GET", target: "/run?cwd=" + url.QueryEscape(f.root) + "&file=..", status: 400, param: "file"},
		{name: "file symlink", method: "GET", target: "/run?cwd=" + url.QueryEscape(f.root) + "&file=linkfile&threads=1", status: 400, param: "file"},
		{name: "thread dir symlink", method: "GET", target: "/run?cwd=" + url.QueryEscape(filepath.Join(f.root, "trap")) + "&file=a&threads=2", status: 400, param: "cwd"},
		{name: "thread dirs fine", method: "GET", target: "/run?cwd=" + url.QueryEscape(filepath.Join(f.root, "sub")) + "&file=a&threads=2", status: 200},
		{name: "malformed query", method: "GET", target: q("numops=%zz"), status: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body *strings.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			} else {
				body = strings.NewReader("")
			}
			req := httptest.NewRequest(tc.method, tc.target, body)
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			a := do(t, f.srv, req)
			if a.status != tc.status {
				t.Fatalf("status %d, want %d\n%s", a.status, tc.status, a.raw)
			}
			ok, _ := a.body["ok"].(bool)
			if ok != (tc.status == 200) {
				t.Errorf("ok = %v with status %d", ok, a.status)
			}
			if tc.status != 200 {
				msg, _ := a.body["error"].(string)
				if msg == "" {
					t.Errorf("no error message: %s", a.raw)
				}
				if tc.param != "" && (a.body["param"] != tc.param || !strings.Contains(msg, tc.param)) {
					t.Errorf("error does not name %q: %s", tc.param, a.raw)
				}
			}
			if tc.status == 405 && a.header.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
		})
	}
	// The server keeps serving after all that.
	if a := get(t, f.srv, "/health"); a.status != 200 {
		t.Fatalf("health after bad input: %d", a.status)
	}
}

// The seed's query reaches the exerciser as the CLI's config would.
func TestOptionsReachTheRun(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, Limits{})
	a := get(t, f.srv, "/run?"+f.seedQuery(f.root)+"&timeout_ms=5000&opsize_align=4&nosizechecks=true")
	if a.status != 200 {
		t.Fatalf("status %d: %s", a.status, a.raw)
	}
	o := f.got[0]
	want := exerciser.Config{FileLen: 10485760, NoSizeChecks: true, OpSize: exerciser.OpSize{Min: 1, Max: 65536, Align: 4},
		Weights: exerciser.Weights{CloseOpen: 1, Read: 1, Write: 1, MapRead: 1, MapWrite: 1, Truncate: 1}}
	if o.Config != want || o.NumOps != 100 || o.Threads != 4 || o.Seed != 1 || o.Path != filepath.Join(f.root, "fsxfile") {
		t.Errorf("options %+v", o)
	}
	for k, v := range map[string]float64{"workers": 4, "numops_per_worker": 100, "total_ops_planned": 400, "ops_done": 400, "seed": 1, "timeout_ms": 5000} {
		if a.body[k] != v {
			t.Errorf("%s = %v, want %v", k, a.body[k], v)
		}
	}
	if a.body["target"] != filepath.Join(f.root, "fsxfile") || len(a.body["results"].([]any)) != 4 {
		t.Errorf("target/results: %s", a.raw)
	}

	// Omitted parameters take the CLI's defaults: DefaultConfig, the CPU count
	// (the server's DefaultThreads), and a random seed that the answer names.
	a = get(t, f.srv, "/run?cwd="+url.QueryEscape(f.root)+"&file=b")
	if a.status != 200 {
		t.Fatalf("status %d: %s", a.status, a.raw)
	}
	o = f.got[1]
	if o.Config != exerciser.DefaultConfig() || o.Threads != 2 || o.NumOps != 10000 || a.body["seed"] != float64(o.Seed) {
		t.Errorf("defaults: %+v, answer seed %v", o, a.body["seed"])
	}
}

func TestRunFailures(t *testing.T) {
	t.Parallel()
	report := "FAILED (x) at op 7: READ BAD DATA\nLOG DUMP\n..."
	tests := []struct {
		name   string
		run    RunFunc
		status int
		want   string // in the answer
	}{
		{"verification failure", func(_ context.Context, o exerciser.Options) (exerciser.Result, error) {
			return exerciser.Result{Workers: []exerciser.WorkerResult{{Worker: 1, OpsDone: 7,
				Failure: &exerciser.Failure{Code: 110, Op: 7, Summary: "READ BAD DATA", Report: report}}}}, nil
		}, 500, report},
		{"set-up error", func(context.Context, exerciser.Options) (exerciser.Result, error) {
			return exerciser.Result{}, &exerciser.SetupError{Code: 91, Err: errors.New("cannot create /x")}
		}, 500, "cannot create /x"},
		{"usage error", func(context.Context, exerciser.Options) (exerciser.Result, error) {
			return exerciser.Result{}, &exerciser.UsageError{Err: errors.New("threads too many")}
		}, 400, "threads too many"},
		{"panic", func(context.Context, exerciser.Options) (exerciser.Result, error) { panic("boom") }, 500, "boom"},
		{"timeout cancels the run", func(ctx context.Context, o exerciser.Options) (exerciser.Result, error) {
			// Like the exerciser: check the context at every op.
			n := uint64(0)
			for ctx.Err() == nil {
				n++
				time.Sleep(100 * time.Microsecond)
			}
			return exerciser.Result{Workers: []exerciser.WorkerResult{{Worker: 1, OpsDone: n, Cancelled: true}}}, nil
		}, 504, "cancelled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tc.run, Limits{})
			a := get(t, f.srv, "/run?cwd="+url.QueryEscape(f.root)+"&file=a&threads=1&timeout_ms=30")
			if a.status != tc.status || a.body["ok"] != false || !strings.Contains(a.raw, jsonEsc(tc.want)) {
				t.Fatalf("status %d (want %d), want %q in\n%s", a.status, tc.status, tc.want, a.raw)
			}
			if tc.status == 500 && tc.name == "verification failure" && a.body["report"] != report {
				t.Errorf("report %q", a.body["report"])
			}
			if f.srv.Active() != 0 {
				t.Errorf("%d runs still active", f.srv.Active())
			}
		})
	}
}

func jsonEsc(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// blockingRun holds each run until release is closed or its context ends.
func blockingRun(started chan<- string, release <-chan struct{}) RunFunc {
	return func(ctx context.Context, o exerciser.Options) (exerciser.Result, error) {
		started <- o.Path
		select {
		case <-release:
			return okRun(ctx, o)
		case <-ctx.Done():
			return exerciser.Result{Workers: []exerciser.WorkerResult{{Worker: 1, Cancelled: true}}}, nil
		}
	}
}

func TestConflictAndAdmission(t *testing.T) {
	t.Parallel()
	started := make(chan string, 4)
	release := make(chan struct{})
	f := newFixture(t, blockingRun(started, release), Limits{MaxRuns: 2})
	first := make(chan answer, 2)
	q := func(file string, threads int) string {
		return "/run?cwd=" + url.QueryEscape(f.root) + "&file=" + file + "&threads=" + string(rune('0'+threads))
	}
	q = func(file string, threads int) string {
		return "/run?cwd=" + url.QueryEscape(f.root+"/sub") + "&file=" + file + "&threads=" + string(rune('0'+threads))
	}
	go func() { first <- get(t, f.srv, q("a", 2)) }()
	<-started

	// Same files (worker 2 of a 2-thread run on a): 409.
	a := getNow(t, f.srv, q("a", 2))
	if a.status != 409 || !strings.Contains(a.raw, "in use") {
		t.Fatalf("same file: %d %s", a.status, a.raw)
	}
	// A run whose one file is the first run's worker-1 file: 409 too.
	a = getNow(t, f.srv, "/run?cwd="+url.QueryEscape(f.root+"/sub/thread-1")+"&file=a&threads=1")
	if a.status != 409 {
		t.Fatalf("overlapping worker file: %d %s", a.status, a.raw)
	}
	// Another file fills the second slot; a third run gets 429 + Retry-After.
	go func() { first <- get(t, f.srv, q("b", 1)) }()
	<-started
	a = getNow(t, f.srv, q("c", 1))
	if a.status != 429 || a.header.Get("Retry-After") == "" {
		t.Fatalf("over capacity: %d %v %s", a.status, a.header, a.raw)
	}
	if h := get(t, f.srv, "/health"); h.status != 200 || h.body["runs_active"] != float64(2) {
		t.Fatalf("health during runs: %d %s", h.status, h.raw)
	}
	close(release)
	for range 2 {
		if a := <-first; a.status != 200 {
			t.Fatalf("held run: %d %s", a.status, a.raw)
		}
	}
	// Freed: the same file runs again.
	if a := get(t, f.srv, q("a", 1)); a.status != 200 {
		t.Fatalf("after release: %d %s", a.status, a.raw)
	}
}

func TestClosingRefusesRuns(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, Limits{})
	f.srv.StartClosing()
	a := get(t, f.srv, "/run?"+f.seedQuery(f.root))
	if a.status != 503 || a.header.Get("Retry-After") == "" {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	if a := get(t, f.srv, "/health"); a.status != 200 || a.body["closing"] != true {
		t.Fatalf("health while closing: %d %s", a.status, a.raw)
	}
}

// Serve's graceful shutdown: a run that finishes within the grace period
// answers 200; one that does not is cancelled and answers 503; Serve returns.
func TestServeShutdown(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		finish     bool
		wantStatus int
	}{{"run finishes in grace", true, 200}, {"run cancelled after grace", false, 503}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			started := make(chan string, 1)
			release := make(chan struct{})
			f := newFixture(t, blockingRun(started, release), Limits{})
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			must(t, err)
			ctx, stop := context.WithCancel(context.Background())
			o := DefaultHTTPOptions(f.srv.opt.Limits)
			o.ShutdownGrace = 300 * time.Millisecond
			served := make(chan error, 1)
			go func() { served <- Serve(ctx, ln, f.srv, o) }()
			got := make(chan int, 1)
			go func() {
				resp, err := http.Get("http://" + ln.Addr().String() + "/run?cwd=" + url.QueryEscape(f.root) + "&file=a&threads=1")
				if err != nil {
					t.Error(err)
					got <- 0
					return
				}
				resp.Body.Close()
				got <- resp.StatusCode
			}()
			<-started
			stop()
			if tc.finish {
				time.Sleep(50 * time.Millisecond)
				close(release)
			}
			if s := <-got; s != tc.wantStatus {
				t.Errorf("status %d, want %d", s, tc.wantStatus)
			}
			select {
			case err := <-served:
				must(t, err)
			case <-time.After(15 * time.Second):
				t.Fatal("Serve did not return")
			}
			if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
				t.Error("still listening after shutdown")
			}
		})
	}
}

func TestPolledDeadline(t *testing.T) {
	t.Parallel()
	ctx, cancel := withPolledDeadline(context.Background(), time.Now().Add(20*time.Millisecond))
	defer cancel()
	if ctx.Err() != nil {
		t.Fatal("done too early")
	}
	if d, ok := ctx.Deadline(); !ok || d.IsZero() {
		t.Fatal("no deadline")
	}
	// A goroutine waiting on Done (without calling it again) wakes too.
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done never closed")
	}
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("err %v", ctx.Err())
	}
	parent, pcancel := context.WithCancel(context.Background())
	ctx2, cancel2 := withPolledDeadline(parent, time.Now().Add(time.Hour))
	defer cancel2()
	pcancel()
	<-ctx2.Done()
	if !errors.Is(ctx2.Err(), context.Canceled) {
		t.Fatalf("parent cancel: %v", ctx2.Err())
	}
}

// Under Wasmer the request context ends a few ms into every request, so the
// guest detaches runs from it there; natively a client going away cancels.
func TestDetachRuns(t *testing.T) {
	t.Parallel()
	slow := func(ctx context.Context, o exerciser.Options) (exerciser.Result, error) {
		for range 20 {
			if ctx.Err() != nil {
				return exerciser.Result{Workers: []exerciser.WorkerResult{{Worker: 1, Cancelled: true}}}, nil
			}
			time.Sleep(time.Millisecond)
		}
		return okRun(ctx, o)
	}
	for _, detach := range []bool{false, true} {
		f := newFixture(t, slow, Limits{})
		f.srv.opt.DetachRuns = detach
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // the client is gone before the run starts
		req := httptest.NewRequest(http.MethodGet, "/run?cwd="+url.QueryEscape(f.root)+"&file=a&threads=1", nil).WithContext(ctx)
		a := do(t, f.srv, req)
		want := map[bool]int{false: 503, true: 200}[detach]
		if a.status != want {
			t.Errorf("DetachRuns=%v: status %d, want %d\n%s", detach, a.status, want, a.raw)
		}
	}
}

// TestAliases: under the SDK runner a volume GUEST lives at
// /workspace/GUEST; with the alias a query's cwd=GUEST runs there, the
// allowed root moves with it, and nothing else changes meaning.
func TestAliases(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	real := filepath.Join(base, "workspace", "data")
	must(t, os.MkdirAll(filepath.Join(real, "sub"), 0o755))
	var got []exerciser.Options
	var mu sync.Mutex
	srv := New(Options{
		Roots:   []string{"/data"},
		Aliases: []Alias{{From: "/data", To: real}},
		Run: func(ctx context.Context, o exerciser.Options) (exerciser.Result, error) {
			mu.Lock()
			got = append(got, o)
			mu.Unlock()
			return okRun(ctx, o)
		},
	})
	for _, tc := range []struct {
		cwd    string
		status int
		path   string
	}{
		{"/data", 200, filepath.Join(real, "f")},
		{"/data/sub", 200, filepath.Join(real, "sub", "f")},
		{"/database", 400, ""},    // a prefix of the name is not the alias
		{"/data/../etc", 400, ""}, // ".." is still refused after aliasing
		{real, 200, filepath.Join(real, "f")},
	} {
		a := get(t, srv, "/run?cwd="+url.QueryEscape(tc.cwd)+"&file=f&numops=1&threads=1")
		if a.status != tc.status {
			t.Errorf("cwd=%s: status %d, want %d: %s", tc.cwd, a.status, tc.status, a.raw)
			continue
		}
		if tc.status == 200 && a.body["target"] != tc.path {
			t.Errorf("cwd=%s: target %v, want %s", tc.cwd, a.body["target"], tc.path)
		}
	}
	for _, bad := range []string{"data=/x", "/data", "/data=rel"} {
		if _, err := ParseAliases(bad); err == nil {
			t.Errorf("ParseAliases(%q) accepted", bad)
		}
	}
	as, err := ParseAliases("/data=/workspace/data,/work=/workspace/work")
	if err != nil || len(as) != 2 || as[1] != (Alias{"/work", "/workspace/work"}) {
		t.Errorf("ParseAliases: %v %v", as, err)
	}
}

// Outside the allowed roots, an existing and a missing path get the same
// answer: the server does not tell a client what is on the host.
func TestOutsideRootsSaysNothingOfTheHost(t *testing.T) {
	t.Parallel()
	root, outside := t.TempDir(), t.TempDir()
	_, e1 := resolveCwd(outside, []string{root})
	_, e2 := resolveCwd(filepath.Join(outside, "missing"), []string{root})
	if e1 == nil || e2 == nil {
		t.Fatalf("outside paths accepted: %v %v", e1, e2)
	}
	m1 := strings.ReplaceAll(e1.Error(), outside, "P")
	m2 := strings.ReplaceAll(e2.Error(), filepath.Join(outside, "missing"), "P")
	if m1 != m2 || strings.Contains(m2, "exist") {
		t.Fatalf("the answers differ or tell existence:\n%s\n%s", e1, e2)
	}
}
