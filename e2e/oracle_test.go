package e2e_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/runner"
	"github.com/fsx-wasix/fsx-wasix/internal/testutil"
)

// Known divergences of each runtime from native Linux, found by the oracle
// and recorded in docs/findings.md. They are suppressed by signature (and
// reported as suppressed), never by weakening the comparison: any other
// divergence fails these tests.
var oracleKnown = map[string]string{
	// wazero answers a zero-byte read on a write-only handle with ok(0)
	// (Linux: EBADF).
	"wazero": "read(zero_bytes): EBADF -> ok\n",
	// Wasmer answers reads on a write-only handle with EACCES (Linux: EBADF).
	"wasmer-sdk": "read(zero_bytes): EBADF -> EACCES\nread(32_bytes): EBADF -> EACCES\nread(4_kb): EBADF -> EACCES\n",
}

// oracleNative writes the native chain-L report into work/native.bin (the
// seed's first command) and returns its path.
func oracleNative(t *testing.T, work string, chain string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "fsx-oracle-native")
	report := filepath.Join(work, "native.bin")
	out, err := exec.Command(testutil.GuestNative(t), "--oracle", "-N", chain, "--oracle-output", report, root).CombinedOutput()
	if err != nil {
		t.Fatalf("native oracle: %v\n%s", err, out)
	}
	return report
}

func writeKnown(t *testing.T, work, runtime string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(work, "known.txt"), []byte(oracleKnown[runtime]), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestOracleWazeroMountedVolume is the seed's mounted-volume flow under
// wazero: chain 2 compared against the native report on a host directory
// mounted at /data, then the host-side re-read of every case's A and B.
func TestOracleWazeroMountedVolume(t *testing.T) {
	t.Parallel()
	r := needRunner(t, "wazero", true)
	work, dir := t.TempDir(), t.TempDir()
	native := oracleNative(t, work, "2")
	writeKnown(t, work, "wazero")
	data := filepath.Join(dir, "wasmer-data")
	if err := os.MkdirAll(filepath.Join(data, "fsx-oracle-wasix"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, out, err := run(t, r, runner.Spec{
		Wasm:    testutil.GuestWasm(t),
		Volumes: []runner.Volume{{Host: work, Guest: "/work"}, {Host: data, Guest: "/data"}},
		Env:     []string{"FSX_RUNTIME=wazero"},
		Args: []string{"--oracle", "-N", "2", "--oracle-expected", "/work/native.bin", "--oracle-known", "/work/known.txt",
			"--oracle-output", "/data/fsx-oracle-wasix/report.bin", "/data/fsx-oracle-wasix"},
		Timeout: 5 * time.Minute,
	})
	if err != nil || code != 0 || !strings.Contains(out, "compared 5832 cases") {
		t.Fatalf("wazero oracle: exit %d, %v\n%s", code, err, tail(out))
	}
	cmd := exec.Command(testutil.GuestNative(t), "--oracle-verify-files", "--oracle-known", filepath.Join(work, "known.txt"),
		native, "wasmer-data/fsx-oracle-wasix/report.bin")
	cmd.Dir = dir
	vout, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(vout), "checked 11664 file snapshots") {
		t.Fatalf("verify-files: %v\n%s", err, tail(string(vout)))
	}
}

// TestOracleWasmerSDKTmp is the seed's /tmp flow under the Wasmer SDK:
// chain 2 on Wasmer's in-memory /tmp compared against the native report.
// The guest runs with its garbage collector as it sets it (no GOGC=off):
// oracle mode collects by hand under wasip1.
func TestOracleWasmerSDKTmp(t *testing.T) {
	t.Parallel()
	r := needRunner(t, "wasmer-sdk", true)
	work := t.TempDir()
	oracleNative(t, work, "2")
	writeKnown(t, work, "wasmer-sdk")
	code, out, err := run(t, r, runner.Spec{
		Wasm:    testutil.GuestWasm(t),
		Volumes: []runner.Volume{{Host: work, Guest: "/work"}},
		Env:     []string{"FSX_RUNTIME=wasmer-sdk"},
		Args: []string{"--oracle", "-N", "2", "--oracle-expected", "/work/native.bin", "--oracle-known", "/work/known.txt",
			"/tmp/fsx-oracle-wasix"},
		Timeout: 5 * time.Minute,
	})
	if err != nil || code != 0 || !strings.Contains(out, "compared 5832 cases") {
		t.Fatalf("SDK oracle: exit %d, %v\n%s", code, err, tail(out))
	}
	// Without the known list the same run must fail and name the bug.
	os.WriteFile(filepath.Join(work, "known.txt"), nil, 0o644)
	code, out, _ = run(t, r, runner.Spec{
		Wasm:    testutil.GuestWasm(t),
		Volumes: []runner.Volume{{Host: work, Guest: "/work"}},
		Args: []string{"--oracle", "-N", "2", "--case-count", "1000", "--oracle-expected", "/work/native.bin",
			"--oracle-known", "/work/known.txt", "/tmp/fsx-oracle-wasix"},
		Timeout: 5 * time.Minute,
	})
	if code == 0 || !strings.Contains(out, "read(zero_bytes): EBADF -> EACCES") {
		t.Fatalf("SDK oracle without known signatures: exit %d\n%s", code, tail(out))
	}
}

// tail keeps failure output readable: write_stderr's dots and the end.
func tail(s string) string {
	s = strings.TrimSpace(string(bytes.Trim([]byte(s), ".")))
	if len(s) > 4000 {
		s = "…" + s[len(s)-4000:]
	}
	return s
}
