package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// SDKVersion is the pinned @wasmer/sdk (runners/wasmer-sdk/package-lock.json).
const SDKVersion = "0.16.0"

// SDKExitFailure is run.mjs's exit code when the runner or the SDK itself
// failed (the guest never ran or its end is unknown); its last stderr line
// says why.
const SDKExitFailure = 125

// SDKExitTimeout is run.mjs's exit code when --timeout-ms ran out.
const SDKExitTimeout = 124

// sdkRunner runs `node runners/wasmer-sdk/run.mjs`. Volumes are in-memory
// copies (see the package doc), so HostBacked is false.
type sdkRunner struct{ opts Options }

func (*sdkRunner) Name() string     { return "wasmer-sdk" }
func (*sdkRunner) HostBacked() bool { return false }

// SDKDir finds runners/wasmer-sdk: explicit, $FSX_WASMER_SDK_DIR, the
// source tree this package was built from, then upwards from the current
// directory.
func SDKDir(explicit string) string {
	if explicit != "" {
		return explicit
	}
	if d := os.Getenv("FSX_WASMER_SDK_DIR"); d != "" {
		return d
	}
	var tries []string
	if _, file, _, ok := runtime.Caller(0); ok {
		tries = append(tries, filepath.Join(filepath.Dir(file), "..", ".."))
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			tries = append(tries, d)
			if d == filepath.Dir(d) {
				break
			}
		}
	}
	for _, root := range tries {
		d := filepath.Join(root, "runners", "wasmer-sdk")
		if _, err := os.Stat(filepath.Join(d, "run.mjs")); err == nil {
			return filepath.Clean(d)
		}
	}
	return filepath.Join("runners", "wasmer-sdk")
}

func (r *sdkRunner) node() (string, error) {
	if r.opts.NodePath != "" {
		return r.opts.NodePath, nil
	}
	return exec.LookPath("node")
}

func (r *sdkRunner) Available() error {
	node, err := r.node()
	if err != nil {
		return errors.New("node not found: install Node 20 (apt-get install nodejs) for the Wasmer SDK runner")
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return fmt.Errorf("node at %s does not run: install Node 20", node)
	}
	if v := strings.TrimSpace(string(out)); !nodeAtLeast(v, 20) {
		return fmt.Errorf("node %s is too old: install Node 20", v)
	}
	dir := SDKDir(r.opts.SDKDir)
	if _, err := os.Stat(filepath.Join(dir, "run.mjs")); err != nil {
		return fmt.Errorf("%s/run.mjs not found: set FSX_WASMER_SDK_DIR to the repo's runners/wasmer-sdk", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@wasmer", "sdk", "package.json")); err != nil {
		return fmt.Errorf("@wasmer/sdk is not installed: run `npm ci` in %s", dir)
	}
	return nil
}

func nodeAtLeast(v string, major int) bool {
	v = strings.TrimPrefix(v, "v")
	m, _, _ := strings.Cut(v, ".")
	n, err := strconv.Atoi(m)
	return err == nil && n >= major
}

// SDKArgs is run.mjs's command line for s (after the script's path).
func SDKArgs(s Spec) []string {
	a := WasmerArgs(s)
	if s.Timeout > 0 {
		// run.mjs's own timeout stops the guest inside the SDK and says so.
		a = append([]string{a[0], "--timeout-ms", strconv.FormatInt(s.Timeout.Milliseconds(), 10)}, a[1:]...)
	}
	return a
}

func (r *sdkRunner) Run(ctx context.Context, s Spec) (int, error) {
	if err := refuseFault(r.Name(), s); err != nil {
		return 0, err
	}
	if err := r.Available(); err != nil {
		return 0, err
	}
	node, _ := r.node()
	script := filepath.Join(SDKDir(r.opts.SDKDir), "run.mjs")
	if abs, err := filepath.Abs(script); err == nil {
		script = abs
	}
	start := time.Now()
	// The extra time covers node's start-up and the volume copies.
	code, err := execRun(ctx, s, node, append([]string{script}, SDKArgs(s)...), childEnv(), 30*time.Second)
	if err != nil {
		return 0, fmt.Errorf("wasmer-sdk: %w", err)
	}
	switch {
	case code == SDKExitTimeout && s.Timeout > 0 && time.Since(start) >= s.Timeout:
		return 0, fmt.Errorf("wasmer-sdk: %w after %v", ErrTimeout, s.Timeout)
	case code == SDKExitFailure:
		return code, errors.New("wasmer-sdk: the runner failed (see its last stderr line)")
	}
	return code, nil
}
