package oracle

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
)

// HostRoot maps the case root recorded in a runtime's report (a guest path
// such as /data/fsx-oracle-wasix) to the host directory that backs it. The
// report records where the guest wrote it (/data/fsx-oracle-wasix/report.bin)
// and the host knows where it reads it (wasmer-data/fsx-oracle-wasix/report.bin):
// their common trailing components are the same files, so the rest of each
// path is the mount point on either side.
func HostRoot(h ReportHeader, reportPath string) (string, error) {
	if h.Output == "" {
		return "", fmt.Errorf("the report does not record where it was written; give the host directory with --oracle-host-root")
	}
	hostAbs, err := filepath.Abs(reportPath)
	if err != nil {
		return "", err
	}
	g := strings.Split(strings.Trim(path.Clean(h.Output), "/"), "/")
	hc := strings.Split(strings.Trim(filepath.ToSlash(hostAbs), "/"), "/")
	for len(g) > 0 && len(hc) > 0 && g[len(g)-1] == hc[len(hc)-1] {
		g, hc = g[:len(g)-1], hc[:len(hc)-1]
	}
	guestMount := "/" + strings.Join(g, "/")
	hostMount := filepath.FromSlash("/" + strings.Join(hc, "/"))
	root := path.Clean(h.Root)
	rel, ok := strings.CutPrefix(root, guestMount)
	if guestMount == "/" {
		rel, ok = root, true
	}
	if !ok || rel != "" && !strings.HasPrefix(rel, "/") {
		return "", fmt.Errorf("cannot map the guest root %s to the host: the report was written at %s in the guest and is read at %s here; give the host directory with --oracle-host-root", h.Root, h.Output, hostAbs)
	}
	return filepath.Join(hostMount, filepath.FromSlash(rel)), nil
}

// VerifyFiles compares a runtime's report with the native one and re-reads
// A and B of every case of the runtime's run from hostRoot ("" = derived
// with HostRoot), checking existence, length and content against the
// runtime's own snapshots. C lives in the runtime's /tmp and is skipped.
// The returned Comparer counts the checked snapshots in HostFiles.
//
// Each report is read once, streamed: its header is checked on opening,
// and its trailer (record count, checksum) after the last record, before
// a verdict is returned. Nothing is written, so a report found broken at
// its end costs only the re-read, and it is still an error, never a verdict.
func VerifyFiles(nativePath, runtimePath, hostRoot string, known map[string]bool) (*Comparer, error) {
	rr, rh, err := OpenReport(runtimePath)
	if err != nil {
		return nil, err
	}
	defer rr.Close()
	nr, nh, err := OpenReport(nativePath)
	if err != nil {
		return nil, err
	}
	defer nr.Close()
	if err := checkCovers(nativePath, nh, rh.Chain, rh.First, rh.Count, "the runtime's report "+runtimePath); err != nil {
		return nil, err
	}
	if !rh.KeptFiles {
		return nil, fmt.Errorf("%s: that run did not keep its case files, so there is nothing to re-read (run it with --oracle-keep-files, or with both --oracle-expected and --oracle-output)", runtimePath)
	}
	if hostRoot == "" {
		if hostRoot, err = HostRoot(rh, runtimePath); err != nil {
			return nil, err
		}
	}
	if st, err := os.Stat(hostRoot); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("host directory %s of the runtime's root %s is not there (give it with --oracle-host-root)", hostRoot, rh.Root)
	}
	for i := nh.First; i < rh.First; i++ {
		if _, err := nr.Next(); err != nil {
			return nil, err
		}
	}
	c := NewComparer(rh.Chain, known)
	buf := make([]byte, 64<<10)
	var host [2]fsop.Outcome
	for index := rh.First; index < rh.End(); index++ {
		exp, err := nr.Next()
		if err == nil {
			exp = append([]byte(nil), exp...)
		}
		var got []byte
		if err == nil {
			got, err = rr.Next()
		}
		if err == io.EOF {
			return nil, fmt.Errorf("reports end before case %d", index)
		}
		if err != nil {
			return nil, err
		}
		c.Compared++
		gotO, derr := DecodeRecord(got)
		hostDiffers := false
		dir := filepath.Join(hostRoot, CaseDir(index))
		for f := range host {
			snapshot(filepath.Join(dir, Files[f]), buf, &host[f])
			c.HostFiles++
			if derr == nil && len(gotO) == rh.Chain+len(Files) && !equalOutcome(&gotO[rh.Chain+f], &host[f]) {
				hostDiffers = true
			}
		}
		if hostDiffers || derr != nil || string(exp) != string(got) {
			c.Case(index, exp, got, &host[0], &host[1])
		}
	}
	// The trailers: the runtime's report must end here, and the native one
	// (which may cover more cases) must be whole to its end.
	if _, err := rr.Next(); err != io.EOF {
		if err == nil {
			err = fmt.Errorf("%s: more records than its header's %d", runtimePath, rh.Count)
		}
		return nil, err
	}
	for {
		if _, err := nr.Next(); err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
	}
	return c, nil
}
