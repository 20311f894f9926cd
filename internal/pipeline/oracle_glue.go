package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/fsx-wasix/fsx-wasix/internal/runner"
	"github.com/fsx-wasix/fsx-wasix/pkg/transcript"
)

// This file is everything the pipeline assumes about the guest's oracle
// mode: its command lines (the seed's shapes), where reports land, and how
// its output is read. Nothing else in the package knows a guest flag.

// Guest paths of a cell, as in the seed's commands.
const (
	guestWork     = "/work"            // holds expected.bin (and report.bin for /tmp cells)
	guestData     = "/data"            // the host-directory volume
	guestRootName = "fsx-oracle-wasix" // case root under /tmp or /data, as the seed names it
	reportName    = "report.bin"       // a guest's own report
	expectedName  = "expected.bin"     // the native report of the slice, in /work
	knownName     = "known.txt"        // --oracle-known, in /work
)

// OracleInfo is what the pipeline needs to know about the catalog.
type OracleInfo struct {
	Total       int64  // cases for the chain length
	CatalogHash string // goes into every report and the cache key
}

// ReadOracleInfo asks the native guest (not this program's copy of
// pkg/oracle: the guest may be built from other sources) for its catalog,
// and counts the cases: entries^L sequences × 2^(L-1) worker assignments.
func ReadOracleInfo(ctx context.Context, native string, chain int) (OracleInfo, error) {
	out, err := exec.CommandContext(ctx, native, "--oracle-catalog", "--json").Output()
	if err != nil {
		return OracleInfo{}, fmt.Errorf("%s --oracle-catalog: %v", native, err)
	}
	var cat struct {
		Hash    string            `json:"catalog_hash"`
		Entries []json.RawMessage `json:"entries"`
	}
	if err := json.Unmarshal(out, &cat); err != nil || cat.Hash == "" || len(cat.Entries) == 0 {
		return OracleInfo{}, fmt.Errorf("%s --oracle-catalog --json: unreadable catalog (%v)", native, err)
	}
	total := big.NewInt(int64(len(cat.Entries)))
	total.Exp(total, big.NewInt(int64(chain)), nil)
	total.Lsh(total, uint(chain-1))
	if !total.IsInt64() {
		return OracleInfo{}, fmt.Errorf("chain %d: %s cases do not fit a case index", chain, total)
	}
	return OracleInfo{Total: total.Int64(), CatalogHash: cat.Hash}, nil
}

// NativeArgs is the native oracle's command line for slice s. The root and
// report are relative (the process runs in its slice's directory) so every
// slice's report header carries the same root and output: that is what lets
// slices, and shards, merge byte-identically into the unsharded report.
func NativeArgs(chain int, s Slice) []string {
	return []string{"--oracle", "-N", strconv.Itoa(chain),
		"--case-start", strconv.FormatInt(s.Start, 10), "--case-count", strconv.FormatInt(s.Count, 10),
		"--oracle-output", reportName, "cases"}
}

// CellSpec is a runtime cell's run of slice s: the seed's
//
//	wasmer run --volume "$PWD:/work" [--volume "<dir>:/data"] <wasm> -- --oracle -N L
//	    --oracle-expected /work/… [--oracle-output /data/…/report.bin] /data/…
//
// with work standing in for $PWD (it holds only the slice's expected report)
// and data for the mounted directory.
func CellSpec(wasm string, chain int, s Slice, volume, work, data string, known bool) runner.Spec {
	spec := runner.Spec{Wasm: wasm, Volumes: []runner.Volume{{Host: work, Guest: guestWork}}}
	args := []string{"--oracle", "-N", strconv.Itoa(chain),
		"--case-start", strconv.FormatInt(s.Start, 10), "--case-count", strconv.FormatInt(s.Count, 10),
		"--oracle-expected", guestWork + "/" + expectedName}
	if known {
		args = append(args, "--oracle-known", guestWork+"/"+knownName)
	}
	if volume == VolumeData {
		spec.Volumes = append(spec.Volumes, runner.Volume{Host: data, Guest: guestData})
		root := guestData + "/" + guestRootName
		args = append(args, "--oracle-output", root+"/"+reportName, "--oracle-keep-files", root)
	} else {
		args = append(args, "--oracle-output", guestWork+"/"+reportName, VolumeTmp+"/"+guestRootName)
	}
	spec.Args = args
	return spec
}

// CellReportPath is where a cell's report is on the host after the run.
func CellReportPath(volume, work, data string) string {
	if volume == VolumeData {
		return filepath.Join(data, guestRootName, reportName)
	}
	return filepath.Join(work, reportName)
}

// VerifyArgs is the host re-read's command line (seed: --oracle-verify-files
// NATIVE_REPORT WASIX_REPORT, run natively after the runtime exited), with
// the same known signatures as the runtime's comparison.
func VerifyArgs(native, report, known string) []string {
	args := []string{"--oracle-verify-files"}
	if known != "" {
		args = append(args, "--oracle-known", known)
	}
	return append(args, native, report)
}

// OracleOutput is what a guest's output says about its slice.
type OracleOutput struct {
	Parsed     bool // the guest printed its comparison summary
	Compared   int64
	Divergent  int64 // including suppressed
	Suppressed int64
	Checked    int64            // host re-read: file snapshots checked
	Signatures map[string]int64 // divergence groups: signature → cases
}

var (
	// "compared 5832 cases: 12 divergent (3 suppressed as known)" (pkg/oracle Comparer.WriteReport)
	reCompared = regexp.MustCompile(`(?m)^compared (\d+) cases: (\d+) divergent(?: \((\d+) suppressed)?`)
	// "       12  write(32_bytes) on A: ok(32) -> EBADF  (e.g. case 77)"
	reGroup = regexp.MustCompile(`(?m)^\s+(\d+)  (.+?)  \(e\.g\. case \d+\)`)
	// "checked 11664 file snapshots"
	reChecked = regexp.MustCompile(`(?m)checked (\d+) file snapshots`)
)

// ParseOracleOutput reads a comparing guest's (or the host re-read's)
// summary, in the words of pkg/oracle's divergence report.
func ParseOracleOutput(out []byte) OracleOutput {
	o := OracleOutput{Signatures: map[string]int64{}}
	if m := reCompared.FindSubmatch(out); m != nil {
		o.Parsed = true
		o.Compared = atoi(m[1])
		o.Divergent = atoi(m[2])
		if len(m[3]) > 0 {
			o.Suppressed = atoi(m[3])
		}
	}
	for _, m := range reGroup.FindAllSubmatch(out, -1) {
		o.Signatures[strings.TrimSpace(string(m[2]))] += atoi(m[1])
	}
	if m := reChecked.FindSubmatch(out); m != nil {
		o.Parsed = true
		o.Checked = atoi(m[1])
	}
	return o
}

func atoi(b []byte) int64 {
	n, _ := strconv.ParseInt(string(b), 10, 64)
	return n
}

// MergeReports joins slice reports in case order (see transcript.Merge).
func MergeReports(dst string, srcs []string) error { return transcript.Merge(dst, srcs) }

// ValidateReport checks that a cached report is a whole transcript.
func ValidateReport(path string) error {
	_, err := transcript.Verify(path)
	return err
}

// Canonical root and output recorded in native slice reports. The guest
// records the absolute paths it was given, which differ between slices, runs
// and machines; native case trees are never re-read, so the orchestrator
// replaces them with these fixed names before caching. Then a slice from the
// cache, a slice made now and a shard made elsewhere merge byte-identically.
const (
	nativeRoot   = "fsx-oracle-native"
	nativeOutput = "fsx-oracle-native/report.bin"
)

// CanonicalizeNative rewrites the native report at path (atomically) with
// the canonical root and output in its header, records unchanged.
func CanonicalizeNative(path string) error {
	r, err := transcript.Open(path)
	if err != nil {
		return err
	}
	defer r.Close()
	h := r.Header()
	if h.Root == nativeRoot && h.Output == nativeOutput {
		return nil
	}
	h.Root, h.Output = nativeRoot, nativeOutput
	w, err := transcript.Create(path, h)
	if err != nil {
		return err
	}
	defer w.Abort()
	if err := transcript.CopyRecords(w, r); err != nil {
		return err
	}
	return w.Close()
}
