package pipeline

import (
	"os"

	"github.com/fsx-wasix/fsx-wasix/internal/atomicfile"
)

// WriteFileAtomic writes data to path through internal/atomicfile, so a
// reader (or the next run after a crash or Ctrl-C) sees either the old file
// or the whole new one, never a part. Its errors are one line naming path
// (never the temporary file).
func WriteFileAtomic(path string, data []byte) error {
	return atomicfile.WriteFile(path, data)
}

// CopyFileAtomic copies src to dst with the same guarantee as WriteFileAtomic.
func CopyFileAtomic(dst, src string) error {
	return atomicfile.CopyFile(dst, src)
}

// unwrapPathError drops the *PathError wrapper whose path the message
// already names.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
