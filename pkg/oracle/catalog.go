package oracle

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
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

// Command is one of the seed's commands before expansion: a name and an
// fsop.Op template whose handle and file the expansion fills in.
type Command struct {
	Name  string
	Op    fsop.Op
	Scope Scope
}

// Open modes. append_create follows Rust's OpenOptions append(true)
// .create(true), which opens write-only: a read through it must fail.
const (
	flagsRWCreate    = fsop.ReadWrite | fsop.Create
	flagsAppendCreat = fsop.WriteOnly | fsop.Append | fsop.Create
	flagsRWTrunc     = fsop.ReadWrite | fsop.Trunc
	flagsRWCreateNew = fsop.ReadWrite | fsop.Create | fsop.Excl
)

func open(f fsop.OpenFlags) fsop.Op { return fsop.Op{Kind: fsop.Open, Flags: f} }
func cursor(k fsop.Kind, size uint64) fsop.Op {
	return fsop.Op{Kind: k, Offset: fsop.Cursor, Size: size}
}
func seek(w fsop.Whence) fsop.Op { return fsop.Op{Kind: fsop.Seek, Whence: w} }
func plain(k fsop.Kind) fsop.Op  { return fsop.Op{Kind: k} }

// Commands is the seed's catalog, in the seed's order.
var Commands = [...]Command{
	{Name: "open(read_write_create)", Op: open(flagsRWCreate), Scope: ScopeHandleFile},
	{Name: "open(append_create)", Op: open(flagsAppendCreat), Scope: ScopeHandleFile},
	{Name: "open(read_write_truncate)", Op: open(flagsRWTrunc), Scope: ScopeHandleFile},
	{Name: "open(read_write_create_new)", Op: open(flagsRWCreateNew), Scope: ScopeHandleFile},
	{Name: "close", Op: plain(fsop.Close), Scope: ScopeHandle},
	{Name: "write(zero_bytes)", Op: cursor(fsop.Write, 0), Scope: ScopeHandle},
	{Name: "write(32_bytes)", Op: cursor(fsop.Write, 32), Scope: ScopeHandle},
	{Name: "write(4_kb)", Op: cursor(fsop.Write, 4<<10), Scope: ScopeHandle},
	{Name: "write(32_kb)", Op: cursor(fsop.Write, 32<<10), Scope: ScopeHandle},
	{Name: "read(zero_bytes)", Op: cursor(fsop.Read, 0), Scope: ScopeHandle},
	{Name: "read(32_bytes)", Op: cursor(fsop.Read, 32), Scope: ScopeHandle},
	{Name: "read(4_kb)", Op: cursor(fsop.Read, 4<<10), Scope: ScopeHandle},
	{Name: "seek(start)", Op: seek(fsop.FromStart), Scope: ScopeHandle},
	{Name: "seek(end)", Op: seek(fsop.FromEnd), Scope: ScopeHandle},
	{Name: "fstat", Op: plain(fsop.Fstat), Scope: ScopeHandle},
	{Name: "stat", Op: plain(fsop.Stat), Scope: ScopeFile},
	{Name: "read_dir", Op: plain(fsop.ReadDir), Scope: ScopeNone},
	{Name: "write_stderr", Op: fsop.Op{Kind: fsop.WriteStderr, Size: uint64(len(StderrLine))}, Scope: ScopeNone},
	{Name: "delete", Op: plain(fsop.Delete), Scope: ScopeFile},
}

// Files are the file names a file-scoped command is expanded over. A and B
// live in the case directory; C lives in /tmp (see CPath), so with a root
// on a mounted volume C is on another filesystem. Host re-reads skip C.
var Files = [...]string{"A", "B", "C"}

// Handles is the number of logical handles the two workers share.
const Handles = 2

// fill is the byte each handle writes, so a misrouted write shows.
var fill = [Handles]byte{'A', 'B'}

// StderrLine is what write_stderr writes to the process's stderr: nothing.
// The step is a zero-byte write(2) on descriptor 2 — the runtime must
// still find the descriptor and answer 0 — so a run prints nothing of its
// own between its progress lines. It used to be one ".", which at chain 3
// came to 20,000-odd dots on one line of a CI log (docs/rationale.md). The
// transcript records only the outcome (bytes written); the string is part
// of the catalog hash.
const StderrLine = ""

// Entry is one expanded command: a command with its handle and file.
type Entry struct {
	Cmd    uint8
	Handle int8 // -1: none
	File   int8 // -1: none
}

// Command is the entry's command.
func (e Entry) Command() *Command { return &Commands[e.Cmd] }

// Op is the entry as an op: its command's template on its handle and file.
func (e Entry) Op() fsop.Op {
	op := Commands[e.Cmd].Op
	op.Handle, op.File = e.Handle, e.File
	return op
}

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
		// Kinds and flags are spelled by name: names are what stays stable.
		fmt.Fprintf(h, "%s op=%s scope=%d size=%d whence=%d flags=%s\n", c.Name, c.Op.Kind, c.Scope, c.Op.Size, c.Op.Whence, c.Op.Flags)
	}
	for _, e := range Catalog {
		fmt.Fprintln(h, e)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
