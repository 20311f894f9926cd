package e2e_test

import (
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/runner"
	"github.com/fsx-wasix/fsx-wasix/internal/testutil"
)

// benchRuntimes adds "native" to the runtimes for the benchmarks.
var benchRuntimes = append([]struct {
	name       string
	requiredCI bool
}{{"native", false}}, runtimes...)

// rate runs s b.N times and reports the mean of the rate the guest
// printed (the last `re` match's first group) as unit: the guest's own
// timing excludes the runtime's start-up and compilation.
func rate(b *testing.B, r runner.Runner, s runner.Spec, re *regexp.Regexp, unit string) {
	var sum float64
	for i := 0; i < b.N; i++ {
		code, out, err := run(b, r, s)
		if err != nil || code != 0 {
			b.Fatalf("%s: code %d err %v\n%s", r.Name(), code, err, out)
		}
		m := re.FindAllStringSubmatch(out, -1)
		if m == nil {
			b.Fatalf("no rate in the output:\n%s", out)
		}
		v, _ := strconv.ParseFloat(m[len(m)-1][1], 64)
		sum += v
	}
	b.ReportMetric(sum/float64(b.N), unit)
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
			rate(b, r, s, regexp.MustCompile(`([0-9.]+) pairs/s`), "pairs/s")
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
				Args:    []string{"-f", "/work/fsx-10mb.toml", "-N", "3000", "-S", "1", "-j1", "-q", place + "/fsxfile"},
				Timeout: 5 * time.Minute,
			}
			rate(b, r, s, regexp.MustCompile(`([0-9.]+) ops/s`), "ops/s")
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
			s := runner.Spec{Wasm: guest, Args: []string{"--oracle", "-N", "2", root}, Timeout: 5 * time.Minute}
			rate(b, r, s, regexp.MustCompile(`\(([0-9.]+) cases/s\)`), "cases/s")
		})
	}
}
