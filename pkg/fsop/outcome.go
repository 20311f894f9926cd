package fsop

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/vmihailenco/msgpack/v5"
)

// MaxRuns is how many runs of equal bytes a Digest spells out before it
// falls back to a hash. Writes fill with one letter per handle and holes
// read as zeros, so data of a chain of L steps has at most 2L runs: up to
// chain 4 a digest is always readable ("A×32 B×4064").
const MaxRuns = 8

// Digest describes bytes: their runs of equal bytes, or, past MaxRuns
// runs, an FNV-1a 64 hash. Two digests are equal iff the bytes are (up to
// hash collisions). It is readable in reports and compresses to nearly
// nothing in transcripts, where the same few values repeat.
type Digest struct {
	Runs   [MaxRuns]ByteRun
	N      int // runs used
	Hashed bool
	Hash   uint64
}

// ByteRun is Count copies of Byte.
type ByteRun struct {
	Byte  byte
	Count uint64
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// Reset empties d.
func (d *Digest) Reset() { *d = Digest{} }

// Write adds b to the digest; feeding bytes in any chunking gives the same
// digest.
func (d *Digest) Write(b []byte) {
	for len(b) > 0 {
		if d.Hashed {
			h := d.Hash
			for _, c := range b {
				h = (h ^ uint64(c)) * fnvPrime
			}
			d.Hash = h
			return
		}
		if d.N > 0 && d.Runs[d.N-1].Byte == b[0] {
			n := sameRun(b)
			d.Runs[d.N-1].Count += uint64(n)
			b = b[n:]
			continue
		}
		if d.N == MaxRuns {
			// Too many runs to spell out: hash the runs so far, then the rest.
			h := uint64(fnvOffset)
			var w [8]byte
			for _, r := range d.Runs {
				binary.LittleEndian.PutUint64(w[:], r.Count<<8|uint64(r.Byte))
				for _, c := range w {
					h = (h ^ uint64(c)) * fnvPrime
				}
			}
			*d = Digest{Hashed: true, Hash: h}
			continue
		}
		d.Runs[d.N] = ByteRun{Byte: b[0]}
		d.N++
	}
}

// sameRun is the length of the prefix of b equal to b[0], compared eight
// bytes at a time: snapshots read up to ~100 KiB per file.
func sameRun(b []byte) int {
	c := b[0]
	pat := uint64(c) * 0x0101010101010101
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if binary.LittleEndian.Uint64(b[i:]) != pat {
			break
		}
	}
	for i < len(b) && b[i] == c {
		i++
	}
	return i
}

// String spells the digest: "A×32 B×4064", "0x00×16", "empty" or "hash 1f…".
func (d *Digest) String() string {
	if d.Hashed {
		return fmt.Sprintf("hash %016x", d.Hash)
	}
	if d.N == 0 {
		return "empty"
	}
	var b strings.Builder
	for i, r := range d.Runs[:d.N] {
		if i > 0 {
			b.WriteByte(' ')
		}
		if r.Byte >= '!' && r.Byte <= '~' {
			fmt.Fprintf(&b, "%c×%d", r.Byte, r.Count)
		} else {
			fmt.Fprintf(&b, "0x%02x×%d", r.Byte, r.Count)
		}
	}
	return b.String()
}

// Shape says which parts of an Outcome are meaningful.
type Shape uint8

// Outcome shapes.
const (
	ShapeScalar Shape = iota // Value
	ShapeData                // Value and Data (read, snapshot)
	ShapeNames               // Names (read_dir)
)

// Outcome is what one step (or one file snapshot) answered: an error kind,
// or success with a value — bytes moved, new offset, size — and for reads
// and snapshots a digest of the bytes, for read_dir the sorted names.
type Outcome struct {
	Err   Errno
	Value int64
	Shape Shape
	Data  Digest
	Names []string
}

// Outcome encoding (msgpack, hand-appended so executors do not allocate).
// Each outcome is
//
//	-errno                      an error kind (negative fixint)
//	value                       ok, scalar
//	[value, run..] / [value, bin8 hash]   ok with a data digest; a run is count<<8|byte
//	[n, name..]                 ok, read_dir names (sorted)
//
// A file snapshot is an outcome too: -ENOENT for a missing file, else
// [size, run..].

func appendInt(b []byte, v int64) []byte {
	switch {
	case v >= 0 && v < 128:
		return append(b, byte(v))
	case v < 0 && v >= -32:
		return append(b, byte(v))
	case v < 0:
		return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(v))
	case v < 1<<8:
		return append(b, 0xcc, byte(v))
	case v < 1<<16:
		return binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(v))
	case v < 1<<32:
		return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(v))
	default:
		return binary.BigEndian.AppendUint64(append(b, 0xcf), uint64(v))
	}
}

func appendUint(b []byte, v uint64) []byte {
	if v < 1<<63 {
		return appendInt(b, int64(v))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xcf), v)
}

// AppendArray appends a msgpack array header of n elements: records are
// arrays of outcomes.
func AppendArray(b []byte, n int) []byte {
	if n < 16 {
		return append(b, 0x90|byte(n))
	}
	return binary.BigEndian.AppendUint16(append(b, 0xdc), uint16(n))
}

func appendStr(b []byte, s string) []byte {
	switch {
	case len(s) < 32:
		b = append(b, 0xa0|byte(len(s)))
	case len(s) < 256:
		b = append(b, 0xd9, byte(len(s)))
	default:
		b = binary.BigEndian.AppendUint16(append(b, 0xda), uint16(len(s)))
	}
	return append(b, s...)
}

// Append appends the outcome's encoding to b.
func (o *Outcome) Append(b []byte) []byte {
	if o.Err != OK {
		return appendInt(b, -int64(o.Err))
	}
	switch o.Shape {
	case ShapeData:
		if o.Data.Hashed {
			b = AppendArray(b, 2)
			b = appendInt(b, o.Value)
			b = append(b, 0xc4, 8)
			return binary.BigEndian.AppendUint64(b, o.Data.Hash)
		}
		b = AppendArray(b, 1+o.Data.N)
		b = appendInt(b, o.Value)
		for _, r := range o.Data.Runs[:o.Data.N] {
			b = appendUint(b, r.Count<<8|uint64(r.Byte))
		}
		return b
	case ShapeNames:
		b = AppendArray(b, 1+len(o.Names))
		b = appendInt(b, int64(len(o.Names)))
		for _, n := range o.Names {
			b = appendStr(b, n)
		}
		return b
	default:
		return appendInt(b, o.Value)
	}
}

// DecodeOutcome is Append's inverse, reading one outcome from d into o.
func DecodeOutcome(d *msgpack.Decoder, o *Outcome) error {
	c, err := d.PeekCode()
	if err != nil {
		return err
	}
	if !(c <= 0x7f || c >= 0xe0 || c >= 0xcc && c <= 0xd3) { // not an int: an array
		n, err := d.DecodeArrayLen()
		if err != nil {
			return err
		}
		if n < 1 || n > 1<<16 {
			return fmt.Errorf("array of %d", n)
		}
		if o.Value, err = d.DecodeInt64(); err != nil {
			return err
		}
		o.Shape = ShapeData
		for i := 1; i < n; i++ {
			c, err := d.PeekCode()
			if err != nil {
				return err
			}
			switch {
			case c >= 0xa0 && c <= 0xbf || c >= 0xd9 && c <= 0xdb:
				s, err := d.DecodeString()
				if err != nil {
					return err
				}
				o.Shape = ShapeNames
				o.Names = append(o.Names, s)
			case c >= 0xc4 && c <= 0xc6:
				h, err := d.DecodeBytes()
				if err != nil || len(h) != 8 {
					return fmt.Errorf("bad hash")
				}
				o.Data.Hashed, o.Data.Hash = true, binary.BigEndian.Uint64(h)
			default:
				v, err := d.DecodeUint64()
				if err != nil {
					return err
				}
				if o.Data.N == MaxRuns {
					return fmt.Errorf("more than %d runs", MaxRuns)
				}
				o.Data.Runs[o.Data.N] = ByteRun{Byte: byte(v), Count: v >> 8}
				o.Data.N++
			}
		}
		return nil
	}
	v, err := d.DecodeInt64()
	if err != nil {
		return err
	}
	if v < 0 {
		if -v >= int64(numErrno) {
			o.Err = EOTHER
		} else {
			o.Err = Errno(-v)
		}
		return nil
	}
	o.Value = v
	return nil
}

// Format spells the outcome of an op of kind k: "ok", "ok(32)", "ok(32 A×32)",
// "ok([A B])", or the error kind.
func (o *Outcome) Format(k Kind) string {
	if o.Err != OK {
		return o.Err.String()
	}
	switch k {
	case Open, Close, Delete:
		if o.Value == 0 {
			return "ok"
		}
		return fmt.Sprintf("ok(%d)", o.Value)
	case Read, MapRead:
		if o.Value == 0 && o.Data.N == 0 && !o.Data.Hashed {
			return "ok(0)"
		}
		return fmt.Sprintf("ok(%d %s)", o.Value, o.Data.String())
	case ReadDir:
		return "ok([" + strings.Join(o.Names, " ") + "])"
	default:
		return fmt.Sprintf("ok(%d)", o.Value)
	}
}

// FormatSnapshot spells a file snapshot: "missing", "32 bytes A×32".
func (o *Outcome) FormatSnapshot() string {
	switch o.Err {
	case OK:
		if o.Value == 0 && o.Data.N == 0 && !o.Data.Hashed {
			return "0 bytes"
		}
		if !o.Data.Hashed {
			var n uint64
			for _, r := range o.Data.Runs[:o.Data.N] {
				n += r.Count
			}
			if n != uint64(o.Value) { // stat and content disagree: say both
				return fmt.Sprintf("size %d, content %s", o.Value, o.Data.String())
			}
		}
		return fmt.Sprintf("%d bytes %s", o.Value, o.Data.String())
	case ENOENT:
		return "missing"
	default:
		return "stat " + o.Err.String()
	}
}
