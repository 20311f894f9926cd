package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/testutil"
)

// SIGKILL cannot be caught: an orchestrator killed mid-run leaves what it
// left. The next run must use the cache's whole entries and rebuild the
// rest without a manual step — here after a kill as soon as the native
// stage has put something in the cache, and with one entry cut in half
// on top (a disk that lost its tail).
func TestSIGKILLMidRunThenRunAgain(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "orchestrate")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	work := t.TempDir()
	cache := filepath.Join(work, "cache")
	cmd := exec.Command(bin, "--src", testutil.RepoRoot(), "--build-dir", buildDir(t), "-chain", "2", "--runtime", "wazero", "--volumes", "tmp", "--slice-size", "500")
	cmd.Dir = work
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		ents, _ := os.ReadDir(cache)
		if len(ents) > 0 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("nothing reached the cache in 3 minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	// Cut one whole entry in half, if the kill left one.
	ents, _ := os.ReadDir(cache)
	var left []string
	for _, e := range ents {
		left = append(left, e.Name())
	}
	t.Logf("the kill left in the cache: %v", left)
	for _, e := range ents {
		n := e.Name()
		if strings.HasSuffix(n, ".sum") || strings.Contains(n, ".tmp") || e.IsDir() {
			continue
		}
		p := filepath.Join(cache, n)
		if b, err := os.ReadFile(p); err == nil && len(b) > 8 {
			os.WriteFile(p, b[:len(b)/2], 0o644)
			break
		}
	}

	r := orchestrate(t, work, nil, "-chain", "2", "--runtime", "wazero", "--volumes", "tmp", "--slice-size", "500", "--known", known(t, "wazero"))
	if r.code != 0 || !r.sum.Passed || len(r.sum.Cells) != 1 || r.sum.Cells[0].Cases != r.sum.CaseCount {
		t.Fatalf("the run after a SIGKILL: exit %d, %+v\n%s", r.code, r.sum, r.stderr)
	}
}
