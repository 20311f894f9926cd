// Package atomicfile writes files so that a reader, or the next run after a
// crash or Ctrl-C, sees either the old file or the whole new one, never a
// part: a temporary file in the target's directory is written, synced,
// closed and renamed over the target, then the directory is synced where
// the platform allows it. On any error the temporary file is removed and
// the target is untouched.
//
// It is the one implementation of that sequence for both sides of the
// project: the orchestrator (internal/pipeline's cache, stamps and copies)
// and the guest (pkg/transcript's reports, pkg/exerciser's failure
// artifacts). The guest builds for GOOS=wasip1, so this package imports
// only what builds there: the standard library's os, io and path/filepath.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Mode is the permission of every file this package writes. os.CreateTemp
// makes 0600 files, and outputs are ordinary files others may read. A fixed
// 0644 rather than 0666 &^ umask: Go has no portable way to read the umask
// (syscall.Umask exists only on Unix and sets it while reading it, which
// races with other goroutines), and wasip1 has no umask at all. (Under
// wasip1 Go's chmod is a no-op that only stats the file: WASI has no
// permissions, and the runtime decides the host file's mode.)
const Mode fs.FileMode = 0o644

// File is a file being written in place of Path. Write to it, then Commit to
// put it in place or Abort to drop it.
type File struct {
	*os.File
	path string
	done bool
}

// Create starts writing a file that will replace path. The temporary file
// is ".<base>.tmp-<random>" beside path, so the rename stays within one
// filesystem and an interrupted write leaves a name that says what it was.
func Create(path string) (*File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, &fs.PathError{Op: "create", Path: path, Err: unwrapPathError(err)}
	}
	af := &File{File: f, path: path}
	if err := f.Chmod(Mode); err != nil {
		af.Abort()
		return nil, &fs.PathError{Op: "chmod", Path: path, Err: unwrapPathError(err)}
	}
	return af, nil
}

// Path is the file's final name.
func (f *File) Path() string { return f.path }

// Commit syncs and closes the temporary file, renames it over Path and
// syncs the directory. On error the temporary file is removed and Path is
// untouched (unless only the directory sync failed: the new file is then
// in place but may not survive a crash). Commit after Commit or Abort is an
// error.
func (f *File) Commit() error {
	if f.done {
		return &fs.PathError{Op: "commit", Path: f.path, Err: fs.ErrClosed}
	}
	f.done = true
	tmp := f.Name()
	fail := func(op string, err error) error {
		f.File.Close()
		os.Remove(tmp)
		return &fs.PathError{Op: op, Path: f.path, Err: unwrapPathError(err)}
	}
	if err := f.Sync(); err != nil {
		return fail("sync", err)
	}
	if err := f.File.Close(); err != nil {
		return fail("close", err)
	}
	if err := os.Rename(tmp, f.path); err != nil {
		return fail("rename", err)
	}
	if err := syncDir(filepath.Dir(f.path)); err != nil {
		return &fs.PathError{Op: "sync directory of", Path: f.path, Err: unwrapPathError(err)}
	}
	return nil
}

// Abort closes and removes the temporary file; Path is untouched. It is
// safe to call after Commit (it does nothing then), so `defer f.Abort()`
// covers every early return.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.File.Close()
	os.Remove(f.Name())
}

// Write replaces path with what fill writes.
func Write(path string, fill func(io.Writer) error) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := fill(f); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Commit()
}

// WriteFile replaces path with data.
func WriteFile(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// CopyFile replaces dst with a copy of src's bytes (in Mode, not src's).
func CopyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return Write(dst, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}

// unwrapPathError drops a *fs.PathError whose path is the random temporary
// name the caller never asked about; the errors above name the target.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
