package faultfs

import (
	"fmt"
	"io/fs"
	"path"

	"github.com/tetratelabs/wazero/experimental/sys"
	wsys "github.com/tetratelabs/wazero/sys"
)

// faultFS is one wrapped mount. The path-keyed state is per mount (paths
// are relative to it); it is guarded by f.mu.
type faultFS struct {
	sys.FS
	f        *Fault
	unlinked map[string]wsys.Stat_t // stat-after-unlink: the last stat of unlinked paths
	removed  map[string]int64       // size-after-recreate: the size of unlinked files
}

func keyOf(st wsys.Stat_t) fileKey { return fileKey{st.Dev, st.Ino} }

func (w *faultFS) OpenFile(p string, flag sys.Oflag, perm fs.FileMode) (sys.File, sys.Errno) {
	f := w.f
	p = path.Clean(p)
	recreated, oldSize := false, int64(0)
	truncated := int64(0) // the size an open(O_TRUNC) cuts away
	f.mu.Lock()
	switch f.Kind {
	case OpenTruncIgnored:
		if flag&sys.O_TRUNC != 0 {
			if st, e := w.FS.Lstat(p); e == 0 && st.Mode.IsRegular() && st.Size > 0 &&
				f.hit(func() string { return fmt.Sprintf("open(O_TRUNC) of %s (%d bytes) did not truncate it", p, st.Size) }) {
				flag &^= sys.O_TRUNC
			}
		}
	case OpenExclIgnored:
		if flag&sys.O_CREAT != 0 && flag&sys.O_EXCL != 0 {
			if _, e := w.FS.Lstat(p); e == 0 &&
				f.hit(func() string { return "open(O_CREAT|O_EXCL) of the existing " + p + " succeeded" }) {
				flag &^= sys.O_EXCL
			}
		}
	case OpenAppendIgnored:
		if flag&sys.O_APPEND != 0 && f.hit(func() string { return "open(O_APPEND) of " + p + " opened a normal handle" }) {
			flag &^= sys.O_APPEND
		}
	case StaleFstatSize, StaleSeekEnd:
		if flag&sys.O_TRUNC != 0 {
			if st, e := w.FS.Lstat(p); e == 0 && st.Mode.IsRegular() {
				truncated = st.Size
			}
		}
	case SizeAfterRecreate:
		if old, ok := w.removed[p]; ok && flag&sys.O_CREAT != 0 {
			if _, e := w.FS.Lstat(p); e == sys.ENOENT {
				recreated, oldSize = true, old
			}
		}
	}
	f.mu.Unlock()

	file, errno := w.FS.OpenFile(p, flag, perm)
	if errno != 0 {
		return file, errno
	}
	st, errno := file.Stat()
	if errno != 0 {
		return file, 0 // not ours to judge: pass it through untouched
	}
	isDir := st.Mode.IsDir()
	if isDir && f.Kind != ReaddirDropsEntry {
		return file, 0 // directories pass through untouched
	}
	h := &handle{base: base{file}, fs: w, f: f, path: p, key: keyOf(st), isDir: isDir}
	h.seeker.h = h
	f.mu.Lock()
	if flag&sys.O_CREAT != 0 {
		delete(w.unlinked, p)
	}
	if !isDir {
		if f.open == nil {
			f.open = map[fileKey]map[*handle]struct{}{}
		}
		if f.open[h.key] == nil {
			f.open[h.key] = map[*handle]struct{}{}
		}
		f.open[h.key][h] = struct{}{}
		if truncated > 0 { // the size before this open truncated the file
			s := f.state(h.key)
			s.staleSize, s.hasStale = truncated, true
		}
		if recreated {
			s := f.state(h.key)
			s.ghost, s.hasGhost = oldSize, true
			delete(w.removed, p)
		}
		if f.Kind == AppendStaleEOF && file.IsAppend() {
			h.eof = st.Size
		}
	}
	f.mu.Unlock()
	if pf, ok := file.(sys.PollableFile); ok {
		return &pollableHandle{handle: h, p: pf}, 0
	}
	return h, 0
}

// Unlink records what the unlinked name was for the faults that remember
// it, and marks the open handles of a file that lost its last name.
func (w *faultFS) Unlink(p string) sys.Errno {
	f := w.f
	p = path.Clean(p)
	f.mu.Lock()
	defer f.mu.Unlock()
	st, serr := w.FS.Lstat(p)
	if errno := w.FS.Unlink(p); errno != 0 || serr != 0 {
		return errno
	}
	switch f.Kind {
	case StatAfterUnlink:
		w.unlinked[p] = st
	case SizeAfterRecreate:
		if st.Mode.IsRegular() {
			w.removed[p] = st.Size
		}
	}
	w.lostName(st)
	return 0
}

// lostName is for a file that lost one of its names (st is its stat from
// before): with no name left, its open handles are orphans and its state
// goes once nothing holds it. f.mu must be held.
func (w *faultFS) lostName(st wsys.Stat_t) {
	k := keyOf(st)
	if st.Nlink <= 1 {
		for h := range w.f.open[k] {
			h.orphan = true
		}
	}
	w.f.forget(k, st.Nlink)
}

func (w *faultFS) Stat(p string) (wsys.Stat_t, sys.Errno) { return w.stat(p, w.FS.Stat) }

func (w *faultFS) Lstat(p string) (wsys.Stat_t, sys.Errno) { return w.stat(p, w.FS.Lstat) }

func (w *faultFS) stat(p string, stat func(string) (wsys.Stat_t, sys.Errno)) (wsys.Stat_t, sys.Errno) {
	f := w.f
	st, errno := stat(p)
	switch f.Kind {
	case StatAfterUnlink:
		if errno == sys.ENOENT {
			f.mu.Lock()
			defer f.mu.Unlock()
			if old, ok := w.unlinked[path.Clean(p)]; ok &&
				f.hit(func() string { return "stat of the unlinked " + path.Clean(p) + " succeeded" }) {
				return old, 0
			}
		}
	case SizeAfterRecreate, RenameKeepsSize:
		if errno == 0 && st.Mode.IsRegular() {
			f.mu.Lock()
			defer f.mu.Unlock()
			st.Size = f.ghostSize("stat", path.Clean(p), keyOf(st), st.Size)
		}
	}
	return st, errno
}

// ghostSize is the size a stat of file k reports: its ghost size while it
// has one that differs from the real size and the call is broken. f.mu
// must be held.
func (f *Fault) ghostSize(op, p string, k fileKey, size int64) int64 {
	s := f.files[k]
	if s == nil || !s.hasGhost || s.ghost == size {
		return size
	}
	if f.hit(func() string { return fmt.Sprintf("%s of %s reported %d bytes (has %d)", op, p, s.ghost, size) }) {
		return s.ghost
	}
	return size
}

// Rename notes the replaced file losing its name, and for
// rename-keeps-size gives the renamed file the replaced one's size.
func (w *faultFS) Rename(from, to string) sys.Errno {
	f := w.f
	from, to = path.Clean(from), path.Clean(to)
	f.mu.Lock()
	defer f.mu.Unlock()
	fromSt, ferr := w.FS.Lstat(from)
	toSt, terr := w.FS.Lstat(to)
	if errno := w.FS.Rename(from, to); errno != 0 {
		return errno
	}
	delete(w.unlinked, to)
	delete(w.removed, to)
	if ferr == 0 && terr == 0 && keyOf(fromSt) != keyOf(toSt) {
		if f.Kind == RenameKeepsSize && fromSt.Mode.IsRegular() && toSt.Mode.IsRegular() && toSt.Size > fromSt.Size {
			s := f.state(keyOf(fromSt))
			s.ghost, s.hasGhost = toSt.Size, true
		}
		w.lostName(toSt)
	}
	return 0
}

// The calls that create a name end stat-after-unlink's memory of it.

func (w *faultFS) Mkdir(p string, perm fs.FileMode) sys.Errno {
	errno := w.FS.Mkdir(p, perm)
	w.created(p, errno)
	return errno
}

func (w *faultFS) Link(oldPath, newPath string) sys.Errno {
	errno := w.FS.Link(oldPath, newPath)
	w.created(newPath, errno)
	return errno
}

func (w *faultFS) Symlink(oldPath, linkName string) sys.Errno {
	errno := w.FS.Symlink(oldPath, linkName)
	w.created(linkName, errno)
	return errno
}

func (w *faultFS) created(p string, errno sys.Errno) {
	if errno != 0 {
		return
	}
	w.f.mu.Lock()
	delete(w.unlinked, path.Clean(p))
	delete(w.removed, path.Clean(p))
	w.f.mu.Unlock()
}
