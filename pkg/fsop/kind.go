package fsop

import "fmt"

// Kind is what an op does. The first eight are random mode's ops in config
// order (their names are the config's weight keys); then the oracle's; then
// the differential mode's namespace and directory kinds (pkg/diff). New
// kinds are appended before NumKinds, never renumbered: transcripts and
// .fsxops files name kinds by these numbers' names.
type Kind uint8

// The kinds. Read and Write at an Offset seek there first (fsx's read and
// write); at Cursor they use the handle's current offset (the oracle's).
// MapRead and MapWrite are positioned I/O (pread/pwrite), fsx's names for
// them kept because they are the config keys.
const (
	CloseOpen Kind = iota // close the handle and open the file again
	Read                  // [seek to Offset,] read Size bytes
	Write                 // [seek to Offset,] write Size bytes
	MapRead               // pread Size bytes at Offset
	MapWrite              // pwrite Size bytes at Offset
	Truncate              // ftruncate to Size
	Fsync                 // fsync
	Fdatasync             // fdatasync

	Open        // open File as Handle with Flags
	Close       // close Handle
	Seek        // seek Handle to Offset from Whence
	Fstat       // the size through Handle
	Stat        // the size of File by name
	ReadDir     // the sorted names of the working directory
	WriteStderr // write Size bytes to the process's stderr
	Delete      // unlink File

	Rename       // rename File to File2
	Link         // hard-link File as File2
	Mkdir        // create directory File
	Rmdir        // remove empty directory File
	RemoveAll    // remove File and, if it is a directory, everything under it
	ReadDirBatch // read up to Size entries from the directory open as Handle
	Snapshot     // every file's size and content, every directory's listing

	NumKinds
)

// NumRandomKinds is how many kinds random mode draws from: the first ones.
const NumRandomKinds = int(Fdatasync) + 1

var kindNames = [NumKinds]string{
	"close_open", "read", "write", "mapread", "mapwrite", "truncate", "fsync", "fdatasync",
	"open", "close", "seek", "fstat", "stat", "read_dir", "write_stderr", "delete",
	"rename", "link", "mkdir", "rmdir", "remove_all", "read_dir_batch", "snapshot",
}

// String is the kind's one name: config key, log word and .fsxops word.
func (k Kind) String() string {
	if k < NumKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// ParseKind is String's inverse.
func ParseKind(s string) (Kind, bool) {
	for i, n := range kindNames {
		if n == s {
			return Kind(i), true
		}
	}
	return 0, false
}

// RandomKinds are random mode's kinds in config order.
func RandomKinds() []Kind {
	ks := make([]Kind, NumRandomKinds)
	for i := range ks {
		ks[i] = Kind(i)
	}
	return ks
}

// IsRandom says whether random mode can draw k.
func (k Kind) IsRandom() bool { return int(k) < NumRandomKinds }

// Reads says whether k reads file data; Writes whether it writes file data.
func (k Kind) Reads() bool  { return k == Read || k == MapRead }
func (k Kind) Writes() bool { return k == Write || k == MapWrite }

// Positioned says whether k carries a file offset of its own.
func (k Kind) Positioned() bool { return k.Reads() || k.Writes() }
