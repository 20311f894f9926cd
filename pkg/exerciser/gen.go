package exerciser

import (
	"math/rand/v2"

	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
)

// source is where a worker's ops come from: drawn from the seed by weight
// (fsx's choice of op, offset and size, in fsx-rs's order of draws), or
// replayed from a recorded list. Either way it produces fsop.Op values that
// are already fitted to the file (offsets and sizes inside flen or the
// current size, aligned), so an op means the same thing when replayed.
type source struct {
	rng          rand.PCG
	pick         picker
	flen, align  uint64
	opMin, opMax uint64

	replay []fsop.Entry // non-nil: replay these ops, no random choice
	pos    int
}

func newSource(seed uint64, c Config, replay []fsop.Entry) source {
	s := source{
		rng:    newRNG(seed),
		pick:   newPicker(c.Weights),
		flen:   c.FileLen,
		align:  max(c.OpSize.Align, 1),
		opMax:  min(c.OpSize.Max, c.FileLen),
		replay: replay,
	}
	s.opMin = min(c.OpSize.Min, s.opMax)
	return s
}

// next is the next op, given the file's size now (reads stay inside it).
// A replayed op comes back as recorded, with whether it was injected.
func (s *source) next(fileSize uint64) (op fsop.Op, injected bool) {
	if s.replay != nil {
		e := &s.replay[s.pos]
		s.pos++
		return e.Op, e.Injected
	}
	kind := s.pick.next(&s.rng)
	size := s.opMin + below(&s.rng, s.opMax-s.opMin+1)
	off := s.rng.Uint64()
	switch kind {
	case fsop.Read, fsop.MapRead:
		off, size = s.trim(off, size, fileSize)
	case fsop.Write, fsop.MapWrite:
		off, size = s.trim(off, size, s.flen)
	case fsop.Truncate:
		off, size = 0, below(&s.rng, s.flen)
		size -= size % s.align
	default:
		off, size = 0, 0
	}
	return fsop.RandomOp(kind, off, size), false
}

// trim fits an op into [0, limit) and the alignment, as fsx does.
func (s *source) trim(off, size, limit uint64) (uint64, uint64) {
	if limit == 0 {
		return 0, 0
	}
	off %= limit
	off -= off % s.align
	if off+size > limit {
		size = limit - off
	}
	size -= size % s.align
	return off, size
}
