package pipeline

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/internal/runner"
)

// withFailingRunner makes runner construction fail for name; the tests
// using it replace a package variable, so they are not parallel.
func withFailingRunner(t *testing.T, name string) {
	t.Helper()
	old := newRunner
	t.Cleanup(func() { newRunner = old })
	newRunner = func(n string, o runner.Options) (runner.Runner, error) {
		if n == name {
			return nil, errors.New("no such runner in this build")
		}
		return old(n, o)
	}
}

// TestRunReportsNativeRunnerError: a native runner that cannot be made is a
// one-line set-up error before any work, not a nil runner that panics in
// the first slice.
func TestRunReportsNativeRunnerError(t *testing.T) {
	withFailingRunner(t, "native")
	dir := t.TempDir()
	sum, err := Run(context.Background(), Config{Src: dir, BuildDir: dir + "/build", CacheDir: dir + "/cache", RunsDir: dir + "/runs", Chain: 1})
	if sum != nil || err == nil || !strings.Contains(err.Error(), "native runner: no such runner in this build") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("Run = %v, %v; want one line naming the native runner", sum, err)
	}
}

func TestNewProbeReportsSDKRunnerError(t *testing.T) {
	withFailingRunner(t, RuntimeWasmerSDK)
	if _, err := NewProbe("", t.TempDir()); err == nil || !strings.Contains(err.Error(), "runtime wasmer-sdk: no such runner in this build") {
		t.Fatalf("NewProbe: err = %v; want one line naming the SDK runner", err)
	}
}
