package guestapi

import (
	"bytes"
	"encoding/json"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The seed's guest command lines (fsx-wasix-seed.txt and
// shared/acceptance/seed-commands.sh), what follows `--`.
func TestArgsAreTheSeedsCommands(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		got  []string
		want string
	}{
		{"random /tmp", Random{Config: "/work/fsx-10mb.toml", NumOps: 10000, Seed: 1, Threads: 4, File: "/tmp/fsxfile"}.Args(),
			"-f /work/fsx-10mb.toml -N 10000 -S 1 -j 4 /tmp/fsxfile"}, // the seed types -j4; the guest reads both
		{"oracle native", Oracle{Chain: 2, Output: "/tmp/fsx-oracle-native/report.bin", Root: "/tmp/fsx-oracle-native"}.Args(),
			"--oracle -N 2 --oracle-output /tmp/fsx-oracle-native/report.bin /tmp/fsx-oracle-native"},
		{"oracle /tmp", Oracle{Chain: 2, Expected: "/work/fsx-oracle-native-report.bin", Root: "/tmp/fsx-oracle-wasix"}.Args(),
			"--oracle -N 2 --oracle-expected /work/fsx-oracle-native-report.bin /tmp/fsx-oracle-wasix"},
		{"oracle /data", Oracle{Chain: 2, Expected: "/work/fsx-oracle-native-report.bin", Output: "/data/fsx-oracle-wasix/report.bin", Root: "/data/fsx-oracle-wasix"}.Args(),
			"--oracle -N 2 --oracle-expected /work/fsx-oracle-native-report.bin --oracle-output /data/fsx-oracle-wasix/report.bin /data/fsx-oracle-wasix"},
		{"verify", Verify{Native: "/tmp/fsx-oracle-native/report.bin", Report: "wasmer-data/fsx-oracle-wasix/report.bin"}.Args(),
			"--oracle-verify-files /tmp/fsx-oracle-native/report.bin wasmer-data/fsx-oracle-wasix/report.bin"},
		{"server", Server{Port: 3020}.Args(), "--server 3020"},
	} {
		if got := strings.Join(c.got, " "); got != c.want {
			t.Errorf("%s:\n got  %s\n want %s", c.name, got, c.want)
		}
	}
}

// Every optional flag, in its fixed place.
func TestArgsOptionalFlags(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		got  []string
		want string
	}{
		{"random, every flag", Random{Config: "c.toml", NumOps: -1, Seed: 9, Threads: 2, File: "f", Inject: 40, LogStart: 5,
			Monitor: "0:4096", ArtifactDir: "art", Quiet: true, Verbose: true, JSON: true}.Args(),
			"-f c.toml -S 9 -j 2 --inject 40 -b 5 -m 0:4096 -P art -q -v --json f"},
		{"random, defaults", Random{NumOps: 0, File: "f"}.Args(), "-N 0 -S 0 f"},
		{"record", Random{NumOps: 9, Seed: 2, Threads: 1, RecordOps: "/work/r.fsxops", File: "f"}.Args(), "-N 9 -S 2 -j 1 --record-ops /work/r.fsxops f"},
		{"replay", Random{NumOps: -1, Seed: 2, ReplayOps: "r.fsxops", File: "f"}.Args(), "-S 2 --replay-ops r.fsxops f"},
		{"shrink", Random{Config: "c.toml", NumOps: -1, Seed: 2, ShrinkOps: "r.fsxops", File: "f"}.Args(), "shrink r.fsxops -f c.toml -S 2 f"},
		{"oracle slice", Oracle{Chain: 3, CaseStart: 4096, CaseCount: 1736, Expected: "e", Known: "k", Output: "o", KeepFiles: true, JSON: true, Root: "r"}.Args(),
			"--oracle -N 3 --case-start 4096 --case-count 1736 --oracle-expected e --oracle-known k --oracle-output o --oracle-keep-files --json r"},
		{"oracle first slice", Oracle{Chain: 1, CaseCount: 54, Root: "r"}.Args(), "--oracle -N 1 --case-start 0 --case-count 54 r"},
		{"oracle to the end", Oracle{Chain: 1, CaseStart: 7, Quiet: true, Root: "r"}.Args(), "--oracle -N 1 --case-start 7 -q r"},
		{"verify, every flag", Verify{Native: "n", Report: "w", Known: "k", HostRoot: "h", Quiet: true, JSON: true}.Args(),
			"--oracle-verify-files --oracle-known k --oracle-host-root h -q --json n w"},
		{"catalog", CatalogArgs(false), "--oracle-catalog"},
		{"catalog json", CatalogArgs(true), "--oracle-catalog --json"},
		{"server, every flag", Server{Port: 0, AllowRoots: []string{"/a", "/b"}, Flags: []string{"--max-runs", "2"}, Quiet: true}.Args(),
			"--server --allow-root /a --allow-root /b --max-runs 2 -q 0"},
	} {
		if got := strings.Join(c.got, " "); got != c.want {
			t.Errorf("%s:\n got  %s\n want %s", c.name, got, c.want)
		}
	}
	if got := Env(EnvRuntime, "wazero"); got != "FSX_RUNTIME=wazero" {
		t.Errorf("Env: %s", got)
	}
}

// The wire format, pinned: these are the field names users' scripts and
// the host read. A change here is a change of the contract.
func TestWireFormat(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		v    any
		want string
	}{
		{"RandomResult", RandomResult{Seed: 1, Elapsed: 2 * time.Second, TotalOps: 3, OpsPerSec: 1.5, Workers: []RandomWorker{
			{Worker: 1, Seed: 1, Path: "p", OpsDone: 3, Elapsed: time.Second, Cancelled: true,
				Failure: &Failure{Code: 110, Op: 2, Summary: "s", Report: "r", Replay: "x"}}}},
			`{"seed":1,"workers":[{"worker":1,"seed":1,"path":"p","ops_done":3,"elapsed_ns":1000000000,` +
				`"failure":{"exit_code":110,"op":2,"summary":"s","report":"r","replay":"x"},"cancelled":true}],` +
				`"elapsed_ns":2000000000,"total_ops":3,"ops_per_sec":1.5}`},
		{"RandomWorker, passed", RandomWorker{Worker: 2}, `{"worker":2,"seed":0,"path":"","ops_done":0,"elapsed_ns":0}`},
		{"OracleSummary", OracleSummary{Mode: ModeOracle, Chain: 2, CatalogHash: "h", TotalCases: 5832, CaseStart: 0, CaseCount: 5832,
			Root: "/r", Output: "/r/report.bin", Platform: "wasip1/wasm", Runtime: "wazero", Seconds: 2, CasesPerSec: 2916, ReportBytes: 9,
			Compared: 5832, Divergent: 3, Suppressed: 1, HostFiles: 11664,
			Groups: []OracleGroup{{Signature: "sig", Count: 3, Suppressed: true, Example: 7}},
			First:  []OracleDivergence{{Index: 7, Signature: "sig", Program: "case 7\n"}}},
			`{"mode":"oracle","chain":2,"catalog_hash":"h","total_cases":5832,"case_start":0,"case_count":5832,` +
				`"root":"/r","output":"/r/report.bin","platform":"wasip1/wasm","runtime":"wazero","seconds":2,"cases_per_second":2916,` +
				`"report_bytes":9,"compared":5832,"divergent":3,"suppressed":1,"host_file_snapshots":11664,` +
				`"groups":[{"signature":"sig","count":3,"suppressed":true,"example_case":7}],` +
				`"first":[{"case":7,"signature":"sig","suppressed":false,"program":"case 7\n"}],"ok":false}`},
		{"OracleSummary, verify-files", OracleSummary{Mode: ModeVerifyFiles, OK: true},
			`{"mode":"oracle-verify-files","chain":0,"catalog_hash":"","total_cases":0,"case_start":0,"case_count":0,` +
				`"platform":"","runtime":"","compared":0,"divergent":0,"suppressed":0,"ok":true}`},
		{"Catalog", Catalog{Hash: "h", Entries: []CatalogEntry{{Index: 0, Command: "open(read_write_create)", Handle: 0, File: "A"},
			{Index: 53, Command: "delete", Handle: -1}}, Chains: []ChainCases{{Chain: 1, Cases: 54}}},
			`{"catalog_hash":"h","entries":[{"index":0,"command":"open(read_write_create)","handle":0,"file":"A"},` +
				`{"index":53,"command":"delete","handle":-1}],"chains":[{"chain":1,"cases":54}]}`},
		{"RunResponse", RunResponse{OK: true, Target: "/tmp/f", Cwd: "/tmp", File: "f", Seed: 1, Workers: 1, NumOpsPerWorker: 5,
			TotalOpsPlanned: 5, OpsDone: 5, ElapsedMS: 1.5, TimeoutMS: 100, Config: RunConfig{FileLen: 1, OpSizeMax: 2, Read: 3},
			Results: []RunWorker{{Worker: 1, Seed: 1, Path: "/tmp/f", OpsDone: 5, ElapsedMS: 1.5}}},
			`{"ok":true,"target":"/tmp/f","cwd":"/tmp","file":"f","seed":1,"workers":1,"numops_per_worker":5,"total_ops_planned":5,` +
				`"ops_done":5,"elapsed_ms":1.5,"timeout_ms":100,"config":{"flen":1,"nosizechecks":false,"opsize_min":0,"opsize_max":2,` +
				`"opsize_align":0,"close_open":0,"read":3,"write":0,"mapread":0,"mapwrite":0,"truncate":0,"fsync":0,"fdatasync":0},` +
				`"results":[{"worker":1,"seed":1,"path":"/tmp/f","ops_done":5,"elapsed_ms":1.5}]}`},
		{"RunResponse, failed", RunResponse{Error: "e", Cancelled: true, Report: "r",
			Results: []RunWorker{{Cancelled: true, Failure: &Failure{Code: 110}}}},
			`{"ok":false,"error":"e","cancelled":true,"target":"","cwd":"","file":"","seed":0,"workers":0,"numops_per_worker":0,` +
				`"total_ops_planned":0,"ops_done":0,"elapsed_ms":0,"timeout_ms":0,"config":{"flen":0,"nosizechecks":false,"opsize_min":0,` +
				`"opsize_max":0,"opsize_align":0,"close_open":0,"read":0,"write":0,"mapread":0,"mapwrite":0,"truncate":0,"fsync":0,"fdatasync":0},` +
				`"results":[{"worker":0,"seed":0,"path":"","ops_done":0,"elapsed_ms":0,"cancelled":true,` +
				`"failure":{"exit_code":110,"op":0,"summary":"","report":"","replay":""}}],"report":"r"}`},
		{"ErrorResponse", ErrorResponse{Error: "bad", Param: "numops"}, `{"ok":false,"error":"bad","param":"numops"}`},
	} {
		b, err := json.Marshal(c.v)
		if err != nil || string(b) != c.want {
			t.Errorf("%s: %v\n got  %s\n want %s", c.name, err, b, c.want)
		}
	}
}

// /health was a map; the struct must encode to the same bytes.
func TestHealthIsTheMapItWas(t *testing.T) {
	t.Parallel()
	h := Health{OK: true, Version: "0.1.0", RunsActive: 2, MaxRuns: 4, Roots: []string{"/tmp", "/data"}, Closing: true}
	m := map[string]any{"ok": true, "version": "0.1.0", "runs_active": int64(2), "max_runs": 4, "roots": []string{"/tmp", "/data"}, "closing": true}
	got, err1 := json.MarshalIndent(h, "", "  ")
	want, err2 := json.MarshalIndent(m, "", "  ")
	if err1 != nil || err2 != nil || !bytes.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestCatalogCasesAndSignatures(t *testing.T) {
	t.Parallel()
	c := Catalog{Chains: []ChainCases{{1, 54}, {2, 5832}}}
	if n, ok := c.Cases(2); !ok || n != 5832 {
		t.Errorf("Cases(2) = %d, %v", n, ok)
	}
	if _, ok := c.Cases(3); ok {
		t.Error("Cases(3) of a catalog without chain 3")
	}
	s := OracleSummary{Groups: []OracleGroup{{Signature: "a", Count: 2}, {Signature: "b", Count: 1}}}
	if m := s.Signatures(); len(m) != 2 || m["a"] != 2 || m["b"] != 1 {
		t.Errorf("Signatures() = %v", m)
	}
	r := RandomResult{Workers: []RandomWorker{{Worker: 1}, {Worker: 2, Failure: &Failure{Code: 120}}, {Worker: 3, Failure: &Failure{Code: 110}}}}
	if f := r.FirstFailure(); f == nil || f.Code != 120 {
		t.Errorf("FirstFailure() = %+v", f)
	}
}

// TestWriteReport: the human report's wording (docs/oracle.md).
func TestWriteReport(t *testing.T) {
	t.Parallel()
	s := OracleSummary{Compared: 5832, Divergent: 14, Suppressed: 4, HostFiles: 11664,
		First: []OracleDivergence{{Index: 77, Signature: "write(32_bytes) on A: ok -> EBADF", Program: "case 77  (sequence 1, assignment 1)\n  step 0 ...\n"}},
		Groups: []OracleGroup{{Signature: "write(32_bytes) on A: ok -> EBADF", Count: 10, Example: 77},
			{Signature: "snapshot B: other length", Count: 4, Suppressed: true, Example: 80}}}
	var b strings.Builder
	s.WriteReport(&b)
	s.WriteHostFiles(&b)
	want := `compared 5832 cases: 14 divergent (4 suppressed as known)
first 1 divergent cases:
case 77  (sequence 1, assignment 1)
  step 0 ...
  signature: write(32_bytes) on A: ok -> EBADF
divergences by signature (2 distinct):
        10  write(32_bytes) on A: ok -> EBADF  (e.g. case 77)
         4  snapshot B: other length  (e.g. case 80)  [suppressed: known]
checked 11664 file snapshots
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	(&OracleSummary{Compared: 54}).WriteReport(&b)
	if b.String() != "compared 54 cases: 0 divergent\n" {
		t.Errorf("no divergence: %q", b.String())
	}
}

// TestImportsArePortable: the guest (wasip1) and the host both import this
// package, so it may import only the standard library's portable parts.
func TestImportsArePortable(t *testing.T) {
	t.Parallel()
	allowed := map[string]bool{"fmt": true, "io": true, "strconv": true, "strings": true, "time": true}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range af.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			if !allowed[p] {
				t.Errorf("%s imports %s: the contract imports only %v", f, p, allowed)
			}
		}
	}
}
