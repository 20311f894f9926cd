// Package e2e_test runs guests under the real runtimes through
// internal/runner: the runners' contract with a tiny probe guest, the real
// guest's random mode under each runtime, the seed's commands, the findings
// that are still present, and the benchmarks.
package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/internal/runner"
	"github.com/fsx-wasix/fsx-wasix/internal/testutil"
)

// runtimes are the runners these tests cover, with whether CI must have
// them: CI installs Node and the SDK (npm ci); the wasmer CLI is built by
// scripts/install-wasmer.sh and may be absent.
var runtimes = []struct {
	name       string
	requiredCI bool
}{
	{"wazero", true},
	{"wasmer-sdk", true},
	{"wasmer", false},
}

// needRunner returns the runner called name, or skips (fails in CI when
// required) with the reason it is unavailable.
func needRunner(t testing.TB, name string, requiredCI bool) runner.Runner {
	t.Helper()
	r, err := runner.New(name, runner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	testutil.NeedRuntime(t, name, r.Available(), requiredCI)
	return r
}

var (
	buildMu    sync.Mutex
	buildCache = map[string]string{}
	buildDir   string
)

// buildTool builds ./e2e/testdata/<name> (or any package path) once per
// test binary, for wasip1 when wasm is true.
func buildTool(t testing.TB, pkg string, wasm bool) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	key := pkg + map[bool]string{true: ".wasm", false: ""}[wasm]
	if p, ok := buildCache[key]; ok {
		return p
	}
	if buildDir == "" {
		d, err := os.MkdirTemp("", "fsx-wasix-e2e-build-")
		if err != nil {
			t.Fatal(err)
		}
		buildDir = d
	}
	out := filepath.Join(buildDir, filepath.Base(key))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = testutil.RepoRoot()
	cmd.Env = os.Environ()
	if wasm {
		cmd.Env = append(cmd.Env, "GOOS=wasip1", "GOARCH=wasm")
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	buildCache[key] = out
	return out
}

// run runs s under r and returns the exit code and the combined output.
func run(t testing.TB, r runner.Runner, s runner.Spec) (int, string, error) {
	t.Helper()
	var out bytes.Buffer
	s.Stdout, s.Stderr = &out, &out
	code, err := r.Run(context.Background(), s)
	return code, out.String(), err
}

// runJSON runs a guest given --json under r and decodes its stdout into v,
// which must be one JSON value of v's type and nothing else (the contract
// types of pkg/guestapi). It returns the exit code and stderr, where the
// human report and the runtime's own messages go.
func runJSON(t testing.TB, r runner.Runner, s runner.Spec, v any) (int, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	s.Stdout, s.Stderr = &stdout, &stderr
	code, err := r.Run(context.Background(), s)
	if err != nil {
		return code, stderr.String(), err
	}
	decodeJSON(t, stdout.Bytes(), v, stderr.String())
	return code, stderr.String(), nil
}

// decodeJSON decodes a guest's --json stdout strictly into v.
func decodeJSON(t testing.TB, stdout []byte, v any, stderr string) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil || dec.More() {
		t.Fatalf("stdout is not one %T (%v):\n%s\nstderr:\n%s", v, err, stdout, tail(stderr))
	}
}

// writeConfig writes the seed's fsx-10mb.toml into dir.
func writeConfig(t testing.TB, dir string) {
	t.Helper()
	const cfg = `flen = 10485760
[opsize]
min = 1
max = 65536
[weights]
close_open = 1
read = 1
write = 1
mapread = 1
mapwrite = 1
truncate = 1
fsync = 0
fdatasync = 0
`
	if err := os.WriteFile(filepath.Join(dir, "fsx-10mb.toml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
}
