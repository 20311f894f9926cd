package exerciser

import (
	"bytes"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
)

// The eight-bytes-at-a-time gendata must equal fsx's byte loop for every
// alignment and length, or misdirected-write diagnosis would lie.
func TestGendataMatchesBytewise(t *testing.T) {
	t.Parallel()
	r := newRNG(7)
	orig := make([]byte, 200)
	fillRandom(&r, orig)
	for off := 0; off < 20; off++ {
		for n := 0; n < 40; n++ {
			for _, opb := range []byte{0, 1, 0x7f, 0xff} {
				got := make([]byte, n)
				gendata(got, orig[off:off+n], uint64(off), opb)
				want := make([]byte, n)
				for i := range want {
					want[i] = opb
					if (off+i)%2 == 1 {
						want[i] += orig[off+i]
					}
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("off %d n %d op %d: got %x want %x", off, n, opb, got, want)
				}
			}
		}
	}
}

func TestPickerFollowsWeights(t *testing.T) {
	t.Parallel()
	p := newPicker(Weights{Read: 1, Truncate: 3})
	r := newRNG(1)
	var n [fsop.NumRandomKinds]int
	for range 40000 {
		n[p.next(&r)]++
	}
	if n[fsop.Read]+n[fsop.Truncate] != 40000 {
		t.Fatalf("zero-weight ops drawn: %v", n)
	}
	if n[fsop.Truncate] < 2*n[fsop.Read] || n[fsop.Truncate] > 4*n[fsop.Read] {
		t.Fatalf("want about 3:1 truncate:read, got %v", n)
	}
}

func TestOpLogRing(t *testing.T) {
	t.Parallel()
	var l opLog
	for i := int64(1); i <= logSize+10; i++ {
		l.add(logEntry{num: i})
	}
	e := l.entries()
	if len(e) != logSize || e[0].num != 11 || e[len(e)-1].num != logSize+10 {
		t.Fatalf("ring keeps %d entries %d..%d", len(e), e[0].num, e[len(e)-1].num)
	}
}
