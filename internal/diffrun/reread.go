package diffrun

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/pipeline"
	"github.com/fsx-wasix/fsx-wasix/pkg/diff"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
	"github.com/fsx-wasix/fsx-wasix/pkg/transcript"
)

// The host re-read (docs/diff.md): a cell on /data runs its programs with
// --diff-keep, so each leaves its final tree in ROOT/keep/NNNNNNN on the
// host directory mounted there; the host then walks every tree of a
// program the runtime judged equal to native with the executor's own
// snapshot code (diff.SnapshotTree) and compares it with the program's
// final snapshot in the native transcript. A difference is a divergence of
// its own, "host re-read: file other content": the guest's view was right,
// what reached the host was not.

// rereads says whether the host re-reads t's kept trees: every target on
// /data, where the programs' files are on a host directory (under the SDK,
// copied in before the run and back after it).
func (t Target) rereads() bool { return t.Volume == pipeline.VolumeData && !t.noReread }

// hostRoot is the host directory of ROOT for a process run in dir (proc's
// dir/data is the guest's /data).
func hostRoot(dir string) string { return filepath.Join(dir, "data", rootName) }

// rereadResult is what the host found in one process's kept trees.
type rereadResult struct {
	checked int64 // programs whose tree was compared
	groups  map[string]*guestapi.DiffGroup
	elapsed time.Duration
}

// rereadError is a kept tree that is not there to re-read, or a native
// transcript that cannot be read: a harness problem, never a verdict.
type rereadError struct{ msg string }

func (e *rereadError) Error() string { return e.msg }

// reread compares the kept trees of programs start..start+count-1 under
// root (the host directory of the guest's ROOT) that the runtime judged
// equal — every program but those in kept.Divergent — with their final
// snapshots in the native transcript expected.
func (st *stage) reread(root, expected string, start, count int64, kept *guestapi.DiffKept) (*rereadResult, error) {
	t0 := time.Now()
	res := &rereadResult{groups: map[string]*guestapi.DiffGroup{}}
	if kept == nil {
		return nil, &rereadError{"the guest kept no trees (its summary has no \"kept\"): is it older than --diff-keep?"}
	}
	kd := filepath.Join(root, diff.KeepDirName)
	if fi, err := os.Stat(kd); err != nil || !fi.IsDir() {
		return nil, &rereadError{fmt.Sprintf("no kept trees at %s, where the guest said it kept them (%s): nothing to re-read", kd, kept.Dir)}
	}
	r, err := transcript.Open(expected, transcript.ExpectSchema(diff.Schema, st.schema))
	if err != nil {
		return nil, &rereadError{fmt.Sprintf("native transcript: %v", err)}
	}
	defer r.Close()
	for k := r.Header().First; k < start; k++ {
		if _, err := r.Next(); err != nil {
			return nil, &rereadError{fmt.Sprintf("native transcript %s: before program %d: %v", expected, start, err)}
		}
	}
	for k := start; k < start+count; k++ {
		rec, err := r.Next()
		if err == io.EOF {
			err = errors.New("it ends first")
		}
		if err != nil {
			return nil, &rereadError{fmt.Sprintf("native transcript %s, program %d: %v", expected, k, err)}
		}
		if slices.Contains(kept.Divergent, k) {
			continue // the runtime's own answer diverged: reported as it is
		}
		dir := diff.KeptPath(root, k)
		host, err := diff.SnapshotTree(dir)
		if err != nil {
			return nil, &rereadError{fmt.Sprintf("program %d: its kept tree cannot be re-read (%v): the kept trees are incomplete", k, err)}
		}
		d, err := diff.DecodeRecord(rec, st.program(k))
		if err != nil {
			return nil, &rereadError{fmt.Sprintf("native transcript %s, program %d: %v", expected, k, err)}
		}
		res.checked++
		if sig := diff.RereadSignature(d.Final, host); sig != "" {
			g := res.groups[sig]
			if g == nil {
				g = &guestapi.DiffGroup{Signature: sig, Suppressed: st.known[sig], Example: k}
				res.groups[sig] = g
			}
			g.Count++
		}
	}
	res.elapsed = time.Since(t0)
	return res, nil
}

// fold adds the re-read's divergences to a process's summary, as the
// guest would have counted them.
func (rr *rereadResult) fold(sum *guestapi.DiffSummary) {
	for _, g := range rr.groups {
		sum.Divergent += g.Count
		if g.Suppressed {
			sum.Suppressed += g.Count
		}
		sum.Groups = append(sum.Groups, *g)
	}
	if sum.Divergent > sum.Suppressed {
		sum.OK = false
	}
}
