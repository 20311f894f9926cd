package exerciser

import (
	"bytes"
	"testing"
)

// equalWords must agree with bytes.Equal for every length, alignment and
// position of a differing byte (it is what judges reads under wasm).
func TestEqualWords(t *testing.T) {
	t.Parallel()
	base := make([]byte, 300)
	rng := newRNG(9)
	fillRandom(&rng, base)
	for start := range 9 {
		for n := 0; start+n <= 200; n++ {
			a := base[start : start+n]
			b := bytes.Clone(a)
			if !equalWords(a, b) {
				t.Fatalf("start %d len %d: equal bytes judged different", start, n)
			}
			for i := range n {
				b[i] ^= 0x10
				if equalWords(a, b) {
					t.Fatalf("start %d len %d: byte %d differs but judged equal", start, n, i)
				}
				b[i] ^= 0x10
			}
			if n > 0 && equalWords(a, b[:n-1]) {
				t.Fatalf("start %d len %d: different lengths judged equal", start, n)
			}
		}
	}
}
