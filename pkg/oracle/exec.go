package oracle

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"
	"syscall"

	"github.com/fsx-wasix/fsx-wasix/internal/eintr"
	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
)

// Config is one oracle run.
type Config struct {
	Chain int   // command sequence length L
	Start int64 // first case index
	Count int64 // number of cases
	// Root holds the case directories. It must not be one of RefusedRoots.
	Root string
	// Lanes is how many independent case slices run in parallel, each
	// with its own two workers; records are merged in case order. <1 means 1.
	Lanes int
	// KeepFiles leaves each case's A and B in Root/case-NNNNNNN/ for a host
	// re-read. Otherwise each lane reuses one directory, Root/lane-K/,
	// emptied after every case: the case's files are the same, only the
	// directory's name differs, and no outcome depends on that name.
	KeepFiles bool
	// TmpDir is where C lives; "" means /tmp.
	TmpDir string
	// StderrFD is the descriptor write_stderr writes to; 0 means 2, the
	// process's stderr (tests point it elsewhere to stay quiet).
	StderrFD int
}

// RefusedRoots may not be the case root themselves: a run creates and
// removes many entries there, so it must get a subdirectory of its own.
var RefusedRoots = []string{"/", "/tmp", "/data"}

// CheckRoot refuses an empty root and the RefusedRoots.
func CheckRoot(root string) error {
	if root == "" {
		return errors.New("oracle mode needs a root directory (e.g. /tmp/fsx-oracle-native)")
	}
	clean := filepath.Clean(root)
	if abs, err := filepath.Abs(clean); err == nil {
		clean = abs
	}
	for _, r := range RefusedRoots {
		if clean == r {
			return fmt.Errorf("refusing root %s: give a subdirectory such as %s", root, filepath.Join(r, "fsx-oracle"))
		}
	}
	return nil
}

// CaseDir is the directory name of case index in a kept run.
func CaseDir(index int64) string { return fmt.Sprintf("case-%07d", index) }

// chunkCases is how many consecutive cases a lane runs before handing its
// records to the merger: large enough to amortise the hand-off, small
// enough to keep memory flat.
const chunkCases = 256

// Run executes cases [Start, Start+Count) and calls emit with each case's
// record in case order. rec is valid only during the call. A step's failure
// is an outcome, not an error; Run fails only when the run itself cannot go
// on (the root cannot be used, a case cannot be emptied, emit failed, ctx
// was cancelled).
func Run(ctx context.Context, cfg Config, emit func(index int64, rec []byte) error) error {
	if _, err := CaseCount(cfg.Chain); err != nil {
		return err
	}
	if err := CheckRoot(cfg.Root); err != nil {
		return err
	}
	if cfg.TmpDir == "" {
		cfg.TmpDir = "/tmp"
	}
	if cfg.Lanes < 1 {
		cfg.Lanes = 1
	}
	if nChunks := (cfg.Count + chunkCases - 1) / chunkCases; int64(cfg.Lanes) > nChunks {
		cfg.Lanes = max(1, int(nChunks))
	}
	if err := os.MkdirAll(cfg.Root, 0o755); err != nil {
		return fmt.Errorf("cannot create root: %w", err)
	}
	done := make(chan struct{})
	lanes := make([]*lane, cfg.Lanes)
	run := runs.Add(1)
	for i := range lanes {
		l, err := newLane(&cfg, i, run)
		if err != nil {
			for _, l := range lanes[:i] {
				l.stop()
			}
			return err
		}
		lanes[i] = l
	}
	for _, l := range lanes {
		go l.loop(ctx, done)
	}
	var err error
	defer gcOff()()
	index := cfg.Start
	for k := 0; err == nil && index < cfg.Start+cfg.Count; k++ {
		l := lanes[k%len(lanes)]
		ch := <-l.out
		if ch.err != nil {
			err = ch.err
			break
		}
		prev := 0
		for _, end := range ch.ends {
			if err = emit(index, ch.data[prev:end]); err != nil {
				break
			}
			index++
			prev = end
		}
		l.free <- ch
	}
	// Let every lane finish its current case (it owns OS threads and
	// files), then tidy up.
	close(done)
	for _, l := range lanes {
		<-l.exited
		if cerr := l.stop(); err == nil {
			err = cerr
		}
	}
	return err
}

type chunk struct {
	data []byte
	ends []int
	err  error
}

type handle struct {
	fd   int
	open bool
}

// lane runs one slice of cases on two workers: the lane's goroutine is
// worker 1, a second goroutine is worker 2; both lock their OS thread, so
// natively two real threads share the handles, as in the Rust tool.
type lane struct {
	caseFS
	id int

	c        Case
	outs     []fsop.Outcome
	readBuf  []byte
	snapBuf  []byte
	stderrLn []byte
	rec      []byte

	toW2   chan int
	fromW2 chan struct{}
	out    chan *chunk
	free   chan *chunk
	exited chan struct{}
}

// caseFS is the oracle's filesystem backend (an fsop.Backend): the two
// handles and the case's three files, named by path natively and through
// directory descriptors under wasip1 (fs_*.go), so its ops do not allocate
// there. A program's outcomes are what Apply answers; the lane adds the
// digests and names.
type caseFS struct {
	fsop.Unimplemented
	laneFS // how files are named to the kernel (fs_*.go)

	cfg      *Config
	dir      string             // reuse mode: the lane's directory; keep mode: the current case's
	paths    [len(Files)]string // native: the files' paths (fs_other.go)
	tmpPfx   string
	handles  [Handles]handle
	names    []string // ReadDir's answer, sorted
	stderrFD int
}

// Apply does op. A handle that is not open answers EBADF without asking
// the kernel: its old fd number may belong to another file by now, and fd
// numbering differs between platforms. Read and Write at an Offset seek
// there first; the catalog's use the Cursor.
func (fs *caseFS) Apply(op *fsop.Op, data []byte) fsop.Result {
	var h *handle
	if op.Handle != fsop.NoHandle {
		h = &fs.handles[op.Handle]
		if op.Kind != fsop.Open && !h.open {
			return fsop.Result{Err: fsop.EBADF}
		}
		if op.Kind.Positioned() && op.Offset != fsop.Cursor {
			if _, err := syscall.Seek(h.fd, int64(op.Offset), 0); err != nil {
				return fsop.Result{Err: fsop.ErrnoOf(err)}
			}
		}
	}
	var v int64
	var err error
	switch op.Kind {
	case fsop.Open:
		var fd int
		if fd, err = fs.open(int(op.File), sysOpenFlags(op.Flags)); err == nil {
			// Opening over an open handle replaces it (Rust drops the old
			// File after the new one is open); a failed open keeps it.
			if h.open {
				eintr.Close(h.fd)
			}
			h.fd, h.open = fd, true
		}
	case fsop.Close:
		h.open = false
		err = eintr.Close(h.fd)
	case fsop.Write:
		var n int
		n, err = eintr.Write(h.fd, data[:op.Size])
		v = int64(n)
	case fsop.Read:
		var n int
		for {
			n, err = syscall.Read(h.fd, data[:op.Size])
			if err != syscall.EINTR {
				break
			}
		}
		v = int64(n)
	case fsop.Seek:
		v, err = syscall.Seek(h.fd, int64(op.Offset), int(op.Whence))
	case fsop.Fstat:
		var st syscall.Stat_t
		if err = syscall.Fstat(h.fd, &st); err == nil {
			v = int64(st.Size)
		}
	case fsop.Stat:
		v, err = fs.stat(int(op.File))
	case fsop.ReadDir:
		fs.names, err = readDirNames(fs.dir, fs.names)
		v = int64(len(fs.names))
	case fsop.WriteStderr:
		var n int
		n, err = eintr.Write(fs.stderrFD, data[:op.Size])
		v = int64(n)
	case fsop.Delete:
		err = fs.unlink(int(op.File))
	default:
		return fs.Unimplemented.Apply(op, data)
	}
	if err != nil {
		return fsop.Result{Err: fsop.ErrnoOf(err)}
	}
	return fsop.Result{Value: v}
}

// fills are the bytes each handle writes: the biggest write is 32 KiB.
var fills = func() (f [Handles][]byte) {
	for h := range f {
		f[h] = make([]byte, 32<<10)
		for i := range f[h] {
			f[h][i] = fill[h]
		}
	}
	return
}()

// runs numbers the runs of this process, for C's path.
var runs atomic.Int64

func newLane(cfg *Config, id int, run int64) (*lane, error) {
	l := &lane{
		caseFS: caseFS{cfg: cfg, stderrFD: cmp.Or(cfg.StderrFD, 2),
			// The pid and the run number keep concurrent runs apart
			// (processes, and runs within one process); the case index
			// makes C's path unique per case.
			tmpPfx: filepath.Join(cfg.TmpDir, "fsx-oracle-c"+strconv.Itoa(os.Getpid())+"-"+strconv.FormatInt(run, 10)+"-"),
		},
		id:       id,
		outs:     make([]fsop.Outcome, cfg.Chain+len(Files)),
		readBuf:  make([]byte, 4<<10),
		snapBuf:  make([]byte, 64<<10),
		stderrLn: []byte(StderrLine),
		toW2:     make(chan int),
		fromW2:   make(chan struct{}),
		out:      make(chan *chunk, 1),
		free:     make(chan *chunk, 2),
		exited:   make(chan struct{}),
	}
	for i := 0; i < 2; i++ {
		l.free <- &chunk{data: make([]byte, 0, chunkCases*16), ends: make([]int, 0, chunkCases)}
	}
	if !cfg.KeepFiles {
		l.dir = filepath.Join(cfg.Root, "lane-"+strconv.Itoa(id))
		// A crashed earlier run may have left files: start empty.
		if err := os.RemoveAll(l.dir); err != nil {
			return nil, fmt.Errorf("cannot empty %s: %w", l.dir, err)
		}
		if err := os.Mkdir(l.dir, 0o755); err != nil {
			return nil, fmt.Errorf("cannot create %s: %w", l.dir, err)
		}
		l.setPaths()
	}
	if err := l.fsInit(); err != nil {
		return nil, err
	}
	go l.worker2()
	return l, nil
}

func (l *lane) setPaths() {
	l.paths[0] = l.dir + "/A"
	l.paths[1] = l.dir + "/B"
}

// stop ends worker 2 and removes the lane's directory (reuse mode).
func (l *lane) stop() error {
	close(l.toW2)
	l.fsClose()
	if !l.cfg.KeepFiles {
		if err := os.Remove(l.dir); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("cannot remove %s: %w", l.dir, err)
		}
	}
	return nil
}

func (l *lane) worker2() {
	lockThread()
	defer unlockThread()
	for i := range l.toW2 {
		l.exec(i)
		l.fromW2 <- struct{}{}
	}
}

func (l *lane) loop(ctx context.Context, done <-chan struct{}) {
	defer close(l.exited)
	lockThread()
	defer unlockThread()
	cfg := l.cfg
	end := cfg.Start + cfg.Count
	for k := int64(l.id); ; k += int64(cfg.Lanes) {
		first := cfg.Start + k*chunkCases
		if first >= end {
			return
		}
		var ch *chunk
		select {
		case ch = <-l.free:
		case <-done:
			return
		}
		ch.data, ch.ends, ch.err = ch.data[:0], ch.ends[:0], nil
		if ch.err = ctx.Err(); ch.err == nil {
			for i := first; i < min(first+chunkCases, end); i++ {
				if ch.err = l.runCase(i); ch.err != nil {
					break
				}
				ch.data = append(ch.data, l.rec...)
				ch.ends = append(ch.ends, len(ch.data))
			}
		}
		select {
		case l.out <- ch:
		case <-done:
			return
		}
		if ch.err != nil {
			return
		}
	}
}

// runCase runs one case from empty files to its record in l.rec.
func (l *lane) runCase(index int64) error {
	cfg := l.cfg
	l.c.Decode(cfg.Chain, index)
	if cfg.KeepFiles {
		l.dir = filepath.Join(cfg.Root, CaseDir(index))
		if err := os.Mkdir(l.dir, 0o755); errors.Is(err, os.ErrExist) {
			// Left by an earlier run: a case starts from empty files.
			if err := os.RemoveAll(l.dir); err != nil {
				return fmt.Errorf("case %d: cannot empty %s: %w", index, l.dir, err)
			}
			err = os.Mkdir(l.dir, 0o755)
		} else if err != nil {
			return fmt.Errorf("case %d: cannot create %s: %w", index, l.dir, err)
		}
		l.setPaths()
	}
	if err := l.fsCase(index); err != nil {
		return fmt.Errorf("case %d: %w", index, err)
	}
	for i, st := range l.c.Steps {
		if st.Worker == 1 {
			l.exec(i)
		} else {
			// Strict hand-off: worker 2 runs the step while worker 1 waits,
			// so the order is the program's on every platform.
			l.toW2 <- i
			<-l.fromW2
		}
	}
	for h := range l.handles {
		if l.handles[h].open {
			eintr.Close(l.handles[h].fd)
			l.handles[h].open = false
		}
	}
	L := cfg.Chain
	for f := range Files {
		fd, err := l.open(f, syscall.O_RDONLY)
		snapshotFD(fd, err, l.snapBuf, &l.outs[L+f])
	}
	// Empty the case for the next one: C always (it is outside the root),
	// A and B unless they are kept for the host re-read.
	for f := range Files {
		if cfg.KeepFiles && f < 2 || l.outs[L+f].Err == fsop.ENOENT {
			continue
		}
		if err := l.unlink(f); err != nil && err != syscall.ENOENT {
			return fmt.Errorf("case %d: cannot remove %s: %w", index, Files[f], err)
		}
	}
	l.rec = fsop.AppendArray(l.rec[:0], len(l.outs))
	for i := range l.outs {
		l.rec = l.outs[i].Append(l.rec)
	}
	return nil
}

// exec runs step i of the current case on the backend and records its
// outcome: the result, plus the digest of what a read returned and the
// names read_dir listed.
func (l *lane) exec(i int) {
	op := l.c.Steps[i].Entry.Op()
	o := &l.outs[i]
	names := o.Names[:0]
	*o = fsop.Outcome{Names: names}
	var data []byte
	switch op.Kind {
	case fsop.Write:
		data = fills[op.Handle]
	case fsop.Read:
		data = l.readBuf
	case fsop.WriteStderr:
		data = l.stderrLn
	}
	r := l.Apply(&op, data)
	if r.Err != fsop.OK {
		o.Err = r.Err
		return
	}
	o.Value = r.Value
	switch op.Kind {
	case fsop.Read:
		o.Shape = fsop.ShapeData
		o.Data.Write(data[:r.Value])
	case fsop.ReadDir:
		o.Shape, o.Names = fsop.ShapeNames, append(names, l.names...)
	}
}

func readDirNames(dir string, buf []string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return buf, err
	}
	defer f.Close()
	ns, err := f.Readdirnames(-1)
	if err != nil {
		return buf, err
	}
	sort.Strings(ns)
	return append(buf[:0], ns...), nil
}

// snapshot records whether path exists, its size and a digest of its
// content, into o. buf is scratch space.
func snapshot(path string, buf []byte, o *fsop.Outcome) {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(path, syscall.O_RDONLY, 0)
		if err != syscall.EINTR {
			break
		}
	}
	snapshotFD(fd, err, buf, o)
}

// snapshotFD is snapshot of a file already opened read-only as fd, or of
// the error that opening it gave; it closes fd.
func snapshotFD(fd int, err error, buf []byte, o *fsop.Outcome) {
	names := o.Names[:0]
	*o = fsop.Outcome{Shape: fsop.ShapeData, Names: names}
	if err != nil {
		*o = fsop.Outcome{Err: fsop.ErrnoOf(err), Names: names}
		return
	}
	defer eintr.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		*o = fsop.Outcome{Err: fsop.ErrnoOf(err), Names: names}
		return
	}
	o.Value = int64(st.Size)
	for {
		n, err := syscall.Read(fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			*o = fsop.Outcome{Err: fsop.ErrnoOf(err), Names: names}
			return
		}
		if n <= 0 {
			return
		}
		o.Data.Write(buf[:n])
	}
}

// Snapshot is the snapshot of one file as the executor takes it; the
// host-side re-read uses it so both sides digest files the same way.
func Snapshot(path string) fsop.Outcome {
	var o fsop.Outcome
	snapshot(path, make([]byte, 64<<10), &o)
	return o
}

// sysOpenFlags maps portable open flags to this platform's numbers.
func sysOpenFlags(f fsop.OpenFlags) int {
	mode := syscall.O_RDONLY
	switch {
	case f&fsop.ReadWrite != 0:
		mode = syscall.O_RDWR
	case f&fsop.WriteOnly != 0:
		mode = syscall.O_WRONLY
	}
	for _, m := range [...]struct {
		f   fsop.OpenFlags
		sys int
	}{{fsop.Create, syscall.O_CREAT}, {fsop.Excl, syscall.O_EXCL}, {fsop.Trunc, syscall.O_TRUNC}, {fsop.Append, syscall.O_APPEND}} {
		if f&m.f != 0 {
			mode |= m.sys
		}
	}
	return mode
}
