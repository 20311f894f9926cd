package pipeline

import (
	"fmt"
	"strconv"
	"strings"
)

// Shard selects a deterministic part of a run: shard K of N (1-based), so
// that N machines running shards 1..N cover every case exactly once and their
// reports merge into the unsharded report.
type Shard struct {
	K, N int
}

// Whole is the shard that is the entire run.
var Whole = Shard{K: 1, N: 1}

// ParseShard reads "K/N". An empty string is the whole run.
func ParseShard(s string) (Shard, error) {
	if s == "" {
		return Whole, nil
	}
	k, n, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, fmt.Errorf("--shard %q: want K/N, e.g. 1/4", s)
	}
	ki, err1 := strconv.Atoi(strings.TrimSpace(k))
	ni, err2 := strconv.Atoi(strings.TrimSpace(n))
	if err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("--shard %q: K and N must be whole numbers, e.g. 1/4", s)
	}
	if ni < 1 || ki < 1 || ki > ni {
		return Shard{}, fmt.Errorf("--shard %q: need 1 <= K <= N (shards are numbered 1..N)", s)
	}
	return Shard{K: ki, N: ni}, nil
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.K, s.N) }

// IsWhole reports whether the shard is the entire run.
func (s Shard) IsWhole() bool { return s.N <= 1 }

// Range is the shard's half-open case range [start, start+count) of total
// cases. Boundaries are total*(K-1)/N and total*K/N, so consecutive shards
// tile the run with sizes differing by at most one.
func (s Shard) Range(total int64) (start, count int64) {
	if s.N <= 1 {
		return 0, total
	}
	lo := total * int64(s.K-1) / int64(s.N)
	hi := total * int64(s.K) / int64(s.N)
	return lo, hi - lo
}

// Slice is a contiguous run of case indexes handled as one unit by every
// stage: one native process, one runtime process per cell, one re-read.
type Slice struct {
	Index int   // position within this run, 0-based
	Start int64 // first case index
	Count int64 // number of cases
}

func (s Slice) String() string { return fmt.Sprintf("s%05d", s.Index) }

// End is one past the last case index.
func (s Slice) End() int64 { return s.Start + s.Count }

// Slices splits [start, start+count) into slices of at most size cases.
// Slice boundaries are aligned to multiples of size from case 0, not from
// start, so that the cache entries of an unsharded run and of a shard whose
// boundary falls on a multiple of size are shared.
func Slices(start, count, size int64) []Slice {
	if size <= 0 {
		size = count
	}
	var out []Slice
	end := start + count
	for lo := start; lo < end; {
		hi := (lo/size + 1) * size
		if hi > end {
			hi = end
		}
		out = append(out, Slice{Index: len(out), Start: lo, Count: hi - lo})
		lo = hi
	}
	return out
}
