package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/internal/runner"
)

// fakeRunner is a runner whose "guest" is a Go function.
type fakeRunner struct {
	name string
	run  func(s runner.Spec) (int, error)
}

func (f fakeRunner) Name() string     { return f.name }
func (f fakeRunner) Available() error { return nil }
func (f fakeRunner) HostBacked() bool { return true }
func (f fakeRunner) Run(_ context.Context, s runner.Spec) (int, error) {
	return f.run(s)
}

func TestTailBufferKeepsTheLastBytes(t *testing.T) {
	t.Parallel()
	for _, sizes := range [][]int{{3}, {10}, {25}, {4, 4, 4}, {7, 1, 9, 2, 30, 1}, {9, 9, 9, 9}} {
		b := tailBuffer{max: 10}
		var all []byte
		for i, n := range sizes {
			p := bytes.Repeat([]byte{byte('a' + i)}, n)
			p[n-1] = byte('0' + n%10)
			all = append(all, p...)
			if m, err := b.Write(p); m != n || err != nil {
				t.Fatalf("Write = %d, %v", m, err)
			}
		}
		want := all[max(0, len(all)-10):]
		if got := b.Bytes(); !bytes.Equal(got, want) {
			t.Errorf("writes %v: kept %q, want the last 10 bytes %q", sizes, got, want)
		}
	}
}

// TestExecLastLineAfterLongOutput: the one-line error names the guest's
// real last line even when it printed far more than the 8 KiB kept.
func TestExecLastLineAfterLongOutput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := fakeRunner{name: "fake", run: func(s runner.Spec) (int, error) {
		for i := 0; i < 2000; i++ { // ~40 KiB of chatter
			fmt.Fprintf(s.Stderr, "progress line %d of chatter\n", i)
		}
		io.WriteString(s.Stderr, "fsx-wasix: the real reason\n")
		io.WriteString(s.Stdout, strings.Repeat("x", 100)+"\nsummary: last\n")
		return 3, nil
	}}
	p := &pass{}
	res, err := p.exec(context.Background(), r, runner.Spec{}, filepath.Join(dir, "guest.log"))
	if err != nil {
		t.Fatal(err)
	}
	if res.code != 3 || res.lastLine != "fsx-wasix: the real reason" {
		t.Errorf("code %d, lastLine %q; want 3 and the guest's last stderr line", res.code, res.lastLine)
	}
	if !bytes.HasSuffix(res.stdout, []byte("summary: last\n")) {
		t.Errorf("kept output does not end with the guest's last line: ...%q", res.stdout[max(0, len(res.stdout)-40):])
	}
}

func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	sa, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := os.Stat(b)
	if err != nil {
		t.Fatal(err)
	}
	return os.SameFile(sa, sb)
}

func TestLinkOrCopyLinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.bin"), filepath.Join(dir, "work", "expected.bin")
	os.WriteFile(src, []byte("report"), 0o644)
	os.Mkdir(filepath.Dir(dst), 0o755)
	if err := linkOrCopy(src, dst); err != nil {
		t.Fatal(err)
	}
	if !sameFile(t, src, dst) {
		t.Fatal("same filesystem, fresh destination: want a hard link, got a copy")
	}
}

func TestLinkOrCopyFallsBackToCopy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "src.bin")
	os.WriteFile(src, []byte("report"), 0o644)

	// A destination that exists already cannot be linked: it is replaced
	// by a copy.
	dst := filepath.Join(dir, "existing.bin")
	os.WriteFile(dst, []byte("stale"), 0o644)
	if err := linkOrCopy(src, dst); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "report" || sameFile(t, src, dst) {
		t.Fatalf("existing destination: %q, linked %v; want a copy of the report", b, sameFile(t, src, dst))
	}
}

// TestLinkOrCopyWhenLinkFails uses the link variable, so it is not parallel.
func TestLinkOrCopyWhenLinkFails(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.bin"), filepath.Join(dir, "dst.bin")
	os.WriteFile(src, []byte("report"), 0o644)
	old := link
	defer func() { link = old }()
	link = func(string, string) error { return &os.LinkError{Op: "link", Err: syscall.EXDEV} }
	if err := linkOrCopy(src, dst); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "report" || sameFile(t, src, dst) {
		t.Fatalf("link failed: %q; want a copy of the report", b)
	}
}
