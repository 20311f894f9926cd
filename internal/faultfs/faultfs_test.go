package faultfs

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		spec, want, err string
	}{
		{spec: "drop-write:1", want: "drop-write:1"},
		{spec: "short-write:12", want: "short-write:12"},
		{spec: "corrupt-read:3@/data", want: "corrupt-read:3@/data"},
		{spec: "corrupt-read:3@/data/", want: "corrupt-read:3@/data"},
		{spec: "", err: "want KIND:N"},
		{spec: "drop-write", err: "want KIND:N"},
		{spec: "drop-read:1", err: "want KIND:N"},
		{spec: "drop-write:0", err: "N must be"},
		{spec: "drop-write:-2", err: "N must be"},
		{spec: "drop-write:x", err: "N must be"},
		{spec: "drop-write:1@data", err: "absolute guest path"},
	} {
		f, err := Parse(c.spec)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err) || strings.Contains(err.Error(), "\n")):
			t.Errorf("Parse(%q) error %v, want one line containing %q", c.spec, err, c.err)
		case c.err == "" && (err != nil || f.String() != c.want):
			t.Errorf("Parse(%q) = %v, %v; want %s", c.spec, f, err, c.want)
		}
	}
}

func TestApplies(t *testing.T) {
	all, _ := Parse("drop-write:1")
	one, _ := Parse("drop-write:1@/data")
	if !all.Applies("/work") || !one.Applies("/data/") || one.Applies("/work") {
		t.Error("Applies: want every mount without @GUEST, only GUEST with it")
	}
}

// open makes a file holding content in a temp dir and opens it through a
// faultfs over sysfs.DirFS, as the wazero runner mounts it.
func open(t *testing.T, spec, content string) (sys.File, *Fault, string) {
	t.Helper()
	f, err := Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if d, errno := Wrap(sysfs.DirFS(dir), f).OpenFile(".", sys.O_RDONLY, 0); errno != 0 {
		t.Fatalf("opening the directory: %v", errno)
	} else if _, wrapped := d.(*faultFile); wrapped {
		t.Fatal("a directory was wrapped")
	} else {
		d.Close()
	}
	file, errno := Wrap(sysfs.DirFS(dir), f).OpenFile("f", sys.O_RDWR, 0)
	if errno != 0 {
		t.Fatal(errno)
	}
	t.Cleanup(func() { file.Close() })
	return file, f, filepath.Join(dir, "f")
}

func hostBytes(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDropWrite: only the Nth data-moving write is lost, its offset still
// moves, and the count spans write and pwrite.
func TestDropWrite(t *testing.T) {
	file, f, p := open(t, "drop-write:3", "........")
	file.Write(nil) // uncounted
	for i, w := range []struct {
		b   string
		off int64
	}{{"a", -1}, {"b", 5}, {"c", -1}, {"d", -1}} {
		var n int
		var errno sys.Errno
		if w.off < 0 {
			n, errno = file.Write([]byte(w.b))
		} else {
			n, errno = file.Pwrite([]byte(w.b), w.off)
		}
		if n != 1 || errno != 0 {
			t.Fatalf("write %d: %d, %v; want 1, success (even when dropped)", i+1, n, errno)
		}
		if fired := f.Fired(); fired != (i >= 2) {
			t.Fatalf("after write %d Fired() = %v", i+1, fired)
		}
	}
	if got, want := hostBytes(t, p), "a.d..b.."; got != want {
		t.Errorf("file %q, want %q (the 3rd write, 'c' at 1, dropped)", got, want)
	}
	if r := f.Report(); !strings.Contains(r, "injected: write of 1 bytes on f") {
		t.Errorf("Report() = %q", r)
	}
}

func TestShortWrite(t *testing.T) {
	file, _, p := open(t, "short-write:1", "........")
	if n, errno := file.Pwrite([]byte("abcd"), 2); n != 4 || errno != 0 {
		t.Fatalf("pwrite: %d, %v; want 4, success", n, errno)
	}
	file.Pwrite([]byte("xy"), 6)
	if got, want := hostBytes(t, p), "..ab..xy"; got != want {
		t.Errorf("file %q, want %q", got, want)
	}
}

// TestCorruptRead: the Nth read that returns data has one byte flipped;
// empty reads do not count, and later reads are honest.
func TestCorruptRead(t *testing.T) {
	file, f, _ := open(t, "corrupt-read:2", "0123456789")
	buf := make([]byte, 4)
	var got []string
	for _, off := range []int64{0, 10, 4, 4} { // the read at 10 returns nothing
		n, errno := file.Pread(buf, off)
		if errno != 0 {
			t.Fatal(errno)
		}
		got = append(got, string(buf[:n]))
	}
	want := []string{"0123", "", "45" + string([]byte{'6' ^ 0xff}) + "7", "4567"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("read %d = %q, want %q", i+1, got[i], want[i])
		}
	}
	if !f.Fired() {
		t.Error("not Fired()")
	}
	// A fault that never came reports how many calls there were.
	_, never, _ := open(t, "corrupt-read:9", "x")
	if r := never.Report(); !strings.Contains(r, "NOT injected: only 0 read/pread calls") {
		t.Errorf("Report() = %q", r)
	}
	n, _ := file.Read(buf)
	if !bytes.Equal(buf[:n], []byte("0123")) {
		t.Errorf("read after the fault = %q", buf[:n])
	}
}
