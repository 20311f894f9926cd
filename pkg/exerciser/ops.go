package exerciser

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"

	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
)

// picker draws ops by relative weight from cumulative sums: a few compares,
// no allocation.
type picker struct {
	cum   [fsop.NumRandomKinds]uint64
	total uint64
}

func newPicker(w Weights) picker {
	var p picker
	for i, v := range w.list() {
		p.total += v
		p.cum[i] = p.total
	}
	return p
}

func (p *picker) next(r *rand.PCG) fsop.Kind {
	x := below(r, p.total)
	for i, c := range p.cum {
		if x < c {
			return fsop.Kind(i)
		}
	}
	return fsop.Kind(fsop.NumRandomKinds - 1) // unreachable: x < total == cum[last]
}

// below returns a number in [0, n) (Lemire's multiply-shift; the bias for
// n far below 2^64 is immaterial here). n must be > 0.
func below(r *rand.PCG, n uint64) uint64 {
	hi, _ := bits.Mul64(r.Uint64(), n)
	return hi
}

// newRNG seeds the worker's generator. rand.PCG is used by value inside the
// worker so that drawing a number never allocates or boxes.
func newRNG(seed uint64) rand.PCG {
	var r rand.PCG
	r.Seed(seed, seed^0x9e3779b97f4a7c15)
	return r
}

// fillRandom fills b from r, 8 bytes per draw.
func fillRandom(r *rand.PCG, b []byte) {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.Uint64())
	}
	if i < len(b) {
		var tail [8]byte
		binary.LittleEndian.PutUint64(tail[:], r.Uint64())
		copy(b[i:], tail[:])
	}
}

// gendata writes op opnum's data into dst, the model's bytes at file offset
// off, as fsx does: every byte is the op number mod 256, and bytes at odd
// offsets add the original (random) byte there. A misdirected write thus
// carries its op number at even offsets, and a shifted one fails the odd
// bytes. orig is the original buffer at the same offset.
func gendata(dst, orig []byte, off uint64, opnum byte) {
	i := 0
	for ; i < len(dst) && (off+uint64(i))%8 != 0; i++ {
		dst[i] = genbyte(orig[i], off+uint64(i), opnum)
	}
	// Eight bytes at a time: even bytes get opnum, odd bytes opnum+orig with
	// the carry dropped (the mask clears it from the even byte above).
	const odd = 0xFF00FF00FF00FF00
	k := uint64(opnum) * 0x0101010101010101
	for ; i+8 <= len(dst); i += 8 {
		o := binary.LittleEndian.Uint64(orig[i:])
		v := ((o&odd)+(k&odd))&odd | k&^odd
		binary.LittleEndian.PutUint64(dst[i:], v)
	}
	for ; i < len(dst); i++ {
		dst[i] = genbyte(orig[i], off+uint64(i), opnum)
	}
}

func genbyte(orig byte, off uint64, opnum byte) byte {
	if off%2 == 1 {
		return opnum + orig
	}
	return opnum
}

// Op log: a fixed ring of the last logSize ops for LOG DUMP and .fsxops.
const logSize = 1024

const (
	flagSkipped uint8 = 1 << iota
	flagInjected
)

type logEntry struct {
	num     int64 // op number, from 1
	op      fsop.Op
	oldSize uint64 // file size before the op
	flags   uint8
}

type opLog struct {
	ring  [logSize]logEntry
	count int64 // entries ever added
}

func (l *opLog) add(e logEntry) {
	l.ring[l.count%logSize] = e
	l.count++
}

// entries returns the kept entries, oldest first (failure path only).
func (l *opLog) entries() []logEntry {
	n := min(l.count, logSize)
	out := make([]logEntry, 0, n)
	for i := l.count - n; i < l.count; i++ {
		out = append(out, l.ring[i%logSize])
	}
	return out
}
