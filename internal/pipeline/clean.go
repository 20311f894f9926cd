package pipeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// TmpOraclePattern matches what oracle runs leave in the host's /tmp: the
// per-case C files (/tmp/fsx-oracle-…) and the seed's report directories.
const TmpOraclePattern = "/tmp/fsx-oracle-*"

// StaleAge is how old a /tmp/fsx-oracle-* path must be before it counts as
// left over. /tmp is shared by every run and test on the machine; a case's C
// file lives for milliseconds, so anything older than this belongs to a run
// that died, while younger paths may belong to a run in progress elsewhere.
const StaleAge = 10 * time.Minute

// CleanResult says what the clean stage removed and what it left alone.
type CleanResult struct {
	Runs, Tmp, SkippedRecent int
}

// CleanStale removes the children of runsDir (earlier runs' outputs; runsDir
// is locked by this run, see LockRuns) and the stale paths matching
// tmpPattern. It never touches anything else.
func CleanStale(runsDir, tmpPattern string, now time.Time) (CleanResult, error) {
	var res CleanResult
	entries, err := os.ReadDir(runsDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return res, err
	}
	for _, e := range entries {
		if e.Name() == lockName {
			continue
		}
		if err := os.RemoveAll(filepath.Join(runsDir, e.Name())); err != nil {
			return res, fmt.Errorf("removing an old run: %v", err)
		}
		res.Runs++
	}
	matches, _ := filepath.Glob(tmpPattern)
	uid := os.Getuid()
	for _, m := range matches {
		fi, err := os.Lstat(m)
		if err != nil {
			continue
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != uid {
			continue // another user's; not ours to judge
		}
		if now.Sub(fi.ModTime()) < StaleAge {
			res.SkippedRecent++
			continue
		}
		if err := os.RemoveAll(m); err == nil {
			res.Tmp++
		}
	}
	return res, nil
}

const lockName = ".lock"

// LockRuns takes an exclusive lock on runsDir/.lock for the life of the
// process, so two orchestrators in one directory cannot clean each other's
// outputs. The lock dies with the process, so a crash never leaves it stuck.
func LockRuns(runsDir string) (release func(), err error) {
	if err := CheckWritable(runsDir, "output directory"); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(runsDir, lockName), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("output directory %s is not writable: %v", runsDir, unwrapPathError(err))
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("another orchestrator is running in this directory (it holds %s); wait for it or run elsewhere", f.Name())
	}
	return func() { f.Close() }, nil
}
