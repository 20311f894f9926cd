// Package opsfile is the text format of an op list (the .fsxops artifact):
// what a failed worker did last, one op per line, readable by people and by
// tools that replay or shrink a failure.
//
// The format extends xfstests fsx.c's --replay-ops files:
//
//	# comment (ignored, as are blank lines)
//	[skip ]OP OFFSET SIZE FILESIZE[ FLAG...]
//
// OP is read, write, mapread, mapwrite, truncate, close_open, fsync or
// fdatasync. OFFSET, SIZE and FILESIZE are numbers in C notation (0x… hex,
// 0… octal, else decimal); FILESIZE is the file size before the op. For
// truncate, OFFSET is 0 and SIZE is the new size. For close_open, fsync and
// fdatasync, OFFSET and SIZE are 0. "skip" marks an op that did nothing
// (zero length, or a read past the end). FLAGs: "injected" (applied to the
// model only, see --inject), "*" (the op overlaps the first bad byte) and
// fsx.c's "close_open" and "keep_size", accepted for compatibility.
// Writers emit numbers as 0x hex.
package opsfile

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Ops names the ops the format knows.
var Ops = []string{"read", "write", "mapread", "mapwrite", "truncate", "close_open", "fsync", "fdatasync"}

// Entry is one line.
type Entry struct {
	Op       string
	Offset   uint64
	Size     uint64
	FileSize uint64 // before the op
	Skipped  bool
	Injected bool
	Overlap  bool // "*": touches the first bad byte
}

// Append formats e as one line, with the newline.
func Append(b []byte, e Entry) []byte {
	if e.Skipped {
		b = append(b, "skip "...)
	}
	b = append(b, e.Op...)
	for _, v := range [...]uint64{e.Offset, e.Size, e.FileSize} {
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

// Parse reads every entry; an error names the line.
func Parse(r io.Reader) ([]Entry, error) {
	var out []Entry
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		e, err := parseFields(f)
		if err != nil {
			return nil, fmt.Errorf("opsfile line %d: %w", line, err)
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

func parseFields(f []string) (Entry, error) {
	var e Entry
	if f[0] == "skip" {
		e.Skipped, f = true, f[1:]
	}
	if len(f) < 4 {
		return e, fmt.Errorf("want OP OFFSET SIZE FILESIZE, got %d fields", len(f))
	}
	known := false
	for _, op := range Ops {
		known = known || op == f[0]
	}
	if !known {
		return e, fmt.Errorf("unknown op %q", f[0])
	}
	e.Op = f[0]
	for i, p := range []*uint64{&e.Offset, &e.Size, &e.FileSize} {
		v, err := strconv.ParseUint(f[i+1], 0, 64)
		if err != nil {
			return e, fmt.Errorf("bad number %q", f[i+1])
		}
		*p = v
	}
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
