package transcript

import (
	"fmt"
	"io"
	"sort"
)

// MergeHeaders is the header of the transcript that joins slices with
// headers hs: hs sorted by CaseStart must be contiguous and agree on every
// field but the case range. It returns the merged header and the order in
// which to read the slices.
func MergeHeaders(hs []Header) (Header, []int, error) {
	if len(hs) == 0 {
		return Header{}, nil, fmt.Errorf("merge: no transcripts")
	}
	order := make([]int, len(hs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return hs[order[a]].CaseStart < hs[order[b]].CaseStart })
	m := hs[order[0]]
	for _, i := range order[1:] {
		h := hs[i]
		if h.CaseStart != m.End() {
			return Header{}, nil, fmt.Errorf("merge: slices are not contiguous: cases %d..%d then %d..%d", m.CaseStart, m.End()-1, h.CaseStart, h.End()-1)
		}
		a, b := h, m
		a.CaseStart, a.CaseCount, b.CaseStart, b.CaseCount = 0, 0, 0, 0
		if a != b {
			return Header{}, nil, fmt.Errorf("merge: slice at case %d was produced differently (header %+v, first slice %+v)", h.CaseStart, a, b)
		}
		m.CaseCount += h.CaseCount
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
