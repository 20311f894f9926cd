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
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
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
func oracleNative(t *testing.T, work string, chain int) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "fsx-oracle-native")
	report := filepath.Join(work, "native.bin")
	out, err := exec.Command(testutil.GuestNative(t), guestapi.Oracle{Chain: chain, Output: report, Root: root}.Args()...).CombinedOutput()
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
	native := oracleNative(t, work, 2)
	writeKnown(t, work, "wazero")
	data := filepath.Join(dir, "wasmer-data")
	if err := os.MkdirAll(filepath.Join(data, "fsx-oracle-wasix"), 0o755); err != nil {
		t.Fatal(err)
	}
	var sum guestapi.OracleSummary
	code, stderr, err := runJSON(t, r, runner.Spec{
		Wasm:    testutil.GuestWasm(t),
		Volumes: []runner.Volume{{Host: work, Guest: "/work"}, {Host: data, Guest: "/data"}},
		Env:     []string{guestapi.Env(guestapi.EnvRuntime, "wazero")},
		Args: guestapi.Oracle{Chain: 2, Expected: "/work/native.bin", Known: "/work/known.txt",
			Output: "/data/fsx-oracle-wasix/report.bin", JSON: true, Root: "/data/fsx-oracle-wasix"}.Args(),
		Timeout: 5 * time.Minute,
	}, &sum)
	if err != nil || code != 0 || !sum.OK || sum.Compared != 5832 || sum.Runtime != "wazero" || sum.Platform != "wasip1/wasm" {
		t.Fatalf("wazero oracle: exit %d, %v: %+v\n%s", code, err, sum, tail(stderr))
	}
	cmd := exec.Command(testutil.GuestNative(t), guestapi.Verify{Known: filepath.Join(work, "known.txt"),
		Native: native, Report: "wasmer-data/fsx-oracle-wasix/report.bin", JSON: true}.Args()...)
	cmd.Dir = dir
	var verr bytes.Buffer
	cmd.Stderr = &verr
	vout, err := cmd.Output()
	var vsum guestapi.OracleSummary
	decodeJSON(t, vout, &vsum, verr.String())
	if err != nil || !vsum.OK || vsum.Compared != 5832 || vsum.HostFiles != 11664 {
		t.Fatalf("verify-files: %v: %+v\n%s", err, vsum, tail(verr.String()))
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
	oracleNative(t, work, 2)
	writeKnown(t, work, "wasmer-sdk")
	var sum guestapi.OracleSummary
	code, stderr, err := runJSON(t, r, runner.Spec{
		Wasm:    testutil.GuestWasm(t),
		Volumes: []runner.Volume{{Host: work, Guest: "/work"}},
		Env:     []string{guestapi.Env(guestapi.EnvRuntime, "wasmer-sdk")},
		Args: guestapi.Oracle{Chain: 2, Expected: "/work/native.bin", Known: "/work/known.txt",
			JSON: true, Root: "/tmp/fsx-oracle-wasix"}.Args(),
		Timeout: 5 * time.Minute,
	}, &sum)
	if err != nil || code != 0 || !sum.OK || sum.Compared != 5832 || sum.Runtime != "wasmer-sdk" {
		t.Fatalf("SDK oracle: exit %d, %v: %+v\n%s", code, err, sum, tail(stderr))
	}
	// Without the known list the same run must fail and name the bug.
	os.WriteFile(filepath.Join(work, "known.txt"), nil, 0o644)
	sum = guestapi.OracleSummary{}
	code, stderr, err = runJSON(t, r, runner.Spec{
		Wasm:    testutil.GuestWasm(t),
		Volumes: []runner.Volume{{Host: work, Guest: "/work"}},
		Args: guestapi.Oracle{Chain: 2, CaseCount: 1000, Expected: "/work/native.bin", Known: "/work/known.txt",
			JSON: true, Root: "/tmp/fsx-oracle-wasix"}.Args(),
		Timeout: 5 * time.Minute,
	}, &sum)
	if err != nil || code == 0 || sum.OK || sum.Signatures()["read(zero_bytes): EBADF -> EACCES"] == 0 {
		t.Fatalf("SDK oracle without known signatures: exit %d, %v: %+v\n%s", code, err, sum, tail(stderr))
	}
}

// tail keeps failure output readable: the end (trimmed of the dots an
// older guest's write_stderr printed).
func tail(s string) string {
	s = strings.TrimSpace(string(bytes.Trim([]byte(s), ".")))
	if len(s) > 4000 {
		s = "…" + s[len(s)-4000:]
	}
	return s
}
