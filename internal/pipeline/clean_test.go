package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCleanStaleTouchesOnlyOldOracleOutputs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	runs := filepath.Join(dir, "oracle-runs")
	tmp := filepath.Join(dir, "tmp")
	for _, p := range []string{"oracle-runs/20260101-old/data/x", "tmp/fsx-oracle-old/x", "tmp/fsx-oracle-new", "tmp/other-old"} {
		os.MkdirAll(filepath.Join(dir, p), 0o755)
	}
	os.WriteFile(filepath.Join(runs, ".lock"), nil, 0o644)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(filepath.Join(tmp, "fsx-oracle-old"), old, old)
	os.Chtimes(filepath.Join(tmp, "other-old"), old, old)

	res, err := CleanStale(runs, filepath.Join(tmp, "fsx-oracle-*"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.Runs != 1 || res.Tmp != 1 || res.SkippedRecent != 1 {
		t.Fatalf("CleanStale = %+v", res)
	}
	for p, want := range map[string]bool{
		"oracle-runs/20260101-old": false, "oracle-runs/.lock": true,
		"tmp/fsx-oracle-old": false, "tmp/fsx-oracle-new": true, "tmp/other-old": true,
	} {
		if _, err := os.Stat(filepath.Join(dir, p)); (err == nil) != want {
			t.Errorf("%s exists = %v, want %v", p, err == nil, want)
		}
	}
}

func TestLockRunsExcludesASecondRun(t *testing.T) {
	t.Parallel()
	runs := filepath.Join(t.TempDir(), "oracle-runs")
	release, err := LockRuns(runs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LockRuns(runs); err == nil || !strings.Contains(err.Error(), "another orchestrator") {
		t.Fatalf("second lock: %v", err)
	}
	release()
	release2, err := LockRuns(runs)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	release2()
}
