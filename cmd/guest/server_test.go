package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestServerPort(t *testing.T) {
	tests := []struct {
		args []string
		env  string
		want int
		bad  bool
	}{
		{args: nil, want: 8080},
		{args: nil, env: "3999", want: 3999},
		{args: []string{"3020"}, env: "3999", want: 3020},
		{args: []string{"0"}, want: 0},
		{args: []string{"65536"}, bad: true},
		{args: []string{"-1"}, bad: true},
		{args: []string{"http"}, bad: true},
		{args: nil, env: "x", bad: true},
		{args: []string{"1", "2"}, bad: true},
	}
	for _, tc := range tests {
		t.Setenv("PORT", tc.env)
		got, err := serverPort(tc.args)
		if (err != nil) != tc.bad || (!tc.bad && got != tc.want) {
			t.Errorf("serverPort(%q) with PORT=%q = %d, %v", tc.args, tc.env, got, err)
		}
	}
}

// Natively a server without --allow-root would have nowhere to run: it
// refuses to start (exit 2) rather than defaulting to a host directory.
func TestServerNeedsRootNatively(t *testing.T) {
	if code := run([]string{"--server", "0"}); code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
}

// A root that is relative or missing is refused at start-up, before the
// server listens, with one line naming it.
func TestServerRefusesBadRoots(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "plain")
	os.WriteFile(file, nil, 0o644)
	for _, tc := range []struct{ root, want string }{
		{"relative/dir", "give an absolute directory"},
		{filepath.Join(t.TempDir(), "missing"), "not an existing directory"},
		{file, "not an existing directory"},
	} {
		_, stderr, code := guest(t, "--server", "0", "--allow-root", tc.root)
		if code != exitUsage || !strings.Contains(stderr, tc.want) || strings.Contains(stderr, "serving on") {
			t.Errorf("--allow-root %s: exit %d, want %d and %q:\n%s", tc.root, code, exitUsage, tc.want, stderr)
		}
	}
}
