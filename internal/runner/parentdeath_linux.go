package runner

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill the child when the process that
// started it dies, even by SIGKILL, which no handler sees: an orchestrator
// killed mid-run must not leave guests writing into the run directory the
// next run is removing.
func dieWithParent(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
