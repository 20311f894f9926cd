package exerciser

import "github.com/fsx-wasix/fsx-wasix/pkg/fsop"

// model is random mode's reference filesystem: what the worker's one file
// must hold (good, with zero pages) and its size. It is an fsop.Backend like
// the real file (target.go), so a program can run against both and be
// judged by comparing them; in the hot loop the judge compares what the
// file returned with the model in place (equal) instead of asking the model
// for a copy.
type model struct {
	good []byte    // the bytes the file must hold, up to flen
	zero zeroPages // pages of good that read as zeros
	size uint64    // the file's size
}

func newModel(flen uint64) model {
	return model{good: buffers.get(flen), zero: newZeroPages(flen)}
}

// Apply is the model's answer to op: it changes the model as the op must
// change the file, and fills data for reads. Ops that do not change the
// bytes or the size answer ok.
func (m *model) Apply(op *fsop.Op, data []byte) fsop.Result {
	switch op.Kind {
	case fsop.Read, fsop.MapRead:
		if op.Offset >= m.size {
			return fsop.Result{}
		}
		n := min(op.Size, m.size-op.Offset)
		m.read(data[:n], op.Offset)
		return fsop.Result{Value: int64(n)}
	case fsop.Write, fsop.MapWrite:
		if op.Offset+op.Size > uint64(len(m.good)) {
			return fsop.Result{Err: fsop.EFBIG}
		}
		m.write(op.Offset, data[:op.Size])
		return fsop.Result{Value: int64(op.Size)}
	case fsop.Truncate:
		if op.Size > uint64(len(m.good)) {
			return fsop.Result{Err: fsop.EFBIG}
		}
		m.truncate(op.Size)
	case fsop.Fstat:
		return fsop.Result{Value: int64(m.size)}
	case fsop.CloseOpen, fsop.Fsync, fsop.Fdatasync:
	default:
		return fsop.Result{Err: fsop.ENOSYS}
	}
	return fsop.Result{}
}

// write puts data at off; a write past the end leaves a hole of zeros.
func (m *model) write(off uint64, data []byte) {
	end := off + uint64(len(data))
	if m.size < off {
		m.zeroModel(m.size, off)
	}
	m.unmark(off, end) // the data lands on real zeros, not marks
	copy(m.good[off:end], data)
	m.size = max(m.size, end)
}

// truncate sets the size; growing reads back as zeros.
func (m *model) truncate(size uint64) {
	if size > m.size {
		m.zeroModel(m.size, size)
	}
	m.size = size
}

// read copies the model's bytes at off into dst.
func (m *model) read(dst []byte, off uint64) {
	copy(dst, m.good[off:])
	for p := off >> pageShift; p<<pageShift < off+uint64(len(dst)); p++ {
		if m.zero.has(p) {
			from, to := max(p<<pageShift, off), min((p+1)<<pageShift, off+uint64(len(dst)))
			clear(dst[from-off : to-off])
		}
	}
}

// Growing the file (a truncate up, a write past EOF) makes a range of the
// model read as zeros. fsx.c and fsx-rs memset that range; with sizes drawn
// anywhere in flen that is about half a MiB per op, the largest cost of the
// loop after the full compares. The model instead marks the whole 4 KiB
// pages of the range as zero and clears a page only when a write lands on
// it; the judge compares a marked page's bytes with zeros. Every byte read is
// still compared with what the file must hold.

const (
	pageShift = 12
	pageSize  = 1 << pageShift
)

// zeroPages is a bitmap over the model's pages: a set bit means the page
// reads as zeros, whatever good holds there.
type zeroPages []uint64

func newZeroPages(flen uint64) zeroPages {
	return make(zeroPages, (flen+pageSize-1)>>pageShift/64+1)
}

func (z zeroPages) has(p uint64) bool { return z[p/64]&(1<<(p%64)) != 0 }
func (z zeroPages) set(p uint64)      { z[p/64] |= 1 << (p % 64) }
func (z zeroPages) unset(p uint64)    { z[p/64] &^= 1 << (p % 64) }

// zeroModel makes the model read as zeros in [from, to): the partial pages
// at either end are cleared, the whole pages between are only marked.
func (m *model) zeroModel(from, to uint64) {
	first := (from + pageSize - 1) >> pageShift // first whole page
	end := to >> pageShift                      // past the last whole page
	if first >= end {
		m.clearModel(from, to)
		return
	}
	m.clearModel(from, first<<pageShift)
	m.clearModel(end<<pageShift, to)
	for p := first; p < end; p++ {
		m.zero.set(p)
	}
}

// clearModel clears good in [from, to) for real.
func (m *model) clearModel(from, to uint64) {
	m.unmark(from, to)
	clear(m.good[from:to])
}

// unmark turns the marked pages that [from, to) touches into real zeros, as
// a write about to land there needs.
func (m *model) unmark(from, to uint64) {
	if from >= to {
		return
	}
	for p := from >> pageShift; p <= (to-1)>>pageShift; p++ {
		if m.zero.has(p) {
			clear(m.good[p<<pageShift : min((p+1)<<pageShift, uint64(len(m.good)))])
			m.zero.unset(p)
		}
	}
}

// materialize clears every marked page, so that good holds the model
// byte for byte (for the failure report and .fsxgood).
func (m *model) materialize() { m.unmark(0, uint64(len(m.good))) }

// equal says whether buf, read at off, equals the model there: runs of
// marked pages are compared with zeros, the rest with good.
func (m *model) equal(buf []byte, off uint64) bool {
	for len(buf) > 0 {
		p := off >> pageShift
		zero := m.zero.has(p)
		end := (p + 1) << pageShift
		for end < off+uint64(len(buf)) && m.zero.has(end>>pageShift) == zero {
			end += pageSize
		}
		n := min(end-off, uint64(len(buf)))
		if zero && !isZero(buf[:n]) || !zero && !equal(buf[:n], m.good[off:off+n]) {
			return false
		}
		buf, off = buf[n:], off+n
	}
	return true
}

// zeroBlock is what isZero compares with: memeq against a block that stays
// in cache is as fast as the compare with good, and reads half the memory.
var zeroBlock [64 << 10]byte

func isZero(b []byte) bool {
	for len(b) > 0 {
		n := min(len(b), len(zeroBlock))
		if !equal(b[:n], zeroBlock[:n]) {
			return false
		}
		b = b[n:]
	}
	return true
}
