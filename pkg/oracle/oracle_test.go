package oracle

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
	"github.com/fsx-wasix/fsx-wasix/pkg/transcript"
)

// quiet is a descriptor for write_stderr that keeps test output clean.
// devNull stays referenced: were it collected, its finalizer would close
// the descriptor and a case's open would reuse the number.
var devNull, _ = os.OpenFile(os.DevNull, os.O_WRONLY, 0)

var quiet = int(devNull.Fd())

func TestCatalogIsTheSeeds(t *testing.T) {
	t.Parallel()
	want := []string{"open(read_write_create)", "open(append_create)", "open(read_write_truncate)",
		"open(read_write_create_new)", "close", "write(zero_bytes)", "write(32_bytes)", "write(4_kb)",
		"write(32_kb)", "read(zero_bytes)", "read(32_bytes)", "read(4_kb)", "seek(start)", "seek(end)",
		"fstat", "stat", "read_dir", "write_stderr", "delete"}
	if len(Commands) != len(want) {
		t.Fatalf("%d commands, want %d", len(Commands), len(want))
	}
	for i, c := range Commands {
		if c.Name != want[i] {
			t.Errorf("command %d = %s, want %s", i, c.Name, want[i])
		}
	}
	// open: 4 modes × 2 handles × 3 files; close, write×4, read×3, seek×2,
	// fstat: × 2 handles; stat, delete: × 3 files; read_dir, write_stderr: 1.
	if n := 4*2*3 + (1+4+3+2+1)*2 + 2*3 + 2; len(Catalog) != n {
		t.Fatalf("catalog has %d entries, want %d", len(Catalog), n)
	}
	if len(CatalogHash) != 16 || CatalogHash != catalogHash() {
		t.Fatalf("catalog hash %q not stable", CatalogHash)
	}
}

func TestCaseCounts(t *testing.T) {
	t.Parallel()
	e := int64(len(Catalog))
	for L, want := range map[int]int64{1: e, 2: e * e * 2, 3: e * e * e * 4} {
		got, err := CaseCount(L)
		if err != nil || got != want {
			t.Errorf("CaseCount(%d) = %d, %v; want %d", L, got, err, want)
		}
	}
	if n, _ := CaseCount(3); n != 629856 {
		t.Errorf("chain 3 = %d cases, documented as 629856", n)
	}
	for _, L := range []int{0, -1, MaxChain + 1} {
		if _, err := CaseCount(L); err == nil {
			t.Errorf("CaseCount(%d) accepted", L)
		}
	}
	if _, err := CaseCount(MaxChain); err != nil {
		t.Errorf("CaseCount(MaxChain): %v", err)
	}
}

// TestIndexRoundTrip: every case of chain 1 and 2 and a spread of chain 3
// decodes to a distinct (sequence, assignment) that encodes back to it.
func TestIndexRoundTrip(t *testing.T) {
	t.Parallel()
	for L := 1; L <= 3; L++ {
		total, _ := CaseCount(L)
		step := int64(1)
		if L == 3 {
			step = 997
		}
		seen := map[string]bool{}
		var c Case
		for i := int64(0); i < total; i += step {
			c.Decode(L, i)
			if c.Steps[0].Worker != 1 {
				t.Fatalf("L=%d case %d: step 0 on worker %d", L, i, c.Steps[0].Worker)
			}
			entries, workers := make([]int, L), make([]int, L)
			var key strings.Builder
			for s, st := range c.Steps {
				entries[s], workers[s] = EntryIndex(st.Entry), st.Worker
				key.WriteString(st.Entry.String() + "/" + string(rune('0'+st.Worker)) + ";")
			}
			if seen[key.String()] {
				t.Fatalf("L=%d case %d duplicates another case: %s", L, i, key.String())
			}
			seen[key.String()] = true
			back, err := Encode(entries, workers)
			if err != nil || back != i {
				t.Fatalf("L=%d case %d encodes back to %d (%v)", L, i, back, err)
			}
		}
		if step == 1 && int64(len(seen)) != total {
			t.Fatalf("L=%d: %d distinct cases, want %d", L, len(seen), total)
		}
	}
}

func runRecords(t *testing.T, cfg Config) [][]byte {
	t.Helper()
	var out [][]byte
	next := cfg.Start
	cfg.StderrFD = quiet
	err := Run(context.Background(), cfg, func(i int64, rec []byte) error {
		if i != next {
			t.Fatalf("record for case %d, want %d", i, next)
		}
		next++
		out = append(out, append([]byte(nil), rec...))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSlicesConcatenate: any split of the cases, run with any number of
// lanes, gives the records of the whole run.
func TestSlicesConcatenate(t *testing.T) {
	t.Parallel()
	root := filepath.Join(t.TempDir(), "root")
	whole := runRecords(t, Config{StderrFD: quiet, Chain: 2, Start: 0, Count: 1200, Root: root, Lanes: 2})
	var parts [][]byte
	for _, r := range [][2]int64{{0, 1}, {1, 700}, {701, 499}} {
		parts = append(parts, runRecords(t, Config{StderrFD: quiet, Chain: 2, Start: r[0], Count: r[1], Root: root, Lanes: 3})...)
	}
	if len(parts) != len(whole) {
		t.Fatalf("%d records from slices, %d whole", len(parts), len(whole))
	}
	for i := range whole {
		if !bytes.Equal(whole[i], parts[i]) {
			t.Fatalf("case %d: slice record %x, whole %x", i, parts[i], whole[i])
		}
	}
	// Reuse mode leaves nothing behind but the root.
	if ents, _ := os.ReadDir(root); len(ents) != 0 {
		t.Fatalf("root not empty after the run: %v", ents)
	}
}

// TestKnownPrograms pins a few outcomes that the semantics promise.
func TestKnownPrograms(t *testing.T) {
	t.Parallel()
	root := filepath.Join(t.TempDir(), "root")
	idx := func(e ...string) int64 {
		var entries, workers []int
		for _, s := range e {
			for i, c := range Catalog {
				if c.String() == s {
					entries = append(entries, i)
				}
			}
			workers = append(workers, 1+len(workers)%2)
		}
		i, err := Encode(entries, workers)
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	cases := []struct {
		steps []string
		want  string
	}{
		{[]string{"open(read_write_create) h0 A", "write(32_bytes) h0"}, "ok ok(32) | 32 bytes A×32 missing missing"},
		{[]string{"open(append_create) h1 B", "read(32_bytes) h1"}, "ok EBADF | missing 0 bytes missing"},
		{[]string{"open(read_write_truncate) h0 A", "close h0"}, "ENOENT EBADF | missing missing missing"},
		{[]string{"open(read_write_create) h0 C", "write(4_kb) h0"}, "ok ok(4096) | missing missing 4096 bytes A×4096"},
		{[]string{"open(read_write_create) h1 A", "read_dir"}, "ok ok([A]) | 0 bytes missing missing"},
		{[]string{"open(read_write_create) h1 A", "write(32_bytes) h1", "seek(start) h1", "read(4_kb) h1"}, "ok ok(32) ok(0) ok(32 B×32) | 32 bytes B×32 missing missing"},
	}
	for _, c := range cases {
		L := len(c.steps)
		i := idx(c.steps...)
		recs := runRecords(t, Config{StderrFD: quiet, Chain: L, Start: i, Count: 1, Root: root})
		outs, err := DecodeRecord(recs[0])
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		var cs Case
		cs.Decode(L, i)
		for s := 0; s < L; s++ {
			got = append(got, outs[s].Format(cs.Steps[s].Entry.Command().Op.Kind))
		}
		got = append(got, "|")
		for f := range Files {
			got = append(got, outs[L+f].FormatSnapshot())
		}
		if g := strings.Join(got, " "); g != c.want {
			t.Errorf("%v: got %q, want %q", c.steps, g, c.want)
		}
	}
}

func TestRefusedRoots(t *testing.T) {
	t.Parallel()
	for _, r := range []string{"/", "/tmp", "/tmp/", "/data", "//data/", ""} {
		if err := CheckRoot(r); err == nil {
			t.Errorf("root %q accepted", r)
		}
	}
	if err := CheckRoot("/tmp/fsx-oracle-x"); err != nil {
		t.Errorf("subdirectory refused: %v", err)
	}
}

func TestDigest(t *testing.T) {
	t.Parallel()
	data := append(bytes.Repeat([]byte("A"), 100), bytes.Repeat([]byte("B"), 4000)...)
	data = append(data, make([]byte, 13)...)
	var one, chunked fsop.Digest
	one.Write(data)
	for i := 0; i < len(data); i += 7 {
		chunked.Write(data[i:min(i+7, len(data))])
	}
	if one != chunked || one.String() != "A×100 B×4000 0x00×13" {
		t.Fatalf("digest %q vs chunked %q", one.String(), chunked.String())
	}
	var many, many2 fsop.Digest
	for i := 0; i < 20; i++ {
		many.Write([]byte{byte(i), byte(i)})
	}
	for i := 0; i < 20; i++ {
		many2.Write([]byte{byte(i)})
		many2.Write([]byte{byte(i)})
	}
	if !many.Hashed || many != many2 {
		t.Fatalf("hashed digests differ: %v %v", many.String(), many2.String())
	}
	o := fsop.Outcome{Shape: fsop.ShapeData, Value: 40, Data: many}
	outs, err := DecodeRecord(o.Append(fsop.AppendArray(nil, 1)))
	if err != nil || !equalOutcome(&outs[0], &o) {
		t.Fatalf("hashed outcome round trip: %v %+v", err, outs)
	}
}

// writeReport runs cases and writes them as a transcript.
func writeReport(t *testing.T, path string, o Options) {
	t.Helper()
	o.Output = path
	o.StderrFD = quiet
	if _, err := Execute(context.Background(), o); err != nil {
		t.Fatal(err)
	}
}

// TestTamperedExpectedFails: changing one outcome in the expected report
// makes the comparison fail and name that case.
func TestTamperedExpectedFails(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	cfg := Config{StderrFD: quiet, Chain: 2, Start: 0, Count: 300, Root: root, Lanes: 2}
	good := filepath.Join(dir, "good.bin")
	writeReport(t, good, Options{Config: cfg})

	// Case 56 is open(read_write_create) h0 A; write(32_bytes) h0: make the
	// expected write return 16.
	const victim = 56
	r, err := transcript.Open(good)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.bin")
	w, err := transcript.Create(bad, r.Header())
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(0); ; i++ {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if i == victim {
			outs, _ := DecodeRecord(rec)
			if outs[1].Value != 32 {
				t.Fatalf("case %d step 1 = %+v, not a 32-byte write", victim, outs[1])
			}
			outs[1].Value = 16
			rec = fsop.AppendArray(nil, len(outs))
			for j := range outs {
				rec = outs[j].Append(rec)
			}
		}
		w.Write(rec)
	}
	r.Close()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	res, err := Execute(context.Background(), Options{Config: cfg, Expected: good})
	if err != nil || res.Comparer.Failed() || res.Comparer.Compared != 300 {
		t.Fatalf("untampered comparison: %v %+v", err, res.Comparer)
	}
	res, err = Execute(context.Background(), Options{Config: cfg, Expected: bad})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Comparer
	if !c.Failed() || c.Divergent != 1 {
		t.Fatalf("tampered comparison: %d divergent, failed=%v", c.Divergent, c.Failed())
	}
	var rep bytes.Buffer
	c.WriteReport(&rep)
	for _, want := range []string{"case 56 ", "step 1  worker 1  handle 0  write(32_bytes) on A  -> expected ok(16)  got ok(32)",
		"write(32_bytes): ok -> ok with other count", "1 divergent"} {
		if !strings.Contains(rep.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, rep.String())
		}
	}
	// A known signature is suppressed, and says so.
	res, _ = Execute(context.Background(), Options{Config: cfg, Expected: bad, Known: map[string]bool{"write(32_bytes): ok -> ok with other count": true}})
	rep.Reset()
	res.Comparer.WriteReport(&rep)
	if res.Comparer.Failed() || res.Comparer.Suppressed != 1 || !strings.Contains(rep.String(), "suppressed") {
		t.Fatalf("known signature not suppressed visibly:\n%s", rep.String())
	}
	// StopAtFirst ends the run at the divergent case and writes no report.
	out := filepath.Join(dir, "stopped.bin")
	res, err = Execute(context.Background(), Options{Config: cfg, Expected: bad, Output: out, StopAtFirst: true})
	if err != nil || !res.Stopped || res.Comparer.Compared != victim+1 || res.Comparer.Divergent != 1 {
		t.Fatalf("stop at first: %v, stopped %v after %d cases", err, res.Stopped, res.Comparer.Compared)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a stopped run wrote a report")
	}
}

// TestBadInputWritesNothing: a bad expected report or an impossible range
// is refused before a case runs, and a good report at Output survives.
func TestBadInputWritesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	cfg := Config{StderrFD: quiet, Chain: 1, Start: 0, Count: 54, Root: root}
	good := filepath.Join(dir, "good.bin")
	writeReport(t, good, Options{Config: cfg})
	data, _ := os.ReadFile(good)
	trunc := filepath.Join(dir, "trunc.bin")
	os.WriteFile(trunc, data[:len(data)-5], 0o644)
	chain2 := filepath.Join(dir, "chain2.bin")
	writeReport(t, chain2, Options{Config: Config{StderrFD: quiet, Chain: 2, Start: 0, Count: 10, Root: root}})
	for name, o := range map[string]Options{
		"missing":    {Config: cfg, Expected: filepath.Join(dir, "nope.bin"), Output: good},
		"truncated":  {Config: cfg, Expected: trunc, Output: good},
		"chain":      {Config: cfg, Expected: chain2, Output: good},
		"range":      {Config: Config{StderrFD: quiet, Chain: 1, Start: 50, Count: 10, Root: root}, Output: good},
		"root":       {Config: Config{StderrFD: quiet, Chain: 1, Start: 0, Count: 1, Root: "/tmp"}, Output: good},
		"unwritable": {Config: cfg, Output: filepath.Join(dir, "no", "such", "dir", "r.bin")},
	} {
		_, err := Execute(context.Background(), o)
		var ie *InputError
		if err == nil || !asInput(err, &ie) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: err = %v, want a one-line InputError", name, err)
		}
		if b, _ := os.ReadFile(good); !bytes.Equal(b, data) {
			t.Fatalf("%s: good report overwritten", name)
		}
	}
}

func asInput(err error, ie **InputError) bool {
	e, ok := err.(*InputError)
	*ie = e
	return ok
}

func TestHostRoot(t *testing.T) {
	t.Parallel()
	wd, _ := os.Getwd()
	cases := []struct{ root, output, report, want string }{
		{"/data/fsx-oracle-wasix", "/data/fsx-oracle-wasix/report.bin", "wasmer-data/fsx-oracle-wasix/report.bin", filepath.Join(wd, "wasmer-data/fsx-oracle-wasix")},
		{"/workspace/data/fsx-oracle-wasix", "/workspace/data/fsx-oracle-wasix/report.bin", "/h/wasmer-data/fsx-oracle-wasix/report.bin", "/h/wasmer-data/fsx-oracle-wasix"},
		{"/data/x/cases", "/data/x/report.bin", "/h/d/x/report.bin", "/h/d/x/cases"},
		{"/tmp/r", "/tmp/r/report.bin", "/tmp/r/report.bin", "/tmp/r"},
	}
	for _, c := range cases {
		got, err := HostRoot(ReportHeader{ReportMeta: ReportMeta{Root: c.root, Output: c.output}}, c.report)
		if err != nil || got != c.want {
			t.Errorf("HostRoot(%s, %s, %s) = %q, %v; want %q", c.root, c.output, c.report, got, err, c.want)
		}
	}
	if _, err := HostRoot(ReportHeader{ReportMeta: ReportMeta{Root: "/data/r", Output: "/work/report.bin"}}, "/h/other.bin"); err == nil {
		t.Error("unmappable root accepted")
	}
}

// TestVerifyFilesCatchesHostChange: a kept run verifies clean, and a case
// file changed behind the runtime's back is named.
func TestVerifyFilesCatchesHostChange(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	native := filepath.Join(dir, "native.bin")
	cfg := Config{StderrFD: quiet, Chain: 2, Start: 0, Count: 120, Root: filepath.Join(dir, "native")}
	writeReport(t, native, Options{Config: cfg})
	kept := filepath.Join(dir, "kept")
	report := filepath.Join(kept, "report.bin")
	kcfg := Config{StderrFD: quiet, Chain: 2, Start: 0, Count: 120, Root: kept, KeepFiles: true}
	if _, err := Execute(context.Background(), Options{Config: kcfg, Expected: native, Output: report}); err != nil {
		t.Fatal(err)
	}
	c, err := VerifyFiles(native, report, "", nil)
	if err != nil || c.Failed() || c.HostFiles != 240 || c.Compared != 120 {
		t.Fatalf("clean verify: %v failed=%v files=%d", err, c != nil && c.Failed(), c.HostFiles)
	}
	// Case 56 wrote 32 'A's to A: change one byte on the host.
	os.WriteFile(filepath.Join(kept, CaseDir(56), "A"), append(bytes.Repeat([]byte("A"), 31), 'x'), 0o644)
	c, err = VerifyFiles(native, report, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var rep bytes.Buffer
	c.WriteReport(&rep)
	if !c.Failed() || c.Divergent != 1 || !strings.Contains(rep.String(), "case 56 ") || !strings.Contains(rep.String(), "host re-read A: other content") {
		t.Fatalf("host change not reported:\n%s", rep.String())
	}
	// A run that did not keep its files cannot be re-read.
	if _, err := VerifyFiles(native, native, "", nil); err == nil || !strings.Contains(err.Error(), "did not keep") {
		t.Fatalf("verify of an unkept run: %v", err)
	}
}

// The oracle's header fields travel in the transcript's opaque Meta and come
// back whole; a transcript of other records is not taken for a report.
func TestReportHeaderRoundTrip(t *testing.T) {
	t.Parallel()
	h := ReportHeader{Header: transcript.Header{SchemaHash: CatalogHash, First: 7, Count: 3},
		ReportMeta: ReportMeta{Chain: 2, Platform: "wasip1/wasm", Runtime: "wasmer", Root: "/data/r", Output: "/data/r/report.bin", KeptFiles: true}}
	f := h.Framing()
	if f.Schema != Schema || f.SchemaHash != CatalogHash || f.First != 7 || f.Count != 3 {
		t.Fatalf("framing %+v", f)
	}
	got, err := ReadHeader("r", f)
	if err != nil || got.ReportMeta != h.ReportMeta {
		t.Fatalf("got %+v, %v; want %+v", got.ReportMeta, err, h.ReportMeta)
	}
	f.Schema = "fsx-wasix diff"
	if _, err := ReadHeader("r", f); err == nil || !strings.Contains(err.Error(), "not an oracle report") {
		t.Fatalf("another schema: %v", err)
	}
	f.Schema, f.Meta = Schema, []byte{0xc1}
	if _, err := ReadHeader("r", f); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("corrupt meta: %v", err)
	}
}

// A known-signatures file of anything but signatures is refused, naming
// the line.
func TestReadKnownRefusesOtherFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.txt")
	os.WriteFile(good, []byte("# wazero\nread(zero_bytes): EBADF -> ok\n\nsnapshot A: other content\n"), 0o644)
	if k, err := ReadKnown(good); err != nil || len(k) != 2 {
		t.Fatalf("good file: %v %v", k, err)
	}
	for name, data := range map[string][]byte{
		"random.bin": {0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x13, 0x88, 0xff, 0x0a, 0x01},
		"prose.txt":  []byte("read(zero_bytes): EBADF -> ok\nthese are the ones we know\n"),
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, data, 0o644)
		if _, err := ReadKnown(p); err == nil || !strings.Contains(err.Error(), "not a divergence signature") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
