// Package faultfs is a deliberately broken filesystem for the wazero
// runner: a catalogue of named faults, each modelled on a real class of
// runtime filesystem bug (docs/faults.md; `wazero-run --list-faults`
// prints the catalogue). It wraps the sys.FS wazero would mount for a
// volume (sysfs.DirFS) and its files, so the tests can prove that
// fsx-wasix notices a runtime whose filesystem loses or mangles data,
// sizes, flags or names: a checker that is never shown a broken
// filesystem proves nothing about its own judges.
//
// A fault is a spec string NAME[:N][@GUEST][,seed=S]:
//
//	NAME      a fault of the catalogue (Catalogue, Names), e.g. drop-write
//	:N        break only the Nth call that matches the fault's condition
//	          (counting from 1); without it every matching call is broken,
//	          as a real bug would, which keeps failures shrinkable
//	@GUEST    wrap only the volume mounted at that guest path (default:
//	          every volume); GUEST must not contain a comma
//	,seed=S   the seed of faults that pick values (the shift of
//	          misdirected-write, the garbage of truncate-garbage); default 0
//
// Matching calls are counted over every wrapped mount together, in the
// order wazero makes them; what matches is each fault's Def.Counts. Only
// calls that move data match a data fault: a write of 0 bytes, or a read
// that returns 0 bytes, passes through uncounted. So the three original
// faults keep their meaning: drop-write:N (the Nth data-moving
// write/pwrite reports success but writes nothing), short-write:N (writes
// the first half, reports all) and corrupt-read:N (the Nth read/pread
// that returns data has its middle byte's bits flipped).
//
// Faults that depend on history (stale sizes, stale reads, unlinked names,
// re-created files) keep their state in the wrapper, per file (by device
// and inode) or per path of a mount, and track it on every call whether
// or not the call is the one broken. Everything is deterministic for a
// spec: no clock, no global randomness.
//
// With no fault the runner does not wrap the mount at all. A fault that
// never fires leaves every call's result as the unwrapped filesystem's
// (the package tests run each fault's scenario armed at an unreachable N
// and compare with the bare sysfs.DirFS).
package faultfs

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/tetratelabs/wazero/experimental/sys"
	wsys "github.com/tetratelabs/wazero/sys"
)

// Kind is a fault's name.
type Kind string

// Fault is one parsed fault with its call counter and state, shared by
// every mount it wraps. Safe for concurrent use.
type Fault struct {
	Kind  Kind
	N     int64  // the matching call, counting from 1, that is broken; 0 = every one
	Guest string // the only guest mount path to wrap; "" = every volume
	Seed  uint64 // for faults that pick values

	def Def

	mu    sync.Mutex
	calls int64  // matching calls seen
	hits  int64  // calls broken
	first string // the first call broken, once there was one
	files map[fileKey]*fileState
	open  map[fileKey]map[*handle]struct{} // open regular-file handles
}

// Spec is the grammar, for messages.
const Spec = "NAME[:N][@GUEST][,seed=S]"

// Parse parses NAME[:N][@GUEST][,seed=S]. Its error is one line that
// names the valid faults when the name is unknown.
func Parse(spec string) (*Fault, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("bad fault %q: "+format, append([]any{spec}, a...)...)
	}
	s, opts, _ := strings.Cut(spec, ",")
	s, guest, hasGuest := strings.Cut(s, "@")
	name, n, hasN := strings.Cut(s, ":")
	def, ok := Lookup(Kind(name))
	if !ok {
		return nil, bad("unknown fault %q; want %s with NAME one of %s", name, Spec, strings.Join(Names(), ", "))
	}
	f := &Fault{Kind: def.Name, def: def}
	if hasN {
		num, err := strconv.ParseInt(n, 10, 64)
		if err != nil || num < 1 {
			return nil, bad("N must be a whole number from 1")
		}
		f.N = num
	}
	if hasGuest {
		if !strings.HasPrefix(guest, "/") {
			return nil, bad("@GUEST must be an absolute guest path")
		}
		f.Guest = path.Clean(guest)
	}
	if opts != "" {
		for _, o := range strings.Split(opts, ",") {
			k, v, _ := strings.Cut(o, "=")
			if k != "seed" {
				return nil, bad("unknown option %q; the only option is seed=S", o)
			}
			seed, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return nil, bad("seed must be a whole number from 0")
			}
			f.Seed = seed
		}
	}
	return f, nil
}

// String is the spec Parse would read back.
func (f *Fault) String() string {
	s := string(f.Kind)
	if f.N > 0 {
		s += ":" + strconv.FormatInt(f.N, 10)
	}
	if f.Guest != "" {
		s += "@" + f.Guest
	}
	if f.Seed != 0 {
		s += ",seed=" + strconv.FormatUint(f.Seed, 10)
	}
	return s
}

// Def is the fault's catalogue entry.
func (f *Fault) Def() Def { return f.def }

// Applies reports whether the volume mounted at guest is to be wrapped.
func (f *Fault) Applies(guest string) bool {
	return f.Guest == "" || f.Guest == path.Clean(guest)
}

// Report is one line saying whether, how often and where the fault fired.
func (f *Fault) Report() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.hits == 0 && f.N > 0:
		return fmt.Sprintf("fault %s NOT injected: only %d matching calls were made (%s)", f, f.calls, f.def.Counts)
	case f.hits == 0:
		return fmt.Sprintf("fault %s NOT injected: no matching call was made (%s)", f, f.def.Counts)
	case f.N > 0:
		return fmt.Sprintf("fault %s injected: %s", f, f.first)
	default:
		return fmt.Sprintf("fault %s injected: %d matching calls broken (%s), the first: %s", f, f.hits, f.def.Counts, f.first)
	}
}

// Fired reports whether the fault has broken a call yet.
func (f *Fault) Fired() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits > 0
}

// Hits is how many calls the fault has broken.
func (f *Fault) Hits() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits
}

// hit counts one matching call and reports whether it is to be broken,
// recording the first broken one as what describes it. f.mu must be held.
func (f *Fault) hit(what func() string) bool {
	f.calls++
	if f.N > 0 && f.calls != f.N {
		return false
	}
	f.hits++
	if f.first == "" {
		f.first = what()
	}
	return true
}

// Wrap returns fsys with the files it opens broken by f; with a nil f it
// returns fsys itself.
func Wrap(fsys sys.FS, f *Fault) sys.FS {
	if f == nil {
		return fsys
	}
	return &faultFS{FS: fsys, f: f, unlinked: map[string]wsys.Stat_t{}, removed: map[string]int64{}}
}

// fileKey names a file across mounts and handles.
type fileKey struct{ dev, ino uint64 }

// fileState is what a fault remembers about one file. Guarded by Fault.mu.
type fileState struct {
	// staleSize is the size before the last size-changing write or
	// truncate (stale-fstat-size, stale-seek-end), when hasStale.
	staleSize int64
	hasStale  bool
	// ghost is the size a re-created or renamed file reports until it is
	// written or truncated (size-after-recreate, rename-keeps-size).
	ghost    int64
	hasGhost bool
	// last is the file's last write (stale-read, stale-handle-read,
	// fsync-drops-write); nil after a truncate or a sync.
	last *lastWrite
}

// lastWrite is one write with what its range held before it.
type lastWrite struct {
	off     int64
	pre     []byte // the bytes before the write (zeros past the old end of file)
	oldSize int64
	writer  *handle
	others  map[*handle]struct{} // the other handles open at the time
}

// state returns the state of file k, creating it. f.mu must be held.
func (f *Fault) state(k fileKey) *fileState {
	if f.files == nil {
		f.files = map[fileKey]*fileState{}
	}
	s := f.files[k]
	if s == nil {
		s = &fileState{}
		f.files[k] = s
	}
	return s
}

// forget drops the state of file k once it has no name and no open
// handle, so that a later file reusing the inode number starts afresh.
// f.mu must be held.
func (f *Fault) forget(k fileKey, nlink uint64) {
	if nlink <= 1 && len(f.open[k]) == 0 {
		delete(f.files, k)
	}
}

func describe(op, p string, n int, off int64) string {
	if off < 0 {
		return fmt.Sprintf("%s of %d bytes on %s", op, n, p)
	}
	return fmt.Sprintf("%s of %d bytes at offset %d on %s", op, n, off, p)
}
