package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/testutil"
)

// SIGINT or SIGTERM stops random mode and the oracle cleanly: exit 4
// (documented; not the shell's 130, which fsx.c gives its truncate check),
// a line saying how far it got and how to go on, and no half report.
func TestSignalsStopCleanly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
		args []string
		want string
	}{
		{"random SIGINT", syscall.SIGINT, []string{"-N", "-1", "-S", "3", "-j", "2", filepath.Join(dir, "r", "f")}, "interrupted after"},
		{"oracle SIGTERM", syscall.SIGTERM, []string{"--oracle", "-N", "3", "-q", "--oracle-output", filepath.Join(dir, "o.bin"), filepath.Join(dir, "oroot")}, "no report was written"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(testutil.GuestNative(t), tc.args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(1500 * time.Millisecond)
			cmd.Process.Signal(tc.sig)
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted || !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("exit %v, want %d and %q:\n%s", err, exitInterrupted, tc.want, stderr.String())
			}
			if _, err := os.Stat(filepath.Join(dir, "o.bin")); err == nil {
				t.Fatal("an interrupted oracle run left a report")
			}
		})
	}
}
