package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// WasmerVersion is the wasmer CLI version the project pins (the newest that
// builds with this machine's Rust); scripts/install-wasmer.sh installs it.
const WasmerVersion = "7.4.2"

// WasmerInstallRoot is where scripts/install-wasmer.sh installs the CLI,
// outside the clone so fresh clones on the same machine reuse it.
var WasmerInstallRoot = "/opt/fsx-wasix-tools/wasmer-" + WasmerVersion

// cliRunner runs the wasmer CLI with WasmerArgs.
type cliRunner struct {
	opts Options
	once sync.Once
	path string
	err  error
}

func (*cliRunner) Name() string     { return "wasmer" }
func (*cliRunner) HostBacked() bool { return true }

func (r *cliRunner) Available() error {
	r.once.Do(func() { r.path, r.err = FindWasmer(r.opts.WasmerPath) })
	return r.err
}

func (r *cliRunner) Run(ctx context.Context, s Spec) (int, error) {
	if err := refuseFault(r.Name(), s); err != nil {
		return 0, err
	}
	if err := r.Available(); err != nil {
		return 0, err
	}
	return execRun(ctx, s, r.path, WasmerArgs(s), childEnv(), 0)
}

// FindWasmer finds the wasmer CLI of the pinned version: explicit (a
// --wasmer flag), then $FSX_WASMER, then the install root, then PATH. An
// explicit path of the wrong version is an error; elsewhere a wrong version
// is skipped and named if nothing better turns up.
func FindWasmer(explicit string) (string, error) {
	if explicit != "" {
		return explicit, checkWasmer(explicit)
	}
	if p := os.Getenv("FSX_WASMER"); p != "" {
		return p, checkWasmer(p)
	}
	var wrong error
	candidates := []string{filepath.Join(WasmerInstallRoot, "bin", "wasmer")}
	if p, err := exec.LookPath("wasmer"); err == nil {
		candidates = append(candidates, p)
	}
	for _, p := range candidates {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		err := checkWasmer(p)
		if err == nil {
			return p, nil
		}
		wrong = err
	}
	if wrong != nil {
		return "", wrong
	}
	return "", errors.New("wasmer CLI " + WasmerVersion + " not found: run scripts/install-wasmer.sh (or set FSX_WASMER / --wasmer)")
}

func checkWasmer(p string) error {
	out, err := exec.Command(p, "--version").Output()
	if err != nil {
		return fmt.Errorf("wasmer at %s does not run (%v): run scripts/install-wasmer.sh", p, err)
	}
	v := strings.TrimSpace(string(out))
	if !strings.Contains(v, " "+WasmerVersion) {
		return fmt.Errorf("wasmer at %s is %q, want %s: run scripts/install-wasmer.sh (or set FSX_WASMER)", p, v, WasmerVersion)
	}
	return nil
}
