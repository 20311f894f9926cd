package runner

import (
	"context"
	"os"
)

// nativeRunner runs the native guest binary (Spec.Wasm). There are no
// mounts: guest arguments under a volume's GUEST path are rewritten to its
// HOST path, and the guest's environment is the host's plus Spec.Env.
type nativeRunner struct{}

func (nativeRunner) Name() string     { return "native" }
func (nativeRunner) Available() error { return nil }
func (nativeRunner) HostBacked() bool { return true }

func (nativeRunner) Run(ctx context.Context, s Spec) (int, error) {
	if err := refuseFault("native", s); err != nil {
		return 0, err
	}
	args := rewriteArgs(s.Args, s.Volumes, func(v Volume) string { return hostPath(s.Dir, v.Host) })
	return execRun(ctx, s, hostPath(s.Dir, s.Wasm), args, append(os.Environ(), s.Env...), 0)
}
