package diff

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
)

// The namespace. A program names files and directories by index into
// Paths: six leaf names — the files A–D and the directories d0, d1 (by
// convention: any op may use any name) — at the case root or inside d0 or
// d1. So "d0/d1" and "d1/A" are names too, which is what makes renames
// across directories, nested trees and rmdir of a populated directory
// expressible. fsop.Op.File (and File2 for rename and link) is an index
// into Paths; fsop.NoFile means the case root itself (read_dir only).
const (
	NumLeaves = 6
	NumPaths  = 3 * NumLeaves
	NumFiles  = 4 // A–D: the leaves that are files by convention
	// Handles is how many handles a program has: h0..h3.
	Handles = 4
	// Workers is how many workers run a program's steps: w1, w2.
	Workers = 2
)

// Leaves are the leaf names in sorted order (so a bitmask over them lists
// names sorted).
var Leaves = [NumLeaves]string{"A", "B", "C", "D", "d0", "d1"}

// Paths are the names relative to the case root: Paths[p] is leaf p%6 in
// directory p/6 (0 the root, 1 d0, 2 d1).
var Paths = func() (p [NumPaths]string) {
	for i := range p {
		switch i / NumLeaves {
		case 0:
			p[i] = Leaves[i%NumLeaves]
		case 1:
			p[i] = "d0/" + Leaves[i%NumLeaves]
		default:
			p[i] = "d1/" + Leaves[i%NumLeaves]
		}
	}
	return
}()

// PathName spells path index p ("." for the root, fsop.NoFile).
func PathName(p int8) string {
	if p < 0 || int(p) >= NumPaths {
		return "."
	}
	return Paths[p]
}

// ParsePath is PathName's inverse.
func ParsePath(s string) (int8, bool) {
	if s == "." {
		return fsop.NoFile, true
	}
	for i, n := range Paths {
		if n == s {
			return int8(i), true
		}
	}
	return 0, false
}

// leafOf is the leaf index of path p; parentOf its directory (0 root, 1 d0, 2 d1).
func leafOf(p int8) int   { return int(p) % NumLeaves }
func parentOf(p int8) int { return int(p) / NumLeaves }

// Classes are the op kinds of the differential catalog, in the order the
// config lists their weights; each kind's fsop name is its weight key and
// its word in program files.
var Classes = [...]fsop.Kind{
	fsop.Open, fsop.Close, fsop.Read, fsop.Write, fsop.MapRead, fsop.MapWrite,
	fsop.Seek, fsop.Truncate, fsop.Fstat, fsop.Stat, fsop.Delete, fsop.Rename,
	fsop.Link, fsop.Mkdir, fsop.Rmdir, fsop.RemoveAll, fsop.ReadDir,
	fsop.ReadDirBatch, fsop.Fsync, fsop.Fdatasync, fsop.Snapshot,
}

// NumClasses is len(Classes).
const NumClasses = len(Classes)

// classIndex is the position of k in Classes, or -1.
func classIndex(k fsop.Kind) int {
	for i, c := range Classes {
		if c == k {
			return i
		}
	}
	return -1
}

// Shapes of ops: which operands a kind takes (program files, the generator).
const (
	argHandle = 1 << iota // hK
	argPath               // P
	argPath2              // Q (rename, link)
	argFlags              // open flags
	argWhence             // seek origin and signed offset
	argOffset             // pread/pwrite offset
	argSize               // bytes, new size, or batch entries
)

func argsOf(k fsop.Kind) int {
	switch k {
	case fsop.Open:
		return argHandle | argPath | argFlags
	case fsop.Close, fsop.Fstat, fsop.Fsync, fsop.Fdatasync:
		return argHandle
	case fsop.Read, fsop.Write, fsop.Truncate, fsop.ReadDirBatch:
		return argHandle | argSize
	case fsop.MapRead, fsop.MapWrite:
		return argHandle | argOffset | argSize
	case fsop.Seek:
		return argHandle | argWhence
	case fsop.Stat, fsop.Delete, fsop.Mkdir, fsop.Rmdir, fsop.RemoveAll, fsop.ReadDir:
		return argPath
	case fsop.Rename, fsop.Link:
		return argPath | argPath2
	}
	return 0
}

// Operand values the generator draws from. A program file may use any
// value up to the limits below; these sets are what generated programs use
// (and they are part of the catalog hash).
var (
	// IOSizes are read and write sizes: empty, tiny, odd, a page, across pages.
	IOSizes = [...]uint64{0, 1, 7, 32, 512, 4096, 9000}
	// Offsets are pread/pwrite offsets: the start, inside, page edges and
	// far past any end-of-file a program reaches by writing (holes).
	Offsets = [...]uint64{0, 1, 100, 4095, 4096, 10000, 70000}
	// SeekOffsets are seek offsets (signed): backwards, to the origin, forwards, past EOF.
	SeekOffsets = [...]int64{-16, -1, 0, 5, 100, 4096, 70000}
	// TruncSizes are ftruncate sizes: to empty, shrink, grow past a page.
	TruncSizes = [...]uint64{0, 1, 16, 100, 4096, 70000}
	// BatchSizes are how many entries one read_dir_batch asks for.
	BatchSizes = [...]uint64{1, 2, 3}
)

// Limits on operands in program files (generated programs stay far below):
// they keep one program's files and buffers small.
const (
	MaxIO        = 64 << 10 // read/write/pread/pwrite size
	MaxOffset    = 1 << 20  // pread/pwrite offset, truncate size, |seek offset|
	MaxBatch     = 64       // read_dir_batch entries
	MaxLength    = 500      // steps in a program
	maxSnapshot  = 64       // entries in one snapshot
	maxDepth     = 8        // directory depth a snapshot or remove_all walks
	maxListNames = 16       // names one listing records
)

// GeneratorVersion changes whenever a seed would give other programs: it
// is part of the schema hash, so a transcript of another generator is
// refused instead of compared step by step with different programs.
const GeneratorVersion = "diff generator v1"

// recordFormat names the record encoding (record.go) and the outcome
// normalisations (exec.go); it is part of the schema hash.
const recordFormat = "diff record v1: [step outcomes.., final snapshot]; outcome = fsop outcome | snapshot; " +
	"snapshot = [path, state].. sorted depth-first; stat of a dir = 1<<62; unspecified batch count = 1<<61; " +
	"stream verdicts on close; EEXIST->ENOTEMPTY for rmdir/rename/remove_all; EPERM->EISDIR for delete; " +
	"seek on a dir handle not issued = 1<<61; read of a dir EINVAL->EISDIR; ENOENT listing a removed dir = its end; " +
	"DIRECTORY with write access = EISDIR; fill byte per step"

// describeCatalog writes everything that decides what a program means:
// the namespace, the classes and their operands, the operand sets, the
// limits, the record format. CatalogHash hashes it.
func describeCatalog(w io.Writer) {
	fmt.Fprintf(w, "fsx-wasix diff catalog\n%s\n%s\n", recordFormat, GeneratorVersion)
	fmt.Fprintf(w, "paths %v handles %d workers %d fill %q\n", Paths, Handles, Workers, fillBytes)
	for _, k := range Classes {
		fmt.Fprintf(w, "class %s args %d\n", k, argsOf(k))
	}
	fmt.Fprintf(w, "io %v offsets %v seek %v trunc %v batch %v\n", IOSizes, Offsets, SeekOffsets, TruncSizes, BatchSizes)
	fmt.Fprintf(w, "limits io %d offset %d batch %d length %d snapshot %d depth %d names %d\n",
		MaxIO, MaxOffset, MaxBatch, MaxLength, maxSnapshot, maxDepth, maxListNames)
}

// CatalogHash identifies the catalog, the generator and the record format
// (not the config: SchemaHash adds that).
var CatalogHash = func() string {
	h := sha256.New()
	describeCatalog(h)
	return hex.EncodeToString(h.Sum(nil)[:8])
}()

// fillBytes are the bytes writes fill with: step i writes fillBytes[i%52],
// so every write of a program is told apart in a digest ("a×32 C×7").
const fillBytes = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// FillOf is the byte step i writes.
func FillOf(step int) byte { return fillBytes[step%len(fillBytes)] }
