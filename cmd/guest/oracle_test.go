package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
	"github.com/fsx-wasix/fsx-wasix/pkg/oracle"
	"github.com/fsx-wasix/fsx-wasix/pkg/transcript"
)

// TestOracleSeedFlowNative runs the seed's oracle commands with the native
// guest standing in for the runtime: the native report, a comparing run
// that writes its report inside its root (the mounted-volume shape, which
// keeps its case files), then the host re-read.
func TestOracleSeedFlowNative(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	nativeRoot := filepath.Join(dir, "fsx-oracle-native")
	os.MkdirAll(nativeRoot, 0o755)
	native := filepath.Join(nativeRoot, "report.bin")
	stdout, stderr, code := guest(t, "--oracle", "-N", "2", "--oracle-output", native, nativeRoot)
	if code != 0 {
		t.Fatalf("native oracle: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "5832 cases in all") {
		t.Errorf("total case count not printed first:\n%s", stdout)
	}
	if ents, _ := os.ReadDir(nativeRoot); len(ents) != 1 {
		t.Errorf("native run left case files: %v", ents)
	}

	data := filepath.Join(dir, "wasmer-data")
	root := filepath.Join(data, "fsx-oracle-wasix")
	os.MkdirAll(root, 0o755)
	report := filepath.Join(root, "report.bin")
	sum, stderr, code := guestJSON(t, "", "--json", "--oracle", "-N", "2", "--oracle-expected", native, "--oracle-output", report, root)
	if code != 0 || sum.Mode != guestapi.ModeOracle || sum.Compared != 5832 || sum.Divergent != 0 || sum.Suppressed != 0 || !sum.OK ||
		sum.Output != report || sum.Runtime != "native" {
		t.Fatalf("comparing run: exit %d %+v\n%s", code, sum, stderr)
	}
	// With --json the human report goes to stderr, as in random mode.
	if !strings.Contains(stderr, "compared 5832 cases: 0 divergent\n") {
		t.Errorf("comparing run: no human report on stderr:\n%s", stderr)
	}
	if _, err := os.Stat(filepath.Join(root, "case-0000056", "A")); err != nil {
		t.Fatalf("mounted-volume shaped run did not keep its case files: %v", err)
	}
	// The seed runs verify-files from the directory holding wasmer-data;
	// its report, word for word.
	stdout, stderr, code = guestIn(t, dir, "--oracle-verify-files", native, "wasmer-data/fsx-oracle-wasix/report.bin")
	if code != 0 || stdout != "compared 5832 cases: 0 divergent\nchecked 11664 file snapshots\n" {
		t.Fatalf("verify-files: exit %d\n%s\n%s", code, stdout, stderr)
	}
	sum, stderr, code = guestJSON(t, dir, "--json", "--oracle-verify-files", native, "wasmer-data/fsx-oracle-wasix/report.bin")
	if code != 0 || sum.Mode != guestapi.ModeVerifyFiles || sum.Compared != 5832 || sum.HostFiles != 11664 || sum.Divergent != 0 || !sum.OK {
		t.Fatalf("--json verify-files: exit %d %+v\n%s", code, sum, stderr)
	}
	// Change a kept file: the host re-read names the case and fails.
	os.WriteFile(filepath.Join(root, "case-0000056", "A"), []byte("tampered"), 0o644)
	sum, _, code = guestJSON(t, dir, "--json", "--oracle-verify-files", native, "wasmer-data/fsx-oracle-wasix/report.bin")
	if code != exitDivergent || sum.OK || sum.Divergent != 1 || sum.Suppressed != 0 || len(sum.First) != 1 || sum.First[0].Index != 56 ||
		len(sum.Groups) != 1 || sum.Groups[0].Count != 1 || sum.Groups[0].Example != 56 || !strings.HasPrefix(sum.Groups[0].Signature, "host re-read A: ") ||
		!strings.Contains(sum.First[0].Program, "case 56 ") {
		t.Fatalf("tampered host file, --json: exit %d %+v", code, sum)
	}
	// The human report is the same summary rendered: the first divergent
	// program, the group, the snapshot count.
	var want strings.Builder
	sum.WriteReport(&want)
	sum.WriteHostFiles(&want)
	stdout, _, code = guestIn(t, dir, "--oracle-verify-files", native, "wasmer-data/fsx-oracle-wasix/report.bin")
	if code != exitDivergent || stdout != want.String() || !strings.Contains(stdout, "case 56 ") || !strings.Contains(stdout, "host re-read A") {
		t.Fatalf("tampered host file: exit %d\n%s\nwant\n%s", code, stdout, want.String())
	}
	// Known, the same divergence is counted and suppressed: exit 0.
	known := filepath.Join(dir, "known.txt")
	os.WriteFile(known, []byte(sum.Groups[0].Signature+"\n"), 0o644)
	sum, _, code = guestJSON(t, dir, "--json", "--oracle-verify-files", "--oracle-known", known, native, "wasmer-data/fsx-oracle-wasix/report.bin")
	if code != 0 || !sum.OK || sum.Divergent != 1 || sum.Suppressed != 1 || len(sum.First) != 0 || len(sum.Groups) != 1 || !sum.Groups[0].Suppressed {
		t.Fatalf("known signature, --json: exit %d %+v", code, sum)
	}
}

// guestJSON runs the native guest in dir and decodes its stdout, which
// must be one oracle summary and nothing else.
func guestJSON(t *testing.T, dir string, args ...string) (guestapi.OracleSummary, string, int) {
	t.Helper()
	stdout, stderr, code := guestIn(t, dir, args...)
	var sum guestapi.OracleSummary
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sum); err != nil || dec.More() {
		t.Fatalf("guest %q: stdout is not one oracle summary (%v), exit %d:\n%s\nstderr:\n%s", args, err, code, stdout, stderr)
	}
	return sum, stderr, code
}

// TestOracleSlicesAndCatalog: --case-start/--case-count slices, the
// catalog listing, and --json.
func TestOracleSlicesAndCatalog(t *testing.T) {
	t.Parallel()
	stdout, _, code := guest(t, "--oracle-catalog")
	if code != 0 || !strings.Contains(stdout, "54 entries") || !strings.Contains(stdout, "open(append_create) h1 C") || !strings.Contains(stdout, "chain 3: 629856 cases") {
		t.Fatalf("catalog: exit %d\n%s", code, stdout)
	}
	stdout, _, code = guest(t, "--oracle-catalog", "--json")
	var cat guestapi.Catalog
	if err := json.Unmarshal([]byte(stdout), &cat); err != nil || code != 0 || cat.Hash != oracle.CatalogHash || len(cat.Entries) != 54 ||
		cat.Entries[53] != (guestapi.CatalogEntry{Index: 53, Command: "delete", Handle: -1, File: "C"}) || len(cat.Chains) != oracle.MaxChain {
		t.Fatalf("catalog --json: %v exit %d\n%s", err, code, stdout)
	}
	for L := 1; L <= oracle.MaxChain; L++ {
		want, _ := oracle.CaseCount(L)
		if n, ok := cat.Cases(L); !ok || n != want {
			t.Errorf("catalog --json: chain %d has %d cases (%v), want %d", L, n, ok, want)
		}
	}
	if n, _ := cat.Cases(3); n != 629856 {
		t.Errorf("catalog --json: chain 3 has %d cases, want 629856", n)
	}
	dir := t.TempDir()
	sum, stderr, code := guestJSON(t, "", "--json", "--oracle", "-N", "3", "--case-start", "1000", "--case-count", "500", filepath.Join(dir, "r"))
	if code != 0 || sum.CaseStart != 1000 || sum.CaseCount != 500 || sum.TotalCases != 629856 {
		t.Fatalf("slice run: exit %d %+v\n%s", code, sum, stderr)
	}
}

// TestOracleReportIsPkgOraclesWording: the guest renders its human report
// from the JSON summary (guestapi.OracleSummary.WriteReport); it must read
// word for word as pkg/oracle's own report of the same comparison, also
// after a trip through JSON — with many divergent cases (more than the
// first-20 list), several signatures and a suppressed one.
func TestOracleReportIsPkgOraclesWording(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	native := filepath.Join(dir, "native.bin")
	if _, stderr, code := guest(t, "--oracle", "-N", "2", "--case-count", "300", "--oracle-output", native, filepath.Join(dir, "r")); code != 0 {
		t.Fatalf("native run: exit %d\n%s", code, stderr)
	}
	rd, err := transcript.Open(native)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var recs [][]byte
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, append([]byte(nil), rec...))
	}
	compare := func(known map[string]bool) *oracle.Comparer {
		c := oracle.NewComparer(2, known)
		for i := range recs { // every case against another's record
			c.Compare(int64(i), recs[i], recs[(i*7+3)%len(recs)])
		}
		return c
	}
	c := compare(nil)
	groups := c.Groups()
	if len(groups) < 3 || len(c.Shown()) != oracle.MaxShown {
		t.Fatalf("want several signatures and a full first-%d list: %d groups, %d shown", oracle.MaxShown, len(groups), len(c.Shown()))
	}
	c = compare(map[string]bool{groups[1].Signature: true})
	var want bytes.Buffer
	c.WriteReport(&want)
	var sum guestapi.OracleSummary
	fillCompare(&sum, c)
	b, err := json.Marshal(sum)
	if err != nil {
		t.Fatal(err)
	}
	var back guestapi.OracleSummary
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*guestapi.OracleSummary{"summary": &sum, "summary after JSON": &back} {
		var got bytes.Buffer
		s.WriteReport(&got)
		if got.String() != want.String() {
			t.Errorf("%s renders\n%s\nwant pkg/oracle's\n%s", name, got.String(), want.String())
		}
	}
	if !strings.Contains(want.String(), "[suppressed: known]") || sum.Suppressed == 0 || sum.OK {
		t.Errorf("the comparison has no suppressed group or no failure: %+v", sum)
	}
}

// TestOracleBadInput: each bad input is one line on stderr and a non-zero
// exit, and a good report is never overwritten.
func TestOracleBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.bin")
	if _, _, code := guest(t, "--oracle", "-N", "1", "--oracle-output", good, filepath.Join(dir, "r")); code != 0 {
		t.Fatal("making a report failed")
	}
	want, _ := os.ReadFile(good)
	corrupt := filepath.Join(dir, "corrupt.bin")
	os.WriteFile(corrupt, append(append([]byte(nil), want[:20]...), make([]byte, 40)...), 0o644)
	trunc := filepath.Join(dir, "trunc.bin")
	os.WriteFile(trunc, want[:len(want)-4], 0o644)
	r := filepath.Join(dir, "r")
	cases := map[string][]string{
		"no -N":         {"--oracle", "--oracle-output", good, r},
		"-N 0":          {"--oracle", "-N", "0", "--oracle-output", good, r},
		"-N too big":    {"--oracle", "-N", "9", "--oracle-output", good, r},
		"root /":        {"--oracle", "-N", "1", "--oracle-output", good, "/"},
		"root /tmp":     {"--oracle", "-N", "1", "--oracle-output", good, "/tmp/"},
		"root /data":    {"--oracle", "-N", "1", "--oracle-output", good, "/data"},
		"no root":       {"--oracle", "-N", "1", "--oracle-output", good},
		"missing exp":   {"--oracle", "-N", "1", "--oracle-expected", filepath.Join(dir, "nope.bin"), "--oracle-output", good, r},
		"corrupt exp":   {"--oracle", "-N", "1", "--oracle-expected", corrupt, "--oracle-output", good, r},
		"truncated exp": {"--oracle", "-N", "1", "--oracle-expected", trunc, "--oracle-output", good, r},
		"chain differs": {"--oracle", "-N", "2", "--case-count", "10", "--oracle-expected", good, "--oracle-output", good, r},
		"bad slice":     {"--oracle", "-N", "1", "--case-start", "54", "--oracle-output", good, r},
		"unwritable":    {"--oracle", "-N", "1", "--oracle-output", filepath.Join(dir, "no", "dir", "r.bin"), r},
		"verify 1 arg":  {"--oracle-verify-files", good},
		"missing known": {"--oracle", "-N", "1", "--oracle-known", filepath.Join(dir, "nope.txt"), r},
	}
	for name, args := range cases {
		stdout, stderr, code := guest(t, args...)
		if code == 0 {
			t.Errorf("%s: exit 0\n%s", name, stdout)
		}
		if lines := strings.Split(strings.TrimSpace(stderr), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "fsx-wasix:") {
			t.Errorf("%s: stderr is not one line:\n%s", name, stderr)
		}
		if b, _ := os.ReadFile(good); string(b) != string(want) {
			t.Fatalf("%s: the good report was overwritten", name)
		}
	}
}

// TestOracleProgressNoDots: the oracle prints progress lines (cases done
// of the total, cases/s, and when comparing the divergent cases so far)
// and nothing else on stderr — write_stderr's old dots are gone — and
// nothing at all with progress off.
func TestOracleProgressNoDots(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	native := filepath.Join(dir, "native.bin")
	stdout, stderr, code := guest(t, "--oracle", "-N", "2", "-j", "1", "--progress-interval", "1ms", "--oracle-output", native, filepath.Join(dir, "n"))
	if code != 0 {
		t.Fatalf("native: exit %d\n%s%s", code, stdout, stderr)
	}
	lines, rest := progressLines(stderr)
	if len(lines) < 2 || rest != "" {
		t.Fatalf("native: %d progress lines, and besides them %q (write_stderr's dots?); want several and nothing else:\n%s", len(lines), rest, stderr)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "oracle: ") || !strings.Contains(l, "/5832 cases (") || !strings.Contains(l, " cases/s, ") || strings.Contains(l, ";") {
			t.Errorf("native progress line %q", l)
		}
	}

	stdout, stderr, code = guest(t, "--oracle", "-N", "2", "-j", "1", "--progress-interval", "1ms", "--oracle-expected", native, "--json", filepath.Join(dir, "c"))
	var sum guestapi.OracleSummary
	if err := jsonDecoder(stdout).Decode(&sum); code != 0 || err != nil || !sum.OK {
		t.Fatalf("comparing: exit %d, %v:\n%s%s", code, err, stdout, stderr)
	}
	lines, rest = progressLines(stderr)
	if len(lines) < 2 || !regexp.MustCompile(`^([a-z][^\n]*\n)*$`).MatchString(rest) {
		t.Fatalf("comparing: %d progress lines; the rest of stderr, the human report, must be lines of words (write_stderr's dots?): %q", len(lines), rest)
	}
	for _, l := range lines {
		if !strings.HasSuffix(l, "; 0 divergent") {
			t.Errorf("comparing progress line %q: want the divergent cases so far", l)
		}
	}

	for _, off := range [][]string{{"--progress-interval", "0"}, {"-q"}} {
		stdout, stderr, code = guest(t, append(append([]string{"--oracle", "-N", "2", "-j", "1"}, off...), "--oracle-expected", native, filepath.Join(dir, "q"))...)
		if code != 0 || stderr != "" {
			t.Errorf("%v: exit %d, stderr %q; want 0 and nothing", off, code, stderr)
		}
	}
}
