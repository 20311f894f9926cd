package pipeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
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

// WasmerInstallGlob is where scripts/install-wasmer.sh puts the CLI (outside
// the clone, shared by every clone on the machine; see docs/rationale.md).
const WasmerInstallGlob = "/opt/fsx-wasix-tools/wasmer-*/bin/wasmer"

// Probe is how runtime choice looks at the machine; tests replace it.
type Probe struct {
	LookPath   func(string) (string, error) // exec.LookPath
	Glob       func(string) ([]string, error)
	Stat       func(string) (os.FileInfo, error)
	WasmerFlag string // --wasmer PATH, "" when not given
	SDKDir     string // runners/wasmer-sdk in the source tree
}

// Choice is one runtime the run will use, with where it was found and why.
type Choice struct {
	Name string
	Path string // wasmer: the CLI binary; wasmer-sdk: node
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

// FindWasmer locates the wasmer CLI: --wasmer, then PATH, then the install
// location of scripts/install-wasmer.sh.
func (p Probe) FindWasmer() (path, why string, err error) {
	if p.WasmerFlag != "" {
		if _, err := p.Stat(p.WasmerFlag); err != nil {
			return "", "", fmt.Errorf("--wasmer %s: %v", p.WasmerFlag, unwrapPathError(err))
		}
		return p.WasmerFlag, "given by --wasmer", nil
	}
	if path, err := p.LookPath("wasmer"); err == nil {
		return path, "found on PATH", nil
	}
	if matches, _ := p.Glob(WasmerInstallGlob); len(matches) > 0 {
		sort.Strings(matches)
		return matches[len(matches)-1], "installed by scripts/install-wasmer.sh", nil
	}
	return "", "", errors.New("runtime wasmer: the wasmer CLI is not on PATH nor in " + filepath.Dir(filepath.Dir(WasmerInstallGlob)) + "; install it with scripts/install-wasmer.sh or pass --wasmer PATH")
}

// FindSDK checks that the Wasmer SDK runner can run: Node and the runner's
// installed node_modules.
func (p Probe) FindSDK() (node, why string, err error) {
	node, err = p.LookPath("node")
	if err != nil {
		return "", "", errors.New("runtime wasmer-sdk: Node.js is not installed (node not found on PATH); install Node >= 20 or choose --runtime wazero")
	}
	if _, err := p.Stat(filepath.Join(p.SDKDir, "node_modules", "@wasmer", "sdk")); err != nil {
		return "", "", fmt.Errorf("runtime wasmer-sdk: %s has no node_modules/@wasmer/sdk; run `npm ci` there", p.SDKDir)
	}
	return node, "Node " + node + " with @wasmer/sdk in " + p.SDKDir, nil
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
			path, why, err := p.FindWasmer()
			if err != nil {
				return nil, err
			}
			add(Choice{RuntimeWasmer, path, why})
		case RuntimeWasmerSDK:
			node, why, err := p.FindSDK()
			if err != nil {
				return nil, err
			}
			add(Choice{RuntimeWasmerSDK, node, why})
		case RuntimeWazero:
			add(Choice{RuntimeWazero, "", "embedded (github.com/tetratelabs/wazero)"})
		case RuntimeAuto:
			if path, why, err := p.FindWasmer(); err == nil {
				add(Choice{RuntimeWasmer, path, "auto: wasmer CLI " + why + " (" + path + ")"})
			} else if node, why, err2 := p.FindSDK(); err2 == nil {
				add(Choice{RuntimeWasmerSDK, node, "auto: no wasmer CLI; " + why})
			} else {
				add(Choice{RuntimeWazero, "", "auto: no wasmer CLI and no usable Wasmer SDK (" + err2.Error() + "); using embedded wazero"})
			}
		default:
			return nil, fmt.Errorf("unknown runtime %q: want wasmer, wasmer-sdk, wazero or auto", name)
		}
	}
	return out, nil
}
