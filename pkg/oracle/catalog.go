package oracle

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"syscall"
)

// Op is what a command does.
type Op uint8

// The operations behind the seed's commands.
const (
	OpOpen Op = iota
	OpClose
	OpWrite
	OpRead
	OpSeek
	OpFstat
	OpStat
	OpReadDir
	OpWriteStderr
	OpDelete
)

// Scope says what a command is expanded over.
type Scope uint8

// Scopes. Open needs both a handle and a file.
const (
	ScopeNone       Scope = iota
	ScopeHandle           // over the two handles
	ScopeFile             // over the files A, B, C
	ScopeHandleFile       // over handles × files
)

// Command is one of the seed's commands before expansion.
type Command struct {
	Name   string
	Op     Op
	Scope  Scope
	Flags  int // open flags
	Size   int // bytes to write or read
	Whence int // seek
}

// Open modes. append_create follows Rust's OpenOptions append(true)
// .create(true), which opens write-only: a read through it must fail.
const (
	flagsRWCreate    = syscall.O_RDWR | syscall.O_CREAT
	flagsAppendCreat = syscall.O_WRONLY | syscall.O_APPEND | syscall.O_CREAT
	flagsRWTrunc     = syscall.O_RDWR | syscall.O_TRUNC
	flagsRWCreateNew = syscall.O_RDWR | syscall.O_CREAT | syscall.O_EXCL
)

// Commands is the seed's catalog, in the seed's order.
var Commands = [...]Command{
	{Name: "open(read_write_create)", Op: OpOpen, Scope: ScopeHandleFile, Flags: flagsRWCreate},
	{Name: "open(append_create)", Op: OpOpen, Scope: ScopeHandleFile, Flags: flagsAppendCreat},
	{Name: "open(read_write_truncate)", Op: OpOpen, Scope: ScopeHandleFile, Flags: flagsRWTrunc},
	{Name: "open(read_write_create_new)", Op: OpOpen, Scope: ScopeHandleFile, Flags: flagsRWCreateNew},
	{Name: "close", Op: OpClose, Scope: ScopeHandle},
	{Name: "write(zero_bytes)", Op: OpWrite, Scope: ScopeHandle, Size: 0},
	{Name: "write(32_bytes)", Op: OpWrite, Scope: ScopeHandle, Size: 32},
	{Name: "write(4_kb)", Op: OpWrite, Scope: ScopeHandle, Size: 4 << 10},
	{Name: "write(32_kb)", Op: OpWrite, Scope: ScopeHandle, Size: 32 << 10},
	{Name: "read(zero_bytes)", Op: OpRead, Scope: ScopeHandle, Size: 0},
	{Name: "read(32_bytes)", Op: OpRead, Scope: ScopeHandle, Size: 32},
	{Name: "read(4_kb)", Op: OpRead, Scope: ScopeHandle, Size: 4 << 10},
	{Name: "seek(start)", Op: OpSeek, Scope: ScopeHandle, Whence: 0},
	{Name: "seek(end)", Op: OpSeek, Scope: ScopeHandle, Whence: 2},
	{Name: "fstat", Op: OpFstat, Scope: ScopeHandle},
	{Name: "stat", Op: OpStat, Scope: ScopeFile},
	{Name: "read_dir", Op: OpReadDir, Scope: ScopeNone},
	{Name: "write_stderr", Op: OpWriteStderr, Scope: ScopeNone},
	{Name: "delete", Op: OpDelete, Scope: ScopeFile},
}

// Files are the file names a file-scoped command is expanded over. A and B
// live in the case directory; C lives in /tmp (see CPath), so with a root
// on a mounted volume C is on another filesystem. Host re-reads skip C.
var Files = [...]string{"A", "B", "C"}

// Handles is the number of logical handles the two workers share.
const Handles = 2

// fill is the byte each handle writes, so a misrouted write shows.
var fill = [Handles]byte{'A', 'B'}

// StderrLine is what write_stderr writes to the process's stderr: one byte,
// so that even chain 3 (tens of thousands of such steps) stays quiet. The
// transcript records only the outcome (bytes written).
const StderrLine = "."

// Entry is one expanded command: a command with its handle and file.
type Entry struct {
	Cmd    uint8
	Handle int8 // -1: none
	File   int8 // -1: none
}

// Command is the entry's command.
func (e Entry) Command() *Command { return &Commands[e.Cmd] }

// String is the entry as the catalog prints it: "open(append_create) h1 A".
func (e Entry) String() string {
	var b strings.Builder
	b.WriteString(Commands[e.Cmd].Name)
	if e.Handle >= 0 {
		fmt.Fprintf(&b, " h%d", e.Handle)
	}
	if e.File >= 0 {
		b.WriteString(" " + Files[e.File])
	}
	return b.String()
}

// Catalog is the expanded catalog: every command, in the seed's order,
// expanded over handles (outer) and files (inner).
var Catalog = expand()

func expand() []Entry {
	var out []Entry
	for i, c := range Commands {
		hs, fs := []int8{-1}, []int8{-1}
		if c.Scope == ScopeHandle || c.Scope == ScopeHandleFile {
			hs = []int8{0, 1}
		}
		if c.Scope == ScopeFile || c.Scope == ScopeHandleFile {
			fs = []int8{0, 1, 2}
		}
		for _, h := range hs {
			for _, f := range fs {
				out = append(out, Entry{Cmd: uint8(i), Handle: h, File: f})
			}
		}
	}
	return out
}

// recordFormat names the record encoding (outcome.go); it is part of the
// catalog hash because a report is only comparable under the same meaning.
const recordFormat = "record v1: outcomes as -errno | value | [value, runs.. | hash] | [n, names..]; snapshots A B C"

// CatalogHash identifies the catalog, the command semantics and the record
// encoding. Two reports are comparable only if their hashes are equal.
var CatalogHash = catalogHash()

func catalogHash() string {
	h := sha256.New()
	fmt.Fprintf(h, "fsx-wasix oracle catalog\n%s\nfiles %v handles %d fill %q stderr %q\n", recordFormat, Files, Handles, fill[:], StderrLine)
	for _, c := range Commands {
		// Flags are spelled by name: their numbers differ between platforms.
		fmt.Fprintf(h, "%s op=%d scope=%d size=%d whence=%d flags=%s\n", c.Name, c.Op, c.Scope, c.Size, c.Whence, flagNames(c.Flags))
	}
	for _, e := range Catalog {
		fmt.Fprintln(h, e)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func flagNames(f int) string {
	if f == 0 {
		return "-"
	}
	var s []string
	for _, n := range []struct {
		f    int
		name string
	}{{syscall.O_RDWR, "RDWR"}, {syscall.O_WRONLY, "WRONLY"}, {syscall.O_CREAT, "CREAT"}, {syscall.O_TRUNC, "TRUNC"}, {syscall.O_EXCL, "EXCL"}, {syscall.O_APPEND, "APPEND"}} {
		if f&n.f != 0 {
			s = append(s, n.name)
		}
	}
	return strings.Join(s, "|")
}
