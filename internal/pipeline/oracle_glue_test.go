package pipeline

import (
	"strings"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/internal/runner"
)

// The seed's commands (fsx-wasix-seed.txt, "Oracle Mode"), verbatim but for
// line continuations. The orchestrator's wasmer argv must be these with only
// the documented substitutions and additions.
const (
	seedTmp  = `wasmer run --volume "$PWD:/work" target/wasm32-wasmer-wasi/debug/fsx-wasix.wasm -- --oracle -N 2 --oracle-expected /work/fsx-oracle-native-report.bin /tmp/fsx-oracle-wasix`
	seedData = `wasmer run --volume "$PWD:/work" --volume "$PWD/wasmer-data:/data" target/wasm32-wasmer-wasi/debug/fsx-wasix.wasm -- --oracle -N 2 --oracle-expected /work/fsx-oracle-native-report.bin --oracle-output /data/fsx-oracle-wasix/report.bin /data/fsx-oracle-wasix`
)

// seedArgv splits a seed command the way the shell would (only double
// quotes occur) and substitutes the orchestrator's paths for the seed's.
func seedArgv(cmd, work, data, wasm string) []string {
	r := strings.NewReplacer(`"`, "", "$PWD/wasmer-data", data, "$PWD", work,
		"target/wasm32-wasmer-wasi/debug/fsx-wasix.wasm", wasm,
		"fsx-oracle-native-report.bin", expectedName)
	return strings.Fields(r.Replace(cmd))[1:] // drop "wasmer"
}

// insertAfter puts extra right after the first occurrence of flag and its value.
func insertAfter(argv []string, flag string, extra ...string) []string {
	for i, a := range argv {
		if a == flag {
			out := append([]string{}, argv[:i+2]...)
			out = append(out, extra...)
			return append(out, argv[i+2:]...)
		}
	}
	panic(flag)
}

func insertBefore(argv []string, at string, extra ...string) []string {
	for i, a := range argv {
		if a == at && i == len(argv)-1 {
			out := append([]string{}, argv[:i]...)
			out = append(out, extra...)
			return append(out, argv[i:]...)
		}
	}
	panic(at)
}

func TestWasmerArgvMatchesTheSeed(t *testing.T) {
	t.Parallel()
	const work, data, wasm = "/r/work", "/r/data", "/b/fsx-wasix.wasm"
	s := Slice{Index: 1, Start: 4096, Count: 1736}
	slice := []string{"--case-start", "4096", "--case-count", "1736"}

	// /tmp: the seed's command plus the slice and a report in /work.
	want := seedArgv(seedTmp, work, data, wasm)
	want = insertAfter(want, "-N", slice...)
	want = insertBefore(want, "/tmp/fsx-oracle-wasix", "--oracle-output", "/work/report.bin")
	got := runner.WasmerArgs(CellSpec(wasm, 2, s, VolumeTmp, work, data, false))
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("/tmp cell argv\n got  %q\n want %q", got, want)
	}

	// /data: the seed's command plus the slice and --oracle-keep-files, which
	// the host re-read needs (the files must still be there after the run).
	want = seedArgv(seedData, work, data, wasm)
	want = insertAfter(want, "-N", slice...)
	want = insertBefore(want, "/data/fsx-oracle-wasix", "--oracle-keep-files")
	got = runner.WasmerArgs(CellSpec(wasm, 2, s, VolumeData, work, data, false))
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("/data cell argv\n got  %q\n want %q", got, want)
	}
	if rp := CellReportPath(VolumeData, work, data); rp != "/r/data/fsx-oracle-wasix/report.bin" {
		t.Errorf("report of a /data cell on the host: %s", rp)
	}
}

func TestNativeArgsAreTheSeedsNativeCommand(t *testing.T) {
	t.Parallel()
	// Seed: cargo run -- --oracle -N 2 --oracle-output /tmp/fsx-oracle-native/report.bin /tmp/fsx-oracle-native
	got := strings.Join(NativeArgs(2, Slice{Start: 0, Count: 54}), " ")
	want := "--oracle -N 2 --case-start 0 --case-count 54 --oracle-output report.bin cases"
	if got != want {
		t.Errorf("native argv %q, want %q", got, want)
	}
	if got := strings.Join(VerifyArgs("n.bin", "w.bin", ""), " "); got != "--oracle-verify-files n.bin w.bin" {
		t.Errorf("verify argv %q", got)
	}
}

func TestParseOracleOutput(t *testing.T) {
	t.Parallel()
	// The shape of pkg/oracle's Comparer.WriteReport.
	out := []byte(`oracle: 5832 cases
compared 5832 cases: 14 divergent (4 suppressed as known)
first 10 divergent cases:
case 77 ...  signature: x
divergences by signature (2 distinct):
        10  write(32_bytes) on A: ok(32) -> EBADF  (e.g. case 77)
         4  snapshot B: len 32 -> len 0  (e.g. case 80)  [suppressed: known]
checked 11664 file snapshots
`)
	o := ParseOracleOutput(out)
	if !o.Parsed || o.Compared != 5832 || o.Divergent != 14 || o.Suppressed != 4 || o.Checked != 11664 {
		t.Fatalf("ParseOracleOutput = %+v", o)
	}
	if len(o.Signatures) != 2 || o.Signatures["write(32_bytes) on A: ok(32) -> EBADF"] != 10 || o.Signatures["snapshot B: len 32 -> len 0"] != 4 {
		t.Fatalf("signatures = %v", o.Signatures)
	}
	if o := ParseOracleOutput([]byte("panic: boom\n")); o.Parsed {
		t.Fatalf("a crash parsed as a summary: %+v", o)
	}
}
