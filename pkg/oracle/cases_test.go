package oracle

import (
	"math/big"
	"testing"
)

// TestCaseCountOfIsTheFormula: CaseCountOf is entries^L × 2^(L-1), the
// formula the orchestrator used to compute with math/big, and it refuses
// (never wraps) what does not fit an int64 case index.
func TestCaseCountOfIsTheFormula(t *testing.T) {
	t.Parallel()
	for _, entries := range []int{1, 2, 3, 54, 55, 127, 128, 1000, 1 << 16, 1<<20 + 1, 1_700_000, 1 << 21, 1 << 31} {
		for L := 1; L <= MaxChain; L++ {
			want := new(big.Int).Exp(big.NewInt(int64(entries)), big.NewInt(int64(L)), nil)
			want.Lsh(want, uint(L-1))
			got, err := CaseCountOf(entries, L)
			switch {
			case !want.IsInt64() && err == nil:
				t.Errorf("CaseCountOf(%d, %d) = %d, want an overflow error (%s)", entries, L, got, want)
			case want.IsInt64() && (err != nil || got != want.Int64()):
				t.Errorf("CaseCountOf(%d, %d) = %d, %v; want %s", entries, L, got, err, want)
			}
		}
	}
	if n, err := CaseCountOf(len(Catalog), 3); err != nil || n != 629856 {
		t.Errorf("CaseCountOf(catalog, 3) = %d, %v", n, err)
	}
	for _, bad := range [][2]int{{0, 1}, {-1, 2}, {54, 0}, {54, MaxChain + 1}} {
		if _, err := CaseCountOf(bad[0], bad[1]); err == nil {
			t.Errorf("CaseCountOf(%d, %d) accepted", bad[0], bad[1])
		}
	}
}
