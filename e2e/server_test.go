package e2e_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/runner"
	"github.com/fsx-wasix/fsx-wasix/internal/testutil"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

// seedRunQuery is the seed's /run query (both curl examples) with numops
// reduced to n; cwd is appended by the caller.
func seedRunQuery(n int) string {
	return "file=fsxfile&numops=" + strconv.Itoa(n) + "&threads=4&seed=1&flen=10485760&opsize_min=1&opsize_max=65536" +
		"&close_open=1&read=1&write=1&mapread=1&mapwrite=1&truncate=1&fsync=0&fdatasync=0"
}

// nativeServer is the native guest serving on a loopback port.
type nativeServer struct {
	base string // http://127.0.0.1:PORT
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var servingRE = regexp.MustCompile(`serving on (http://[0-9.]+:[0-9]+)`)

// startNativeServer starts the native guest with --server on port 0 (the
// kernel picks a free loopback port; the guest prints it) and stops it with
// SIGTERM at the end of the test.
func startNativeServer(t testing.TB, args ...string) *nativeServer {
	t.Helper()
	cmd := exec.Command(testutil.GuestNative(t), guestapi.Server{Port: 0, Flags: args}.Args()...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &nativeServer{cmd: cmd, log: &syncBuffer{}, done: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			s.log.Write([]byte(sc.Text() + "\n"))
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	go func() { s.done <- cmd.Wait() }()
	select {
	case s.base = <-found:
	case err := <-s.done:
		t.Fatalf("server exited at start: %v\n%s", err, s.log)
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("server did not start\n%s", s.log)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("server log:\n%s", s.log)
		}
	})
	return s
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

var client = &http.Client{Timeout: 5 * time.Minute}

func httpGet(t testing.TB, u string) reply {
	t.Helper()
	resp, err := client.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	if err := json.Unmarshal(b, &r.body); err != nil {
		t.Fatalf("GET %s: answer is not JSON (%v):\n%s", u, err, b)
	}
	return r
}

// TestServerNative is issue 6's native end-to-end list: the seed's two
// queries, a verification failure, and a timeout that stops the run.
func TestServerNative(t *testing.T) {
	dir := t.TempDir()
	tmp, data := filepath.Join(dir, "tmp"), filepath.Join(dir, "data")
	for _, d := range []string{tmp, data} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s := startNativeServer(t, "--allow-root", tmp, "--allow-root", data, "--shutdown-grace", "100ms")

	if r := httpGet(t, s.base+"/health"); r.status != 200 || r.body["ok"] != true || r.body["version"] == "" {
		t.Fatalf("/health: %d %s", r.status, r.raw)
	}
	t.Run("seed queries", func(t *testing.T) {
		for _, cwd := range []string{tmp, data} {
			r := httpGet(t, s.base+"/run?cwd="+url.QueryEscape(cwd)+"&"+seedRunQuery(300))
			if r.status != 200 || r.body["ok"] != true || r.body["total_ops_planned"] != float64(1200) || r.body["ops_done"] != float64(1200) {
				t.Fatalf("%s: %d %s", cwd, r.status, r.raw)
			}
			// Multi-worker isolation, as in the CLI: cwd/thread-K/file.
			if _, err := os.Stat(filepath.Join(cwd, "thread-4", "fsxfile")); err != nil {
				t.Errorf("worker 4's file: %v", err)
			}
		}
	})
	t.Run("verification failure", func(t *testing.T) {
		r := httpGet(t, s.base+"/run?cwd="+url.QueryEscape(tmp)+"&file=inj&numops=300&threads=1&seed=1&inject=50")
		report, _ := r.body["report"].(string)
		if r.status != 500 || r.body["ok"] != false || !strings.Contains(report, "FAILED") || !strings.Contains(report, "LOG DUMP") {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("timeout stops the run", func(t *testing.T) {
		q := "/run?cwd=" + url.QueryEscape(data) + "&file=slow&numops=10000000&threads=2&seed=3&timeout_ms="
		for _, ms := range []string{"1", "300"} { // 1: the case; 300: ops were surely under way
			r := httpGet(t, s.base+q+ms)
			if r.status != 504 || r.body["ok"] != false || r.body["cancelled"] != true {
				t.Fatalf("timeout_ms=%s: %d %s", ms, r.status, r.raw)
			}
			f := filepath.Join(data, "thread-1", "slow")
			before, err := os.Stat(f)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond)
			after, err := os.Stat(f)
			if err != nil {
				t.Fatal(err)
			}
			if !after.ModTime().Equal(before.ModTime()) || after.Size() != before.Size() {
				t.Fatalf("timeout_ms=%s: the file still changes after the 504: %v/%d -> %v/%d",
					ms, before.ModTime(), before.Size(), after.ModTime(), after.Size())
			}
		}
	})
	t.Run("SIGTERM cancels a run and exits", func(t *testing.T) {
		got := make(chan reply, 1)
		go func() {
			got <- httpGet(t, s.base+"/run?cwd="+url.QueryEscape(tmp)+"&file=long&numops=10000000&threads=1")
		}()
		deadline := time.Now().Add(10 * time.Second)
		for httpGet(t, s.base+"/health").body["runs_active"] != float64(1) {
			if time.Now().After(deadline) {
				t.Fatal("the long run never started")
			}
			time.Sleep(20 * time.Millisecond)
		}
		s.cmd.Process.Signal(syscall.SIGTERM)
		if r := <-got; r.status != 503 || r.body["cancelled"] != true {
			t.Fatalf("run during shutdown: %d %s", r.status, r.raw)
		}
		select {
		case err := <-s.done:
			s.done <- err // for the cleanup
			if err != nil {
				t.Fatalf("exit after SIGTERM: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("server did not exit after SIGTERM")
		}
	})
}

// freePort picks a free loopback port (for runtimes that cannot report the
// port they bound).
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestServerRuntimes serves from the wasm guest under each runtime with
// host networking and calls /health and a small /run on /tmp and /data
// (a real mount, or the SDK's in-memory copy).
func TestServerRuntimes(t *testing.T) {
	for _, rt := range runtimes {
		t.Run(rt.name, func(t *testing.T) {
			r := needRunner(t, rt.name, rt.requiredCI)
			port := freePort(t)
			data := t.TempDir()
			spec := runner.Spec{
				Wasm:    testutil.GuestWasm(t),
				Args:    guestapi.Server{Port: port}.Args(),
				Net:     true,
				Timeout: 10 * time.Minute,
			}
			// Under the SDK /data is an in-memory copy at /workspace/data;
			// the runner's FSX_VOLUME_MAP lets the seed's cwd=/data reach it.
			spec.Volumes = []runner.Volume{{Host: data, Guest: "/data"}}
			places := []string{"/tmp", "/data"}
			log := &syncBuffer{}
			spec.Stdout, spec.Stderr = log, log
			ctx, stop := context.WithCancel(context.Background())
			exited := make(chan error, 1)
			go func() { _, err := r.Run(ctx, spec); exited <- err }()
			defer func() {
				stop()
				select {
				case <-exited:
				case <-time.After(30 * time.Second):
					t.Error("the runtime did not stop")
				}
				if t.Failed() {
					t.Logf("guest output:\n%s", log)
				}
			}()
			base := fmt.Sprintf("http://127.0.0.1:%d", port)
			// Compiling the 16 MB module takes a while on 2 shared cores.
			up := time.Now().Add(5 * time.Minute)
			for {
				resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(base + "/health")
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode == 200 {
						break
					}
				}
				select {
				case err := <-exited:
					t.Fatalf("guest exited before serving: %v", err)
				default:
				}
				if time.Now().After(up) {
					t.Fatal("/health never answered")
				}
				time.Sleep(250 * time.Millisecond)
			}
			if h := httpGet(t, base+"/health"); h.body["ok"] != true {
				t.Fatalf("/health: %s", h.raw)
			}
			for _, place := range places {
				res := httpGet(t, base+"/run?cwd="+place+"&"+seedRunQuery(100))
				if res.status != 200 || res.body["ok"] != true || res.body["ops_done"] != float64(400) {
					t.Fatalf("/run on %s: %d %s", place, res.status, res.raw)
				}
			}
			if r.HostBacked() {
				if _, err := os.Stat(filepath.Join(data, "thread-4", "fsxfile")); err != nil {
					t.Errorf("the /data run's file on the host: %v", err)
				}
			}
			// The deadline cancels a run inside WebAssembly too (one thread,
			// no preemption: the exerciser's per-op context check does it).
			res := httpGet(t, base+"/run?cwd=/tmp&file=slow&numops=10000000&threads=1&timeout_ms=300")
			if res.status != 504 || res.body["cancelled"] != true {
				t.Fatalf("timeout: %d %s", res.status, res.raw)
			}
			if h := httpGet(t, base+"/health"); h.body["runs_active"] != float64(0) {
				t.Fatalf("after the runs: %s", h.raw)
			}
		})
	}
}

// loadResult is what one load round measured.
type loadResult struct {
	latencies []time.Duration
	statuses  map[int]int
	health    int // /health answers during the round
}

// serverLoad sends total /run requests, conc at a time, to a native server
// (small runs on distinct files, so only admission limits them), and polls
// /health throughout. Every request is bounded by the client timeout.
func serverLoad(t testing.TB, total, conc int, serverArgs ...string) loadResult {
	dir := t.TempDir()
	s := startNativeServer(t, append([]string{"--allow-root", dir, "-q"}, serverArgs...)...)
	res := loadResult{statuses: map[int]int{}}
	var mu sync.Mutex
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				start := time.Now()
				r := httpGet(t, fmt.Sprintf("%s/run?cwd=%s&file=f%d&numops=200&threads=1&seed=%d&flen=1048576", s.base, url.QueryEscape(dir), i, i))
				mu.Lock()
				res.latencies = append(res.latencies, time.Since(start))
				res.statuses[r.status]++
				mu.Unlock()
			}
		}()
	}
	stopHealth := make(chan struct{})
	healthDone := make(chan struct{})
	go func() {
		defer close(healthDone)
		for {
			select {
			case <-stopHealth:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if r := httpGet(t, s.base+"/health"); r.status != 200 {
				t.Errorf("/health during load: %d", r.status)
			}
			res.health++
		}
	}()
	for i := range total {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(stopHealth)
	<-healthDone
	sort.Slice(res.latencies, func(i, j int) bool { return res.latencies[i] < res.latencies[j] })
	return res
}

func pct(l []time.Duration, p float64) time.Duration { return l[int(float64(len(l)-1)*p)] }

// TestServerLoad: 200 requests, 16 at a time — every one answered with 200
// or, beyond --max-runs, 429; /health answers throughout. Latencies are
// logged, not asserted (docs/perf-server.md).
func TestServerLoad(t *testing.T) {
	res := serverLoad(t, 200, 16)
	n := 0
	for status, c := range res.statuses {
		n += c
		if status != 200 && status != 429 {
			t.Errorf("%d answers with status %d", c, status)
		}
	}
	if n != 200 || res.statuses[200] == 0 || res.health == 0 {
		t.Fatalf("answers %v, health checks %d", res.statuses, res.health)
	}
	t.Logf("statuses %v, /health answered %d times; latency p50 %v p90 %v p99 %v max %v",
		res.statuses, res.health, pct(res.latencies, .5), pct(res.latencies, .9), pct(res.latencies, .99), res.latencies[len(res.latencies)-1])
}

// BenchmarkServerLoad reports the same round's latency percentiles: one
// op is a round of 200 requests, 16 at a time, with the default 4 runs at
// once (most are refused with 429 at once) and with 16 (all run).
func BenchmarkServerLoad(b *testing.B) {
	for _, maxRuns := range []string{"4", "16"} {
		b.Run("max-runs="+maxRuns, func(b *testing.B) {
			var all []time.Duration
			rejected := 0
			for b.Loop() {
				res := serverLoad(b, 200, 16, "--max-runs", maxRuns)
				all = append(all, res.latencies...)
				rejected += res.statuses[429]
			}
			sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			b.ReportMetric(ms(pct(all, .5)), "p50-ms")
			b.ReportMetric(ms(pct(all, .9)), "p90-ms")
			b.ReportMetric(ms(pct(all, .99)), "p99-ms")
			b.ReportMetric(float64(rejected)/float64(len(all)), "429/req")
		})
	}
}
