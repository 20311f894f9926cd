package faultfs

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
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
		{spec: "drop-write", want: "drop-write"},
		{spec: "stale-read@/data", want: "stale-read@/data"},
		{spec: "misdirected-write:2@/data,seed=7", want: "misdirected-write:2@/data,seed=7"},
		{spec: "truncate-garbage,seed=0", want: "truncate-garbage"},
		{spec: "", err: "unknown fault \"\"; want NAME[:N][@GUEST][,seed=S] with NAME one of drop-write, short-write,"},
		{spec: "drop-read:1", err: "unknown fault \"drop-read\""},
		{spec: "drop-write:0", err: "N must be"},
		{spec: "drop-write:", err: "N must be"},
		{spec: "drop-write:-2", err: "N must be"},
		{spec: "drop-write:x", err: "N must be"},
		{spec: "drop-write:1@data", err: "absolute guest path"},
		{spec: "drop-write,seed=x", err: "seed must be"},
		{spec: "drop-write,seed=-1", err: "seed must be"},
		{spec: "drop-write,speed=1", err: "unknown option \"speed=1\""},
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
	} else if _, wrapped := d.(*pollableHandle); wrapped {
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
	if r := never.Report(); !strings.Contains(r, "NOT injected: only 0 matching calls were made (read/pread)") {
		t.Errorf("Report() = %q", r)
	}
	n, _ := file.Read(buf)
	if !bytes.Equal(buf[:n], []byte("0123")) {
		t.Errorf("read after the fault = %q", buf[:n])
	}
}

// TestCatalogueEntries: every entry is complete, named in kebab-case, and
// cites only GitHub issue or pull-request URLs.
func TestCatalogueEntries(t *testing.T) {
	kebab := regexp.MustCompile(`^[a-z]+(-[a-z]+)*$`)
	issue := regexp.MustCompile(`^https://github\.com/wasmerio/[a-z-]+/(issues|pull)/\d+$`)
	seen := map[Kind]bool{}
	for _, d := range Catalogue() {
		if !kebab.MatchString(string(d.Name)) || seen[d.Name] {
			t.Errorf("name %q: not kebab-case or a duplicate", d.Name)
		}
		seen[d.Name] = true
		for what, v := range map[string]string{"group": d.Group, "description": d.Desc, "bug class": d.Class,
			"ops": d.Ops, "counts": d.Counts, "detect": d.Detect} {
			if v == "" || strings.ContainsAny(v, "\n|") {
				t.Errorf("%s: %s empty, not one line, or has a | (docs/faults.md's table cells)", d.Name, what)
			}
		}
		for _, u := range d.Issues {
			if !issue.MatchString(u) {
				t.Errorf("%s: issue %q is not a GitHub issue or pull request URL", d.Name, u)
			}
		}
		if f, err := Parse(string(d.Name)); err != nil || f.Def().Name != d.Name {
			t.Errorf("Parse(%q) = %v, %v", d.Name, f, err)
		}
	}
	if len(seen) < 20 {
		t.Errorf("%d faults, want at least 20", len(seen))
	}
}

// TestWrapNil: no fault, no wrapper.
func TestWrapNil(t *testing.T) {
	fsys := sysfs.DirFS(t.TempDir())
	if Wrap(fsys, nil) != fsys {
		t.Error("Wrap(fsys, nil) is not fsys")
	}
}

// TestPollableKept: a wrapped file is a sys.PollableFile exactly when the
// unwrapped one is, so wazero's fd_fdstat_set_flags takes the same path.
func TestPollableKept(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644)
	f, _ := Parse("stale-read")
	for _, fsys := range []sys.FS{sysfs.DirFS(dir), Wrap(sysfs.DirFS(dir), f)} {
		file, errno := fsys.OpenFile("f", sys.O_RDWR, 0)
		if errno != 0 {
			t.Fatal(errno)
		}
		if _, ok := file.(sys.PollableFile); !ok {
			t.Errorf("%T is not a sys.PollableFile", file)
		}
		file.Close()
	}
}

// TestSystematicReport: without :N every matching call is broken and the
// report counts them.
func TestSystematicReport(t *testing.T) {
	file, f, p := open(t, "drop-write", "....")
	for range 3 {
		file.Write([]byte("a"))
	}
	if got := hostBytes(t, p); got != "...." {
		t.Errorf("file %q: every write should have been dropped", got)
	}
	if r := f.Report(); !strings.HasPrefix(r, "fault drop-write injected: 3 matching calls broken (write/pwrite), the first: write of 1 bytes on f") {
		t.Errorf("Report() = %q", r)
	}
	_, never, _ := open(t, "short-read", "x")
	if r := never.Report(); r != "fault short-read NOT injected: no matching call was made (read/pread returning 2 bytes or more)" {
		t.Errorf("Report() = %q", r)
	}
}

// TestSeeded: the values a fault picks depend on its seed alone.
func TestSeeded(t *testing.T) {
	a, b := make([]byte, 64), make([]byte, 64)
	for i := range a {
		a[i], b[i] = garbageByte(1, int64(i)), garbageByte(2, int64(i))
		if a[i] == 0 || b[i] == 0 || a[i] != garbageByte(1, int64(i)) {
			t.Fatalf("garbageByte at %d: %d, %d (must be non-zero and repeatable)", i, a[i], b[i])
		}
	}
	if bytes.Equal(a, b) {
		t.Error("seeds 1 and 2 give the same garbage")
	}
	f1, _ := Parse("misdirected-write")
	f2, _ := Parse("misdirected-write,seed=4097")
	if f1.shift() != 1 || f2.shift() != 2 {
		t.Errorf("shifts %d, %d; want 1 and 2", f1.shift(), f2.shift())
	}
}

// TestDocsListEveryFault: docs/faults.md has a table row for every fault
// and cites every issue the catalogue does.
func TestDocsListEveryFault(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "faults.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, d := range Catalogue() {
		row := "| `" + string(d.Name) + "` | " + d.Desc + " | " + d.Class + " | "
		if !strings.Contains(doc, row) {
			t.Errorf("docs/faults.md has no row starting %q", row)
		}
		for _, u := range d.Issues {
			if !strings.Contains(doc, "("+u+")") {
				t.Errorf("docs/faults.md does not cite %s for %s", u, d.Name)
			}
		}
	}
}
