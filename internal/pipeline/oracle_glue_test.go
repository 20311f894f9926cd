package pipeline

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/runner"
	"github.com/fsx-wasix/fsx-wasix/internal/testutil"
	"github.com/fsx-wasix/fsx-wasix/pkg/oracle"
	"github.com/fsx-wasix/fsx-wasix/pkg/transcript"
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
	want = insertBefore(want, "/tmp/fsx-oracle-wasix", "--oracle-output", "/work/report.bin", "--json")
	got := runner.WasmerArgs(CellSpec(wasm, 2, s, VolumeTmp, work, data, false))
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("/tmp cell argv\n got  %q\n want %q", got, want)
	}

	// /data: the seed's command plus the slice and --oracle-keep-files, which
	// the host re-read needs (the files must still be there after the run).
	// Both print their summary as JSON, which the pipeline reads.
	want = seedArgv(seedData, work, data, wasm)
	want = insertAfter(want, "-N", slice...)
	want = insertBefore(want, "/data/fsx-oracle-wasix", "--oracle-keep-files", "--json")
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
	// Seed: --oracle-verify-files NATIVE_REPORT WASIX_REPORT, plus --json.
	if got := strings.Join(VerifyArgs("n.bin", "w.bin", ""), " "); got != "--oracle-verify-files --json n.bin w.bin" {
		t.Errorf("verify argv %q", got)
	}
	if got := strings.Join(VerifyArgs("n.bin", "w.bin", "k.txt"), " "); got != "--oracle-verify-files --oracle-known k.txt --json n.bin w.bin" {
		t.Errorf("verify argv with known signatures %q", got)
	}
}

// TestOracleGlueReadsTheRealGuest runs the real native guest through the
// pipeline's own exec and command lines and decodes what it prints: the
// catalog's case counts, then a /data cell's comparing run and its host
// re-read of chain 1 against an expected report with one planted
// divergence — unknown (exit 1), then known (suppressed, exit 0). The
// comparing run prints its human report and progress on stderr, so a
// merged stdout would not decode.
func TestOracleGlueReadsTheRealGuest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	guest := testutil.GuestNative(t)
	for L := 1; L <= 3; L++ {
		want, _ := oracle.CaseCount(L)
		info, err := ReadOracleInfo(ctx, guest, L)
		if err != nil || info.Total != want || info.CatalogHash != oracle.CatalogHash {
			t.Fatalf("ReadOracleInfo(chain %d) = %+v, %v; want %d cases, catalog %s", L, info, err, want, oracle.CatalogHash)
		}
	}

	p := &pass{cfg: Config{SliceTimeout: 2 * time.Minute}}
	nat, err := runner.New("native", runner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := Slice{Start: 0, Count: 54}
	nativeDir := filepath.Join(dir, "native")
	if err := os.MkdirAll(nativeDir, 0o755); err != nil {
		t.Fatal(err)
	}
	res, err := p.exec(ctx, nat, runner.Spec{Wasm: guest, Args: NativeArgs(1, s), Dir: nativeDir}, filepath.Join(dir, "native.log"))
	if err != nil || res.code != 0 {
		t.Fatalf("native run: exit %d, %v: %s", res.code, err, res.lastLine)
	}
	expected := filepath.Join(nativeDir, reportName)
	sig := plantDivergence(t, expected)

	for _, known := range []bool{false, true} {
		cellDir := filepath.Join(dir, map[bool]string{false: "unknown", true: "known"}[known])
		work, data := filepath.Join(cellDir, "work"), filepath.Join(cellDir, "data")
		for _, d := range []string{work, data} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := CopyFileAtomic(filepath.Join(work, expectedName), expected); err != nil {
			t.Fatal(err)
		}
		knownFile, wantCode, wantSuppressed := "", 1, int64(0)
		if known {
			knownFile, wantCode, wantSuppressed = filepath.Join(work, knownName), 0, 1
			if err := os.WriteFile(knownFile, []byte(sig+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		// The cell's own command line: the native runner maps /work and
		// /data onto their host directories.
		spec := CellSpec(guest, 1, s, VolumeData, work, data, known)
		res, err := p.exec(ctx, nat, spec, filepath.Join(cellDir, "guest.log"))
		out := DecodeOracleOutput(res.stdout)
		if err != nil || res.code != wantCode || !out.Parsed || out.Compared != 54 || out.Divergent != 1 || out.Suppressed != wantSuppressed ||
			len(out.Signatures) != 1 || out.Signatures[sig] != 1 {
			log, _ := os.ReadFile(res.log)
			t.Fatalf("known=%v: comparing run: exit %d (want %d), %v, decoded %+v; want 1 divergence %q\n%s", known, res.code, wantCode, err, out, sig, log)
		}
		// The host re-read of the same slice.
		res, err = p.exec(ctx, nat, runner.Spec{Wasm: guest, Args: VerifyArgs(filepath.Join(work, expectedName), CellReportPath(VolumeData, work, data), knownFile)},
			filepath.Join(cellDir, "verify.log"))
		out = DecodeOracleOutput(res.stdout)
		if err != nil || res.code != wantCode || !out.Parsed || out.Compared != 54 || out.Checked != 108 || out.Divergent != 1 || out.Suppressed != wantSuppressed ||
			len(out.Signatures) != 1 || out.Signatures[sig] != 1 {
			log, _ := os.ReadFile(res.log)
			t.Fatalf("known=%v: host re-read: exit %d (want %d), %v, decoded %+v; want 108 snapshots, 1 divergence %q\n%s", known, res.code, wantCode, err, out, sig, log)
		}
	}
}

// plantDivergence gives case 0 of the report at path the record of the
// first case that answered differently, as if the native run had, and
// returns the signature a comparing run must then report for case 0.
func plantDivergence(t *testing.T, path string) string {
	t.Helper()
	rd, h, err := oracle.OpenReport(path)
	if err != nil {
		t.Fatal(err)
	}
	var recs [][]byte
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, append([]byte(nil), rec...))
	}
	rd.Close()
	real := recs[0]
	for _, rec := range recs[1:] {
		if !bytes.Equal(rec, recs[0]) {
			recs[0] = rec
			break
		}
	}
	w, err := transcript.Create(path, h.Framing())
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		w.Write(rec)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c := oracle.NewComparer(h.Chain, nil)
	if c.Compare(0, recs[0], real) {
		t.Fatal("no case answers differently from case 0")
	}
	return c.Groups()[0].Signature
}

// Output that is not one whole summary is not a summary.
func TestDecodeOracleOutputRefusesOtherOutput(t *testing.T) {
	t.Parallel()
	good := `{"mode":"oracle","compared":54,"divergent":1,"suppressed":0,"groups":[{"signature":"s","count":1}],"ok":false}`
	if o := DecodeOracleOutput([]byte(good + "\n")); !o.Parsed || o.Compared != 54 || o.Divergent != 1 || o.Signatures["s"] != 1 {
		t.Fatalf("a summary: %+v", o)
	}
	for name, out := range map[string]string{
		"a crash":           "panic: boom\n",
		"nothing":           "",
		"cut short":         good[:40],
		"text after it":     good + "\nwasmer: something\n",
		"dots before it":    "." + good,
		"not a summary":     `{"seed":1}`,
		"the human summary": "compared 54 cases: 1 divergent\n",
	} {
		if o := DecodeOracleOutput([]byte(out)); o.Parsed {
			t.Errorf("%s decoded as a summary: %+v", name, o)
		}
	}
}

// Which ends of a guest run are verdicts, and which mean it broke.
func TestOracleOutputBroken(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		out    OracleOutput
		code   int
		broken bool
	}{
		{OracleOutput{Parsed: true}, 0, false},
		{OracleOutput{Parsed: true, Divergent: 2, Suppressed: 2}, 0, false},
		{OracleOutput{Parsed: true, Divergent: 2, Suppressed: 1}, 1, false},
		{OracleOutput{Parsed: true, Divergent: 2, Suppressed: 2}, 1, true}, // exit 1 with nothing unsuppressed
		{OracleOutput{Parsed: true}, 2, true},
		{OracleOutput{}, 0, true}, // no summary: the counts would be lost
		{OracleOutput{}, 1, true},
	} {
		if got := c.out.Broken(c.code); (got != "") != c.broken {
			t.Errorf("%+v exit %d: Broken = %q, want broken %v", c.out, c.code, got, c.broken)
		}
	}
}
