package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fullDisk mounts a small tmpfs and fills it to the last page, so every
// write on it fails with ENOSPC. It needs root (CI has it); elsewhere the
// test is skipped with the reason.
func fullDisk(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("SKIP: mounting a full tmpfs needs root")
	}
	dir := t.TempDir()
	mnt := filepath.Join(dir, "full")
	os.Mkdir(mnt, 0o755)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("SKIP: cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", mnt).Run() })
	f, err := os.Create(filepath.Join(mnt, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	f.Close()
	return mnt
}

// A report or failure artifacts on a full filesystem: one line naming the
// problem, a non-zero exit, and nothing half-written left behind.
func TestFullDiskIsOneLineAndNoHalfFile(t *testing.T) {
	mnt := fullDisk(t)
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
	}{
		{"oracle report", []string{"--oracle", "-N", "2", "-q", "--oracle-output", filepath.Join(mnt, "report.bin"), filepath.Join(dir, "oroot")}},
		{"random artifacts", []string{"-f", seedConfig, "-N", "50", "-S", "1", "--inject", "20", "-P", mnt, filepath.Join(dir, "rfile")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := guest(t, c.args...)
			out := stdout + stderr
			if code == 0 {
				t.Fatalf("exit 0 on a full disk\n%s", stderr)
			}
			if !strings.Contains(out, "no space left on device") {
				t.Errorf("the output does not say the disk is full:\n%s", out)
			}
			if strings.Contains(out, "Everything printed is saved to") && !strings.Contains(out, ".fsxlog: write") {
				t.Errorf("the log is promised but its failure is not reported:\n%s", out)
			}
			for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
				if strings.Contains(l, "panic") || strings.Contains(l, "goroutine ") {
					t.Errorf("a panic, not one line:\n%s", stderr)
				}
			}
			ents, _ := os.ReadDir(mnt)
			for _, e := range ents {
				if e.Name() != "filler" {
					info, _ := e.Info()
					t.Errorf("left behind on the full disk: %s (%d bytes)", e.Name(), info.Size())
				}
			}
		})
	}
}
