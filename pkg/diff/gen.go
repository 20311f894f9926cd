package diff

import "github.com/fsx-wasix/fsx-wasix/pkg/fsop"

// The generator: program k of a run is a pure function of (seed, k, config),
// so a native run and a run under a runtime draw the same programs without
// shipping them, and a program is regenerated from its number to be printed.
//
// It biases towards interesting states without excluding invalid ones: a
// rough shadow of the namespace (which names are files or directories,
// which handles are open on what) steers most choices to names and handles
// that exist — a file opened through several handles, renamed over an open
// file, unlinked while open, a directory listed while it changes — and the
// rest are drawn blind, so ops on missing names, closed handles and wrong
// types are asked too. The shadow assumes the POSIX answer and never looks
// at the filesystem: a wrong guess only makes a program less interesting.

// rng is splitmix64: tiny, fast, and the same on every platform.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

func (r *rng) intn(n int) int      { return int(r.next() % uint64(n)) }
func (r *rng) chance(pct int) bool { return r.intn(100) < pct }

// programRNG seeds program k of a run with seed.
func programRNG(seed uint64, k int64) rng {
	r := rng{s: seed}
	r.next()
	r.s ^= uint64(k) * 0xd1b54a32d192ed03
	r.next()
	return r
}

const (
	kNone uint8 = iota
	kFile
	kDir
)

type shadowHandle struct {
	open bool
	dir  bool
	path int8
}

type shadow struct {
	kind [NumPaths]uint8
	h    [Handles]shadowHandle
}

// Generator draws programs; its buffers are reused from program to
// program, so drawing does not allocate.
type Generator struct {
	Seed uint64
	cfg  Config
	cum  [NumClasses]uint64
	sh   shadow
	r    rng
	prog fsop.Program
	pick []int8
}

// NewGenerator draws programs of cfg from seed.
func NewGenerator(seed uint64, cfg Config) *Generator {
	g := &Generator{Seed: seed, cfg: cfg, prog: make(fsop.Program, 0, cfg.LengthMax), pick: make([]int8, 0, NumPaths)}
	var t uint64
	for i, w := range cfg.Weights {
		t += w
		g.cum[i] = t
	}
	return g
}

// Program is program k; it is valid until the next call.
func (g *Generator) Program(k int64) fsop.Program {
	g.r = programRNG(g.Seed, k)
	g.sh = shadow{}
	n := g.cfg.LengthMin + g.r.intn(g.cfg.LengthMax-g.cfg.LengthMin+1)
	g.prog = g.prog[:0]
	w := 1
	for i := 0; i < n; i++ {
		if g.r.chance(35) { // runs of one worker, with frequent hand-offs
			w = 3 - w
		}
		op := g.op()
		g.apply(&op)
		g.prog = append(g.prog, fsop.Step{Worker: w, Op: op})
	}
	return g.prog
}

// Generate is program k of (seed, cfg), freshly allocated.
func Generate(seed uint64, k int64, cfg Config) fsop.Program {
	p := NewGenerator(seed, cfg).Program(k)
	return append(fsop.Program(nil), p...)
}

func (g *Generator) class() fsop.Kind {
	x := g.r.next() % g.cum[NumClasses-1]
	for i, c := range g.cum {
		if x < c {
			return Classes[i]
		}
	}
	return Classes[NumClasses-1]
}

// paths of the shadow matching a predicate, into g.pick.
func (g *Generator) pathsWhere(f func(p int8) bool) []int8 {
	g.pick = g.pick[:0]
	for p := int8(0); p < NumPaths; p++ {
		if f(p) {
			g.pick = append(g.pick, p)
		}
	}
	return g.pick
}

func (g *Generator) oneOf(ps []int8) (int8, bool) {
	if len(ps) == 0 {
		return 0, false
	}
	return ps[g.r.intn(len(ps))], true
}

// blindPath is any name, mostly a file name at the root.
func (g *Generator) blindPath() int8 {
	if g.r.chance(60) {
		return int8(g.r.intn(NumFiles))
	}
	return int8(g.r.intn(NumPaths))
}

func (g *Generator) existing(kind uint8) (int8, bool) {
	return g.oneOf(g.pathsWhere(func(p int8) bool { return g.sh.kind[p] == kind }))
}

// openPath is a path some open handle is on (a file used through several handles).
func (g *Generator) openPath(dir bool) (int8, bool) {
	return g.oneOf(g.pathsWhere(func(p int8) bool {
		for _, h := range g.sh.h {
			if h.open && h.path == p && h.dir == dir && g.sh.kind[p] != kNone {
				return true
			}
		}
		return false
	}))
}

func (g *Generator) pathOr(p int8, ok bool) int8 {
	if ok {
		return p
	}
	return g.blindPath()
}

// handle picks a handle: mostly an open one of the wanted type.
func (g *Generator) handle(dir bool) int8 {
	if g.r.chance(85) {
		var hs [Handles]int8
		n := 0
		for i, h := range g.sh.h {
			if h.open && h.dir == dir {
				hs[n] = int8(i)
				n++
			}
		}
		if n > 0 {
			return hs[g.r.intn(n)]
		}
	}
	return int8(g.r.intn(Handles))
}

// hasOpen says whether a handle of the type is open in the shadow.
func (g *Generator) hasOpen(dir bool) bool {
	for _, h := range g.sh.h {
		if h.open && h.dir == dir {
			return true
		}
	}
	return false
}

func (g *Generator) op() fsop.Op {
	k := g.class()
	op := fsop.Op{Kind: k, Handle: fsop.NoHandle, File: fsop.NoFile, File2: fsop.NoFile}
	r := &g.r
	// An op on a handle when none of its type is open mostly becomes the
	// open that makes one (the rest stay: EBADF and ENOTDIR are asked too).
	wantDir := k == fsop.ReadDirBatch
	if argsOf(k)&argHandle != 0 && k != fsop.Open && !g.hasOpen(wantDir) && r.chance(75) {
		op.Kind = fsop.Open
		if wantDir && g.fullest() < 2 && r.chance(75) {
			// A stream is worth listing with entries in it: make one first.
			if p, ok := g.oneOf(g.pathsWhere(func(p int8) bool { return p < NumFiles && g.sh.kind[p] == kNone })); ok {
				op.Handle, op.File, op.Flags = g.freeHandle(), p, fsop.ReadWrite|fsop.Create
				return op
			}
		}
		g.open(&op, wantDir)
		return op
	}
	switch k {
	case fsop.Open:
		g.open(&op, false)
	case fsop.Close, fsop.Fstat, fsop.Fsync, fsop.Fdatasync:
		op.Handle = g.handle(r.chance(15))
	case fsop.Read, fsop.Write:
		op.Handle = g.handle(false)
		op.Offset, op.Size = fsop.Cursor, IOSizes[r.intn(len(IOSizes))]
	case fsop.MapRead, fsop.MapWrite:
		op.Handle = g.handle(false)
		op.Offset, op.Size = Offsets[r.intn(len(Offsets))], IOSizes[r.intn(len(IOSizes))]
	case fsop.Seek:
		op.Handle = g.handle(r.chance(10))
		op.Whence = fsop.Whence(r.intn(3))
		op.Offset = uint64(SeekOffsets[r.intn(len(SeekOffsets))])
	case fsop.Truncate:
		op.Handle = g.handle(false)
		op.Size = TruncSizes[r.intn(len(TruncSizes))]
	case fsop.ReadDirBatch:
		op.Handle = g.handle(true)
		op.Size = BatchSizes[r.intn(len(BatchSizes))]
	case fsop.Stat:
		switch {
		case r.chance(50):
			op.File = g.pathOr(g.existing(kFile))
		case r.chance(40):
			op.File = g.pathOr(g.existing(kDir))
		default:
			op.File = g.blindPath()
		}
	case fsop.Delete:
		switch {
		case r.chance(35):
			op.File = g.pathOr(g.openPath(false)) // unlink of an open file
		case r.chance(60):
			op.File = g.pathOr(g.existing(kFile))
		default:
			op.File = g.blindPath()
		}
	case fsop.Rename:
		g.rename(&op)
	case fsop.Link:
		op.File = g.pathOr(g.existing(kFile))
		if r.chance(65) {
			op.File2 = g.pathOr(g.oneOf(g.pathsWhere(func(p int8) bool { return g.sh.kind[p] == kNone && g.parentExists(p) })))
		} else {
			op.File2 = g.blindPath()
		}
	case fsop.Mkdir:
		switch {
		case r.chance(60):
			op.File = int8(4 + r.intn(2)) // d0, d1 at the root
		case r.chance(60):
			op.File = int8((1+r.intn(2))*NumLeaves + 4 + r.intn(2)) // d0/d1 and the like: a nested tree
		default:
			op.File = g.blindPath()
		}
	case fsop.Rmdir, fsop.RemoveAll:
		if r.chance(75) {
			op.File = g.pathOr(g.existing(kDir))
		} else {
			op.File = g.blindPath()
		}
	case fsop.ReadDir:
		switch {
		case r.chance(45):
			op.File = fsop.NoFile // the root
		case r.chance(80):
			op.File = g.pathOr(g.existing(kDir))
		default:
			op.File = g.blindPath()
		}
	}
	return op
}

func (g *Generator) open(op *fsop.Op, dir bool) {
	r := &g.r
	if dir { // a directory stream to list in batches: mostly the fullest directory
		op.Handle, op.Flags = g.freeHandle(), fsop.Directory
		op.File = fsop.NoFile
		best := g.entries(fsop.NoFile)
		for _, p := range g.pathsWhere(func(p int8) bool { return g.sh.kind[p] == kDir }) {
			if n := g.entries(p); n > best || n == best && r.chance(50) {
				op.File, best = p, n
			}
		}
		if r.chance(30) {
			if p, ok := g.existing(kDir); ok {
				op.File = p
			}
		}
		return
	}
	op.Handle = g.freeHandle()
	switch {
	case r.chance(35):
		op.File = g.pathOr(g.openPath(false)) // one file, several handles
	case r.chance(45):
		op.File = g.pathOr(g.existing(kFile))
	case r.chance(25):
		op.File = g.pathOr(g.existing(kDir))
	default:
		op.File = g.blindPath()
	}
	if g.sh.kind[op.File] == kDir && r.chance(80) {
		op.Flags = fsop.Directory // a directory stream to list in batches
		return
	}
	switch r.intn(4) {
	case 0:
	case 1:
		op.Flags = fsop.WriteOnly
	default:
		op.Flags = fsop.ReadWrite
	}
	create := 60
	if g.sh.kind[op.File] == kNone {
		create = 85
	}
	if r.chance(create) {
		op.Flags |= fsop.Create
		if r.chance(15) {
			op.Flags |= fsop.Excl
		}
	} else if r.chance(5) {
		op.Flags |= fsop.Excl // without O_CREAT: Linux ignores it
	}
	if r.chance(20) {
		op.Flags |= fsop.Trunc
	}
	if r.chance(20) {
		op.Flags |= fsop.Append
	}
}

// freeHandle is mostly a handle that is not open; else one to replace.
func (g *Generator) freeHandle() int8 {
	if g.r.chance(70) {
		for i, h := range g.sh.h {
			if !h.open {
				return int8(i)
			}
		}
	}
	return int8(g.r.intn(Handles))
}

func (g *Generator) rename(op *fsop.Op) {
	r := &g.r
	switch {
	case r.chance(30):
		op.File = g.pathOr(g.openPath(false))
	case r.chance(75):
		op.File = g.pathOr(g.existing(kFile))
	case r.chance(60):
		op.File = g.pathOr(g.existing(kDir))
	default:
		op.File = g.blindPath()
	}
	src := op.File
	switch x := r.intn(100); {
	case x < 25: // the same leaf in another directory: across the subdirectory
		op.File2 = int8(((parentOf(src)+1+r.intn(2))%3)*NumLeaves + leafOf(src))
	case x < 45: // a new name
		op.File2 = g.pathOr(g.oneOf(g.pathsWhere(func(p int8) bool { return g.sh.kind[p] == kNone && g.parentExists(p) })))
	case x < 65: // over an existing file
		op.File2 = g.pathOr(g.existing(kFile))
	case x < 80: // over an open file
		op.File2 = g.pathOr(g.openPath(false))
	default:
		op.File2 = g.blindPath()
	}
}

func (g *Generator) parentExists(p int8) bool {
	switch parentOf(p) {
	case 0:
		return true
	case 1:
		return g.sh.kind[4] == kDir
	default:
		return g.sh.kind[5] == kDir
	}
}

// childOf is the path of leaf l inside root-level path p, or -1 when p is
// not d0 or d1 at the root (its children are outside the namespace).
func childOf(p int8, l int) int8 {
	if p == 4 || p == 5 {
		return int8((int(p)-3)*NumLeaves + l)
	}
	return -1
}

// fullest is the most names a directory has in the shadow.
func (g *Generator) fullest() int {
	best := g.entries(fsop.NoFile)
	for p := int8(4); p < 6; p++ {
		if g.sh.kind[p] == kDir {
			best = max(best, g.entries(p))
		}
	}
	return best
}

// entries is how many names directory p (fsop.NoFile: the root) has in the shadow.
func (g *Generator) entries(p int8) int {
	n := 0
	for l := 0; l < NumLeaves; l++ {
		c := int8(l)
		if p != fsop.NoFile {
			c = childOf(p, l)
		}
		if c >= 0 && g.sh.kind[c] != kNone {
			n++
		}
	}
	return n
}

func (g *Generator) hasChildren(p int8) bool {
	for l := 0; l < NumLeaves; l++ {
		if c := childOf(p, l); c >= 0 && g.sh.kind[c] != kNone {
			return true
		}
	}
	return false
}

func (g *Generator) clearTree(p int8) {
	g.sh.kind[p] = kNone
	for l := 0; l < NumLeaves; l++ {
		if c := childOf(p, l); c >= 0 {
			g.sh.kind[c] = kNone
		}
	}
}

// apply updates the shadow as POSIX would answer op (roughly).
func (g *Generator) apply(op *fsop.Op) {
	sh := &g.sh
	switch op.Kind {
	case fsop.Open:
		p, f := op.File, op.Flags
		if p == fsop.NoFile { // the root: always a directory
			if f&(fsop.WriteOnly|fsop.ReadWrite|fsop.Create|fsop.Excl) == 0 {
				sh.h[op.Handle] = shadowHandle{open: true, dir: true, path: p}
			}
			return
		}
		k := sh.kind[p]
		switch {
		case !g.parentExists(p):
		case k == kNone && f&fsop.Create != 0 && f&fsop.Directory == 0:
			sh.kind[p] = kFile
			sh.h[op.Handle] = shadowHandle{open: true, path: p}
		case k == kFile && f&fsop.Directory == 0 && f&(fsop.Create|fsop.Excl) != fsop.Create|fsop.Excl:
			sh.h[op.Handle] = shadowHandle{open: true, path: p}
		case k == kDir && f&(fsop.WriteOnly|fsop.ReadWrite|fsop.Create|fsop.Excl) == 0:
			sh.h[op.Handle] = shadowHandle{open: true, dir: true, path: p}
		}
	case fsop.Close:
		sh.h[op.Handle].open = false
	case fsop.Delete:
		if sh.kind[op.File] == kFile {
			sh.kind[op.File] = kNone
		}
	case fsop.Mkdir:
		if sh.kind[op.File] == kNone && g.parentExists(op.File) {
			sh.kind[op.File] = kDir
		}
	case fsop.Rmdir:
		if sh.kind[op.File] == kDir && !g.hasChildren(op.File) {
			sh.kind[op.File] = kNone
		}
	case fsop.RemoveAll:
		g.clearTree(op.File)
	case fsop.Link:
		if sh.kind[op.File] == kFile && sh.kind[op.File2] == kNone && g.parentExists(op.File2) {
			sh.kind[op.File2] = kFile
		}
	case fsop.Rename:
		s, d := op.File, op.File2
		ks, kd := sh.kind[s], sh.kind[d]
		if ks == kNone || s == d || !g.parentExists(d) || ks == kFile && kd == kDir || ks == kDir && kd == kFile || kd == kDir && g.hasChildren(d) {
			return
		}
		if ks == kDir && (parentOf(d) != 0 && int8(3+parentOf(d)) == s) {
			return // into itself
		}
		var moved [NumLeaves]uint8
		for l := 0; l < NumLeaves; l++ {
			if c := childOf(s, l); c >= 0 {
				moved[l] = sh.kind[c]
			}
		}
		g.clearTree(s)
		g.clearTree(d)
		sh.kind[d] = ks
		for l := 0; l < NumLeaves; l++ {
			if c := childOf(d, l); c >= 0 {
				sh.kind[c] = moved[l]
			}
		}
		for i := range sh.h {
			if sh.h[i].open && sh.h[i].path == s {
				sh.h[i].path = d
			}
		}
	}
}
