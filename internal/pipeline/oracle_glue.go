package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"

	"github.com/fsx-wasix/fsx-wasix/internal/runner"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
	"github.com/fsx-wasix/fsx-wasix/pkg/oracle"
	"github.com/fsx-wasix/fsx-wasix/pkg/transcript"
)

// This file is everything the pipeline assumes about the guest's oracle
// mode beyond pkg/guestapi, the guest↔host contract that builds its
// command lines and defines the JSON it prints: where the cells' files are,
// and how a cell's run is put into a runner.Spec.

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
// pkg/oracle: the guest may be built from other sources) for its catalog
// and its case count for the chain.
func ReadOracleInfo(ctx context.Context, native string, chain int) (OracleInfo, error) {
	out, err := exec.CommandContext(ctx, native, guestapi.CatalogArgs(true)...).Output()
	if err != nil {
		return OracleInfo{}, fmt.Errorf("%s --oracle-catalog: %v", native, err)
	}
	var cat guestapi.Catalog
	if err := json.Unmarshal(out, &cat); err != nil || cat.Hash == "" || len(cat.Entries) == 0 {
		return OracleInfo{}, fmt.Errorf("%s --oracle-catalog --json: unreadable catalog (%v)", native, err)
	}
	total, ok := cat.Cases(chain)
	if !ok || total < 1 {
		return OracleInfo{}, fmt.Errorf("%s --oracle-catalog --json: no case count for chain %d (%d chain lengths listed; a guest older than this orchestrator lists none)", native, chain, len(cat.Chains))
	}
	return OracleInfo{Total: total, CatalogHash: cat.Hash}, nil
}

// NativeArgs is the native oracle's command line for slice s. The root and
// report are relative (the process runs in its slice's directory) so every
// slice's report header carries the same root and output: that is what lets
// slices, and shards, merge byte-identically into the unsharded report.
func NativeArgs(chain int, s Slice) []string {
	return guestapi.Oracle{Chain: chain, CaseStart: s.Start, CaseCount: s.Count, Output: reportName, Root: "cases"}.Args()
}

// CellSpec is a runtime cell's run of slice s: the seed's
//
//	wasmer run --volume "$PWD:/work" [--volume "<dir>:/data"] <wasm> -- --oracle -N L
//	    --oracle-expected /work/… [--oracle-output /data/…/report.bin] /data/…
//
// with work standing in for $PWD (it holds only the slice's expected report)
// and data for the mounted directory, and --json: the pipeline reads the
// guest's summary from its stdout (DecodeOracleOutput).
func CellSpec(wasm string, chain int, s Slice, volume, work, data string, known bool) runner.Spec {
	spec := runner.Spec{Wasm: wasm, Volumes: []runner.Volume{{Host: work, Guest: guestWork}}}
	o := guestapi.Oracle{Chain: chain, CaseStart: s.Start, CaseCount: s.Count, Expected: guestWork + "/" + expectedName, JSON: true}
	if known {
		o.Known = guestWork + "/" + knownName
	}
	if volume == VolumeData {
		spec.Volumes = append(spec.Volumes, runner.Volume{Host: data, Guest: guestData})
		o.Root = guestData + "/" + guestRootName
		o.Output, o.KeepFiles = o.Root+"/"+reportName, true
	} else {
		o.Root = VolumeTmp + "/" + guestRootName
		o.Output = guestWork + "/" + reportName
	}
	spec.Args = o.Args()
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
// the same known signatures as the runtime's comparison, and --json.
func VerifyArgs(native, report, known string) []string {
	return guestapi.Verify{Native: native, Report: report, Known: known, JSON: true}.Args()
}

// OracleOutput is what a guest's --json summary says about its slice.
type OracleOutput struct {
	Parsed     bool // the guest printed its summary
	Compared   int64
	Divergent  int64 // including suppressed
	Suppressed int64
	Checked    int64            // host re-read: file snapshots checked
	Signatures map[string]int64 // divergence groups: signature → cases
	// Groups are the divergence groups as the guest printed them (count,
	// suppressed, example case); First its first divergent programs.
	Groups []guestapi.OracleGroup
	First  []guestapi.OracleDivergence
}

// DecodeOracleOutput reads a comparing guest's (or the host re-read's)
// stdout: one guestapi.OracleSummary and nothing else. Anything else — a
// crash, a runtime's own words on stdout, a summary cut short — is not
// Parsed, and the caller treats a non-zero exit without a summary as a
// broken run.
func DecodeOracleOutput(stdout []byte) OracleOutput {
	o := OracleOutput{Signatures: map[string]int64{}}
	var sum guestapi.OracleSummary
	dec := json.NewDecoder(bytes.NewReader(stdout))
	if err := dec.Decode(&sum); err != nil || dec.More() || sum.Mode == "" {
		return o
	}
	o.Parsed = true
	o.Compared, o.Divergent, o.Suppressed, o.Checked = sum.Compared, sum.Divergent, sum.Suppressed, sum.HostFiles
	o.Signatures = sum.Signatures()
	o.Groups, o.First = sum.Groups, sum.First
	return o
}

// Broken says how a guest's run broke, given its exit code, or "" when it
// reached a verdict: exit 0 with its summary, or exit 1 with a summary
// showing an unsuppressed divergence. A run that printed no summary broke
// whatever its exit code (its counts would be lost), and so did a non-zero
// exit without such a divergence (a crash, bad input, a runtime failure).
func (o OracleOutput) Broken(code int) string {
	switch {
	case !o.Parsed:
		return fmt.Sprintf("exited with %d without its JSON summary on stdout", code)
	case code != 0 && o.Divergent <= o.Suppressed:
		return fmt.Sprintf("exited with %d", code)
	}
	return ""
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
	// The guest's header, read by this build's pkg/oracle: the meta's
	// layout, not the catalog (whose hash is kept as the guest wrote it).
	h, err := oracle.ReadHeader(path, r.Header())
	if err != nil {
		return err
	}
	if h.Root == nativeRoot && h.Output == nativeOutput {
		return nil
	}
	h.Root, h.Output = nativeRoot, nativeOutput
	w, err := transcript.Create(path, h.Framing())
	if err != nil {
		return err
	}
	defer w.Abort()
	if err := transcript.CopyRecords(w, r); err != nil {
		return err
	}
	return w.Close()
}
