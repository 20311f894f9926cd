package exerciser

import (
	"fmt"

	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
)

// maxProgram bounds the ops an .fsxops artifact spells out: past it the
// artifact keeps the last logSize ops and says to replay from the seed.
const maxProgram = 1 << 20

// program is ops 1..n of this worker as its source produced them, so that
// --replay-ops of the artifact runs the whole failing program from an empty
// file. A drawn run is fast-forwarded without I/O (fsx-rs's skip): the same
// seed, the same draws, and only the size simulated, which is all a draw
// depends on. ok is false when the fast-forward disagrees with the op log
// (it must not; the caller then keeps the log alone).
func (w *worker) program(n int64) (ents []fsop.Entry, ok bool) {
	ents = make([]fsop.Entry, 0, n)
	if w.opts.Replay != nil {
		for _, e := range w.opts.Replay[:n] {
			ents = append(ents, fsop.Entry{Op: e.Op, Injected: e.Injected})
		}
	} else {
		src := newSource(w.seed, w.cfg, nil)
		for range (w.cfg.FileLen + 7) / 8 { // the draws fillRandom made for orig
			src.rng.Uint64()
		}
		var size uint64
		for i := int64(1); i <= n; i++ {
			op, _ := src.next(size)
			ents = append(ents, fsop.Entry{Op: op, Injected: i == w.injected})
			size = sizeAfter(&ents[len(ents)-1], size)
		}
	}
	var size uint64
	for i := range ents {
		size = sizeAfter(&ents[i], size)
	}
	// The newest ops are in the log: they must be what the program holds.
	for _, le := range w.log.entries() {
		if le.num > n {
			continue
		}
		e := ents[le.num-1]
		if e.Op != le.op || e.FileSize != le.oldSize || e.Skipped != (le.flags&flagSkipped != 0) {
			return nil, false
		}
	}
	return ents, true
}

// sizeAfter fills in e's file size before it and whether it was skipped,
// given that size, and returns the size after it: all a draw depends on.
func sizeAfter(e *fsop.Entry, size uint64) uint64 {
	op := &e.Op
	e.FileSize = size
	switch {
	case op.Kind.Reads():
		e.Skipped = op.Size == 0 || op.Offset+op.Size > size
	case op.Kind.Writes():
		e.Skipped = op.Size == 0
		if !e.Skipped {
			size = max(size, op.Offset+op.Size)
		}
	case op.Kind == fsop.Truncate:
		size = op.Size
	}
	return size
}

// CheckReplay refuses an op list that the config cannot run: an op past
// flen, or a kind random mode does not have. Each error names the op.
func CheckReplay(ents []fsop.Entry, c Config) error {
	for i, e := range ents {
		op := e.Op
		switch {
		case !op.Kind.IsRandom():
			return fmt.Errorf("op %d: %s is not one of random mode's ops", i+1, op.Kind)
		case op.Kind.Positioned() && (op.Offset > c.FileLen || op.Size > c.FileLen-op.Offset):
			return fmt.Errorf("op %d: %s 0x%x+0x%x goes past flen 0x%x", i+1, op.Kind, op.Offset, op.Size, c.FileLen)
		case op.Kind == fsop.Truncate && op.Size > c.FileLen:
			return fmt.Errorf("op %d: truncate to 0x%x goes past flen 0x%x", i+1, op.Size, c.FileLen)
		}
	}
	return nil
}
