package diff

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

// Kept trees (--diff-keep): every program runs in a directory of its own,
// ROOT/keep/NNNNNNN, which it leaves as its last step left it, so that the
// host can re-read what a runtime wrote on a mounted volume and compare it
// with the program's final snapshot (internal/diffrun). The host walks a
// tree with the executor's own snapshot code (SnapshotTree), so both sides
// list, stat and digest the same way.

// KeepDirName is the directory under the root that holds the kept trees.
const KeepDirName = "keep"

// KeptTree is program k's kept tree relative to the root:
// "keep/0000030" (7 digits, more when needed).
func KeptTree(k int64) string {
	return KeepDirName + "/" + keptName(k)
}

func keptName(k int64) string {
	s := strconv.FormatInt(k, 10)
	if len(s) < 7 {
		s = strings.Repeat("0", 7-len(s)) + s
	}
	return s
}

// SnapshotTree is the snapshot of the tree at dir as the executor records a
// program's final snapshot — the same walk, listings, stats and digests —
// without the stream verdicts, which no file holds. The host re-reads a
// kept tree with it. A dir that is missing or not a directory is an error
// (a harness problem: the tree was never kept, or was removed); anything
// below it that cannot be read is an entry with its error kind, as in the
// guest's snapshots.
func SnapshotTree(dir string) ([]Entry, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	e := newWalker()
	if err := e.sys.init(dir); err != nil {
		return nil, err
	}
	defer e.sys.close()
	e.snapStart()
	e.walkRoot()
	// Through the record's encoding, as the guest's snapshots are compared.
	b := e.appendSnap(nil)
	return decodeSnap(msgpack.NewDecoder(bytes.NewReader(b)), nil)
}

// TreeEntries are the entries of a snapshot that a tree on disk holds: all
// but the stream verdicts ("h0 stream").
func TreeEntries(es []Entry) []Entry {
	out := make([]Entry, 0, len(es))
	for _, e := range es {
		if !strings.HasSuffix(e.Path, " stream") {
			out = append(out, e)
		}
	}
	return out
}

// RereadSignature compares a program's final snapshot (final, stream
// verdicts included or not) with what the host re-read of its kept tree
// (host, from SnapshotTree): "" when they agree, else the signature of
// the first difference, guestapi.DiffRereadSignature ("host re-read: file
// other content").
func RereadSignature(final, host []Entry) string {
	exp := TreeEntries(final)
	if equalEntries(exp, host) {
		return ""
	}
	if s := guestapi.DiffRereadSignature(APIEntries(exp), APIEntries(host)); s != "" {
		return s
	}
	return guestapi.DiffRereadPrefix + "records differ in encoding only"
}

// KeptPath is program k's kept tree under root.
func KeptPath(root string, k int64) string {
	return filepath.Join(root, filepath.FromSlash(KeptTree(k)))
}
