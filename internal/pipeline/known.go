package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/fsx-wasix/fsx-wasix/internal/runner"
)

// RuntimeVersion is the version of a runtime this build drives: the wasmer
// CLI and the SDK are pinned (scripts/install-wasmer.sh, runners/wasmer-sdk),
// wazero is what go.mod requires.
func RuntimeVersion(name string) string {
	switch name {
	case RuntimeWasmer:
		return runner.WasmerVersion
	case RuntimeWasmerSDK:
		return runner.SDKVersion
	case RuntimeWazero:
		return runner.WazeroVersion
	}
	return "unknown"
}

// KnownListName is the file in a --known-dir that lists a runtime
// version's known divergences: "wasmer-7.4.2.txt".
func KnownListName(runtime string) string {
	return runtime + "-" + RuntimeVersion(runtime) + ".txt"
}

// knownFor is what a runtime's cells suppress: cfg.Known, then the list
// for its version in cfg.KnownDir (a version without a list has none: a
// new runtime version starts with every divergence new). from names the
// files used.
func knownFor(cfg Config, runtime string) (text []byte, from []string, err error) {
	if cfg.Known != "" {
		b, err := os.ReadFile(cfg.Known)
		if err != nil {
			return nil, nil, fmt.Errorf("--known %s: %v", cfg.Known, unwrapPathError(err))
		}
		text, from = append(text, b...), append(from, cfg.Known)
	}
	if cfg.KnownDir != "" {
		p := filepath.Join(cfg.KnownDir, KnownListName(runtime))
		b, err := os.ReadFile(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, nil, fmt.Errorf("--known-dir: %v", unwrapPathError(err))
		default:
			if len(text) > 0 && text[len(text)-1] != '\n' {
				text = append(text, '\n')
			}
			text, from = append(text, b...), append(from, p)
		}
	}
	return text, from, nil
}
