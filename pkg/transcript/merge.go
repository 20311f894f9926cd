package transcript

import (
	"fmt"
	"io"
	"sort"
)

// MergeHeaders is the header of the transcript that joins slices with
// headers hs: hs sorted by First must be contiguous and come from the same
// producer (SameProducer: everything but the record range agrees). It returns the merged header and the order in
// which to read the slices.
func MergeHeaders(hs []Header) (Header, []int, error) {
	if len(hs) == 0 {
		return Header{}, nil, fmt.Errorf("merge: no transcripts")
	}
	order := make([]int, len(hs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return hs[order[a]].First < hs[order[b]].First })
	m := hs[order[0]]
	for k, i := range order[1:] {
		h, prev := hs[i], hs[order[k]]
		if !h.SameProducer(m) {
			return Header{}, nil, fmt.Errorf("merge: the transcript of records %d..%d was produced differently from the one of %d..%d (schema, hash or metadata differ)", h.First, h.End()-1, prev.First, prev.End()-1)
		}
		if h.First == prev.First {
			return Header{}, nil, fmt.Errorf("merge: two transcripts hold records %d..%d (the same one given twice?)", h.First, h.End()-1)
		}
		if h.First != m.End() {
			return Header{}, nil, fmt.Errorf("merge: not contiguous: records %d..%d then %d..%d", m.First, m.End()-1, h.First, h.End()-1)
		}
		m.Count += h.Count
	}
	return m, order, nil
}

// Merge writes to dst (through a temporary file, renamed when whole) the
// records of the transcripts srcs in case order. The result is
// byte-identical to the transcript of the unsharded run when the slices
// were produced with the same settings, because the writer is deterministic.
func Merge(dst string, srcs []string, opts ...Option) error {
	rs := make([]*Reader, 0, len(srcs))
	defer func() {
		for _, r := range rs {
			r.Close()
		}
	}()
	hs := make([]Header, 0, len(srcs))
	for _, s := range srcs {
		r, err := Open(s, opts...)
		if err != nil {
			return err
		}
		rs = append(rs, r)
		hs = append(hs, r.Header())
	}
	h, order, err := MergeHeaders(hs)
	if err != nil {
		return err
	}
	w, err := Create(dst, h)
	if err != nil {
		return err
	}
	defer w.Abort()
	for _, i := range order {
		if err := CopyRecords(w, rs[i]); err != nil {
			return err
		}
	}
	return w.Close()
}

// CopyRecords writes every remaining record of r to w, in order; r's
// trailer is checked on the way (Next fails on a bad one).
func CopyRecords(w *Writer, r *Reader) error {
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
}
