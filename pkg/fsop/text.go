package fsop

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The .fsxops text format: an op list, one op per line, readable by people
// and by the tools that replay and shrink a failure. It extends xfstests
// fsx.c's --replay-ops files:
//
//	# comment (ignored, as are blank lines)
//	[skip ]OP OFFSET SIZE FILESIZE[ FLAG...]
//
// OP is one of random mode's kinds (close_open, read, write, mapread,
// mapwrite, truncate, fsync, fdatasync). OFFSET, SIZE and FILESIZE are
// numbers in C notation (0x… hex, 0… octal, else decimal); FILESIZE is the
// file size before the op. For truncate, OFFSET is 0 and SIZE is the new
// size. For close_open, fsync and fdatasync, OFFSET and SIZE are 0. "skip"
// marks an op that did nothing (zero length, or a read past the end).
// FLAGs: "injected" (applied to the model only, see --inject), "*" (the op
// overlaps the first bad byte) and fsx.c's "close_open" and "keep_size",
// accepted for compatibility. Writers emit numbers as 0x hex.
//
// Our writers start with one header comment,
//
//	# fsx-wasix ops: seed 1, file /tmp/fsxfile, ops 1..8412
//
// which readers use for the seed (the data a write carries is made from
// it) when the command line gives none; fsx.c ignores it as a comment.

// Header is what the header comment says.
type Header struct {
	Seed        uint64
	HasSeed     bool
	File        string
	First, Last int64 // the op numbers of the first and last line
}

const headerPrefix = "# fsx-wasix ops:"

// AppendHeader formats h as the header comment line.
func AppendHeader(b []byte, h Header) []byte {
	if h.Last == 0 { // a record being written: the last op is not known yet
		return fmt.Appendf(b, "%s seed %d, file %s, ops %d..\n", headerPrefix, h.Seed, h.File, h.First)
	}
	return fmt.Appendf(b, "%s seed %d, file %s, ops %d..%d\n", headerPrefix, h.Seed, h.File, h.First, h.Last)
}

func parseHeader(line string, h *Header) {
	rest, ok := strings.CutPrefix(line, headerPrefix)
	if !ok {
		return
	}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), " ")
		switch k {
		case "seed":
			if n, err := strconv.ParseUint(v, 10, 64); err == nil {
				h.Seed, h.HasSeed = n, true
			}
		case "file":
			h.File = v
		case "ops":
			a, b, _ := strings.Cut(v, "..")
			h.First, _ = strconv.ParseInt(a, 10, 64)
			h.Last, _ = strconv.ParseInt(b, 10, 64)
		}
	}
}

// Entry is one line of an .fsxops file: an op of random mode and what the
// run knew about it.
type Entry struct {
	Op       Op
	FileSize uint64 // before the op
	Skipped  bool
	Injected bool
	Overlap  bool // "*": touches the first bad byte
}

// RandomOp is an op of random mode on its worker's one handle and file.
func RandomOp(k Kind, off, size uint64) Op {
	return Op{Kind: k, Offset: off, Size: size}
}

// AppendEntry formats e as one line, with the newline.
func AppendEntry(b []byte, e Entry) []byte {
	if e.Skipped {
		b = append(b, "skip "...)
	}
	b = append(b, e.Op.Kind.String()...)
	for _, v := range [...]uint64{e.Op.Offset, e.Op.Size, e.FileSize} {
		b = append(b, " 0x"...)
		b = strconv.AppendUint(b, v, 16)
	}
	if e.Injected {
		b = append(b, " injected"...)
	}
	if e.Overlap {
		b = append(b, " *"...)
	}
	return append(b, '\n')
}

// ParseEntries reads every entry of an .fsxops file; an error names the
// line and the reason.
func ParseEntries(r io.Reader) ([]Entry, error) {
	_, ents, err := ParseOps(r)
	return ents, err
}

// ParseOps reads an .fsxops file: its header comment, if any, and every
// entry; an error names the line and the reason.
func ParseOps(r io.Reader) (Header, []Entry, error) {
	var h Header
	var out []Entry
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			parseHeader(sc.Text(), &h)
			continue
		}
		e, err := parseEntry(f)
		if err != nil {
			return h, nil, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return h, nil, err
	}
	return h, out, nil
}

func parseEntry(f []string) (Entry, error) {
	var e Entry
	if f[0] == "skip" {
		e.Skipped, f = true, f[1:]
	}
	if len(f) < 4 {
		return e, fmt.Errorf("want OP OFFSET SIZE FILESIZE, got %d fields", len(f))
	}
	k, ok := ParseKind(f[0])
	if !ok {
		return e, fmt.Errorf("unknown op %q (want one of %s)", f[0], strings.Join(kindNames[:NumRandomKinds], ", "))
	}
	if !k.IsRandom() {
		return e, fmt.Errorf("op %q is not one of random mode's", f[0])
	}
	var v [3]uint64
	for i := range v {
		n, err := strconv.ParseUint(f[i+1], 0, 64)
		if err != nil {
			return e, fmt.Errorf("bad number %q", f[i+1])
		}
		v[i] = n
	}
	e.Op, e.FileSize = RandomOp(k, v[0], v[1]), v[2]
	for _, flag := range f[4:] {
		switch flag {
		case "injected":
			e.Injected = true
		case "*":
			e.Overlap = true
		case "close_open", "keep_size":
		default:
			return e, fmt.Errorf("unknown flag %q", flag)
		}
	}
	return e, nil
}
