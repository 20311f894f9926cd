package diff

import (
	"fmt"
	"syscall"

	"github.com/fsx-wasix/fsx-wasix/internal/eintr"
	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
)

// Values a success records where the platform's own number is not
// portable (the normalisations, docs/diff.md).
const (
	// ValueDir is the size fstat and stat record for a directory: a
	// directory's st_size is the filesystem's business (4096 on ext4, 0 or
	// the entry count in memory), so only "a directory" is compared.
	ValueDir = 1 << 62
	// ValueUnspecified is the count a read_dir_batch records once its
	// directory may have changed since the handle was opened: POSIX leaves
	// open whether entries added or removed meanwhile are returned, so the
	// count is not compared; the stream's verdict on close is.
	ValueUnspecified = 1 << 61
	// ValueNegative marks a negative success value (an outcome's encoding
	// has no negative values: they are error kinds): -v is recorded as
	// ValueNegative+v. Only a broken runtime answers one (a seek that
	// reports a negative offset).
	ValueNegative = 1 << 59
)

// handle is one of a program's four handles.
type handle struct {
	fd   int
	open bool
	dir  bool // fstat said directory when it was opened
	ds   dirState
	st   stream
}

// stream is what a directory handle's batches returned, judged on close
// against what POSIX guarantees: every entry present when the directory was
// opened and not added, removed or renamed since ("stable") is returned
// exactly once; nothing is returned that was never there.
type stream struct {
	read     bool  // a batch was read
	key      int8  // the path of the directory now (fsop.NoFile: the root; or detached, outOfReach)
	baseline uint8 // leaves in the directory when the handle was opened
	touched  uint8 // leaves of this directory some namespace op has named since
	seen     [NumLeaves]uint8
	phantoms [4]string // names outside the namespace that were returned
	nPhantom int
}

// Executor runs programs in one case directory: an fsop.Backend over the
// program's four handles and the names of Paths. By path natively, through
// a descriptor of the case directory under wasip1 (fs_*.go); under wasip1
// a program allocates nothing once the buffers have grown.
type Executor struct {
	fsop.Unimplemented
	sys sysFS

	// Keep leaves a program's tree in its directory after Run instead of
	// emptying it (--diff-keep): the caller gives the next program another
	// directory (Retarget).
	Keep bool

	handles [Handles]handle
	prog    fsop.Program
	step    int

	wbuf, rbuf, snapBuf, listBuf []byte
	nativeNames                  []string
	names                        []string // read_dir's answer, sorted
	verdict                      []string // the verdict of a stream a step closed
	judged                       bool     // a step closed a stream that was read: verdict is its verdict
	lists                        [maxDepth + 2][]string
	pbuf                         []byte // the path a walk is at
	snap                         []snapEntry
	snapPaths                    []byte
	snapFull                     bool
	out                          fsop.Outcome
	rec                          []byte

	toW2   chan int
	fromW2 chan struct{}
	closed bool
}

type snapEntry struct {
	p0, p1 int // the path in snapPaths
	o      fsop.Outcome
}

// pathBytes are Paths as bytes, for the platform layer; "." is the root.
var pathBytes = func() (p [NumPaths][]byte) {
	for i := range p {
		p[i] = []byte(Paths[i])
	}
	return
}()

var rootPath = []byte(".")

func relOf(p int8) []byte {
	if p < 0 || int(p) >= NumPaths {
		return rootPath
	}
	return pathBytes[p]
}

// NewExecutor runs programs in dir, an existing empty directory that it
// owns until Close. It starts worker 2.
func NewExecutor(dir string) (*Executor, error) {
	e := newWalker()
	e.wbuf, e.rbuf = make([]byte, MaxIO), make([]byte, MaxIO)
	e.names = make([]string, 0, 4*maxListNames+2)
	e.verdict = make([]string, 0, NumLeaves+4)
	e.rec = make([]byte, 0, 4096)
	e.toW2, e.fromW2 = make(chan int), make(chan struct{})
	for i := range e.handles {
		e.handles[i].ds = newDirState()
	}
	e.out.Names = make([]string, 0, 4*maxListNames+2)
	if err := e.sys.init(dir); err != nil {
		return nil, err
	}
	go e.worker2()
	return e, nil
}

// newWalker is an executor with only what a snapshot needs: no handles'
// buffers, no worker 2.
func newWalker() *Executor {
	e := &Executor{
		snapBuf:     make([]byte, 64<<10),
		listBuf:     make([]byte, 4096),
		nativeNames: make([]string, 0, 64),
		pbuf:        make([]byte, 0, 512),
		snap:        make([]snapEntry, 0, maxSnapshot+1),
		snapPaths:   make([]byte, 0, 4096),
	}
	for i := range e.lists {
		e.lists[i] = make([]string, 0, 4*maxListNames+2)
	}
	return e
}

// Retarget moves the executor to another existing empty directory,
// keeping its buffers (nothing is collected under wasip1).
func (e *Executor) Retarget(dir string) error {
	e.closeAll()
	e.sys.close()
	return e.sys.init(dir)
}

func (e *Executor) closeAll() {
	for i := range e.handles {
		if e.handles[i].open {
			eintr.Close(e.handles[i].fd)
			e.handles[i].open = false
		}
	}
}

// Close stops worker 2 and closes what the executor holds open.
func (e *Executor) Close() {
	if e.closed {
		return
	}
	e.closed = true
	close(e.toW2)
	e.closeAll()
	e.sys.close()
}

func (e *Executor) worker2() {
	lockThread()
	defer unlockThread()
	for i := range e.toW2 {
		e.exec(i)
		e.fromW2 <- struct{}{}
	}
}

// Run runs prog from an empty case directory and returns its record (valid
// until the next Run): every step's outcome, then the final snapshot. The
// case directory is emptied afterwards (unless Keep); an error means it
// could not be, and the executor cannot go on.
func (e *Executor) Run(prog fsop.Program) ([]byte, error) {
	lockThread()
	defer unlockThread()
	e.prog = prog
	e.rec = fsop.AppendArray(e.rec[:0], len(prog)+1)
	for i := range prog {
		if prog[i].Worker == 2 {
			// Strict hand-off: worker 2 runs the step while worker 1 waits,
			// so the order is the program's on every platform.
			e.toW2 <- i
			<-e.fromW2
		} else {
			e.exec(i)
		}
	}
	// The end: close every handle (a directory stream's verdict goes into
	// the final snapshot), then snapshot the tree.
	e.snapStart()
	for i := range e.handles {
		h := &e.handles[i]
		if !h.open {
			continue
		}
		e.verdict, e.judged = e.verdict[:0], false
		e.closeHandle(h)
		if e.judged && !e.snapFull {
			o := e.addEntry([]byte(streamPaths[i]))
			o.Shape, o.Names = fsop.ShapeNames, append(o.Names[:0], e.verdict...)
			o.Value = int64(len(o.Names))
		}
	}
	e.walkRoot()
	e.rec = e.appendSnap(e.rec)
	if e.Keep {
		return e.rec, nil
	}
	return e.rec, e.empty()
}

// streamPaths name a handle's stream verdict in a snapshot.
var streamPaths = [Handles]string{"h0 stream", "h1 stream", "h2 stream", "h3 stream"}

// exec runs step i and appends its outcome to the record.
func (e *Executor) exec(i int) {
	op := &e.prog[i].Op
	e.step = i
	if op.Kind == fsop.Snapshot {
		e.snapStart()
		e.walkRoot()
		e.rec = e.appendSnap(e.rec)
		return
	}
	o := &e.out
	names := o.Names[:0]
	*o = fsop.Outcome{Names: names}
	e.verdict, e.judged = e.verdict[:0], false
	var data []byte
	switch op.Kind {
	case fsop.Write, fsop.MapWrite:
		if op.Size <= MaxIO {
			data = e.wbuf[:op.Size]
			c := FillOf(i)
			for j := range data {
				data[j] = c
			}
		}
	case fsop.Read, fsop.MapRead:
		data = e.rbuf
	}
	r := e.Apply(op, data)
	if r.Err != fsop.OK {
		o.Err = r.Err
	} else {
		e.touch(op)
		o.Value = r.Value
		if o.Value < 0 {
			o.Value = ValueNegative + min(-o.Value, ValueNegative-1)
		}
		switch op.Kind {
		case fsop.Read, fsop.MapRead:
			o.Shape = fsop.ShapeData
			o.Data.Write(data[:r.Value])
		case fsop.ReadDir:
			o.Shape, o.Names = fsop.ShapeNames, append(names, e.names...)
		}
		if e.judged { // close, or open over a directory handle that was read
			o.Shape, o.Names = fsop.ShapeNames, append(names, e.verdict...)
			o.Value = int64(len(o.Names))
		}
	}
	e.rec = o.Append(e.rec)
}

// touch updates every open directory stream after a namespace op that
// succeeded: the leaves it named in the stream's directory are marked
// (POSIX does not say whether a stream returns entries added or removed
// after it was opened), and a stream follows its directory — a rename
// moves its key, removing the directory detaches it (no name reaches it
// then, and nothing may be created in it). It goes by the outcome: where
// two platforms' outcomes differ, that step is the divergence reported
// first, so what follows from it does not decide a signature. A stream
// whose directory moves out of the namespace's reach, or that remove_all
// empties, has every leaf marked.
func (e *Executor) touch(op *fsop.Op) {
	switch op.Kind {
	case fsop.Open:
		if op.Flags&fsop.Create != 0 && op.File >= 0 {
			e.mark(op.File)
		}
	case fsop.Delete, fsop.Mkdir, fsop.Link:
		p := op.File
		if op.Kind == fsop.Link {
			p = op.File2
		}
		e.mark(p)
	case fsop.Rmdir:
		e.mark(op.File)
		e.rekey(func(k int8) int8 {
			if k == op.File {
				return detached
			}
			return k
		})
	case fsop.RemoveAll:
		e.mark(op.File)
		for i := range e.handles {
			h := &e.handles[i]
			if h.open && h.dir && (h.st.key == op.File || h.st.key >= 0 && parentPath(h.st.key) == op.File) {
				h.st.touched, h.st.key = 0xff, detached
			}
		}
	case fsop.Rename:
		s, d := op.File, op.File2
		if s == d {
			return
		}
		e.mark(s)
		e.mark(d)
		e.rekey(func(k int8) int8 {
			switch {
			case k == d:
				return detached // an empty directory the rename replaced
			case k == s:
				return d
			case k >= 0 && parentPath(k) == s: // a directory inside the one that moved
				if c := childOf(d, leafOf(k)); c >= 0 {
					return c
				}
				return outOfReach
			}
			return k
		})
	}
}

// Stream keys that are not paths.
const (
	detached   int8 = -2 // the directory was removed: no name reaches it
	outOfReach int8 = -3 // the directory moved below the namespace's depth
)

// mark marks leaf p in the streams of p's directory.
func (e *Executor) mark(p int8) {
	dir, leaf := parentPath(p), leafOf(p)
	for i := range e.handles {
		if h := &e.handles[i]; h.open && h.dir && h.st.key == dir {
			h.st.touched |= 1 << leaf
		}
	}
}

// rekey moves every open stream's key through f.
func (e *Executor) rekey(f func(int8) int8) {
	for i := range e.handles {
		h := &e.handles[i]
		if !h.open || !h.dir {
			continue
		}
		if h.st.key = f(h.st.key); h.st.key == outOfReach {
			h.st.touched = 0xff
		}
	}
}

// parentPath is the path of p's directory (fsop.NoFile for the root).
func parentPath(p int8) int8 {
	switch parentOf(p) {
	case 1:
		return 4 // d0
	case 2:
		return 5 // d1
	}
	return fsop.NoFile
}

func ok(v int64) fsop.Result { return fsop.Result{Value: v} }

// fail normalises an error of op k once, here (docs/diff.md):
//   - EEXIST from rmdir, rename or remove_all is ENOTEMPTY: POSIX lets a
//     non-empty directory be refused with either, Linux says ENOTEMPTY;
//   - EPERM from delete (unlink) is EISDIR: POSIX says EPERM for unlink of
//     a directory, Linux EISDIR.
func fail(k fsop.Kind, err error) fsop.Result {
	n := fsop.ErrnoOf(err)
	switch {
	case n == fsop.EEXIST && (k == fsop.Rmdir || k == fsop.Rename || k == fsop.RemoveAll):
		n = fsop.ENOTEMPTY
	case n == fsop.EPERM && k == fsop.Delete:
		n = fsop.EISDIR
	}
	return fsop.Result{Err: n}
}

// Apply does op. A handle that is not open answers EBADF without asking
// the platform (its old descriptor number may be another file's by now,
// and numbering differs between Linux and WASI), as in the oracle. Ops
// beyond the catalog's limits (only a hand-built op can have them) answer
// EINVAL without a syscall.
func (e *Executor) Apply(op *fsop.Op, data []byte) fsop.Result {
	var h *handle
	if op.Handle != fsop.NoHandle {
		if op.Handle < 0 || int(op.Handle) >= Handles {
			return fsop.Result{Err: fsop.EINVAL}
		}
		h = &e.handles[op.Handle]
		if op.Kind != fsop.Open && !h.open {
			return fsop.Result{Err: fsop.EBADF}
		}
	}
	if op.Size > MaxIO && (op.Kind.Reads() || op.Kind.Writes()) || op.Kind.Positioned() && op.Offset != fsop.Cursor && op.Offset > MaxOffset ||
		op.Kind == fsop.Truncate && op.Size > MaxOffset {
		return fsop.Result{Err: fsop.EINVAL}
	}
	k := op.Kind
	switch k {
	case fsop.Open:
		return e.open(h, op)
	case fsop.Close:
		if err := e.closeHandle(h); err != nil {
			return fail(k, err)
		}
		return ok(0)
	case fsop.Read:
		var n int
		err := eintr.Retry(func() (err error) { n, err = syscall.Read(h.fd, data[:op.Size]); return })
		if err == syscall.EINVAL && h.dir {
			// ext4 answers EINVAL once a directory stream's offset is its
			// end-of-directory hash cookie (the offset check fails before
			// the directory check); tmpfs and every other state say EISDIR.
			err = syscall.EISDIR
		}
		if err != nil {
			return fail(k, err)
		}
		return ok(int64(n))
	case fsop.Write:
		n, err := eintr.Write(h.fd, data[:op.Size])
		if err != nil {
			return fail(k, err)
		}
		return ok(int64(n))
	case fsop.MapRead:
		var n int
		err := eintr.Retry(func() (err error) { n, err = syscall.Pread(h.fd, data[:op.Size], int64(op.Offset)); return })
		if err != nil {
			return fail(k, err)
		}
		return ok(int64(n))
	case fsop.MapWrite:
		var n int
		err := eintr.Retry(func() (err error) { n, err = syscall.Pwrite(h.fd, data[:op.Size], int64(op.Offset)); return })
		if err != nil {
			return fail(k, err)
		}
		return ok(int64(n))
	case fsop.Seek:
		if h.dir {
			// Not issued: a directory's offset is a filesystem-private
			// cookie (ext4 seeks to hash positions, tmpfs refuses SEEK_END
			// with EINVAL), so Linux has no one answer; and under WASI a
			// stream's position is the cookie fd_readdir is given, which
			// fd_seek does not move. Recorded as ok(~).
			return ok(ValueUnspecified)
		}
		var v int64
		err := eintr.Retry(func() (err error) { v, err = syscall.Seek(h.fd, int64(op.Offset), int(op.Whence)); return })
		if err != nil {
			return fail(k, err)
		}
		return ok(v)
	case fsop.Truncate:
		if err := eintr.Retry(func() error { return syscall.Ftruncate(h.fd, int64(op.Size)) }); err != nil {
			return fail(k, err)
		}
		return ok(0)
	case fsop.Fstat:
		size, t, err := fstatType(h.fd)
		if err != nil {
			return fail(k, err)
		}
		return ok(sizeValue(size, t))
	case fsop.Fsync:
		if err := eintr.Retry(func() error { return syscall.Fsync(h.fd) }); err != nil {
			return fail(k, err)
		}
		return ok(0)
	case fsop.Fdatasync:
		if err := eintr.Retry(func() error { return fdatasync(h.fd) }); err != nil {
			return fail(k, err)
		}
		return ok(0)
	case fsop.ReadDirBatch:
		if op.Size == 0 || op.Size > MaxBatch {
			return fsop.Result{Err: fsop.EINVAL}
		}
		h.st.read = true
		n, err := e.readBatch(h, int(op.Size))
		if err == syscall.ENOENT && h.dir {
			// Linux answers getdents on a directory that was removed while
			// open with ENOENT; POSIX has such a directory empty. Normalised
			// to the end of the stream.
			err = nil
		}
		if err != nil {
			return fail(k, err)
		}
		if h.st.touched != 0 {
			return ok(ValueUnspecified)
		}
		return ok(int64(n))
	case fsop.Stat:
		size, t, err := e.sys.stat(relOf(op.File))
		if err != nil {
			return fail(k, err)
		}
		return ok(sizeValue(size, t))
	case fsop.Delete:
		return e.result(k, e.sys.unlink(relOf(op.File)))
	case fsop.Rename:
		return e.result(k, e.sys.rename(relOf(op.File), relOf(op.File2)))
	case fsop.Link:
		return e.result(k, e.sys.link(relOf(op.File), relOf(op.File2)))
	case fsop.Mkdir:
		return e.result(k, e.sys.mkdir(relOf(op.File)))
	case fsop.Rmdir:
		return e.result(k, e.sys.rmdir(relOf(op.File)))
	case fsop.RemoveAll:
		e.pbuf = append(e.pbuf[:0], relOf(op.File)...)
		n, err := e.removeAll(0)
		if err != nil {
			return fail(k, err)
		}
		return ok(n)
	case fsop.ReadDir:
		names, err := e.listDir(relOf(op.File), e.names[:0])
		e.names = capNames(sortNames(names))
		if err != nil {
			return fail(k, err)
		}
		return ok(int64(len(e.names)))
	}
	return e.Unimplemented.Apply(op, data)
}

func (e *Executor) result(k fsop.Kind, err error) fsop.Result {
	if err != nil {
		return fail(k, err)
	}
	return ok(0)
}

func sizeValue(size int64, t uint8) int64 {
	if t == kDir {
		return ValueDir
	}
	return size
}

// open opens op.File as h. Opening over an open handle replaces it: the new
// file is opened, then the old one closed (as the oracle does); a failed
// open leaves the handle as it was.
func (e *Executor) open(h *handle, op *fsop.Op) fsop.Result {
	if op.Flags&fsop.Directory != 0 && op.Flags&(fsop.WriteOnly|fsop.ReadWrite) != 0 {
		// Go's wasip1 syscall.Open answers EISDIR here without asking the
		// runtime, where Linux answers ENOTDIR for a file: normalised to
		// Go's answer on every platform, without a syscall.
		return fsop.Result{Err: fsop.EISDIR}
	}
	rel := relOf(op.File)
	fd, err := e.sys.open(rel, sysOpenFlags(op.Flags))
	if err != nil {
		return fail(fsop.Open, err)
	}
	_, t, serr := fstatType(fd)
	if h.open {
		e.closeHandle(h)
	}
	*h = handle{fd: fd, open: true, dir: serr == nil && t == kDir, ds: h.ds}
	h.ds.reset()
	h.st.key = op.File
	if h.dir {
		// What the stream must return: the directory's entries now.
		names, _ := e.listDir(rel, e.lists[0][:0])
		for _, n := range names {
			if l := leafIndex(n); l >= 0 {
				h.st.baseline |= 1 << l
			}
		}
	}
	return ok(0)
}

// closeHandle closes h. A directory stream that was read is first read to
// its end and its verdict left in e.verdict.
func (e *Executor) closeHandle(h *handle) error {
	if h.dir && h.st.read {
		for i := 0; i < 32; i++ {
			if n, err := e.readBatch(h, 8); err != nil || n < 8 {
				break
			}
		}
		e.judge(h)
		e.judged = true
	}
	h.open = false
	return eintr.Close(h.fd)
}

// The verdict's words: "A" a stable entry returned once, "-A" one never
// returned, "A×2+" one returned more than once, "+A" a name returned that
// was never there (neither when the handle opened nor named since).
var verdictWords = func() (w [NumLeaves][4]string) {
	for l, n := range Leaves {
		w[l] = [4]string{n, "-" + n, n + "×2+", "+" + n}
	}
	return
}()

// judge spells h's stream verdict into e.verdict, in leaf (sorted) order.
func (e *Executor) judge(h *handle) {
	st := &h.st
	stable := st.baseline &^ st.touched
	for l := 0; l < NumLeaves; l++ {
		bit := uint8(1) << l
		switch c := st.seen[l]; {
		case stable&bit != 0 && c == 1:
			e.verdict = append(e.verdict, verdictWords[l][0])
		case stable&bit != 0 && c == 0:
			e.verdict = append(e.verdict, verdictWords[l][1])
		case stable&bit != 0:
			e.verdict = append(e.verdict, verdictWords[l][2])
		case st.touched&bit == 0 && c > 0:
			e.verdict = append(e.verdict, verdictWords[l][3])
		}
	}
	for _, p := range st.phantoms[:st.nPhantom] {
		e.verdict = append(e.verdict, "+"+p)
	}
}

// noteEntry counts one entry a batch of h returned.
func (e *Executor) noteEntry(h *handle, name []byte) {
	st := &h.st
	if l := leafIndexBytes(name); l >= 0 {
		if st.seen[l] < 255 {
			st.seen[l]++
		}
	} else if st.nPhantom < len(st.phantoms) {
		st.phantoms[st.nPhantom] = string(name) // only a runtime inventing names gets here
		st.nPhantom++
	}
}

func isDot(b []byte) bool {
	return len(b) == 1 && b[0] == '.' || len(b) == 2 && b[0] == '.' && b[1] == '.'
}

func leafIndexBytes(b []byte) int {
	for i, n := range Leaves {
		if string(b) == n { // no allocation: the compiler compares in place
			return i
		}
	}
	return -1
}

func leafIndex(s string) int {
	for i, n := range Leaves {
		if s == n {
			return i
		}
	}
	return -1
}

// appendName interns a listed name: the namespace's names are static
// strings, so listing them allocates nothing.
func appendName(out []string, b []byte) []string {
	if l := leafIndexBytes(b); l >= 0 {
		return append(out, Leaves[l])
	}
	return append(out, string(b))
}

func sortNames(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

// truncMark ends a listing cut at maxListNames names.
const truncMark = "…"

func capNames(s []string) []string {
	if len(s) > maxListNames {
		return append(s[:maxListNames], truncMark)
	}
	return s
}

// removeAll removes e.pbuf and, if it is a directory, everything below it
// (rm -r: children in sorted order, depth first, stopping at the first
// error) and returns how many entries it removed. It is the same sequence
// of stat, list, unlink and rmdir on every platform.
func (e *Executor) removeAll(depth int) (int64, error) {
	_, t, err := e.sys.stat(e.pbuf)
	if err != nil {
		return 0, err
	}
	if t != kDir {
		if err := e.sys.unlink(e.pbuf); err != nil {
			return 0, err
		}
		return 1, nil
	}
	if depth >= maxDepth {
		return 0, syscall.ELOOP
	}
	names, err := e.listDir(e.pbuf, e.lists[depth+1][:0])
	if err != nil {
		return 0, err
	}
	sortNames(names)
	base := len(e.pbuf)
	var n int64
	for _, name := range names {
		e.pbuf = append(append(e.pbuf, '/'), name...)
		c, err := e.removeAll(depth + 1)
		e.pbuf = e.pbuf[:base]
		n += c
		if err != nil {
			return n, err
		}
	}
	if err := e.sys.rmdir(e.pbuf); err != nil {
		return n, err
	}
	return n + 1, nil
}

// EmptyError is a case directory that could not be emptied after a
// program: the program's record is whole (and shows the cause in its
// snapshot, e.g. a name that is listed but cannot be looked up), but the
// next program needs another directory.
type EmptyError struct {
	Name string
	Err  error
}

func (e *EmptyError) Error() string {
	return fmt.Sprintf("cannot empty the case directory (%s): %v", e.Name, e.Err)
}
func (e *EmptyError) Unwrap() error { return e.Err }

// empty removes everything in the case directory after a program.
func (e *Executor) empty() error {
	names, err := e.listDir(rootPath, e.lists[0][:0])
	if err != nil {
		return &EmptyError{".", err}
	}
	for _, n := range names {
		e.pbuf = append(e.pbuf[:0], n...)
		if _, err := e.removeAll(0); err != nil {
			return &EmptyError{string(e.pbuf), err}
		}
	}
	return nil
}

// Snapshots: the tree walked from the root, depth first in sorted order.
// Each entry is a path and its state: "." and "d0/" (directories end in
// "/") with their sorted names, files with their size and content digest,
// "hK stream" with a stream's verdict; an entry that could not be read
// has its error kind.

func (e *Executor) snapStart() {
	e.snap, e.snapPaths, e.snapFull = e.snap[:0], e.snapPaths[:0], false
}

// addEntry adds an entry for path and returns its outcome, emptied.
func (e *Executor) addEntry(path []byte) *fsop.Outcome {
	if len(e.snap) == maxSnapshot {
		// Too many entries to record: one last entry says so.
		e.snapFull = true
		path = []byte(truncMark)
	}
	p0 := len(e.snapPaths)
	e.snapPaths = append(e.snapPaths, path...)
	if len(e.snap) < cap(e.snap) {
		e.snap = e.snap[:len(e.snap)+1]
	} else {
		e.snap = append(e.snap, snapEntry{})
	}
	se := &e.snap[len(e.snap)-1]
	names := se.o.Names[:0]
	*se = snapEntry{p0: p0, p1: len(e.snapPaths), o: fsop.Outcome{Names: names}}
	if e.snapFull {
		se.o.Err = fsop.EOTHER
	}
	return &se.o
}

func (e *Executor) walkRoot() {
	e.pbuf = append(e.pbuf[:0], '.')
	e.walk(0)
}

// walk records directory e.pbuf and everything below it.
func (e *Executor) walk(depth int) {
	if e.snapFull {
		return
	}
	isRoot := len(e.pbuf) == 1 && e.pbuf[0] == '.'
	var o *fsop.Outcome
	if isRoot {
		o = e.addEntry(e.pbuf)
	} else {
		e.pbuf = append(e.pbuf, '/')
		o = e.addEntry(e.pbuf)
		e.pbuf = e.pbuf[:len(e.pbuf)-1]
	}
	if e.snapFull {
		return
	}
	names, err := e.listDir(e.pbuf, e.lists[depth][:0])
	if err != nil {
		o.Err = fsop.ErrnoOf(err)
		return
	}
	names = capNames(sortNames(names))
	o.Shape, o.Names = fsop.ShapeNames, append(o.Names[:0], names...)
	o.Value = int64(len(o.Names))
	base := len(e.pbuf)
	for _, name := range names {
		if name == truncMark || e.snapFull {
			continue
		}
		if isRoot {
			e.pbuf = append(e.pbuf[:0], name...)
		} else {
			e.pbuf = append(append(e.pbuf, '/'), name...)
		}
		e.entry(depth)
		e.pbuf = e.pbuf[:base]
		if isRoot {
			e.pbuf = append(e.pbuf[:0], '.')
		}
	}
}

// entry records e.pbuf, a name a listing returned.
func (e *Executor) entry(depth int) {
	size, t, err := e.sys.stat(e.pbuf)
	switch {
	case err != nil:
		e.addEntry(e.pbuf).Err = fsop.ErrnoOf(err)
	case t == kDir && depth+1 > maxDepth:
		e.pbuf = append(e.pbuf, '/')
		e.addEntry(e.pbuf).Err = fsop.ELOOP
		e.pbuf = e.pbuf[:len(e.pbuf)-1]
	case t == kDir:
		e.walk(depth + 1)
	case t == kFile:
		o := e.addEntry(e.pbuf)
		e.digestFile(o, size)
	default:
		e.addEntry(e.pbuf).Err = fsop.EOTHER // neither file nor directory: nothing makes one
	}
}

// digestFile records e.pbuf's size (fstat) and content.
func (e *Executor) digestFile(o *fsop.Outcome, statSize int64) {
	fd, err := e.sys.open(e.pbuf, syscall.O_RDONLY)
	if err != nil {
		o.Err = fsop.ErrnoOf(err)
		return
	}
	defer eintr.Close(fd)
	size, _, err := fstatType(fd)
	if err != nil {
		size = statSize
	}
	o.Shape, o.Value = fsop.ShapeData, size
	for {
		var n int
		err := eintr.Retry(func() (err error) { n, err = syscall.Read(fd, e.snapBuf); return })
		if err != nil {
			*o = fsop.Outcome{Err: fsop.ErrnoOf(err), Names: o.Names}
			return
		}
		if n <= 0 {
			return
		}
		o.Data.Write(e.snapBuf[:n])
	}
}

// appendSnap appends the snapshot as [path, state, path, state, …].
func (e *Executor) appendSnap(b []byte) []byte {
	b = fsop.AppendArray(b, 2*len(e.snap))
	for i := range e.snap {
		se := &e.snap[i]
		b = appendStr(b, e.snapPaths[se.p0:se.p1])
		b = se.o.Append(b)
	}
	return b
}

func appendStr(b []byte, s []byte) []byte {
	switch {
	case len(s) < 32:
		b = append(b, 0xa0|byte(len(s)))
	case len(s) < 256:
		b = append(b, 0xd9, byte(len(s)))
	default:
		b = append(b, 0xda, byte(len(s)>>8), byte(len(s)))
	}
	return append(b, s...)
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
	}{{fsop.Create, syscall.O_CREAT}, {fsop.Excl, syscall.O_EXCL}, {fsop.Trunc, syscall.O_TRUNC},
		{fsop.Append, syscall.O_APPEND}, {fsop.Directory, syscall.O_DIRECTORY}} {
		if f&m.f != 0 {
			mode |= m.sys
		}
	}
	return mode
}
