// Package testutil builds the guest once per test binary and decides, in one
// place, whether a missing runtime skips a test or fails it.
package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

var (
	buildOnce  sync.Once
	buildDir   string
	buildErr   error
	buildOut   []byte
	nativePath string
	wasmPath   string
)

// RepoRoot is the module root, found from this file's location.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

func build(t testing.TB) {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "fsx-wasix-test-build-")
		if buildErr != nil {
			return
		}
		nativePath = filepath.Join(buildDir, "fsx-wasix")
		wasmPath = filepath.Join(buildDir, "fsx-wasix.wasm")
		cmd := exec.Command("go", "build", "-o", nativePath, "./cmd/guest")
		cmd.Dir = RepoRoot()
		if buildOut, buildErr = cmd.CombinedOutput(); buildErr != nil {
			return
		}
		cmd = exec.Command("go", "build", "-o", wasmPath, "./cmd/guest")
		cmd.Dir = RepoRoot()
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("building the guest: %v\n%s", buildErr, buildOut)
	}
}

// GuestNative returns the path of a freshly built native guest.
func GuestNative(t testing.TB) string { build(t); return nativePath }

// GuestWasm returns the path of a freshly built wasip1 guest.
func GuestWasm(t testing.TB) string { build(t); return wasmPath }

// InCI reports whether the tests run under CI (CI=true), where a runtime that
// CI installs must be present: its absence fails the test instead of skipping it.
func InCI() bool { return os.Getenv("CI") == "true" }

// NeedRuntime skips (or, in CI when requiredInCI, fails) a test whose runtime
// is unavailable. why is nil when the runtime is there.
func NeedRuntime(t testing.TB, name string, why error, requiredInCI bool) {
	t.Helper()
	if why == nil {
		return
	}
	if requiredInCI && InCI() {
		t.Fatalf("runtime %s is required in CI but unavailable: %v", name, why)
	}
	// Named on stderr once per test binary as well, so `go test ./...`
	// without -v says which runtimes were not tested and how to get them.
	skippedOnce.Do(name, func() {
		fmt.Fprintf(os.Stderr, "SKIP runtime %s unavailable: %v\n", name, why)
	})
	t.Skipf("SKIP runtime %s unavailable: %v", name, why)
}

// skippedOnce runs a function once per key.
var skippedOnce onceByKey

type onceByKey struct {
	mu   sync.Mutex
	done map[string]bool
}

func (o *onceByKey) Do(key string, f func()) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done == nil {
		o.done = map[string]bool{}
	}
	if !o.done[key] {
		o.done[key] = true
		f()
	}
}
