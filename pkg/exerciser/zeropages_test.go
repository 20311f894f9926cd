package exerciser

import (
	"bytes"
	"testing"
)

// The page-marking model must hold exactly what fsx's plain model holds
// (clear the grown range, write the data) after any sequence of grows and
// writes, and modelEqual must agree with a plain compare, also for a buffer
// with one wrong byte.
func TestZeroPagesMatchPlainModel(t *testing.T) {
	t.Parallel()
	const flen = 64*pageSize + 123
	w := &worker{good: make([]byte, flen), orig: make([]byte, flen), zero: newZeroPages(flen)}
	rng := newRNG(5)
	fillRandom(&rng, w.good) // a pooled buffer's stale contents
	fillRandom(&rng, w.orig)
	plain := bytes.Clone(w.good)
	for i := range 5000 {
		from := below(&rng, flen)
		to := from + below(&rng, flen-from+1)
		switch below(&rng, 3) {
		case 0: // the file grows over [from, to)
			w.zeroModel(from, to)
			clear(plain[from:to])
		case 1: // a write lands on [from, to)
			w.unmark(from, to)
			gendata(w.good[from:to], w.orig[from:to], from, byte(i))
			gendata(plain[from:to], w.orig[from:to], from, byte(i))
		case 2: // a read of [from, to) is judged
			buf := bytes.Clone(plain[from:to])
			if !w.modelEqual(buf, from) {
				t.Fatalf("step %d: the right bytes at 0x%x..0x%x judged wrong", i, from, to)
			}
			if len(buf) > 0 {
				buf[below(&rng, uint64(len(buf)))] ^= 1
				if w.modelEqual(buf, from) {
					t.Fatalf("step %d: a wrong byte at 0x%x..0x%x judged right", i, from, to)
				}
			}
		}
	}
	w.materialize()
	if !bytes.Equal(w.good, plain) {
		t.Fatal("materialized model differs from the plain model")
	}
}
