package exerciser

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
func (w *worker) zeroModel(from, to uint64) {
	first := (from + pageSize - 1) >> pageShift // first whole page
	end := to >> pageShift                      // past the last whole page
	if first >= end {
		w.clearModel(from, to)
		return
	}
	w.clearModel(from, first<<pageShift)
	w.clearModel(end<<pageShift, to)
	for p := first; p < end; p++ {
		w.zero.set(p)
	}
}

// clearModel clears good in [from, to) for real.
func (w *worker) clearModel(from, to uint64) {
	w.unmark(from, to)
	clear(w.good[from:to])
}

// unmark turns the marked pages that [from, to) touches into real zeros, as
// a write about to land there needs.
func (w *worker) unmark(from, to uint64) {
	if from >= to {
		return
	}
	for p := from >> pageShift; p <= (to-1)>>pageShift; p++ {
		if w.zero.has(p) {
			clear(w.good[p<<pageShift : min((p+1)<<pageShift, uint64(len(w.good)))])
			w.zero.unset(p)
		}
	}
}

// materialize clears every marked page, so that good holds the model
// byte for byte (for the failure report and .fsxgood).
func (w *worker) materialize() { w.unmark(0, uint64(len(w.good))) }

// modelEqual says whether buf, read at off, equals the model there: runs of
// marked pages are compared with zeros, the rest with good.
func (w *worker) modelEqual(buf []byte, off uint64) bool {
	for len(buf) > 0 {
		p := off >> pageShift
		zero := w.zero.has(p)
		end := (p + 1) << pageShift
		for end < off+uint64(len(buf)) && w.zero.has(end>>pageShift) == zero {
			end += pageSize
		}
		n := min(end-off, uint64(len(buf)))
		if zero && !isZero(buf[:n]) || !zero && !equal(buf[:n], w.good[off:off+n]) {
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
