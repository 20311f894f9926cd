package oracle

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPrepareChecksThenRunRuns: Prepare is where input is refused, before
// anything runs or is created; a prepared session runs once.
func TestPrepareChecksThenRunRuns(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	native := filepath.Join(dir, "native.bin")
	writeReport(t, native, Options{Config: Config{StderrFD: quiet, Chain: 1, Start: 0, Count: 54, Root: filepath.Join(dir, "native")}})
	data, _ := os.ReadFile(native)
	trunc := filepath.Join(dir, "trunc.bin")
	os.WriteFile(trunc, data[:len(data)-3], 0o644)

	root := filepath.Join(dir, "root")
	cfg := Config{StderrFD: quiet, Chain: 1, Start: 10, Count: 20, Root: root}
	_, err := Prepare(Options{Config: cfg, Expected: trunc})
	var ie *InputError
	if err == nil || !asInput(err, &ie) {
		t.Fatalf("Prepare with a truncated expected report: %v, want an InputError", err)
	}
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Fatalf("a refused run created its root: %v", err)
	}

	s, err := Prepare(Options{Config: cfg, Expected: native})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		t.Fatalf("Prepare did not create the root: %v", err)
	}
	res, err := s.Run(context.Background())
	if err != nil || res.Comparer == nil || res.Comparer.Compared != 20 || res.Comparer.Failed() {
		t.Fatalf("Run: %v %+v", err, res)
	}
	if _, err := s.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "already run") {
		t.Fatalf("second Run: %v", err)
	}
	s2, err := Prepare(Options{Config: cfg, Expected: native})
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
	s2.Close()
	if _, err := s2.Run(context.Background()); err == nil {
		t.Fatal("Run after Close succeeded")
	}
}

// keptRun writes a native report and a kept runtime-side run of the same
// cases (this process standing in for the runtime) and returns the two
// reports and the kept root.
func keptRun(t *testing.T, dir string, count int64) (native, report, kept string) {
	t.Helper()
	native = filepath.Join(dir, "native.bin")
	writeReport(t, native, Options{Config: Config{StderrFD: quiet, Chain: 2, Start: 0, Count: count, Root: filepath.Join(dir, "native")}})
	kept = filepath.Join(dir, "kept")
	report = filepath.Join(kept, "report.bin")
	kcfg := Config{StderrFD: quiet, Chain: 2, Start: 0, Count: count, Root: kept, KeepFiles: true}
	if _, err := Execute(context.Background(), Options{Config: kcfg, Expected: native, Output: report}); err != nil {
		t.Fatal(err)
	}
	return native, report, kept
}

// TestVerifyFilesRefusesBrokenReports: with one streamed read per report,
// a report broken anywhere (its trailer included) is still an error, never
// a verdict.
func TestVerifyFilesRefusesBrokenReports(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	native, report, kept := keptRun(t, dir, 100)
	for _, which := range []string{"native", "runtime"} {
		for _, cut := range []int{0, 1} {
			src := map[string]string{"native": native, "runtime": report}[which]
			data, _ := os.ReadFile(src)
			broken := filepath.Join(dir, which+"-broken.bin")
			if cut == 0 {
				os.WriteFile(broken, data[:len(data)-4], 0o644) // the trailer's end
			} else {
				b := append([]byte(nil), data...)
				b[len(b)/2] ^= 0xff // inside the records
				os.WriteFile(broken, b, 0o644)
			}
			n, r := native, report
			if which == "native" {
				n = broken
			} else {
				r = broken
			}
			if c, err := VerifyFiles(n, r, kept, nil); err == nil {
				t.Errorf("%s report broken (%d): verdict failed=%v, want an error", which, cut, c.Failed())
			}
		}
	}
	if c, err := VerifyFiles(native, report, kept, nil); err != nil || c.Failed() {
		t.Fatalf("intact reports: %v", err)
	}
}
