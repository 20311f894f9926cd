package faultfs

import (
	"fmt"
	"io"

	"github.com/tetratelabs/wazero/experimental/sys"
	wsys "github.com/tetratelabs/wazero/sys"
)

// handle is one open regular file (or, for readdir-drops-entry, directory)
// of a wrapped mount. Every method that a fault can break takes f.mu for
// the whole call, so a fault's bookkeeping and the call it judges are one
// step; the guest is single-threaded anyway.
type handle struct {
	base          // the wrapped sys.File, one level down so that seeker wins
	seeker[int64] // Seek
	fs            *faultFS
	f             *Fault
	path          string
	key           fileKey
	isDir         bool

	eof     int64 // append-stale-eof: the end of file as this handle knows it
	orphan  bool  // its file has no name left (unlinked-fd-*)
	dropped bool  // readdir-drops-entry: this listing pass has had its entry
}

// base holds the wrapped file.
type base struct{ sys.File }

// seeker is the handle's Seek. It is generic only to keep go vet's
// stdmethods check, which wants io.Seeker's signature from any method
// named Seek, off a method that must have sys.File's: its Seek returns a
// sys.Errno, not an error.
type seeker[O ~int64] struct{ h *handle }

func (s seeker[O]) Seek(offset O, whence int) (int64, sys.Errno) {
	return s.h.seek(int64(offset), whence)
}

// pollableHandle keeps a wrapped file pollable when the unwrapped one is,
// so wazero's fd_fdstat_set_flags and poll_oneoff treat both alike.
type pollableHandle struct {
	*handle
	p sys.PollableFile
}

func (h *pollableHandle) IsNonblock() bool                  { return h.p.IsNonblock() }
func (h *pollableHandle) SetNonblock(enable bool) sys.Errno { return h.p.SetNonblock(enable) }
func (h *pollableHandle) Poll(flag sys.Pflag, timeoutMillis int32) (bool, sys.Errno) {
	return h.p.Poll(flag, timeoutMillis)
}

func (h *handle) Close() sys.Errno {
	if !h.isDir {
		h.f.mu.Lock()
		delete(h.f.open[h.key], h)
		if len(h.f.open[h.key]) == 0 {
			delete(h.f.open, h.key)
			if h.orphan {
				delete(h.f.files, h.key)
			}
		}
		h.f.mu.Unlock()
	}
	return h.File.Close()
}

// size is the file's real size.
func (h *handle) size() (int64, sys.Errno) {
	st, errno := h.File.Stat()
	return st.Size, errno
}

// writePos is where a write at off (-1: the file offset) lands unbroken.
func (h *handle) writePos(off int64) (int64, sys.Errno) {
	switch {
	case off >= 0:
		return off, 0
	case h.File.IsAppend():
		return h.size()
	default:
		return h.File.Seek(0, io.SeekCurrent)
	}
}

// readPos is where a read at off (-1: the file offset) starts.
func (h *handle) readPos(off int64) (int64, sys.Errno) {
	if off >= 0 {
		return off, 0
	}
	return h.File.Seek(0, io.SeekCurrent)
}

// side opens the file again by its path, for bookkeeping the handle's own
// mode forbids (a pread on a write-only handle, a positioned write on an
// append or read-only one). It fails when the path now names another file.
func (h *handle) side(flag sys.Oflag) (sys.File, sys.Errno) {
	file, errno := h.fs.FS.OpenFile(h.path, flag, 0)
	if errno != 0 {
		return nil, errno
	}
	if st, errno := file.Stat(); errno != 0 || keyOf(st) != h.key {
		file.Close()
		return nil, sys.ENOENT
	}
	return file, 0
}

// preadAny reads at off even through a write-only handle.
func (h *handle) preadAny(buf []byte, off int64) (int, sys.Errno) {
	n, errno := h.File.Pread(buf, off)
	if errno != sys.EBADF {
		return n, errno
	}
	s, errno := h.side(sys.O_RDONLY)
	if errno != 0 {
		return 0, errno
	}
	defer s.Close()
	return s.Pread(buf, off)
}

// pwriteAny writes at off even through an append or read-only handle.
func (h *handle) pwriteAny(buf []byte, off int64) (int, sys.Errno) {
	if !h.File.IsAppend() {
		if n, errno := h.File.Pwrite(buf, off); errno != sys.EBADF {
			return n, errno
		}
	}
	s, errno := h.side(sys.O_WRONLY)
	if errno != 0 {
		return 0, errno
	}
	defer s.Close()
	return s.Pwrite(buf, off)
}

// truncateAny truncates even through a read-only handle.
func (h *handle) truncateAny(size int64) sys.Errno {
	if errno := h.File.Truncate(size); errno != sys.EBADF {
		return errno
	}
	s, errno := h.side(sys.O_WRONLY)
	if errno != 0 {
		return errno
	}
	defer s.Close()
	return s.Truncate(size)
}

// raw is the unbroken write.
func (h *handle) raw(buf []byte, off int64) (int, sys.Errno) {
	if off < 0 {
		return h.File.Write(buf)
	}
	return h.File.Pwrite(buf, off)
}

func (h *handle) Write(buf []byte) (int, sys.Errno) { return h.write("write", buf, -1) }

func (h *handle) Pwrite(buf []byte, off int64) (int, sys.Errno) {
	return h.write("pwrite", buf, off)
}

func (h *handle) write(op string, buf []byte, off int64) (int, sys.Errno) {
	f := h.f
	if len(buf) == 0 || h.isDir {
		return h.raw(buf, off)
	}
	what := func() string { return describe(op, h.path, len(buf), off) }
	switch f.Kind {
	case DropWrite, ShortWrite:
		f.mu.Lock()
		defer f.mu.Unlock()
		if !f.hit(what) {
			break
		}
		if f.Kind == ShortWrite {
			half := buf[:len(buf)/2]
			if off < 0 {
				h.File.Write(half)
				// The caller's offset must move as if all was written.
				h.skip(int64(len(buf) - len(half)))
			} else {
				h.File.Pwrite(half, off)
			}
		} else if off < 0 {
			h.skip(int64(len(buf))) // a dropped write still moves the offset
		}
		return len(buf), 0

	case MisdirectedWrite:
		f.mu.Lock()
		defer f.mu.Unlock()
		pos, errno := h.writePos(off)
		if errno != 0 || !f.hit(what) {
			break
		}
		if _, errno := h.pwriteAny(buf, pos+f.shift()); errno != 0 {
			return 0, errno
		}
		h.moveTo(off, pos+int64(len(buf)))
		return len(buf), 0

	case InsertingWrite:
		f.mu.Lock()
		defer f.mu.Unlock()
		pos, e1 := h.writePos(off)
		size, e2 := h.size()
		if e1 != 0 || e2 != 0 || pos >= size || !f.hit(what) {
			break
		}
		tail := make([]byte, size-pos)
		n, errno := h.preadAny(tail, pos)
		if errno != 0 {
			return 0, errno
		}
		if _, errno := h.pwriteAny(buf, pos); errno != 0 {
			return 0, errno
		}
		if _, errno := h.pwriteAny(tail[:n], pos+int64(len(buf))); errno != 0 {
			return 0, errno
		}
		h.moveTo(off, pos+int64(len(buf)))
		return len(buf), 0

	case NoHoleWrite:
		f.mu.Lock()
		defer f.mu.Unlock()
		pos, e1 := h.writePos(off)
		size, e2 := h.size()
		if e1 != 0 || e2 != 0 || pos <= size || !f.hit(what) {
			break
		}
		n, errno := h.pwriteAny(buf, size)
		h.moveTo(off, size+int64(n))
		return n, errno

	case AppendStaleEOF:
		if off >= 0 || !h.File.IsAppend() {
			break
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		size, errno := h.size()
		if errno != 0 {
			break
		}
		if h.eof != size && f.hit(func() string {
			return fmt.Sprintf("append of %d bytes on %s landed at %d, not at the end of file %d", len(buf), h.path, h.eof, size)
		}) {
			n, errno := h.pwriteAny(buf, h.eof)
			h.eof += int64(n)
			h.File.Seek(h.eof, io.SeekStart)
			return n, errno
		}
		n, errno := h.File.Write(buf)
		h.eof = size + int64(n)
		return n, errno

	case UnlinkedFdWriteFails:
		f.mu.Lock()
		defer f.mu.Unlock()
		if h.orphan && f.hit(func() string { return op + " through a descriptor of the unlinked " + h.path + " failed" }) {
			return 0, sys.ENOENT
		}

	case StaleRead, StaleHandleRead, FsyncDropsWrite:
		f.mu.Lock()
		defer f.mu.Unlock()
		pos, e1 := h.writePos(off)
		size, e2 := h.size()
		if e1 != 0 || e2 != 0 {
			break
		}
		pre := make([]byte, len(buf))
		if pos < size {
			h.preadAny(pre, pos) // past the old end of file it stays zero
		}
		n, errno := h.raw(buf, off)
		if n > 0 {
			others := map[*handle]struct{}{}
			for o := range f.open[h.key] {
				if o != h {
					others[o] = struct{}{}
				}
			}
			f.state(h.key).last = &lastWrite{off: pos, pre: pre[:n], oldSize: size, writer: h, others: others}
		}
		return n, errno

	case StaleFstatSize, StaleSeekEnd:
		f.mu.Lock()
		defer f.mu.Unlock()
		before, errno := h.size()
		n, werr := h.raw(buf, off)
		if after, e := h.size(); errno == 0 && e == 0 && after != before {
			s := f.state(h.key)
			s.staleSize, s.hasStale = before, true
		}
		return n, werr

	case SizeAfterRecreate, RenameKeepsSize:
		f.mu.Lock()
		defer f.mu.Unlock()
		if s := f.files[h.key]; s != nil {
			s.hasGhost = false
		}
	}
	return h.raw(buf, off)
}

// skip moves the file offset on by n, as the unbroken write would have (in
// append mode the offset is the end of file anyway).
func (h *handle) skip(n int64) {
	if !h.File.IsAppend() {
		h.File.Seek(n, io.SeekCurrent)
	}
}

// moveTo sets the file offset after a broken write through the file
// offset (off < 0) to where the runtime thinks its data ended.
func (h *handle) moveTo(off, to int64) {
	if off < 0 {
		h.File.Seek(to, io.SeekStart)
	}
}

// shift is how far misdirected-write moves data: 1 to 4096 bytes.
func (f *Fault) shift() int64 { return 1 + int64(f.Seed%4096) }

func (h *handle) Read(buf []byte) (int, sys.Errno) { return h.read("read", buf, -1) }

func (h *handle) Pread(buf []byte, off int64) (int, sys.Errno) { return h.read("pread", buf, off) }

func (h *handle) rawRead(buf []byte, off int64) (int, sys.Errno) {
	if off < 0 {
		return h.File.Read(buf)
	}
	return h.File.Pread(buf, off)
}

func (h *handle) read(op string, buf []byte, off int64) (int, sys.Errno) {
	f := h.f
	if len(buf) == 0 || h.isDir {
		return h.rawRead(buf, off)
	}
	switch f.Kind {
	case CorruptRead:
		n, errno := h.rawRead(buf, off)
		if n > 0 {
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.hit(func() string { return describe(op, h.path, n, off) }) {
				buf[n/2] ^= 0xff
			}
		}
		return n, errno

	case ShortRead:
		n, errno := h.rawRead(buf, off)
		if n >= 2 {
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.hit(func() string { return fmt.Sprintf("%s returned %d of %d bytes on %s", op, n/2, n, h.path) }) {
				if off < 0 {
					h.File.Seek(int64(n/2-n), io.SeekCurrent)
				}
				return n / 2, errno
			}
		}
		return n, errno

	case StaleRead, StaleHandleRead:
		f.mu.Lock()
		defer f.mu.Unlock()
		pos, perr := h.readPos(off)
		n, errno := h.rawRead(buf, off)
		s := f.files[h.key]
		if perr != 0 || n <= 0 || s == nil || s.last == nil {
			return n, errno
		}
		last := s.last
		if f.Kind == StaleHandleRead {
			if _, open := last.others[h]; !open || last.writer == h {
				return n, errno
			}
		}
		lo, hi := max(pos, last.off), min(pos+int64(n), last.off+int64(len(last.pre)))
		if lo < hi && f.hit(func() string {
			return fmt.Sprintf("%s of %d bytes at %d on %s returned the bytes from before the write at %d", op, n, pos, h.path, last.off)
		}) {
			copy(buf[lo-pos:hi-pos], last.pre[lo-last.off:hi-last.off])
		}
		return n, errno

	case UnlinkedFdReadFails:
		f.mu.Lock()
		defer f.mu.Unlock()
		if h.orphan && f.hit(func() string { return op + " through a descriptor of the unlinked " + h.path + " failed" }) {
			return 0, sys.ENOENT
		}
	}
	return h.rawRead(buf, off)
}

func (h *handle) Stat() (wsys.Stat_t, sys.Errno) {
	st, errno := h.File.Stat()
	if errno != 0 || h.isDir {
		return st, errno
	}
	f := h.f
	switch f.Kind {
	case StaleFstatSize:
		f.mu.Lock()
		defer f.mu.Unlock()
		if s := f.files[h.key]; s != nil && s.hasStale && s.staleSize != st.Size &&
			f.hit(func() string {
				return fmt.Sprintf("fstat of %s reported %d bytes (has %d)", h.path, s.staleSize, st.Size)
			}) {
			st.Size = s.staleSize
		}
	case SizeAfterRecreate, RenameKeepsSize:
		f.mu.Lock()
		defer f.mu.Unlock()
		st.Size = f.ghostSize("fstat", h.path, h.key, st.Size)
	}
	return st, errno
}

func (h *handle) seek(offset int64, whence int) (int64, sys.Errno) {
	f := h.f
	switch {
	case h.isDir:
		if offset == 0 && whence == io.SeekStart {
			h.dropped = false // a rewind starts a new listing pass
		}
	case f.Kind == StaleSeekEnd && whence == io.SeekEnd:
		f.mu.Lock()
		defer f.mu.Unlock()
		size, errno := h.size()
		if s := f.files[h.key]; errno == 0 && s != nil && s.hasStale && s.staleSize != size &&
			f.hit(func() string {
				return fmt.Sprintf("seek(END) on %s counted from %d bytes (has %d)", h.path, s.staleSize, size)
			}) {
			return h.File.Seek(s.staleSize+offset, io.SeekStart)
		}
	case f.Kind == SeekPastEOFFails:
		f.mu.Lock()
		defer f.mu.Unlock()
		size, errno := h.size()
		target := offset
		switch whence {
		case io.SeekCurrent:
			cur, e := h.File.Seek(0, io.SeekCurrent)
			if target = cur + offset; e != 0 {
				errno = e
			}
		case io.SeekEnd:
			target = size + offset
		}
		if errno == 0 && target > size &&
			f.hit(func() string {
				return fmt.Sprintf("seek to %d past the end of %s (%d bytes) failed", target, h.path, size)
			}) {
			return 0, sys.EINVAL
		}
	}
	return h.File.Seek(offset, whence)
}

func (h *handle) Truncate(size int64) sys.Errno {
	f := h.f
	if h.isDir {
		return h.File.Truncate(size)
	}
	what := func(old int64) func() string {
		return func() string { return fmt.Sprintf("ftruncate of %s from %d to %d bytes", h.path, old, size) }
	}
	switch f.Kind {
	case TruncateNoop:
		f.mu.Lock()
		defer f.mu.Unlock()
		if old, errno := h.size(); errno == 0 && old != size && size >= 0 && f.hit(what(old)) {
			return 0
		}
	case TruncateGarbage:
		f.mu.Lock()
		defer f.mu.Unlock()
		old, e := h.size()
		errno := h.File.Truncate(size)
		if errno == 0 && e == 0 && size > old && f.hit(what(old)) {
			return h.garbage(old, size)
		}
		return errno
	case StaleFstatSize, StaleSeekEnd:
		f.mu.Lock()
		defer f.mu.Unlock()
		old, e := h.size()
		errno := h.File.Truncate(size)
		if errno == 0 && e == 0 && old != size {
			s := f.state(h.key)
			s.staleSize, s.hasStale = old, true
		}
		return errno
	case StaleRead, StaleHandleRead, FsyncDropsWrite:
		f.mu.Lock()
		defer f.mu.Unlock()
		errno := h.File.Truncate(size)
		if s := f.files[h.key]; errno == 0 && s != nil {
			s.last = nil // a truncate drops the cache (and flushes)
		}
		return errno
	case SizeAfterRecreate, RenameKeepsSize:
		f.mu.Lock()
		defer f.mu.Unlock()
		errno := h.File.Truncate(size)
		if s := f.files[h.key]; errno == 0 && s != nil {
			s.hasGhost = false
		}
		return errno
	}
	return h.File.Truncate(size)
}

// garbage fills [from, to) with non-zero bytes drawn from the seed and the
// offset: the same spec and file give the same bytes.
func (h *handle) garbage(from, to int64) sys.Errno {
	buf := make([]byte, min(to-from, 64<<10))
	for off := from; off < to; {
		chunk := buf[:min(int64(len(buf)), to-off)]
		for i := range chunk {
			chunk[i] = garbageByte(h.f.Seed, off+int64(i))
		}
		if _, errno := h.pwriteAny(chunk, off); errno != 0 {
			return errno
		}
		off += int64(len(chunk))
	}
	return 0
}

// garbageByte is 1..255, from a splitmix64 step of seed and offset.
func garbageByte(seed uint64, off int64) byte {
	z := seed + uint64(off)*0x9e3779b97f4a7c15 + 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	z ^= z >> 31
	return byte(z%255) + 1
}

func (h *handle) Sync() sys.Errno { return h.sync("fsync", h.File.Sync) }

func (h *handle) Datasync() sys.Errno { return h.sync("fdatasync", h.File.Datasync) }

func (h *handle) sync(op string, unbroken func() sys.Errno) sys.Errno {
	f := h.f
	if h.isDir {
		return unbroken()
	}
	switch {
	case f.Kind == FsyncEIO && op == "fsync", f.Kind == FdatasyncEIO && op == "fdatasync":
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.hit(func() string { return op + " of " + h.path + " failed with EIO" }) {
			return sys.EIO
		}
	case f.Kind == FsyncDropsWrite:
		f.mu.Lock()
		defer f.mu.Unlock()
		s := f.files[h.key]
		if s == nil || s.last == nil {
			break
		}
		last := s.last
		s.last = nil // synced or dropped, it is no longer pending
		if f.hit(func() string {
			return fmt.Sprintf("%s of %s dropped the write of %d bytes at %d", op, h.path, len(last.pre), last.off)
		}) {
			if errno := h.undo(last); errno != 0 {
				return errno
			}
		}
	}
	return unbroken()
}

// undo puts back what the last write replaced: its bytes inside the old
// end of file, and the old size if the write extended the file.
func (h *handle) undo(last *lastWrite) sys.Errno {
	if last.off < last.oldSize {
		keep := last.pre[:min(int64(len(last.pre)), last.oldSize-last.off)]
		if _, errno := h.pwriteAny(keep, last.off); errno != 0 {
			return errno
		}
	}
	if size, errno := h.size(); errno == 0 && size > last.oldSize {
		return h.truncateAny(last.oldSize)
	}
	return 0
}

func (h *handle) SetAppend(enable bool) sys.Errno {
	f := h.f
	switch {
	case h.isDir:
	case f.Kind == OpenAppendIgnored && enable:
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.hit(func() string { return "setting APPEND on " + h.path + " was ignored" }) {
			return 0
		}
	case f.Kind == AppendStaleEOF && enable:
		f.mu.Lock()
		defer f.mu.Unlock()
		errno := h.File.SetAppend(enable)
		if size, e := h.size(); errno == 0 && e == 0 {
			h.eof = size
		}
		return errno
	}
	return h.File.SetAppend(enable)
}

func (h *handle) Readdir(n int) ([]sys.Dirent, sys.Errno) {
	f := h.f
	ents, errno := h.File.Readdir(n)
	if !h.isDir || f.Kind != ReaddirDropsEntry || errno != 0 || h.dropped {
		return ents, errno
	}
	for i, e := range ents {
		if e.Name == "." || e.Name == ".." {
			continue
		}
		h.dropped = true // this pass has had its candidate, broken or not
		f.mu.Lock()
		fire := f.hit(func() string { return "readdir of " + h.path + " dropped " + e.Name })
		f.mu.Unlock()
		if !fire {
			break
		}
		out := append(ents[:i:i], ents[i+1:]...)
		if n > 0 && len(ents) == n {
			// Refill, so that only the one entry is missing and the
			// caller does not take a short batch for the end.
			if more, errno := h.File.Readdir(1); errno == 0 {
				out = append(out, more...)
			}
		}
		return out, 0
	}
	return ents, errno
}
