package pipeline

import (
	"strings"
	"testing"
)

func TestParseShard(t *testing.T) {
	t.Parallel()
	good := map[string]Shard{"": Whole, "1/1": {1, 1}, "2/4": {2, 4}, " 3 / 3 ": {3, 3}}
	for in, want := range good {
		got, err := ParseShard(in)
		if err != nil || got != want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	bad := map[string]string{"3/2": "1 <= K <= N", "0/2": "1 <= K <= N", "1/0": "1 <= K <= N", "x/2": "whole numbers", "4": "want K/N"}
	for in, want := range bad {
		_, err := ParseShard(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseShard(%q) error = %v; want it to mention %q", in, err, want)
		}
	}
}

func TestShardsTileTheRun(t *testing.T) {
	t.Parallel()
	for _, total := range []int64{0, 1, 54, 5832, 629856} {
		for n := 1; n <= 7; n++ {
			next := int64(0)
			for k := 1; k <= n; k++ {
				s, c := Shard{k, n}.Range(total)
				if s != next || c < 0 {
					t.Fatalf("total %d shard %d/%d = [%d,+%d), want start %d", total, k, n, s, c, next)
				}
				next = s + c
			}
			if next != total {
				t.Fatalf("total %d, %d shards end at %d", total, n, next)
			}
		}
	}
}

func TestSlicesAlignedAndContiguous(t *testing.T) {
	t.Parallel()
	got := Slices(5, 20, 8)
	want := []Slice{{0, 5, 3}, {1, 8, 8}, {2, 16, 8}, {3, 24, 1}}
	if len(got) != len(want) {
		t.Fatalf("Slices = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Slices = %v, want %v", got, want)
		}
	}
	if s := Slices(0, 0, 8); len(s) != 0 {
		t.Fatalf("empty range gave %v", s)
	}
}
