package exerciser

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
)

// The page-marking model must hold exactly what fsx's plain model holds
// (clear the grown range, write the data) after any sequence of grows and
// writes, and equal must agree with a plain compare, also for a buffer
// with one wrong byte.
func TestZeroPagesMatchPlainModel(t *testing.T) {
	t.Parallel()
	const flen = 64*pageSize + 123
	m := &model{good: make([]byte, flen), zero: newZeroPages(flen)}
	orig := make([]byte, flen)
	rng := newRNG(5)
	fillRandom(&rng, m.good) // a pooled buffer's stale contents
	fillRandom(&rng, orig)
	plain := bytes.Clone(m.good)
	for i := range 5000 {
		from := below(&rng, flen)
		to := from + below(&rng, flen-from+1)
		switch below(&rng, 3) {
		case 0: // the file grows over [from, to)
			m.zeroModel(from, to)
			clear(plain[from:to])
		case 1: // a write lands on [from, to)
			m.unmark(from, to)
			gendata(m.good[from:to], orig[from:to], from, byte(i))
			gendata(plain[from:to], orig[from:to], from, byte(i))
		case 2: // a read of [from, to) is judged
			buf := bytes.Clone(plain[from:to])
			if !m.equal(buf, from) {
				t.Fatalf("step %d: the right bytes at 0x%x..0x%x judged wrong", i, from, to)
			}
			if len(buf) > 0 {
				buf[below(&rng, uint64(len(buf)))] ^= 1
				if m.equal(buf, from) {
					t.Fatalf("step %d: a wrong byte at 0x%x..0x%x judged right", i, from, to)
				}
			}
		}
	}
	m.materialize()
	if !bytes.Equal(m.good, plain) {
		t.Fatal("materialized model differs from the plain model")
	}
}

// The model is a backend like the file: after the same ops, what it answers
// for a read is what a real file holds (checked against an os file).
func TestModelAnswersLikeAFile(t *testing.T) {
	t.Parallel()
	const flen = 40 * pageSize
	m := newModel(flen)
	f, err := OSFS{}.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	file := target{f: f}
	src := newSource(9, Config{FileLen: flen, OpSize: OpSize{Min: 1, Max: 3 * pageSize, Align: 1},
		Weights: Weights{MapWrite: 2, Truncate: 1, MapRead: 2}}, nil)
	want, got := make([]byte, flen), make([]byte, flen)
	for i := range 2000 {
		op, _ := src.next(m.size)
		if op.Kind == fsop.MapWrite {
			fillRandom(&src.rng, want[:op.Size])
		}
		mr := m.Apply(&op, want)
		fr := file.Apply(&op, want)
		if op.Kind == fsop.MapRead {
			fr = file.Apply(&op, got)
		}
		if mr.Err != fr.Err || mr.Value != fr.Value {
			t.Fatalf("op %d %v: model %+v, file %+v", i, op, mr, fr)
		}
		if op.Kind == fsop.MapRead && !bytes.Equal(want[:mr.Value], got[:fr.Value]) {
			t.Fatalf("op %d %v: model and file bytes differ", i, op)
		}
		st := fsop.Op{Kind: fsop.Fstat}
		if a, b := m.Apply(&st, nil), file.Apply(&st, nil); a != b {
			t.Fatalf("op %d %v: size model %+v, file %+v", i, op, a, b)
		}
	}
}
