package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"
)

// execRun runs a child process for the runners that are programs (the
// wasmer CLI, node, the native guest) and maps its end onto Run's contract.
// extra is added to the timeout so the child's own timeout, when it has
// one, fires first and can say so itself.
func execRun(ctx context.Context, s Spec, name string, args []string, env []string, extra time.Duration) (int, error) {
	if s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.Timeout+extra)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = s.Dir
	cmd.Env = env
	cmd.Stdout = orDiscard(s.Stdout)
	cmd.Stderr = orDiscard(s.Stderr)
	cmd.WaitDelay = 5 * time.Second // don't wait forever on a grandchild holding the pipes
	dieWithParent(cmd)
	err := cmd.Run()
	if ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && s.Timeout > 0 {
			return 0, fmt.Errorf("%s: %w after %v (killed)", name, ErrTimeout, s.Timeout)
		}
		return 0, ctx.Err()
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ee.ExitCode() < 0 { // killed by a signal we did not send
			return 0, fmt.Errorf("%s: %v", name, ee)
		}
		return ee.ExitCode(), nil
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return 0, nil
}

// childEnv is the host environment for a child runner process; the guest's
// own environment travels as --env arguments.
func childEnv() []string { return os.Environ() }
