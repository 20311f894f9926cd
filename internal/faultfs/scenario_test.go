package faultfs

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"
)

// rec drives a filesystem through the sys.FS / sys.File API, as wazero's
// WASI functions do, and writes down what every call answered: one line
// per call, so that two runs compare line by line.
type rec struct {
	t   *testing.T
	fs  sys.FS
	dir string // the host directory under fs
	out []string
}

func (r *rec) logf(format string, a ...any) { r.out = append(r.out, fmt.Sprintf(format, a...)) }

func en(errno sys.Errno) string {
	if errno == 0 {
		return "ok"
	}
	return errno.Error()
}

func flags(flag sys.Oflag) string {
	var s []string
	for _, f := range []struct {
		f    sys.Oflag
		name string
	}{{sys.O_WRONLY, "WRONLY"}, {sys.O_RDWR, "RDWR"}, {sys.O_APPEND, "APPEND"}, {sys.O_CREAT, "CREAT"},
		{sys.O_EXCL, "EXCL"}, {sys.O_TRUNC, "TRUNC"}, {sys.O_DIRECTORY, "DIRECTORY"}} {
		if flag&f.f != 0 {
			s = append(s, f.name)
		}
	}
	if len(s) == 0 {
		return "RDONLY"
	}
	return strings.Join(s, "|")
}

func (r *rec) open(p string, flag sys.Oflag) sys.File {
	f, errno := r.fs.OpenFile(p, flag, 0o644)
	r.logf("open %s %s: %s", p, flags(flag), en(errno))
	if errno == 0 {
		r.t.Cleanup(func() { f.Close() })
	}
	return f
}

// put creates p holding content, through fs.
func (r *rec) put(p, content string) {
	f := r.open(p, sys.O_RDWR|sys.O_CREAT|sys.O_TRUNC)
	r.write(f, content)
	r.close(f)
}

func (r *rec) close(f sys.File) { r.logf("close: %s", en(f.Close())) }

func (r *rec) write(f sys.File, s string) {
	n, errno := f.Write([]byte(s))
	r.logf("write %q: %d %s", s, n, en(errno))
}

func (r *rec) pwrite(f sys.File, s string, off int64) {
	n, errno := f.Pwrite([]byte(s), off)
	r.logf("pwrite %q at %d: %d %s", s, off, n, en(errno))
}

func (r *rec) read(f sys.File, size int) {
	buf := make([]byte, size)
	n, errno := f.Read(buf)
	r.logf("read %d: %q %s", size, buf[:n], en(errno))
}

func (r *rec) pread(f sys.File, size int, off int64) {
	buf := make([]byte, size)
	n, errno := f.Pread(buf, off)
	r.logf("pread %d at %d: %q %s", size, off, buf[:n], en(errno))
}

var whences = [...]string{"START", "CUR", "END"}

func (r *rec) seek(f sys.File, off int64, whence int) {
	pos, errno := f.Seek(off, whence)
	r.logf("seek %d %s: %d %s", off, whences[whence], pos, en(errno))
}

func (r *rec) fstat(f sys.File) {
	st, errno := f.Stat()
	r.logf("fstat: size %d %s", st.Size, en(errno))
}

func (r *rec) stat(p string) {
	st, errno := r.fs.Stat(p)
	r.logf("stat %s: size %d %s", p, st.Size, en(errno))
}

func (r *rec) truncate(f sys.File, size int64) { r.logf("truncate %d: %s", size, en(f.Truncate(size))) }

func (r *rec) sync(f sys.File) { r.logf("fsync: %s", en(f.Sync())) }

func (r *rec) datasync(f sys.File) { r.logf("fdatasync: %s", en(f.Datasync())) }

func (r *rec) unlink(p string) { r.logf("unlink %s: %s", p, en(r.fs.Unlink(p))) }

func (r *rec) rename(from, to string) {
	r.logf("rename %s %s: %s", from, to, en(r.fs.Rename(from, to)))
}

func (r *rec) isAppend(f sys.File) { r.logf("append mode: %v", f.IsAppend()) }

// readdir lists directory p twice (the second pass after a rewind), chunk
// entries per call, and logs how many names each pass returned: which
// entry a fault drops depends on the host's directory order, the count
// does not.
func (r *rec) readdir(p string, chunk int) {
	d, errno := r.fs.OpenFile(p, sys.O_RDONLY|sys.O_DIRECTORY, 0)
	if errno != 0 {
		r.logf("opendir %s: %s", p, en(errno))
		return
	}
	defer d.Close()
	for pass := 1; pass <= 2; pass++ {
		var names []string
		for {
			ents, errno := d.Readdir(chunk)
			if errno != 0 {
				r.logf("readdir: %s", en(errno))
				return
			}
			for _, e := range ents {
				if e.Name != "." && e.Name != ".." {
					names = append(names, e.Name)
				}
			}
			if len(ents) < chunk {
				break
			}
		}
		r.logf("readdir %s pass %d (by %d): %d names", p, pass, chunk, len(names))
		if _, errno := d.Seek(0, io.SeekStart); errno != 0 {
			r.logf("rewind: %s", en(errno))
		}
	}
}

// file logs what the host sees in p.
func (r *rec) file(p string) {
	b, err := os.ReadFile(filepath.Join(r.dir, p))
	if err != nil {
		r.logf("host %s: %v", p, err)
		return
	}
	r.logf("host %s: %q", p, b)
}

// run runs sc on a fresh temp dir through fault (bare when nil).
func run(t *testing.T, fault *Fault, sc func(*rec)) []string {
	t.Helper()
	dir := t.TempDir()
	r := &rec{t: t, fs: Wrap(sysfs.DirFS(dir), fault), dir: dir}
	sc(r)
	return r.out
}

// scenarios: for every fault of the catalogue, calls that show its
// misbehaviour, and the transcript they give under the fault. Each runs
// three times: bare (sysfs.DirFS), through the fault armed at a call that
// never comes (must equal bare: the wrapper is transparent), and through
// the fault (must equal want, and differ from bare).
var scenarios = []struct {
	spec string
	sc   func(*rec)
	want []string
}{
	{
		spec: "drop-write",
		sc: func(r *rec) {
			f := r.open("f", sys.O_RDWR|sys.O_CREAT)
			r.write(f, "hello")
			r.pwrite(f, "XY", 1)
			r.seek(f, 0, io.SeekCurrent)
			r.fstat(f)
			r.file("f")
		},
		want: []string{
			"open f RDWR|CREAT: ok",
			"write \"hello\": 5 ok",
			"pwrite \"XY\" at 1: 2 ok",
			"seek 0 CUR: 5 ok",
			"fstat: size 0 ok",
			"host f: \"\"",
		},
	},
	{
		spec: "short-write",
		sc: func(r *rec) {
			f := r.open("f", sys.O_RDWR|sys.O_CREAT)
			r.write(f, "hello")
			r.pwrite(f, "XY", 1)
			r.seek(f, 0, io.SeekCurrent)
			r.fstat(f)
			r.file("f")
		},
		want: []string{
			"open f RDWR|CREAT: ok",
			"write \"hello\": 5 ok",
			"pwrite \"XY\" at 1: 2 ok",
			"seek 0 CUR: 5 ok",
			"fstat: size 2 ok",
			"host f: \"hX\"",
		},
	},
	{
		spec: "misdirected-write,seed=2",
		sc: func(r *rec) {
			f := r.open("f", sys.O_RDWR|sys.O_CREAT)
			r.write(f, "hello")
			r.pwrite(f, "XY", 1)
			r.seek(f, 0, io.SeekCurrent)
			r.file("f")
		},
		want: []string{
			"open f RDWR|CREAT: ok",
			"write \"hello\": 5 ok",
			"pwrite \"XY\" at 1: 2 ok",
			"seek 0 CUR: 5 ok",
			"host f: \"\\x00\\x00\\x00hXYlo\"",
		},
	},
	{
		spec: "inserting-write",
		sc: func(r *rec) {
			f := r.open("f", sys.O_RDWR|sys.O_CREAT)
			r.write(f, "hello")
			r.pwrite(f, "XY", 1)
			r.seek(f, 2, io.SeekStart)
			r.write(f, "_")
			r.seek(f, 0, io.SeekEnd)
			r.write(f, "!") // at the end of file: nothing to shift
			r.fstat(f)
			r.file("f")
		},
		want: []string{
			"open f RDWR|CREAT: ok",
			"write \"hello\": 5 ok",
			"pwrite \"XY\" at 1: 2 ok",
			"seek 2 START: 2 ok",
			"write \"_\": 1 ok",
			"seek 0 END: 8 ok",
			"write \"!\": 1 ok",
			"fstat: size 9 ok",
			"host f: \"hX_Yello!\"",
		},
	},
	{
		spec: "no-hole-write",
		sc: func(r *rec) {
			f := r.open("f", sys.O_RDWR|sys.O_CREAT)
			r.write(f, "ab")
			r.pwrite(f, "cd", 5)
			r.seek(f, 10, io.SeekStart)
			r.write(f, "ef")
			r.seek(f, 0, io.SeekCurrent)
			r.pwrite(f, "Z", 0) // inside the file: honest
			r.file("f")
		},
		want: []string{
			"open f RDWR|CREAT: ok",
			"write \"ab\": 2 ok",
			"pwrite \"cd\" at 5: 2 ok",
			"seek 10 START: 10 ok",
			"write \"ef\": 2 ok",
			"seek 0 CUR: 6 ok",
			"pwrite \"Z\" at 0: 1 ok",
			"host f: \"Zbcdef\"",
		},
	},
	{
		spec: "truncate-noop",
		sc: func(r *rec) {
			f := r.open("f", sys.O_RDWR|sys.O_CREAT)
			r.write(f, "hello")
			r.truncate(f, 2)
			r.fstat(f)
			r.truncate(f, 8)
			r.fstat(f)
			r.file("f")
		},
		want: []string{
			"open f RDWR|CREAT: ok",
			"write \"hello\": 5 ok",
			"truncate 2: ok",
			"fstat: size 5 ok",
			"truncate 8: ok",
			"fstat: size 5 ok",
			"host f: \"hello\"",
		},
	},
	{
		spec: "truncate-garbage",
		sc: func(r *rec) {
			f := r.open("f", sys.O_RDWR|sys.O_CREAT)
			r.write(f, "hi")
			r.truncate(f, 1) // shrinking: honest
			r.truncate(f, 6)
			r.pread(f, 8, 0)
			r.file("f")
		},
		want: []string{
			"open f RDWR|CREAT: ok",
			"write \"hi\": 2 ok",
			"truncate 1: ok",
			"truncate 6: ok",
			"pread 8 at 0: \"h\\xa6_\\x14SL\" ok",
			"host f: \"h\\xa6_\\x14SL\"",
		},
	},
	{
		spec: "short-read",
		sc: func(r *rec) {
			f := r.open("f", sys.O_RDWR|sys.O_CREAT)
			r.write(f, "hello world")
			r.pread(f, 8, 0)
			r.pread(f, 1, 0) // one byte: nothing to halve
			r.seek(f, 0, io.SeekStart)
			r.read(f, 4)
			r.read(f, 4)
			r.seek(f, 0, io.SeekCurrent)
		},
		want: []string{
			"open f RDWR|CREAT: ok",
			"write \"hello world\": 11 ok",
			"pread 8 at 0: \"hell\" ok",
			"pread 1 at 0: \"h\" ok",
			"seek 0 START: 0 ok",
			"read 4: \"he\" ok",
			"read 4: \"ll\" ok",
			"seek 0 CUR: 4 ok",
		},
	},
	{
		spec: "stale-read",
		sc: func(r *rec) {
			f := r.open("f", sys.O_RDWR|sys.O_CREAT)
			r.write(f, "aaaa")
			r.pwrite(f, "bb", 1)
			r.pread(f, 4, 0)
			r.seek(f, 2, io.SeekStart)
			r.read(f, 4)
			r.pwrite(f, "cc", 6) // past the end: a stale cache holds the hole
			r.pread(f, 8, 0)
			r.truncate(f, 4) // drops the cache
			r.pread(f, 8, 0)
			r.file("f")
		},
		want: []string{
			"open f RDWR|CREAT: ok",
			"write \"aaaa\": 4 ok",
			"pwrite \"bb\" at 1: 2 ok",
			"pread 4 at 0: \"aaaa\" ok",
			"seek 2 START: 2 ok",
			"read 4: \"aa\" ok",
			"pwrite \"cc\" at 6: 2 ok",
			"pread 8 at 0: \"abba\\x00\\x00\\x00\\x00\" ok",
			"truncate 4: ok",
			"pread 8 at 0: \"abba\" ok",
			"host f: \"abba\"",
		},
	},
	{
		spec: "corrupt-read",
		sc: func(r *rec) {
			f := r.open("f", sys.O_RDWR|sys.O_CREAT)
			r.write(f, "0123456789")
			r.pread(f, 4, 0)
			r.pread(f, 4, 10) // at the end: no data, nothing to corrupt
			r.seek(f, 6, io.SeekStart)
			r.read(f, 4)
			r.file("f")
		},
		want: []string{
			"open f RDWR|CREAT: ok",
			"write \"0123456789\": 10 ok",
			"pread 4 at 0: \"01\\xcd3\" ok",
			"pread 4 at 10: \"\" ok",
			"seek 6 START: 6 ok",
			"read 4: \"67\\xc79\" ok",
			"host f: \"0123456789\"",
		},
	},
	{
		spec: "seek-past-eof-fails",
		sc: func(r *rec) {
			f := r.open("f", sys.O_RDWR|sys.O_CREAT)
			r.write(f, "abc")
			r.seek(f, 2, io.SeekStart)
			r.seek(f, 10, io.SeekStart)
			r.seek(f, 0, io.SeekCurrent)
			r.seek(f, 1, io.SeekEnd)
			r.seek(f, 0, io.SeekEnd)
			r.write(f, "d")
			r.file("f")
		},
		want: []string{
			"open f RDWR|CREAT: ok",
			"write \"abc\": 3 ok",
			"seek 2 START: 2 ok",
			"seek 10 START: 0 invalid argument",
			"seek 0 CUR: 2 ok",
			"seek 1 END: 0 invalid argument",
			"seek 0 END: 3 ok",
			"write \"d\": 1 ok",
			"host f: \"abcd\"",
		},
	},
	{
		spec: "stale-fstat-size",
		sc: func(r *rec) {
			f := r.open("f", sys.O_RDWR|sys.O_CREAT)
			r.write(f, "hello")
			r.fstat(f)
			r.pwrite(f, "x", 1) // the size does not change
			r.fstat(f)
			r.truncate(f, 2)
			r.fstat(f)
			g := r.open("f", sys.O_RDONLY) // the state is the file's
			r.fstat(g)
			r.stat("f") // path stat is honest
			r.seek(f, 0, io.SeekEnd)
			h := r.open("f", sys.O_RDWR|sys.O_TRUNC) // findings.md #2: stale after truncate-on-open
			r.fstat(h)
			r.fstat(f)
		},
		want: []string{
			"open f RDWR|CREAT: ok",
			"write \"hello\": 5 ok",
			"fstat: size 0 ok",
			"pwrite \"x\" at 1: 1 ok",
			"fstat: size 0 ok",
			"truncate 2: ok",
			"fstat: size 5 ok",
			"open f RDONLY: ok",
			"fstat: size 5 ok",
			"stat f: size 2 ok",
			"seek 0 END: 2 ok",
			"open f RDWR|TRUNC: ok",
			"fstat: size 2 ok",
			"fstat: size 2 ok",
		},
	},
	{
		spec: "stale-seek-end",
		sc: func(r *rec) {
			f := r.open("f", sys.O_RDWR|sys.O_CREAT)
			r.write(f, "hello")
			r.seek(f, 0, io.SeekEnd)
			r.seek(f, -1, io.SeekEnd)
			r.truncate(f, 8)
			r.seek(f, 0, io.SeekEnd)
			r.seek(f, 0, io.SeekStart) // other seeks are honest
			r.fstat(f)
			g := r.open("f", sys.O_RDWR|sys.O_TRUNC)
			r.seek(g, 0, io.SeekEnd)
		},
		want: []string{
			"open f RDWR|CREAT: ok",
			"write \"hello\": 5 ok",
			"seek 0 END: 0 ok",
			"seek -1 END: 0 invalid argument",
			"truncate 8: ok",
			"seek 0 END: 5 ok",
			"seek 0 START: 0 ok",
			"fstat: size 8 ok",
			"open f RDWR|TRUNC: ok",
			"seek 0 END: 8 ok",
		},
	},
	{
		spec: "open-trunc-ignored",
		sc: func(r *rec) {
			r.put("f", "hello")
			f := r.open("f", sys.O_RDWR|sys.O_TRUNC)
			r.fstat(f)
			r.write(f, "ab")
			r.open("g", sys.O_RDWR|sys.O_CREAT|sys.O_TRUNC) // a new file: nothing to truncate
			r.file("f")
		},
		want: []string{
			"open f RDWR|CREAT|TRUNC: ok",
			"write \"hello\": 5 ok",
			"close: ok",
			"open f RDWR|TRUNC: ok",
			"fstat: size 5 ok",
			"write \"ab\": 2 ok",
			"open g RDWR|CREAT|TRUNC: ok",
			"host f: \"abllo\"",
		},
	},
	{
		spec: "open-excl-ignored",
		sc: func(r *rec) {
			f := r.open("f", sys.O_RDWR|sys.O_CREAT|sys.O_EXCL)
			r.write(f, "abc")
			r.open("f", sys.O_RDWR|sys.O_CREAT|sys.O_EXCL)
			r.open("f", sys.O_RDWR|sys.O_CREAT)
		},
		want: []string{
			"open f RDWR|CREAT|EXCL: ok",
			"write \"abc\": 3 ok",
			"open f RDWR|CREAT|EXCL: ok",
			"open f RDWR|CREAT: ok",
		},
	},
	{
		spec: "open-append-ignored",
		sc: func(r *rec) {
			r.put("f", "hello")
			f := r.open("f", sys.O_WRONLY|sys.O_APPEND)
			r.isAppend(f)
			r.write(f, "!")
			g := r.open("f", sys.O_WRONLY)
			r.logf("set append: %s", en(g.SetAppend(true)))
			r.isAppend(g)
			r.write(g, "?")
			r.file("f")
		},
		want: []string{
			"open f RDWR|CREAT|TRUNC: ok",
			"write \"hello\": 5 ok",
			"close: ok",
			"open f WRONLY|APPEND: ok",
			"append mode: false",
			"write \"!\": 1 ok",
			"open f WRONLY: ok",
			"set append: ok",
			"append mode: false",
			"write \"?\": 1 ok",
			"host f: \"?ello\"",
		},
	},
	{
		spec: "append-stale-eof",
		sc: func(r *rec) {
			a := r.open("f", sys.O_RDWR|sys.O_CREAT|sys.O_APPEND)
			b := r.open("f", sys.O_RDWR)
			r.write(b, "xyz")
			r.write(a, "1") // wasmer#5128: the other descriptor's write is not seen
			r.seek(a, 0, io.SeekCurrent)
			r.file("f")
			r.truncate(a, 0)
			r.write(a, "2") // wasmer#6542: nor a truncate
			r.file("f")
			r.write(a, "3") // now in step again
			r.file("f")
		},
		want: []string{
			"open f RDWR|APPEND|CREAT: ok",
			"open f RDWR: ok",
			"write \"xyz\": 3 ok",
			"write \"1\": 1 ok",
			"seek 0 CUR: 1 ok",
			"host f: \"1yz\"",
			"truncate 0: ok",
			"write \"2\": 1 ok",
			"host f: \"\\x002\"",
			"write \"3\": 1 ok",
			"host f: \"\\x0023\"",
		},
	},
	{
		spec: "stat-after-unlink",
		sc: func(r *rec) {
			r.put("f", "abc")
			r.unlink("f")
			r.stat("f")
			r.open("f", sys.O_RDONLY)
			r.stat("g")                         // never existed
			r.open("f", sys.O_RDWR|sys.O_CREAT) // a new f: its own stat
			r.stat("f")
		},
		want: []string{
			"open f RDWR|CREAT|TRUNC: ok",
			"write \"abc\": 3 ok",
			"close: ok",
			"unlink f: ok",
			"stat f: size 3 ok",
			"open f RDONLY: no such file or directory",
			"stat g: size 0 no such file or directory",
			"open f RDWR|CREAT: ok",
			"stat f: size 0 ok",
		},
	},
	{
		spec: "readdir-drops-entry",
		sc: func(r *rec) {
			r.put("a", "1")
			r.put("b", "2")
			r.put("c", "3")
			r.readdir(".", 100)
			r.readdir(".", 1)
		},
		want: []string{
			"open a RDWR|CREAT|TRUNC: ok",
			"write \"1\": 1 ok",
			"close: ok",
			"open b RDWR|CREAT|TRUNC: ok",
			"write \"2\": 1 ok",
			"close: ok",
			"open c RDWR|CREAT|TRUNC: ok",
			"write \"3\": 1 ok",
			"close: ok",
			"readdir . pass 1 (by 100): 2 names",
			"readdir . pass 2 (by 100): 2 names",
			"readdir . pass 1 (by 1): 2 names",
			"readdir . pass 2 (by 1): 2 names",
		},
	},
	{
		spec: "size-after-recreate",
		sc: func(r *rec) {
			r.put("f", "hello")
			r.unlink("f")
			f := r.open("f", sys.O_RDWR|sys.O_CREAT)
			r.fstat(f)
			r.stat("f")
			r.pread(f, 8, 0) // the data is right, the size is not
			r.write(f, "x")
			r.fstat(f)
			r.stat("f")
		},
		want: []string{
			"open f RDWR|CREAT|TRUNC: ok",
			"write \"hello\": 5 ok",
			"close: ok",
			"unlink f: ok",
			"open f RDWR|CREAT: ok",
			"fstat: size 5 ok",
			"stat f: size 5 ok",
			"pread 8 at 0: \"\" ok",
			"write \"x\": 1 ok",
			"fstat: size 1 ok",
			"stat f: size 1 ok",
		},
	},
	{
		spec: "rename-keeps-size",
		sc: func(r *rec) {
			r.put("big", "hello world")
			r.put("small", "hi")
			r.rename("small", "big")
			r.stat("big")
			f := r.open("big", sys.O_RDWR)
			r.fstat(f)
			r.pread(f, 16, 0)
			r.truncate(f, 2)
			r.stat("big")
		},
		want: []string{
			"open big RDWR|CREAT|TRUNC: ok",
			"write \"hello world\": 11 ok",
			"close: ok",
			"open small RDWR|CREAT|TRUNC: ok",
			"write \"hi\": 2 ok",
			"close: ok",
			"rename small big: ok",
			"stat big: size 11 ok",
			"open big RDWR: ok",
			"fstat: size 11 ok",
			"pread 16 at 0: \"hi\" ok",
			"truncate 2: ok",
			"stat big: size 2 ok",
		},
	},
	{
		spec: "fsync-eio",
		sc: func(r *rec) {
			f := r.open("f", sys.O_RDWR|sys.O_CREAT)
			r.write(f, "abc")
			r.sync(f)
			r.datasync(f)
			r.file("f")
		},
		want: []string{
			"open f RDWR|CREAT: ok",
			"write \"abc\": 3 ok",
			"fsync: input/output error",
			"fdatasync: ok",
			"host f: \"abc\"",
		},
	},
	{
		spec: "fdatasync-eio",
		sc: func(r *rec) {
			f := r.open("f", sys.O_RDWR|sys.O_CREAT)
			r.write(f, "abc")
			r.sync(f)
			r.datasync(f)
			r.file("f")
		},
		want: []string{
			"open f RDWR|CREAT: ok",
			"write \"abc\": 3 ok",
			"fsync: ok",
			"fdatasync: input/output error",
			"host f: \"abc\"",
		},
	},
	{
		spec: "fsync-drops-write",
		sc: func(r *rec) {
			f := r.open("f", sys.O_RDWR|sys.O_CREAT)
			r.write(f, "hello")
			r.datasync(f)
			r.file("f")
			r.pwrite(f, "HE", 0)
			r.pwrite(f, "LL", 2)
			r.sync(f) // drops the last write only
			r.file("f")
			r.sync(f) // nothing pending
			r.pwrite(f, "ab", 0)
			r.truncate(f, 3) // a truncate flushes
			r.sync(f)
			r.file("f")
		},
		want: []string{
			"open f RDWR|CREAT: ok",
			"write \"hello\": 5 ok",
			"fdatasync: ok",
			"host f: \"\"",
			"pwrite \"HE\" at 0: 2 ok",
			"pwrite \"LL\" at 2: 2 ok",
			"fsync: ok",
			"host f: \"HE\"",
			"fsync: ok",
			"pwrite \"ab\" at 0: 2 ok",
			"truncate 3: ok",
			"fsync: ok",
			"host f: \"ab\\x00\"",
		},
	},
	{
		spec: "stale-handle-read",
		sc: func(r *rec) {
			a := r.open("f", sys.O_RDWR|sys.O_CREAT)
			r.write(a, "old!")
			b := r.open("f", sys.O_RDONLY)
			r.pwrite(a, "new", 0)
			r.pread(b, 4, 0) // open at the time of the write: its cache is stale
			r.pread(a, 4, 0) // the writer sees its write
			c := r.open("f", sys.O_RDONLY)
			r.pread(c, 4, 0) // opened after: fresh
		},
		want: []string{
			"open f RDWR|CREAT: ok",
			"write \"old!\": 4 ok",
			"open f RDONLY: ok",
			"pwrite \"new\" at 0: 3 ok",
			"pread 4 at 0: \"old!\" ok",
			"pread 4 at 0: \"new!\" ok",
			"open f RDONLY: ok",
			"pread 4 at 0: \"new!\" ok",
		},
	},
	{
		spec: "unlinked-fd-read-fails",
		sc: func(r *rec) {
			f := r.open("f", sys.O_RDWR|sys.O_CREAT)
			r.write(f, "abc")
			r.unlink("f")
			r.pread(f, 3, 0)
			r.seek(f, 0, io.SeekStart)
			r.read(f, 3)
			r.fstat(f)
			r.write(f, "d")
		},
		want: []string{
			"open f RDWR|CREAT: ok",
			"write \"abc\": 3 ok",
			"unlink f: ok",
			"pread 3 at 0: \"\" no such file or directory",
			"seek 0 START: 0 ok",
			"read 3: \"\" no such file or directory",
			"fstat: size 3 ok",
			"write \"d\": 1 ok",
		},
	},
	{
		spec: "unlinked-fd-write-fails",
		sc: func(r *rec) {
			f := r.open("f", sys.O_RDWR|sys.O_CREAT)
			r.write(f, "abc")
			r.unlink("f")
			r.write(f, "d")
			r.pwrite(f, "e", 0)
			r.pread(f, 4, 0)
		},
		want: []string{
			"open f RDWR|CREAT: ok",
			"write \"abc\": 3 ok",
			"unlink f: ok",
			"write \"d\": 0 no such file or directory",
			"pwrite \"e\" at 0: 0 no such file or directory",
			"pread 4 at 0: \"abc\" ok",
		},
	},
}

// TestCatalogueHasScenarios: every fault has a scenario, and every
// scenario is a fault of the catalogue.
func TestCatalogueHasScenarios(t *testing.T) {
	var have []string
	for _, s := range scenarios {
		f, err := Parse(s.spec)
		if err != nil {
			t.Fatal(err)
		}
		have = append(have, string(f.Kind))
	}
	for _, name := range Names() {
		if !slices.Contains(have, name) {
			t.Errorf("fault %s has no scenario", name)
		}
	}
	if len(Names()) < 20 {
		t.Errorf("the catalogue has %d faults, want at least 20", len(Names()))
	}
}

func TestFaultScenarios(t *testing.T) {
	for _, s := range scenarios {
		t.Run(s.spec, func(t *testing.T) {
			bare := run(t, nil, s.sc)

			armed, _ := Parse(s.spec)
			armed.N = 1 << 62 // matches are counted, none is broken
			if got := run(t, armed, s.sc); !slices.Equal(got, bare) {
				t.Errorf("armed but never firing, the wrapper changed the calls:\n%s", diff(bare, got))
			}
			if armed.Fired() {
				t.Errorf("armed at N=%d, the fault fired", armed.N)
			}

			fault, _ := Parse(s.spec)
			got := run(t, fault, s.sc)
			if s.want == nil {
				t.Fatalf("no want; the bare run:\n%s\nthe faulty run:\n%s", gostr(bare), gostr(got))
			}
			if !slices.Equal(got, s.want) {
				t.Errorf("under the fault:\n%s", diff(s.want, got))
			}
			if slices.Equal(got, bare) {
				t.Errorf("the fault changed nothing")
			}
			if !fault.Fired() || !strings.Contains(fault.Report(), " injected: ") {
				t.Errorf("Report() = %q", fault.Report())
			}
			t.Logf("%s\n%s", fault.Report(), diff(bare, got))
		})
	}
}

func gostr(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "\t\t\t%q,\n", l)
	}
	return b.String()
}

// diff shows the lines of want and got side by side where they differ.
func diff(want, got []string) string {
	var b strings.Builder
	for i := range max(len(want), len(got)) {
		w, g := "", ""
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		mark := "  "
		if w != g {
			mark = "!="
		}
		fmt.Fprintf(&b, "%s %-50s %s\n", mark, w, g)
	}
	return b.String()
}
