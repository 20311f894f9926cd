package archtest

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// The Taskfile is part of the build: CI and the README run its tasks, and a
// YAML slip (an unquoted "a: b" in a description) fails every one of them.
// Listing the tasks parses the whole file.
func TestTaskfileParses(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	cmd := exec.Command("./task", "--list-all")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("./task --list-all: %v\n%s", err, out)
	}
}
