package pipeline

import (
	"fmt"
	"strings"

	"github.com/fsx-wasix/fsx-wasix/internal/runner"
)

// Runtime names the orchestrator accepts.
const (
	RuntimeWasmer    = "wasmer"
	RuntimeWasmerSDK = "wasmer-sdk"
	RuntimeWazero    = "wazero"
	RuntimeAuto      = "auto"
)

// KnownRuntimes is the order runtimes appear in summaries.
var KnownRuntimes = []string{RuntimeWasmer, RuntimeWasmerSDK, RuntimeWazero}

// Probe is how runtime choice looks at the machine. NewProbe binds it to
// internal/runner, which owns finding and checking each runtime; tests
// replace the functions.
type Probe struct {
	// FindWasmer returns the wasmer CLI's path, or one line saying why not.
	FindWasmer func(explicit string) (string, error)
	// SDK is nil when the Wasmer SDK runner can run, else one line why not.
	SDK        func() error
	WasmerFlag string // --wasmer PATH, "" when not given
}

// NewProbe binds runtime choice to internal/runner. It fails (one line)
// only when this build cannot make the SDK runner at all, which is a bug
// rather than a missing runtime.
func NewProbe(wasmerFlag, sdkDir string) (Probe, error) {
	sdk, err := newRunner(RuntimeWasmerSDK, runner.Options{SDKDir: sdkDir})
	if err != nil {
		return Probe{}, fmt.Errorf("runtime %s: %v", RuntimeWasmerSDK, err)
	}
	return Probe{FindWasmer: runner.FindWasmer, SDK: sdk.Available, WasmerFlag: wasmerFlag}, nil
}

// Choice is one runtime the run will use, with where it was found and why.
type Choice struct {
	Name string
	Path string // wasmer: the CLI binary
	Why  string
}

// ParseRuntimes splits --runtime values ("wazero,wasmer-sdk" or repeated
// flags), rejecting unknown names with one line that lists the known ones.
func ParseRuntimes(values []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, v := range values {
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(strings.ToLower(name))
			if name == "" {
				continue
			}
			switch name {
			case RuntimeWasmer, RuntimeWasmerSDK, RuntimeWazero, RuntimeAuto:
			default:
				return nil, fmt.Errorf("unknown runtime %q: want wasmer, wasmer-sdk, wazero or auto", name)
			}
			if !seen[name] {
				seen[name] = true
				out = append(out, name)
			}
		}
	}
	if len(out) == 0 {
		out = []string{RuntimeAuto}
	}
	return out, nil
}

func (p Probe) wasmer() (path, why string, err error) {
	path, err = p.FindWasmer(p.WasmerFlag)
	if err != nil {
		if p.WasmerFlag != "" {
			return "", "", fmt.Errorf("runtime wasmer: --wasmer %s: %v", p.WasmerFlag, err)
		}
		return "", "", fmt.Errorf("runtime wasmer: %v; or pass --wasmer PATH", err)
	}
	if p.WasmerFlag != "" {
		return path, "given by --wasmer", nil
	}
	return path, "found at " + path, nil
}

func (p Probe) sdk() error {
	if err := p.SDK(); err != nil {
		return fmt.Errorf("runtime wasmer-sdk: %v", err)
	}
	return nil
}

// Choose resolves the requested runtimes. auto picks the most faithful
// runtime present: the wasmer CLI (host-backed volumes), else the Wasmer SDK
// (same Wasmer core, volumes copied), else the embedded wazero, which always
// works. An explicitly requested runtime that is missing is an error.
func (p Probe) Choose(requested []string) ([]Choice, error) {
	var out []Choice
	seen := map[string]bool{}
	add := func(c Choice) {
		if !seen[c.Name] {
			seen[c.Name] = true
			out = append(out, c)
		}
	}
	for _, name := range requested {
		switch name {
		case RuntimeWasmer:
			path, why, err := p.wasmer()
			if err != nil {
				return nil, err
			}
			add(Choice{RuntimeWasmer, path, why})
		case RuntimeWasmerSDK:
			if err := p.sdk(); err != nil {
				return nil, err
			}
			add(Choice{RuntimeWasmerSDK, "", "Wasmer SDK under Node"})
		case RuntimeWazero:
			add(Choice{RuntimeWazero, "", "embedded (github.com/tetratelabs/wazero)"})
		case RuntimeAuto:
			if path, why, err := p.wasmer(); err == nil {
				add(Choice{RuntimeWasmer, path, "auto: the wasmer CLI, " + why})
			} else if err2 := p.sdk(); err2 == nil {
				add(Choice{RuntimeWasmerSDK, "", "auto: no wasmer CLI (" + err.Error() + "); the Wasmer SDK under Node is installed"})
			} else {
				add(Choice{RuntimeWazero, "", "auto: no wasmer CLI (" + err.Error() + ") and no Wasmer SDK (" + err2.Error() + "); using embedded wazero"})
			}
		default:
			return nil, fmt.Errorf("unknown runtime %q: want wasmer, wasmer-sdk, wazero or auto", name)
		}
	}
	return out, nil
}
