package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOracleSeedFlowNative runs the seed's oracle commands with the native
// guest standing in for the runtime: the native report, a comparing run
// that writes its report inside its root (the mounted-volume shape, which
// keeps its case files), then the host re-read.
func TestOracleSeedFlowNative(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	nativeRoot := filepath.Join(dir, "fsx-oracle-native")
	os.MkdirAll(nativeRoot, 0o755)
	native := filepath.Join(nativeRoot, "report.bin")
	stdout, stderr, code := guest(t, "--oracle", "-N", "2", "--oracle-output", native, nativeRoot)
	if code != 0 {
		t.Fatalf("native oracle: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "5832 cases in all") {
		t.Errorf("total case count not printed first:\n%s", stdout)
	}
	if ents, _ := os.ReadDir(nativeRoot); len(ents) != 1 {
		t.Errorf("native run left case files: %v", ents)
	}

	data := filepath.Join(dir, "wasmer-data")
	root := filepath.Join(data, "fsx-oracle-wasix")
	os.MkdirAll(root, 0o755)
	report := filepath.Join(root, "report.bin")
	stdout, stderr, code = guest(t, "--oracle", "-N", "2", "--oracle-expected", native, "--oracle-output", report, root)
	if code != 0 || !strings.Contains(stdout, "compared 5832 cases: 0 divergent") {
		t.Fatalf("comparing run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(root, "case-0000056", "A")); err != nil {
		t.Fatalf("mounted-volume shaped run did not keep its case files: %v", err)
	}
	// The seed runs verify-files from the directory holding wasmer-data.
	stdout, stderr, code = guestIn(t, dir, "--oracle-verify-files", native, "wasmer-data/fsx-oracle-wasix/report.bin")
	if code != 0 || !strings.Contains(stdout, "checked 11664 file snapshots") {
		t.Fatalf("verify-files: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// Change a kept file: the host re-read names the case and fails.
	os.WriteFile(filepath.Join(root, "case-0000056", "A"), []byte("tampered"), 0o644)
	stdout, _, code = guestIn(t, dir, "--oracle-verify-files", native, "wasmer-data/fsx-oracle-wasix/report.bin")
	if code != exitDivergent || !strings.Contains(stdout, "case 56 ") || !strings.Contains(stdout, "host re-read A") {
		t.Fatalf("tampered host file: exit %d\n%s", code, stdout)
	}
	// --json carries the same verdict.
	stdout, _, code = guestIn(t, dir, "--json", "--oracle-verify-files", native, "wasmer-data/fsx-oracle-wasix/report.bin")
	var sum oracleSummary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil || sum.OK || sum.Divergent != 1 || code != exitDivergent {
		t.Fatalf("--json verify: %v %+v exit %d", err, sum, code)
	}
}

// TestOracleSlicesAndCatalog: --case-start/--case-count slices, the
// catalog listing, and --json.
func TestOracleSlicesAndCatalog(t *testing.T) {
	t.Parallel()
	stdout, _, code := guest(t, "--oracle-catalog")
	if code != 0 || !strings.Contains(stdout, "54 entries") || !strings.Contains(stdout, "open(append_create) h1 C") || !strings.Contains(stdout, "chain 3: 629856 cases") {
		t.Fatalf("catalog: exit %d\n%s", code, stdout)
	}
	dir := t.TempDir()
	stdout, stderr, code := guest(t, "--json", "--oracle", "-N", "3", "--case-start", "1000", "--case-count", "500", filepath.Join(dir, "r"))
	var sum oracleSummary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil || code != 0 || sum.CaseStart != 1000 || sum.CaseCount != 500 || sum.TotalCases != 629856 {
		t.Fatalf("slice run: %v exit %d %+v\n%s\n%s", err, code, sum, stdout, stderr)
	}
}

// TestOracleBadInput: each bad input is one line on stderr and a non-zero
// exit, and a good report is never overwritten.
func TestOracleBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.bin")
	if _, _, code := guest(t, "--oracle", "-N", "1", "--oracle-output", good, filepath.Join(dir, "r")); code != 0 {
		t.Fatal("making a report failed")
	}
	want, _ := os.ReadFile(good)
	corrupt := filepath.Join(dir, "corrupt.bin")
	os.WriteFile(corrupt, append(append([]byte(nil), want[:20]...), make([]byte, 40)...), 0o644)
	trunc := filepath.Join(dir, "trunc.bin")
	os.WriteFile(trunc, want[:len(want)-4], 0o644)
	r := filepath.Join(dir, "r")
	cases := map[string][]string{
		"no -N":         {"--oracle", "--oracle-output", good, r},
		"-N 0":          {"--oracle", "-N", "0", "--oracle-output", good, r},
		"-N too big":    {"--oracle", "-N", "9", "--oracle-output", good, r},
		"root /":        {"--oracle", "-N", "1", "--oracle-output", good, "/"},
		"root /tmp":     {"--oracle", "-N", "1", "--oracle-output", good, "/tmp/"},
		"root /data":    {"--oracle", "-N", "1", "--oracle-output", good, "/data"},
		"no root":       {"--oracle", "-N", "1", "--oracle-output", good},
		"missing exp":   {"--oracle", "-N", "1", "--oracle-expected", filepath.Join(dir, "nope.bin"), "--oracle-output", good, r},
		"corrupt exp":   {"--oracle", "-N", "1", "--oracle-expected", corrupt, "--oracle-output", good, r},
		"truncated exp": {"--oracle", "-N", "1", "--oracle-expected", trunc, "--oracle-output", good, r},
		"chain differs": {"--oracle", "-N", "2", "--case-count", "10", "--oracle-expected", good, "--oracle-output", good, r},
		"bad slice":     {"--oracle", "-N", "1", "--case-start", "54", "--oracle-output", good, r},
		"unwritable":    {"--oracle", "-N", "1", "--oracle-output", filepath.Join(dir, "no", "dir", "r.bin"), r},
		"verify 1 arg":  {"--oracle-verify-files", good},
		"missing known": {"--oracle", "-N", "1", "--oracle-known", filepath.Join(dir, "nope.txt"), r},
	}
	for name, args := range cases {
		stdout, stderr, code := guest(t, args...)
		if code == 0 {
			t.Errorf("%s: exit 0\n%s", name, stdout)
		}
		if lines := strings.Split(strings.TrimSpace(stderr), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "fsx-wasix:") {
			t.Errorf("%s: stderr is not one line:\n%s", name, stderr)
		}
		if b, _ := os.ReadFile(good); string(b) != string(want) {
			t.Fatalf("%s: the good report was overwritten", name)
		}
	}
}
