package oracle

import (
	"fmt"
	"math"
	"math/bits"
)

// MaxChain is the longest command sequence accepted. Chain 8 already has
// 54^8 × 2^7 ≈ 9.2e15 cases, near what an int64 case index can count;
// in practice chain 3 (629,856 cases) is the largest run that finishes in
// minutes.
const MaxChain = 8

// CaseCount is the number of cases of chain length L: every sequence of L
// catalog entries (len(Catalog)^L) times every assignment of steps 1..L-1
// to worker 1 or 2 (2^(L-1)); step 0 always runs on worker 1.
func CaseCount(L int) (int64, error) { return CaseCountOf(len(Catalog), L) }

// CaseCountOf is CaseCount for a catalog of entries entries: the one
// formula, for a program (the orchestrator) that learns the entry count
// from a guest built from other sources rather than from this package.
func CaseCountOf(entries, L int) (int64, error) {
	if L < 1 || L > MaxChain {
		return 0, fmt.Errorf("chain length %d out of range 1..%d", L, MaxChain)
	}
	if entries < 1 {
		return 0, fmt.Errorf("a catalog of %d entries has no cases", entries)
	}
	n := uint64(1)
	for i := 0; i < L; i++ {
		hi, lo := bits.Mul64(n, uint64(entries))
		if hi != 0 || lo > math.MaxInt64 {
			return 0, fmt.Errorf("chain length %d: case count overflows", L)
		}
		n = lo
	}
	if n > math.MaxInt64>>(L-1) { // checked before the shift, which would wrap
		return 0, fmt.Errorf("chain length %d: case count overflows", L)
	}
	return int64(n << (L - 1)), nil
}

// Step is one command of a case and the worker (1 or 2) that runs it.
type Step struct {
	Entry  Entry
	Worker int
}

// Case is one program: a command sequence and a worker assignment.
//
// The index is sequence × 2^(L-1) + assignment, and the sequence is a
// base-len(Catalog) number whose most significant digit is step 0. Bit
// (i-1) of the assignment set means step i runs on worker 2. So the
// assignments of one sequence are neighbours, and neighbouring sequences
// differ in the last step: that ordering keeps records that repeat close
// together, which is what makes transcripts compress to ~1 byte per case.
type Case struct {
	Index      int64
	Sequence   int64
	Assignment int64
	Steps      []Step
}

// Decode fills c with case index of chain length L, reusing c.Steps.
// index must be in [0, CaseCount(L)).
func (c *Case) Decode(L int, index int64) {
	c.Index = index
	c.Assignment = index & (1<<(L-1) - 1)
	c.Sequence = index >> (L - 1)
	if cap(c.Steps) < L {
		c.Steps = make([]Step, L)
	}
	c.Steps = c.Steps[:L]
	s := c.Sequence
	n := int64(len(Catalog))
	for i := L - 1; i >= 0; i-- {
		c.Steps[i] = Step{Entry: Catalog[s%n], Worker: 1}
		s /= n
		if i > 0 && c.Assignment>>(i-1)&1 == 1 {
			c.Steps[i].Worker = 2
		}
	}
}

// Encode is Decode's inverse: the index of the case with these catalog
// entry indexes and workers.
func Encode(entries []int, workers []int) (int64, error) {
	L := len(entries)
	if L < 1 || L > MaxChain || len(workers) != L {
		return 0, fmt.Errorf("bad case shape")
	}
	if workers[0] != 1 {
		return 0, fmt.Errorf("step 0 runs on worker 1")
	}
	var seq, asg int64
	for i, e := range entries {
		if e < 0 || e >= len(Catalog) {
			return 0, fmt.Errorf("catalog entry %d out of range", e)
		}
		seq = seq*int64(len(Catalog)) + int64(e)
		switch workers[i] {
		case 1:
		case 2:
			asg |= 1 << (i - 1)
		default:
			return 0, fmt.Errorf("worker %d: want 1 or 2", workers[i])
		}
	}
	return seq<<(L-1) | asg, nil
}

// EntryIndex is the position of e in Catalog.
func EntryIndex(e Entry) int {
	for i, c := range Catalog {
		if c == e {
			return i
		}
	}
	return -1
}
