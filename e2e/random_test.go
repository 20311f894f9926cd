package e2e_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/runner"
	"github.com/fsx-wasix/fsx-wasix/internal/testutil"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

// Sizes for the suite: small enough for 2 shared cores, big enough that
// every op kind runs many times on the seed's 10 MiB config.
const (
	randomOps    = 300
	randomJ      = 4
	randomTimout = 5 * time.Minute
)

var randomSeeds = []int{1, 7}

// randomSpec is the seed's command shape: the config in /work, FILE under
// place ("/tmp" or "/data", the latter a host dir mounted at /data), the
// rest of the command line from a.
func randomSpec(wasm, work, data, place string, a guestapi.Random) runner.Spec {
	a.Config, a.File = "/work/fsx-10mb.toml", place+"/fsxfile"
	s := runner.Spec{
		Wasm:    wasm,
		Volumes: []runner.Volume{{Host: work, Guest: "/work"}},
		Args:    a.Args(),
		Timeout: randomTimout,
	}
	if place == "/data" {
		s.Volumes = append(s.Volumes, runner.Volume{Host: data, Guest: "/data"})
	}
	return s
}

// nativeFiles runs the native guest with the same arguments and returns
// the directory holding its thread-K/fsxfile: a runtime's final files must
// be byte-identical to these, since a seed fixes every op.
func nativeFiles(t *testing.T, seed int) string {
	t.Helper()
	work, data := t.TempDir(), t.TempDir()
	writeConfig(t, work)
	s := randomSpec(testutil.GuestNative(t), work, data, "/data", guestapi.Random{NumOps: randomOps, Seed: uint64(seed), Threads: randomJ})
	r, _ := runner.New("native", runner.Options{})
	code, out, err := run(t, r, s)
	if err != nil || code != 0 {
		t.Fatalf("native run: code %d err %v\n%s", code, err, out)
	}
	return data
}

// TestRandomMode runs the seed's random-mode command (10 MiB config, -j4)
// under each runtime on /tmp (the runtime's own filesystem: Wasmer's
// in-memory one) and on a host dir mounted at /data, for a few seeds; on
// /data the files left behind must equal the native run's.
func TestRandomMode(t *testing.T) {
	for _, rt := range runtimes {
		t.Run(rt.name, func(t *testing.T) {
			r := needRunner(t, rt.name, rt.requiredCI)
			wasm := testutil.GuestWasm(t)
			for _, seed := range randomSeeds {
				for _, place := range []string{"/tmp", "/data"} {
					t.Run(fmt.Sprintf("seed%d%s", seed, strings.ReplaceAll(place, "/", "_")), func(t *testing.T) {
						work, data := t.TempDir(), t.TempDir()
						writeConfig(t, work)
						s := randomSpec(wasm, work, data, place, guestapi.Random{NumOps: randomOps, Seed: uint64(seed), Threads: randomJ, JSON: true})
						start := time.Now()
						var res guestapi.RandomResult
						code, stderr, err := runJSON(t, r, s, &res)
						if err != nil || code != 0 {
							t.Fatalf("%s %v: code %d err %v\n%s", rt.name, runner.WasmerArgs(s), code, err, stderr)
						}
						// Every worker ran all its ops and passed.
						if len(res.Workers) != randomJ || res.Seed != uint64(seed) || res.TotalOps != randomJ*randomOps {
							t.Fatalf("result %+v, want %d workers of %d ops\n%s", res, randomJ, randomOps, tail(stderr))
						}
						for i, w := range res.Workers {
							if w.Worker != i+1 || w.OpsDone != randomOps || w.Failure != nil || w.Cancelled {
								t.Fatalf("worker %d: %+v\n%s", i+1, w, tail(stderr))
							}
						}
						t.Logf("%s: %d ops in %s, %.0f ops/s", time.Since(start).Round(time.Millisecond), res.TotalOps, res.Elapsed.Round(time.Millisecond), res.OpsPerSec)
						if place != "/data" {
							return
						}
						want := nativeFiles(t, seed)
						for k := 1; k <= randomJ; k++ {
							rel := filepath.Join("thread-"+strconv.Itoa(k), "fsxfile")
							got, err1 := os.ReadFile(filepath.Join(data, rel))
							exp, err2 := os.ReadFile(filepath.Join(want, rel))
							if err1 != nil || err2 != nil || !bytes.Equal(got, exp) {
								t.Errorf("%s on the host after the run differs from the native run's (%d vs %d bytes; %v %v)",
									rel, len(got), len(exp), err1, err2)
							}
						}
					})
				}
			}
		})
	}
}

// TestRandomInject: --inject makes the run fail under every runtime, with
// the same exit code and at the same op as natively.
func TestRandomInject(t *testing.T) {
	args := guestapi.Random{NumOps: randomOps, Seed: 3, Threads: 1, Inject: 150}
	work := t.TempDir()
	writeConfig(t, work)
	nat, _ := runner.New("native", runner.Options{})
	ns := randomSpec(testutil.GuestNative(t), work, t.TempDir(), "/data", args)
	wantCode, nout, err := run(t, nat, ns)
	if err != nil || (wantCode != 110 && wantCode != 120) {
		t.Fatalf("native --inject: code %d err %v, want 110 or 120 (fsx.c's miscompare/size codes)\n%s", wantCode, err, nout)
	}
	for _, rt := range runtimes {
		t.Run(rt.name, func(t *testing.T) {
			r := needRunner(t, rt.name, rt.requiredCI)
			s := randomSpec(testutil.GuestWasm(t), work, "", "/tmp", args)
			code, out, err := run(t, r, s)
			if err != nil || code != wantCode {
				t.Fatalf("%s --inject: code %d err %v, want %d as natively\n%s", rt.name, code, err, wantCode, out)
			}
			if !strings.Contains(out, "LOG DUMP") || !strings.Contains(out, "Using seed 3") {
				t.Errorf("the failure report lacks LOG DUMP or the seed:\n%s", out)
			}
			// The printed replay line, run under the same runtime with the
			// same volumes, must fail the same way at the same op.
			m := replayRE.FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("no replay line in:\n%s", out)
			}
			_, guestArgs, ok := strings.Cut(m[3], " fsx-wasix.wasm -- ")
			if !ok || m[1] != strconv.Itoa(code) {
				t.Fatalf("replay line %q (expect exit %s) does not name the wasm guest or exit %d", m[3], m[1], code)
			}
			s.Args = strings.Fields(guestArgs)
			rcode, rout, err := run(t, r, s)
			if err != nil || rcode != code || !strings.Contains(rout, "at op "+m[2]+":") {
				t.Fatalf("replay %v: code %d err %v, want %d at op %s\n%s", s.Args, rcode, err, code, m[2], rout)
			}
		})
	}
}

var replayRE = regexp.MustCompile(`Replay this worker alone \(expect exit code (\d+) at op (\d+)\):\n  (.*)\n`)

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	return s[strings.LastIndexByte(s, '\n')+1:]
}
