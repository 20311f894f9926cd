package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// ErrTimeout is wrapped by Run's error when Spec.Timeout ran out.
var ErrTimeout = errors.New("timed out")

// Volume maps a host directory into the guest (`--volume HOST:GUEST`).
type Volume struct{ Host, Guest string }

// String is the `--volume` argument form.
func (v Volume) String() string { return v.Host + ":" + v.Guest }

// ParseVolume parses `HOST:GUEST` (split at the last colon; a lone path
// maps to itself, as `wasmer run --volume DIR` does).
func ParseVolume(s string) (Volume, error) {
	if s == "" {
		return Volume{}, errors.New("empty --volume")
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return Volume{Host: s, Guest: s}, nil
	}
	v := Volume{Host: s[:i], Guest: s[i+1:]}
	if v.Host == "" || !strings.HasPrefix(v.Guest, "/") {
		return Volume{}, fmt.Errorf("bad --volume %q: want HOST:GUEST with an absolute GUEST path", s)
	}
	return v, nil
}

// Spec is one guest run.
type Spec struct {
	Wasm    string   // the guest module (for "native": the native binary)
	Args    []string // guest arguments (what follows `--`)
	Volumes []Volume
	Net     bool     // host networking (`--net`)
	Env     []string // "K=V"
	// Listen pre-opens a TCP listener "host:port" for the guest under
	// wazero when Net is set (see the package doc); "" derives it from the
	// guest's `--server PORT`. Other runners ignore it.
	Listen string
	// Timeout bounds the run; 0 means none. On expiry the guest is killed
	// and Run returns an error wrapping ErrTimeout.
	Timeout time.Duration
	Stdout  io.Writer // nil discards
	Stderr  io.Writer // nil discards
	Dir     string    // working directory for relative host paths; "" = current
	// Fault breaks the volumes' filesystem with a fault of internal/faultfs's
	// catalogue, NAME[:N][@GUEST][,seed=S] (e.g. "stale-read@/data",
	// "drop-write:5@/data"; `wazero-run --list-faults`). Only the wazero
	// runner can inject faults; the others refuse a non-empty Fault.
	Fault string
}

// refuseFault is the error of the runners that cannot inject s.Fault.
func refuseFault(name string, s Spec) error {
	if s.Fault == "" {
		return nil
	}
	return fmt.Errorf("%s: cannot inject fault %q: fault injection needs the wazero runner", name, s.Fault)
}

// Runner runs guests under one runtime.
type Runner interface {
	// Name is "wazero", "wasmer-sdk", "wasmer" or "native".
	Name() string
	// Available is nil, or one line saying why not and what to do.
	Available() error
	// HostBacked is false when volumes are copies rather than mounts.
	HostBacked() bool
	// Run runs the guest to completion and returns its exit code; err is
	// set only when the guest could not be run or did not finish.
	Run(ctx context.Context, s Spec) (exitCode int, err error)
}

// Options configure the runners New makes.
type Options struct {
	WasmerPath string // the wasmer CLI; "" = $FSX_WASMER, the install root, then PATH
	SDKDir     string // runners/wasmer-sdk; "" = $FSX_WASMER_SDK_DIR, then found from the source tree
	NodePath   string // node; "" = PATH
}

var makers = map[string]func(Options) Runner{
	"wazero":     func(Options) Runner { return NewWazero() },
	"wasmer-sdk": func(o Options) Runner { return &sdkRunner{opts: o} },
	"wasmer":     func(o Options) Runner { return &cliRunner{opts: o} },
	"native":     func(Options) Runner { return nativeRunner{} },
}

// Names lists the valid runner names, sorted.
func Names() []string {
	names := make([]string, 0, len(makers))
	for n := range makers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// New returns the runner called name.
func New(name string, o Options) (Runner, error) {
	m, ok := makers[name]
	if !ok {
		return nil, fmt.Errorf("unknown runtime %q (valid: %s)", name, strings.Join(Names(), ", "))
	}
	return m(o), nil
}

// WasmerArgs is the `wasmer run` command line for s, without the program
// name: run [--net] --volume H:G ... [--env K=V ...] <wasm> -- args...
func WasmerArgs(s Spec) []string {
	a := []string{"run"}
	if s.Net {
		a = append(a, "--net")
	}
	for _, v := range s.Volumes {
		a = append(a, "--volume", v.String())
	}
	for _, e := range s.Env {
		a = append(a, "--env", e)
	}
	a = append(a, s.Wasm, "--")
	return append(a, s.Args...)
}

// orDiscard keeps nil writers from reaching code that writes unconditionally.
func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// rewriteArgs replaces a leading GUEST path (alone, followed by "/", or
// after "=") in each argument with what to(v) returns. The runners without
// real mounts use it so the guest still finds its files.
func rewriteArgs(args []string, vols []Volume, to func(Volume) string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		for _, v := range vols {
			if r, ok := rewritePath(a, v.Guest, to(v)); ok {
				out[i] = r
				break
			}
		}
	}
	return out
}

func rewritePath(a, from, to string) (string, bool) {
	from = strings.TrimSuffix(from, "/")
	prefix := ""
	if i := strings.IndexByte(a, '='); i >= 0 && strings.HasPrefix(a, "-") {
		prefix, a = a[:i+1], a[i+1:]
	}
	if from == "" { // a volume at "/" maps everything
		if strings.HasPrefix(a, "/") {
			return prefix + strings.TrimSuffix(to, "/") + a, true
		}
		return "", false
	}
	if a == from || strings.HasPrefix(a, from+"/") {
		return prefix + to + a[len(from):], true
	}
	return "", false
}
