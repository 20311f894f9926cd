package faultfs

// The catalogue: every fault this package can inject, each modelled on a
// class of filesystem bug that WebAssembly runtimes have had. docs/faults.md
// is the long form; `wazero-run --list-faults [--json]` prints this table.

// The fault kinds, by group.
const (
	// Data faults: the bytes moved by a read or write are wrong.
	DropWrite        Kind = "drop-write"
	ShortWrite       Kind = "short-write"
	MisdirectedWrite Kind = "misdirected-write"
	InsertingWrite   Kind = "inserting-write"
	NoHoleWrite      Kind = "no-hole-write"
	TruncateNoop     Kind = "truncate-noop"
	TruncateGarbage  Kind = "truncate-garbage"
	ShortRead        Kind = "short-read"
	StaleRead        Kind = "stale-read"
	CorruptRead      Kind = "corrupt-read"
	SeekPastEOFFails Kind = "seek-past-eof-fails"

	// Size faults: the size a descriptor reports is wrong.
	StaleFstatSize Kind = "stale-fstat-size"
	StaleSeekEnd   Kind = "stale-seek-end"

	// Open-flag faults: path_open ignores or mishandles a flag.
	OpenTruncIgnored  Kind = "open-trunc-ignored"
	OpenExclIgnored   Kind = "open-excl-ignored"
	OpenAppendIgnored Kind = "open-append-ignored"
	AppendStaleEOF    Kind = "append-stale-eof"

	// Metadata faults: names, listings and path stats are wrong.
	StatAfterUnlink   Kind = "stat-after-unlink"
	ReaddirDropsEntry Kind = "readdir-drops-entry"
	SizeAfterRecreate Kind = "size-after-recreate"
	RenameKeepsSize   Kind = "rename-keeps-size"

	// Sync faults.
	FsyncEIO        Kind = "fsync-eio"
	FdatasyncEIO    Kind = "fdatasync-eio"
	FsyncDropsWrite Kind = "fsync-drops-write"

	// Faults that need two descriptors or several steps.
	StaleHandleRead      Kind = "stale-handle-read"
	UnlinkedFdReadFails  Kind = "unlinked-fd-read-fails"
	UnlinkedFdWriteFails Kind = "unlinked-fd-write-fails"
)

// Def describes one fault of the catalogue.
type Def struct {
	Name Kind `json:"name"`
	// Group is data, size, open-flag, metadata, sync or multi-step.
	Group string `json:"group"`
	// Desc is what the fault does, in one line.
	Desc string `json:"description"`
	// Class is the class of runtime bug it stands for.
	Class string `json:"bug_class"`
	// Ops are the WASI calls it changes.
	Ops string `json:"ops"`
	// Counts names the calls that match the fault's condition: every one
	// is broken, or with :N only the Nth.
	Counts string `json:"counts"`
	// Issues are public issues and pull requests of that class (Wasmer's
	// where there are any); empty when none was found.
	Issues []string `json:"issues,omitempty"`
	// Detect is which fsx-wasix mode is expected to notice the fault (an
	// expectation, not a measurement).
	Detect string `json:"detect"`
}

const (
	wasmer    = "https://github.com/wasmerio/wasmer/issues/"
	wasmerPR  = "https://github.com/wasmerio/wasmer/pull/"
	wasmerSDK = "https://github.com/wasmerio/wasmer-sdk/issues/"
)

var catalogue = []Def{
	{
		Name: DropWrite, Group: "data",
		Desc:   "a write or pwrite reports every byte written but writes nothing (the offset still moves)",
		Class:  "lost write: success reported, data never reaches the file",
		Ops:    "fd_write, fd_pwrite",
		Counts: "write/pwrite",
		Issues: []string{wasmer + "4868"},
		Detect: "random mode (110 or 120); oracle chain 2 (open, write)",
	},
	{
		Name: ShortWrite, Group: "data",
		Desc:   "a write or pwrite writes only its first half but reports the whole length",
		Class:  "short write reported as full",
		Ops:    "fd_write, fd_pwrite",
		Counts: "write/pwrite",
		Detect: "random mode (110 or 120); oracle chain 2 (open, write)",
	},
	{
		Name: MisdirectedWrite, Group: "data",
		Desc:   "a write or pwrite lands 1+(seed mod 4096) bytes after the offset it was given",
		Class:  "misdirected write: the data lands at a wrong offset (file offset not honoured)",
		Ops:    "fd_write, fd_pwrite",
		Counts: "write/pwrite",
		Issues: []string{wasmerSDK + "165", wasmerSDK + "175", wasmer + "6543"},
		Detect: "random mode (110 or 120); oracle chain 2 (open, write: the snapshot differs)",
	},
	{
		Name: InsertingWrite, Group: "data",
		Desc:   "a write or pwrite inside the file inserts its bytes, shifting the tail, instead of overwriting",
		Class:  "inserting write: in-memory file splices data in instead of overwriting",
		Ops:    "fd_write, fd_pwrite",
		Counts: "write/pwrite that starts before the end of file",
		Issues: []string{wasmer + "3326", wasmerPR + "4165"},
		Detect: "random mode (110 or 120); oracle chain 4 (open, write, seek(start), write)",
	},
	{
		Name: NoHoleWrite, Group: "data",
		Desc:   "a write or pwrite past the end of file lands at the end of file (no zero-filled hole)",
		Class:  "no hole past EOF: a write beyond EOF is appended instead of leaving a zero-filled gap",
		Ops:    "fd_write, fd_pwrite",
		Counts: "write/pwrite that starts past the end of file",
		Issues: []string{wasmer + "6447", wasmer + "6543"},
		Detect: "random mode (120); oracle chain 4 (open, write, open(read_write_truncate) on the other handle, write)",
	},
	{
		Name: TruncateNoop, Group: "data",
		Desc:   "ftruncate reports success and changes nothing",
		Class:  "truncate that does nothing",
		Ops:    "fd_filestat_set_size",
		Counts: "ftruncate to a different size",
		Detect: "random mode (130: the start-up ftruncate check); the oracle has no ftruncate",
	},
	{
		Name: TruncateGarbage, Group: "data",
		Desc:   "ftruncate that grows the file fills the new range with non-zero bytes drawn from the seed",
		Class:  "truncate grows with garbage instead of zeros",
		Ops:    "fd_filestat_set_size",
		Counts: "ftruncate that grows the file",
		Issues: []string{wasmer + "6144"},
		Detect: "random mode (110); the oracle has no ftruncate",
	},
	{
		Name: ShortRead, Group: "data",
		Desc:   "a read or pread of 2 bytes or more returns only the first half of what is there",
		Class:  "short read in the middle of a file",
		Ops:    "fd_read, fd_pread",
		Counts: "read/pread returning 2 bytes or more",
		Detect: "random mode (141 or 190); oracle chain 4 (open, write, seek(start), read); the snapshot reads on until EOF, so a short read alone does not change it",
	},
	{
		Name: StaleRead, Group: "data",
		Desc:   "a read or pread overlapping the file's last write returns the bytes that range held before it",
		Class:  "stale read: a read cache not invalidated by a write",
		Ops:    "fd_read, fd_pread (fd_write, fd_pwrite record the old bytes)",
		Counts: "read/pread overlapping the last write",
		Detect: "random mode (110); oracle chain 2 (open, write: the snapshot reads the stale bytes)",
	},
	{
		Name: CorruptRead, Group: "data",
		Desc:   "a read or pread returns its middle byte with every bit flipped",
		Class:  "corrupt read",
		Ops:    "fd_read, fd_pread",
		Counts: "read/pread",
		Detect: "random mode (110); oracle chain 2 (open, write: the snapshot reads the flipped byte)",
	},
	{
		Name: SeekPastEOFFails, Group: "data",
		Desc:   "lseek to a position past the end of file fails with EINVAL and leaves the offset",
		Class:  "seek past EOF refused (no sparse files)",
		Ops:    "fd_seek",
		Counts: "seek whose target is past the end of file",
		Issues: []string{wasmerPR + "6547"},
		Detect: "random mode (150: a write past EOF seeks there first); the oracle only seeks to start and end",
	},
	{
		Name: StaleFstatSize, Group: "size",
		Desc:   "fstat reports the size the file had before its last size-changing write, ftruncate or open(O_TRUNC)",
		Class:  "stale size from fstat: the size is not refreshed after writes or a truncating open (cf. findings.md, truncate-on-open)",
		Ops:    "fd_filestat_get (writes, ftruncate and path_open with O_TRUNC record the old size)",
		Counts: "fstat of a file whose size changed since",
		Issues: []string{wasmerPR + "6940"},
		Detect: "random mode (130: the fstat after the start-up ftruncate check); oracle chain 2 (open, write: the snapshot's fstat is stale)",
	},
	{
		Name: StaleSeekEnd, Group: "size",
		Desc:   "lseek(SEEK_END) counts from the size before the last size-changing write, ftruncate or open(O_TRUNC)",
		Class:  "seek(END) using a stale or wrong size while fstat may be right",
		Ops:    "fd_seek (writes, ftruncate and path_open with O_TRUNC record the old size)",
		Counts: "seek from the end of a file whose size changed since",
		Issues: []string{wasmer + "6427"},
		Detect: "random mode (120); oracle chain 3 (open, write, seek(end))",
	},
	{
		Name: OpenTruncIgnored, Group: "open-flag",
		Desc:   "path_open with O_TRUNC of an existing non-empty file does not truncate it",
		Class:  "O_TRUNC ignored",
		Ops:    "path_open",
		Counts: "open with O_TRUNC of a non-empty file",
		Issues: []string{wasmer + "4842"},
		Detect: "oracle chain 3 (open, write, open(read_write_truncate)); random mode truncates only a new file",
	},
	{
		Name: OpenExclIgnored, Group: "open-flag",
		Desc:   "path_open with O_CREAT and O_EXCL of an existing file opens it instead of failing with EEXIST",
		Class:  "O_EXCL ignored (Wasmer ignored it for directories)",
		Ops:    "path_open",
		Counts: "open with O_CREAT and O_EXCL of an existing path",
		Issues: []string{wasmer + "4791", wasmerPR + "4793"},
		Detect: "oracle chain 2 (open(read_write_create), open(read_write_create_new))",
	},
	{
		Name: OpenAppendIgnored, Group: "open-flag",
		Desc:   "path_open with O_APPEND (and fd_fdstat_set_flags APPEND) opens a normal handle: writes go to the offset",
		Class:  "O_APPEND ignored",
		Ops:    "path_open, fd_fdstat_set_flags",
		Counts: "open with O_APPEND, or setting APPEND",
		Issues: []string{wasmer + "936"},
		Detect: "oracle chain 4 (open(append_create), write, seek(start), write)",
	},
	{
		Name: AppendStaleEOF, Group: "open-flag",
		Desc:   "an O_APPEND write lands at the end of file as that descriptor last knew it (its open, plus its own appends)",
		Class:  "O_APPEND writing at a stale end of file: writes or truncates through other descriptors (or ftruncate) not seen",
		Ops:    "fd_write on an O_APPEND descriptor",
		Counts: "append write whose descriptor's end of file is stale",
		Issues: []string{wasmer + "5128", wasmer + "6542"},
		Detect: "oracle chain 4 (open(append_create), open(read_write_create) on the other handle, write, write)",
	},
	{
		Name: StatAfterUnlink, Group: "metadata",
		Desc:   "path_filestat_get of an unlinked path still succeeds, with the file's last stat",
		Class:  "stat after unlink still succeeds: the name outlives the unlink",
		Ops:    "path_filestat_get (path_unlink_file records the stat)",
		Counts: "stat of a path unlinked through the mount",
		Issues: []string{wasmer + "6553"},
		Detect: "oracle chain 3 (open(create), delete, stat)",
	},
	{
		Name: ReaddirDropsEntry, Group: "metadata",
		Desc:   "each pass over a directory listing loses its first entry other than . and ..",
		Class:  "readdir dropping an entry",
		Ops:    "fd_readdir",
		Counts: "listing pass that returned an entry",
		Issues: []string{wasmerSDK + "164", wasmer + "6439"},
		Detect: "oracle chain 2 (open(create), read_dir)",
	},
	{
		Name: SizeAfterRecreate, Group: "metadata",
		Desc:   "a file created where one was unlinked reports the old file's size (fstat and stat) until written or truncated",
		Class:  "size after re-create: unlink + create reports the old size",
		Ops:    "path_open with O_CREAT, fd_filestat_get, path_filestat_get (path_unlink_file records the size)",
		Counts: "stat/fstat of a re-created file",
		Issues: []string{wasmer + "2848"},
		Detect: "oracle chain 4 (open(create), write, delete, open(create), then a snapshot)",
	},
	{
		Name: RenameKeepsSize, Group: "metadata",
		Desc:   "after a rename over a larger file, the renamed file reports the replaced file's size until written or truncated",
		Class:  "rename keeps the replaced file's size: metadata not carried over by rename",
		Ops:    "path_rename, fd_filestat_get, path_filestat_get",
		Counts: "stat/fstat of a renamed file",
		Issues: []string{wasmerPR + "5104"},
		Detect: "no mode yet: random mode and the oracle do not rename",
	},
	{
		Name: FsyncEIO, Group: "sync",
		Desc:   "fsync of a regular file fails with EIO",
		Class:  "fsync failing",
		Ops:    "fd_sync",
		Counts: "fsync",
		Detect: "random mode with an fsync weight (152); the seed config has none",
	},
	{
		Name: FdatasyncEIO, Group: "sync",
		Desc:   "fdatasync of a regular file fails with EIO",
		Class:  "fdatasync failing (Wasmer answered EACCES to a valid fdatasync)",
		Ops:    "fd_datasync",
		Counts: "fdatasync",
		Issues: []string{wasmer + "1705", wasmer + "4340"},
		Detect: "random mode with an fdatasync weight (153); the seed config has none",
	},
	{
		Name: FsyncDropsWrite, Group: "sync",
		Desc:   "fsync or fdatasync reports success but undoes the last write made since the previous sync",
		Class:  "fsync dropping a buffered write instead of writing it back",
		Ops:    "fd_sync, fd_datasync (writes record what they replaced; ftruncate counts as flushed)",
		Counts: "fsync/fdatasync with an unsynced write",
		Detect: "random mode with an fsync or fdatasync weight (110 or 120); the seed config has none",
	},
	{
		Name: StaleHandleRead, Group: "multi-step",
		Desc:   "a read through another descriptor that was open at the time of the file's last write returns the bytes from before it",
		Class:  "per-descriptor read cache: a second descriptor of the same file reads stale bytes",
		Ops:    "fd_read, fd_pread (fd_write, fd_pwrite record the old bytes)",
		Counts: "read/pread through a descriptor open at the last write, overlapping it",
		Detect: "oracle chain 4 (open, open on the other handle, write, read); random mode uses one descriptor at a time",
	},
	{
		Name: UnlinkedFdReadFails, Group: "multi-step",
		Desc:   "a read through a descriptor whose file was unlinked fails with ENOENT",
		Class:  "unlinked but open file unreadable",
		Ops:    "fd_read, fd_pread (path_unlink_file marks the open descriptors)",
		Counts: "read/pread through a descriptor of an unlinked file",
		Issues: []string{wasmer + "6431"},
		Detect: "oracle chain 3 (open, delete, read)",
	},
	{
		Name: UnlinkedFdWriteFails, Group: "multi-step",
		Desc:   "a write through a descriptor whose file was unlinked fails with ENOENT",
		Class:  "unlinked but open file unwritable",
		Ops:    "fd_write, fd_pwrite (path_unlink_file marks the open descriptors)",
		Counts: "write/pwrite through a descriptor of an unlinked file",
		Issues: []string{wasmer + "6128"},
		Detect: "oracle chain 3 (open, delete, write)",
	},
}

// Catalogue returns every fault, in the order of docs/faults.md.
func Catalogue() []Def {
	out := make([]Def, len(catalogue))
	copy(out, catalogue)
	for i := range out {
		out[i].Issues = append([]string(nil), out[i].Issues...)
	}
	return out
}

// Lookup returns the definition of the fault called name.
func Lookup(name Kind) (Def, bool) {
	for _, d := range catalogue {
		if d.Name == name {
			return d, true
		}
	}
	return Def{}, false
}

// Names is every fault name, in catalogue order.
func Names() []string {
	out := make([]string, len(catalogue))
	for i, d := range catalogue {
		out[i] = string(d.Name)
	}
	return out
}
