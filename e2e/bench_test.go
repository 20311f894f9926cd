package e2e_test

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/runner"
	"github.com/fsx-wasix/fsx-wasix/internal/testutil"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

// benchRuntimes adds "native" to the runtimes for the benchmarks.
var benchRuntimes = append([]struct {
	name       string
	requiredCI bool
}{{"native", false}}, runtimes...)

// rate runs s b.N times and reports the mean of the rate get reads from
// each run's stdout and stderr as unit: the guest's own timing excludes the
// runtime's start-up and compilation.
func rate(b *testing.B, r runner.Runner, s runner.Spec, unit string, get func(b *testing.B, stdout []byte, stderr string) float64) {
	var sum float64
	for i := 0; i < b.N; i++ {
		var stdout, stderr bytes.Buffer
		s.Stdout, s.Stderr = &stdout, &stderr
		code, err := r.Run(context.Background(), s)
		if err != nil || code != 0 {
			b.Fatalf("%s: code %d err %v\n%s\n%s", r.Name(), code, err, stdout.String(), tail(stderr.String()))
		}
		sum += get(b, stdout.Bytes(), stderr.String())
	}
	b.ReportMetric(sum/float64(b.N), unit)
}

// printedRate reads the last match of re's first group in a tool's output.
func printedRate(re *regexp.Regexp) func(*testing.B, []byte, string) float64 {
	return func(b *testing.B, stdout []byte, _ string) float64 {
		m := re.FindAllSubmatch(stdout, -1)
		if m == nil {
			b.Fatalf("no rate in the output:\n%s", stdout)
		}
		v, _ := strconv.ParseFloat(string(m[len(m)-1][1]), 64)
		return v
	}
}

// BenchmarkBareloop is the baseline: pwrite + pread + compare of 1..64 KiB
// at random offsets in a 10 MiB file (e2e/testdata/bareloop), on each
// runtime's /tmp (Wasmer: in-memory; wazero: a host temp dir; native: the
// host's /tmp).
func BenchmarkBareloop(b *testing.B) {
	for _, rt := range benchRuntimes {
		b.Run(rt.name, func(b *testing.B) {
			r := needRunner(b, rt.name, false)
			guest := buildTool(b, "./e2e/testdata/bareloop", rt.name != "native")
			file := "/tmp/bareloop"
			if rt.name == "native" {
				file = filepath.Join(b.TempDir(), "bareloop")
			}
			s := runner.Spec{Wasm: guest, Args: []string{file, "20000"}, Timeout: 5 * time.Minute}
			rate(b, r, s, "pairs/s", printedRate(regexp.MustCompile(`([0-9.]+) pairs/s`)))
		})
	}
}

// BenchmarkRandom is the real guest's random mode with the seed's 10 MiB
// mix, one worker, on /tmp.
func BenchmarkRandom(b *testing.B) {
	for _, rt := range benchRuntimes {
		b.Run(rt.name, func(b *testing.B) {
			r := needRunner(b, rt.name, false)
			work := b.TempDir()
			writeConfig(b, work)
			guest := testutil.GuestWasm(b)
			place := "/tmp"
			if rt.name == "native" {
				guest, place = testutil.GuestNative(b), b.TempDir()
			}
			s := runner.Spec{
				Wasm:    guest,
				Volumes: []runner.Volume{{Host: work, Guest: "/work"}},
				Args: guestapi.Random{Config: "/work/fsx-10mb.toml", NumOps: 3000, Seed: 1, Threads: 1, Quiet: true, JSON: true,
					File: place + "/fsxfile"}.Args(),
				Timeout: 5 * time.Minute,
			}
			rate(b, r, s, "ops/s", func(b *testing.B, stdout []byte, stderr string) float64 {
				var res guestapi.RandomResult
				decodeJSON(b, stdout, &res, stderr)
				return res.OpsPerSec
			})
		})
	}
}

// BenchmarkOracle is oracle mode at chain 2 (5,832 cases) on each
// runtime's /tmp, case files removed as it goes (the /tmp cell's shape);
// the guest's own cases/s excludes start-up.
func BenchmarkOracle(b *testing.B) {
	for _, rt := range benchRuntimes {
		b.Run(rt.name, func(b *testing.B) {
			r := needRunner(b, rt.name, false)
			guest, root := testutil.GuestWasm(b), "/tmp/fsx-oracle-bench"
			if rt.name == "native" {
				guest, root = testutil.GuestNative(b), filepath.Join(b.TempDir(), "cases")
			}
			s := runner.Spec{Wasm: guest, Args: guestapi.Oracle{Chain: 2, JSON: true, Root: root}.Args(), Timeout: 5 * time.Minute}
			rate(b, r, s, "cases/s", func(b *testing.B, stdout []byte, stderr string) float64 {
				var sum guestapi.OracleSummary
				decodeJSON(b, stdout, &sum, stderr)
				return sum.CasesPerSec
			})
		})
	}
}
