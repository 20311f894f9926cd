package diffrun

import (
	"slices"

	"github.com/fsx-wasix/fsx-wasix/pkg/diff"
	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
)

// Rewrites are the shrinker's whole-program simplifications, tried once no
// step can be removed, in this order: every step on worker 1; a handle
// renamed to a lower one (dropping a handle when the lower one is unused,
// merging two when it is not); a name replaced by a lower one (merging
// files, or moving a file out of a subdirectory); an open flag dropped;
// a size, offset or count made smaller (to its smallest value first, then
// halved). Each strictly lowers a measure, so the shrink ends.
func Rewrites(p fsop.Program) []fsop.Program {
	var out []fsop.Program
	edit := func(f func(st *fsop.Step) bool) {
		c := slices.Clone(p)
		changed := false
		for i := range c {
			if f(&c[i]) {
				changed = true
			}
		}
		if changed {
			out = append(out, c)
		}
	}
	// Workers: one worker, when two are not needed.
	edit(func(st *fsop.Step) bool {
		if st.Worker == 2 {
			st.Worker = 1
			return true
		}
		return false
	})
	// Handles: hK -> hJ for J < K.
	var usedH [diff.Handles]bool
	for i := range p {
		if h := p[i].Op.Handle; h >= 0 && int(h) < diff.Handles {
			usedH[h] = true
		}
	}
	for k := diff.Handles - 1; k > 0; k-- {
		if !usedH[k] {
			continue
		}
		for j := 0; j < k; j++ {
			edit(func(st *fsop.Step) bool {
				if st.Op.Handle == int8(k) {
					st.Op.Handle = int8(j)
					return true
				}
				return false
			})
		}
	}
	// Names: P -> Q for Q < P, Q a name the program uses or P's leaf at the root.
	used := map[int8]bool{}
	for i := range p {
		for _, f := range []int8{p[i].Op.File, p[i].Op.File2} {
			if f >= 0 {
				used[f] = true
			}
		}
	}
	for pth := int8(diff.NumPaths - 1); pth > 0; pth-- {
		if !used[pth] {
			continue
		}
		for q := int8(0); q < pth; q++ {
			if !used[q] && q != pth%diff.NumLeaves {
				continue
			}
			edit(func(st *fsop.Step) bool {
				ch := false
				if st.Op.File == pth {
					st.Op.File, ch = q, true
				}
				if st.Op.File2 == pth {
					st.Op.File2, ch = q, true
				}
				return ch
			})
		}
	}
	// Open flags, one at a time.
	for i := range p {
		op := &p[i].Op
		if op.Kind != fsop.Open {
			continue
		}
		for _, f := range []fsop.OpenFlags{fsop.Append, fsop.Trunc, fsop.Excl, fsop.Create, fsop.Directory, fsop.ReadWrite, fsop.WriteOnly} {
			if op.Flags&f == 0 {
				continue
			}
			nf := op.Flags &^ f
			if f == fsop.ReadWrite && op.Flags&fsop.WriteOnly == 0 {
				// RDWR -> WRONLY as well as RDONLY.
				c := slices.Clone(p)
				c[i].Op.Flags = nf | fsop.WriteOnly
				out = append(out, c)
			}
			c := slices.Clone(p)
			c[i].Op.Flags = nf
			out = append(out, c)
		}
	}
	// Numbers.
	for i := range p {
		op := p[i].Op
		for _, v := range smallerNumbers(op) {
			c := slices.Clone(p)
			c[i].Op = v
			out = append(out, c)
		}
	}
	return out
}

// smallerNumbers are versions of op with a smaller size, offset or count.
func smallerNumbers(op fsop.Op) []fsop.Op {
	var out []fsop.Op
	size := func(lo uint64) {
		for _, v := range []uint64{lo, op.Size / 2} {
			if v >= lo && v < op.Size {
				o := op
				o.Size = v
				out = append(out, o)
			}
		}
	}
	switch op.Kind {
	case fsop.Read, fsop.Write, fsop.Truncate:
		size(0)
	case fsop.ReadDirBatch:
		size(1)
	case fsop.MapRead, fsop.MapWrite:
		size(0)
		for _, v := range []uint64{0, op.Offset / 2} {
			if v < op.Offset {
				o := op
				o.Offset = v
				out = append(out, o)
			}
		}
	case fsop.Seek:
		off := int64(op.Offset)
		for _, v := range []int64{0, off / 2} {
			if abs64(v) < abs64(off) {
				o := op
				o.Offset = uint64(v)
				out = append(out, o)
			}
		}
		if op.Whence != fsop.FromStart {
			o := op
			o.Whence = fsop.FromStart
			out = append(out, o)
		}
	}
	return out
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
