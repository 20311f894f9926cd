package transcript

import (
	"bytes"
	"io"
	"testing"
)

// FuzzReader feeds arbitrary bytes to the reader: it must return records or
// an error, never panic or allocate without bound.
func FuzzReader(f *testing.F) {
	var b bytes.Buffer
	w, _ := NewWriter(&b, testHeader(0, 3))
	for i := int64(0); i < 3; i++ {
		w.Write(rec(i))
	}
	w.Close()
	f.Add(b.Bytes())
	f.Add(b.Bytes()[:b.Len()/2])
	f.Add([]byte{})
	f.Add([]byte("\x28\xb5\x2f\xfd"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		defer r.Close()
		for i := 0; i < 1<<16; i++ {
			if _, err := r.Next(); err != nil {
				if err == io.EOF && r.Count() != r.Header().Count {
					t.Fatalf("EOF after %d records of %d", r.Count(), r.Header().Count)
				}
				return
			}
		}
	})
}
