package fsop

import (
	"slices"
	"strconv"
	"strings"
)

// Cursor as an Op's Offset means "at the handle's current offset": the
// oracle's read and write, which do not seek.
const Cursor = ^uint64(0)

// NoHandle and NoFile mark an op that names no handle or no file.
const (
	NoHandle int8 = -1
	NoFile   int8 = -1
)

// OpenFlags are open's flags, portable: the executor maps them to the
// platform's numbers (Linux and WASI differ).
type OpenFlags uint8

// Open flags. Access is ReadOnly unless WriteOnly or ReadWrite is set.
const (
	WriteOnly OpenFlags = 1 << iota
	ReadWrite
	Create
	Excl
	Trunc
	Append
	Directory // O_DIRECTORY: fail unless File is a directory
)

var flagNames = [...]string{"WRONLY", "RDWR", "CREAT", "EXCL", "TRUNC", "APPEND", "DIRECTORY"}

// ParseOpenFlags is String's inverse; it also takes "RDONLY" (no access
// bit) as a word.
func ParseOpenFlags(s string) (OpenFlags, bool) {
	if s == "-" {
		return 0, true
	}
	var f OpenFlags
	for _, w := range strings.Split(s, "|") {
		if w == "RDONLY" {
			continue
		}
		i := slices.Index(flagNames[:], w)
		if i < 0 {
			return 0, false
		}
		f |= 1 << i
	}
	return f, true
}

// String spells flags as "RDWR|CREAT" ("-" for none, i.e. read-only), the
// order fixed, so it can go into a catalog hash.
func (f OpenFlags) String() string {
	if f == 0 {
		return "-"
	}
	var s []string
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			s = append(s, n)
		}
	}
	return strings.Join(s, "|")
}

// Whence is seek's origin, with io.Seek*'s numbers.
type Whence uint8

// Seek origins.
const (
	FromStart   Whence = 0
	FromCurrent Whence = 1
	FromEnd     Whence = 2
)

// Op is one filesystem operation as a value. Which fields mean something
// depends on Kind (see the Kind constants); the rest are zero, or NoHandle
// and NoFile.
type Op struct {
	Kind   Kind
	Handle int8 // which of the program's handles; NoHandle for none
	File   int8 // which of the program's files; NoFile for none
	Whence Whence
	Flags  OpenFlags
	Offset uint64 // Cursor: the handle's current offset
	Size   uint64 // bytes to move; Truncate: the new size
	// File2 is the second name of Rename and Link (the new name); it means
	// nothing for other kinds, whatever its value.
	File2 int8
}

// String is the op in the .fsxops words: "write 0x10 0x20",
// "open h0 A RDWR|CREAT", "truncate 0x0 0x400".
func (o Op) String() string {
	b := []byte(o.Kind.String())
	if o.Handle != NoHandle && !o.Kind.IsRandom() {
		b = append(b, " h"...)
		b = strconv.AppendInt(b, int64(o.Handle), 10)
	}
	if o.File != NoFile && !o.Kind.IsRandom() {
		b = append(b, ' ', 'A'+byte(o.File))
	}
	if o.Kind == Rename || o.Kind == Link {
		b = append(b, ' ', 'A'+byte(o.File2))
	}
	switch o.Kind {
	case Open:
		b = append(b, ' ')
		b = append(b, o.Flags.String()...)
	case Seek:
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(o.Whence), 10)
	}
	if o.Kind.IsRandom() || o.Kind == Seek || o.Offset != 0 && o.Offset != Cursor {
		b = append(b, " 0x"...)
		b = strconv.AppendUint(b, o.Offset, 16)
		b = append(b, " 0x"...)
		b = strconv.AppendUint(b, o.Size, 16)
	} else if o.Size != 0 {
		b = append(b, ' ')
		b = strconv.AppendUint(b, o.Size, 10)
	}
	return string(b)
}

// Step is an op and the worker (from 1) that runs it.
type Step struct {
	Worker int
	Op     Op
}

// Program is a sequence of steps run in order: a worker runs its step
// while the others wait, so the order is the program's on every platform.
type Program []Step
