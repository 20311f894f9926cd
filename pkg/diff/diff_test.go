package diff

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
	"github.com/fsx-wasix/fsx-wasix/pkg/transcript"
)

// otherFS is a directory on another filesystem than the test's temp dir
// when the machine has one (tmpfs lists directories in another order and
// sizes them otherwise than ext4): the native-vs-native run then also
// checks the normalisations, not only determinism.
func otherFS(t *testing.T) string {
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "fsx-diff-test-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}

// TestNativeAgainstNative: thousands of programs, run twice in two
// directories (on two filesystems where possible) and compared step by
// step, do not diverge: the generator is a pure function of (seed, k,
// config) and the outcomes are normalised.
func TestNativeAgainstNative(t *testing.T) {
	t.Parallel()
	n := int64(2000)
	if testing.Short() {
		n = 500
	}
	out := filepath.Join(t.TempDir(), "native.bin")
	o := Options{Seed: 7, Config: DefaultConfig(), Programs: n, Count: n, Root: filepath.Join(t.TempDir(), "r1"), Output: out}
	res1, err := Execute(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	o.Output, o.Expected, o.Root = "", out, filepath.Join(otherFS(t), "r2")
	res2, err := Execute(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	c := res2.Comparer
	if c.Compared != n || c.Divergent != 0 {
		var b strings.Builder
		for _, d := range c.Shown() {
			b.WriteString(d.Report + "  signature: " + d.Signature + "\n")
		}
		t.Fatalf("compared %d, %d divergent:\n%s", c.Compared, c.Divergent, b.String())
	}
	if res1.Steps != res2.Steps || res1.Steps < n*5 {
		t.Errorf("steps: %d and %d", res1.Steps, res2.Steps)
	}
	t.Logf("%d programs, %d steps: %v and %v; %d bytes allocated natively per program", n, res1.Steps, res1.Elapsed, res2.Elapsed, res2.AllocBytes/uint64(n))
}

// TestCoverage: generated programs reach the states the catalog is for —
// successful ops of every class, reads through several handles of one
// file, directory streams judged on close, snapshots — so a quiet
// native-vs-native run is not quiet because nothing happens.
func TestCoverage(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "c")
	os.Mkdir(dir, 0o755)
	ex, err := NewExecutor(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	g := NewGenerator(3, DefaultConfig())
	okBy := map[fsop.Kind]int{}
	errBy := map[string]int{}
	var streams, stable, dirty, steps int
	for k := int64(0); k < 1000; k++ {
		p := g.Program(k)
		rec, err := ex.Run(p)
		if err != nil {
			t.Fatal(err)
		}
		d, err := DecodeRecord(rec, p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(EncodeRecord(d, p), rec) {
			t.Fatalf("program %d: record does not re-encode to its bytes", k)
		}
		for i, st := range p {
			steps++
			o := d.Steps[i]
			if st.Op.Kind == fsop.Snapshot || o.Err == fsop.OK {
				okBy[st.Op.Kind]++
			} else {
				errBy[o.Err.String()]++
			}
			if (st.Op.Kind == fsop.Close || st.Op.Kind == fsop.Open) && o.Err == fsop.OK && o.Shape != fsop.ShapeScalar {
				streams++
				if len(o.Names) > 0 {
					stable++
				}
			}
			if st.Op.Kind == fsop.ReadDirBatch && o.Err == fsop.OK && o.Value == ValueUnspecified {
				dirty++
			}
		}
		for _, e := range d.Final {
			if strings.HasSuffix(e.Path, " stream") {
				streams++
				if len(e.O.Names) > 0 {
					stable++
				}
			}
		}
	}
	for _, k := range Classes {
		if okBy[k] < 20 {
			t.Errorf("%s succeeded only %d times in 1000 programs", k, okBy[k])
		}
	}
	if streams < 200 || stable < 40 || dirty < 100 {
		t.Errorf("directory streams judged: %d (%d with stable entries), batches of changed directories: %d", streams, stable, dirty)
	}
	t.Logf("%d steps; successes %v; errors %v; streams judged %d (%d with stable entries), unspecified batches %d", steps, okBy, errBy, streams, stable, dirty)
}

func TestGeneratorIsPure(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.LengthMin, cfg.LengthMax = 3, 9
	g := NewGenerator(11, cfg)
	for k := int64(0); k < 300; k++ {
		a := Generate(11, k, cfg)
		if b := g.Program(299 - k); k == 150 && reflect.DeepEqual(a, b) {
			t.Fatalf("programs 150 and 149 are equal")
		}
		if b := Generate(11, k, cfg); !reflect.DeepEqual(a, b) {
			t.Fatalf("program %d drawn twice differs:\n%s\n%s", k, AppendProgram(nil, "", a), AppendProgram(nil, "", b))
		}
		if b := g.Program(k); !reflect.DeepEqual(a, b) {
			t.Fatalf("program %d differs between a fresh generator and a used one", k)
		}
		if len(a) < 3 || len(a) > 9 {
			t.Fatalf("program %d has %d steps, want 3..9", k, len(a))
		}
		for _, st := range a {
			if classIndex(st.Op.Kind) < 0 || st.Worker < 1 || st.Worker > 2 || st.Op.Handle >= Handles || st.Op.File >= NumPaths {
				t.Fatalf("program %d: bad step %+v", k, st)
			}
		}
	}
	if reflect.DeepEqual(Generate(1, 5, cfg), Generate(2, 5, cfg)) {
		t.Error("seeds 1 and 2 give the same program 5")
	}
	// A class of weight 0 is never drawn; a config of one class draws only it.
	only := Config{LengthMin: 20, LengthMax: 20}
	only.Weights[classIndex(fsop.Rename)] = 1
	for _, st := range Generate(1, 0, only) {
		if st.Op.Kind != fsop.Rename {
			t.Fatalf("a rename-only config drew %s", st.Op.Kind)
		}
	}
}

// TestTextRoundTrip: generated programs written in the program file format
// parse back to the same programs.
func TestTextRoundTrip(t *testing.T) {
	t.Parallel()
	var b []byte
	var want []fsop.Program
	g := NewGenerator(5, DefaultConfig())
	for k := int64(0); k < 500; k++ {
		p := g.Program(k)
		want = append(want, append(fsop.Program(nil), p...))
		label := ""
		if k%2 == 0 {
			label = "p" + string(rune('a'+k%26))
		}
		b = AppendProgram(b, label, p)
	}
	got, err := ParsePrograms(bytes.NewReader(b), "gen.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("parsed %d programs, wrote %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i].Steps, want[i]) {
			t.Fatalf("program %d:\nwrote\n%s\nparsed\n%s", i, AppendProgram(nil, "", want[i]), AppendProgram(nil, "", got[i].Steps))
		}
	}
	if got[0].Label != "pa" || got[1].Label != "gen.txt:"+strconv.Itoa(got[1].Line) {
		t.Errorf("labels: %q, %q", got[0].Label, got[1].Label)
	}
	// Comments, spacing, "program" lines and hex numbers.
	ps, err := ParsePrograms(strings.NewReader("# a comment\n  w1 open h0 A RDWR|CREAT  \n# inside\nw2 mapwrite h0 0x10 0x20\nprogram second\nw1 seek h3 end -16\nw2 rename A d0/B\n\n\nw1 read_dir .\n"), "x")
	if err != nil || len(ps) != 3 || len(ps[0].Steps) != 2 || ps[0].Steps[1].Op.Offset != 16 || ps[0].Steps[1].Op.Size != 32 ||
		ps[1].Label != "second" || int64(ps[1].Steps[0].Op.Offset) != -16 || ps[1].Steps[1].Op.File2 != 6+1 || ps[2].Steps[0].Op.File != fsop.NoFile {
		t.Fatalf("parsed %+v, %v", ps, err)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"w1 open h0 A RDWR|CREAT\nw3 close h0\n", "p.txt:2: want a worker"},
		{"w1 frob h0\n", "p.txt:1: unknown op \"frob\""},
		{"w1 write_stderr 1\n", "p.txt:1: unknown op \"write_stderr\""},
		{"w1 open h4 A RDWR\n", "p.txt:1: bad handle \"h4\""},
		{"w1 open h0 E RDWR\n", "p.txt:1: bad name \"E\""},
		{"w1 open h0 A RDWR|SYNC\n", "p.txt:1: bad open flags"},
		{"w1 read h0\n", "p.txt:1: read takes 2 operands (hK SIZE), got 1"},
		{"w1 read h0 70000\n", "p.txt:1: bad size \"70000\" (want 0..65536)"},
		{"w1 mapwrite h0 -1 4\n", "p.txt:1: bad offset \"-1\""},
		{"w1 seek h0 middle 0\n", "p.txt:1: bad seek origin"},
		{"w1 read_dir_batch h0 0\n", "p.txt:1: bad entry count 0"},
		{"w1 stat .\n", "p.txt:1: bad name \".\""},
		{"\n# nothing\n", "p.txt: no programs"},
		{"w1\n", "p.txt:1: worker without an op"},
	} {
		_, err := ParsePrograms(strings.NewReader(c.in), "p.txt")
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: got %v, want one line starting %q", c.in, err, c.want)
		}
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	c, err := ParseConfig([]byte("[diff]\nlength_min = 5\nlength_max = 60\n[diff.weights]\nopen = 3\nrename = 2\n"), "c.toml")
	if err != nil || c.LengthMin != 5 || c.LengthMax != 60 || c.Weight(fsop.Open) != 3 || c.Weight(fsop.Rename) != 2 || c.Weight(fsop.Write) != 0 {
		t.Fatalf("got %+v, %v", c, err)
	}
	d, err := ParseConfig([]byte("[diff]\nlength_max = 9\n"), "c.toml")
	if err != nil || d.LengthMax != 9 || d.Weight(fsop.Write) != DefaultWeights[fsop.Write] {
		t.Fatalf("without [diff.weights] the defaults stay: %+v, %v", d, err)
	}
	if SchemaHash(&c) == SchemaHash(&d) {
		t.Error("two configs, one schema hash")
	}
	for _, bad := range []struct{ in, want string }{
		{"[diff]\nlength_min = 0\n", `c.toml: diff.length_min = 0 is out of range 1..500`},
		{"[diff]\nlength_max = 501\n", `c.toml: diff.length_max = 501 is out of range 1..500`},
		{"[diff]\nlength_min = 9\nlength_max = 5\n", `c.toml: diff.length_min = 9 is greater than diff.length_max = 5`},
		{"[diff.weights]\nopen = -1\n", `c.toml: diff.weights.open = -1 is out of range 0..1000000`},
		{"[diff.weights]\nopen = 1000001\n", `c.toml: diff.weights.open = 1000001 is out of range`},
		{"[diff.weights]\nopen = 0\n", `c.toml: diff.weights: all weights are zero`},
		{"[diff.weights]\nfrobnicate = 1\n", `c.toml:2:1: unknown key "diff.weights.frobnicate"`},
		{"[diff.weights]\nwrite_stderr = 1\n", `unknown key "diff.weights.write_stderr"`},
		{"[diff]\nlength = 3\n", `unknown key "diff.length"`},
		{"flen = 3\n", `unknown key "flen"`},
		{"[diff]\nlength_min = \"five\"\n", `c.toml:2:`},
	} {
		_, err := ParseConfig([]byte(bad.in), "c.toml")
		if err == nil || !strings.Contains(err.Error(), bad.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: got %v, want one line with %q", bad.in, err, bad.want)
		}
	}
}

// The config's weight keys are the classes' fsop names, in Classes order.
func TestWeightKeysAreTheClasses(t *testing.T) {
	t.Parallel()
	typ := reflect.TypeOf(tomlWeights{})
	if typ.NumField() != NumClasses {
		t.Fatalf("%d weight keys, %d classes", typ.NumField(), NumClasses)
	}
	for i, k := range Classes {
		if tag := typ.Field(i).Tag.Get("toml"); tag != k.String() {
			t.Errorf("weight key %d is %q, class %s", i, tag, k)
		}
	}
}

// plant runs programs natively into a transcript, then writes a second
// transcript equal to it except that program k's step j answers errno.
func plant(t *testing.T, o Options, k int64, errno fsop.Errno) (native, forged string, step int) {
	t.Helper()
	dir := t.TempDir()
	native, forged = filepath.Join(dir, "native.bin"), filepath.Join(dir, "forged.bin")
	o.Output = native
	if _, err := Execute(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	r, err := transcript.Open(native)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w, err := transcript.Create(forged, r.Header())
	if err != nil {
		t.Fatal(err)
	}
	step = -1
	for i := o.Start; ; i++ {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if i == k {
			p := Generate(o.Seed, k, o.Config)
			d, err := DecodeRecord(rec, p)
			if err != nil {
				t.Fatal(err)
			}
			for j := range p {
				if p[j].Op.Kind != fsop.Snapshot && d.Steps[j].Err == fsop.OK {
					d.Steps[j] = fsop.Outcome{Err: errno}
					step = j
					break
				}
			}
			rec = EncodeRecord(d, p)
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if step < 0 {
		t.Fatalf("program %d has no successful step to change", k)
	}
	return native, forged, step
}

// TestPlantedDivergence: an expected transcript with one outcome changed
// is reported: the program, the step with both outcomes, the signature,
// its group; a known signature is suppressed, not hidden.
func TestPlantedDivergence(t *testing.T) {
	t.Parallel()
	o := Options{Seed: 3, Config: DefaultConfig(), Programs: 40, Start: 10, Count: 30, Root: filepath.Join(t.TempDir(), "r")}
	_, forged, step := plant(t, o, 17, fsop.EACCES)
	p := Generate(3, 17, o.Config)
	o.Expected = forged
	res, err := Execute(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Comparer
	wantSig := Command(&p[step].Op) + ": EACCES -> ok"
	if c.Compared != 30 || c.Divergent != 1 || !c.Failed() || len(c.Shown()) != 1 || len(c.Groups()) != 1 {
		t.Fatalf("compared %d, divergent %d, shown %d, groups %v", c.Compared, c.Divergent, len(c.Shown()), c.Groups())
	}
	d := c.Shown()[0]
	if d.Index != 17 || d.Signature != wantSig || c.Groups()[0].Example != 17 {
		t.Fatalf("divergence %+v, want program 17 with %q", d, wantSig)
	}
	line := FormatOp(&p[step].Op) + "  -> expected EACCES  got ok"
	if !strings.Contains(d.Report, "program 17  (seed 3, ") || !strings.Contains(d.Report, line) || !strings.Contains(d.Report, "  final  .  dir [") {
		t.Fatalf("report lacks the program, the step %q or the snapshot:\n%s", line, d.Report)
	}
	if ps, err := ParsePrograms(strings.NewReader(d.Text), "t"); err != nil || !reflect.DeepEqual(ps[0].Steps, p) {
		t.Fatalf("the divergence's text is not the program: %v", err)
	}
	o.Known = map[string]bool{wantSig: true}
	res, err = Execute(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Comparer; c.Divergent != 1 || c.Suppressed != 1 || c.Failed() || len(c.Shown()) != 0 || !c.Groups()[0].Suppressed {
		t.Fatalf("known signature: divergent %d suppressed %d shown %d", c.Divergent, c.Suppressed, len(c.Shown()))
	}
}

// TestBadInput: what Prepare refuses, each in one line.
func TestBadInput(t *testing.T) {
	t.Parallel()
	root := filepath.Join(t.TempDir(), "r")
	o := Options{Seed: 1, Config: DefaultConfig(), Programs: 20, Count: 20, Root: root}
	native, _, _ := plant(t, o, 3, fsop.EIO)
	other := DefaultConfig()
	other.LengthMax = 61
	for _, c := range []struct {
		name string
		o    func(*Options)
		want string
	}{
		{"another config", func(o *Options) { o.Config = other; o.Expected = native }, "records of another schema"},
		{"another seed", func(o *Options) { o.Seed = 2; o.Expected = native }, "expected transcript has seed 1, this run has seed 2"},
		{"beyond the expected", func(o *Options) { o.Programs, o.Count = 30, 30; o.Expected = native }, "expected transcript covers programs 0..19, this run needs 0..29"},
		{"missing expected", func(o *Options) { o.Expected = native + ".nope" }, "cannot read transcript"},
		{"no programs", func(o *Options) { o.Programs, o.Count = 0, 0 }, "-N 0: the number of programs must be 1.."},
		{"slice out of range", func(o *Options) { o.Start, o.Count = 15, 10 }, "programs 15..24 out of range: the run has programs 0..19"},
		{"refused root", func(o *Options) { o.Root = "/tmp" }, "refusing root /tmp"},
		{"bad config", func(o *Options) { o.Config.LengthMin = 0 }, "diff.length_min = 0 is out of range"},
	} {
		oo := o
		c.o(&oo)
		_, err := Prepare(oo)
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: got %v, want an input error with %q", c.name, err, c.want)
		}
	}
}

// The comparer's cheap signature is guestapi.DiffSignature of the whole
// programs, for changes planted anywhere: a step, a snapshot step, the
// final snapshot.
func TestSignatureIsDiffSignature(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "c")
	os.Mkdir(dir, 0o755)
	ex, err := NewExecutor(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	g := NewGenerator(9, DefaultConfig())
	c := NewComparer(9, nil)
	r := rng{s: 1}
	for k := int64(0); k < 300; k++ {
		p := g.Program(k)
		rec, err := ex.Run(p)
		if err != nil {
			t.Fatal(err)
		}
		exp := append([]byte(nil), rec...)
		d, _ := DecodeRecord(exp, p)
		i := r.intn(len(p) + 1)
		switch {
		case i == len(p) || p[i].Op.Kind == fsop.Snapshot:
			es := &d.Final
			if i < len(p) {
				es = &d.Snaps[i]
			}
			if j := r.intn(len(*es)); r.chance(50) {
				(*es)[j].O = fsop.Outcome{Err: fsop.EIO}
			} else {
				*es = append((*es)[:j], (*es)[j+1:]...)
			}
		case d.Steps[i].Err == fsop.OK && r.chance(50):
			d.Steps[i].Value++
		default:
			d.Steps[i] = fsop.Outcome{Err: fsop.ENOTCAPABLE}
		}
		got := EncodeRecord(d, p)
		if bytes.Equal(exp, got) {
			continue
		}
		ep, gp := APIProgram(k, "", p, exp), APIProgram(k, "", p, got)
		if want, have := guestapiSig(&ep, &gp), c.signature(p, exp, got); want != have {
			t.Fatalf("program %d, change at %d: comparer says %q, DiffSignature %q", k, i, have, want)
		}
	}
}

func guestapiSig(e, g *guestapi.DiffProgram) string { return guestapi.DiffSignature(e, g) }

// TestFindingsFile: the minimal programs of docs/diff.md parse, run, and
// answer on this machine what the file says Linux answers.
func TestFindingsFile(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/findings.txt")
	if err != nil {
		t.Fatal(err)
	}
	progs, err := ParsePrograms(bytes.NewReader(data), "findings.txt")
	if err != nil {
		t.Fatal(err)
	}
	// The "#! step N: OUTCOME" lines, by the program they follow.
	want := map[int]map[int]string{}
	p := -1
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "program ") {
			p++
		}
		if rest, ok := strings.CutPrefix(line, "#! step "); ok {
			n, out, _ := strings.Cut(rest, ": ")
			i, _ := strconv.Atoi(n)
			if want[p] == nil {
				want[p] = map[int]string{}
			}
			want[p][i] = out
		}
	}
	out, err := RunPrograms(context.Background(), filepath.Join(t.TempDir(), "r"), progs, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for i, prog := range out {
		for step, w := range want[i] {
			checked++
			if got := prog.Steps[step].Outcome; got != w {
				t.Errorf("%s step %d: %s, the file says %s", prog.Label, step, got, w)
			}
		}
	}
	if len(progs) < 15 || checked < 30 {
		t.Errorf("%d programs, %d outcomes checked", len(progs), checked)
	}
}
