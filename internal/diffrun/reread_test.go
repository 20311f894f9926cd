package diffrun

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/pipeline"
	"github.com/fsx-wasix/fsx-wasix/internal/runner"
	"github.com/fsx-wasix/fsx-wasix/pkg/diff"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

// tamperRuntime runs guests with another runner (the native guest instead
// of the module when native is set) and then changes what the host
// directory mounted at /data holds, between the guest's run and the host
// re-read: a runtime whose guest saw the right files while the host got
// other ones.
type tamperRuntime struct {
	name   string
	inner  runner.Runner
	native string
	tamper func(data string)
	runs   atomic.Int64
}

func (f *tamperRuntime) Name() string     { return f.name }
func (f *tamperRuntime) Available() error { return nil }
func (f *tamperRuntime) HostBacked() bool { return true }
func (f *tamperRuntime) Run(ctx context.Context, s runner.Spec) (int, error) {
	if f.native != "" {
		s.Wasm, s.Env = f.native, nil
	}
	code, err := f.inner.Run(ctx, s)
	f.runs.Add(1)
	for _, v := range s.Volumes {
		if v.Guest == guestData && err == nil {
			f.tamper(v.Host)
		}
	}
	return code, err
}

// keptFiles calls fn for every regular file of every kept tree under data.
func keptFiles(data string, fn func(path string, size int64)) {
	filepath.WalkDir(filepath.Join(data, rootName, diff.KeepDirName), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				fn(p, fi.Size())
			}
		}
		return nil
	})
}

// flipFirstByte flips the first byte of every non-empty kept file: the
// guest wrote and read back the right bytes, the host holds others.
func flipFirstByte(data string) {
	keptFiles(data, func(p string, size int64) {
		if size == 0 {
			return
		}
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			return
		}
		defer f.Close()
		b := make([]byte, 1)
		if _, err := f.ReadAt(b, 0); err == nil {
			b[0] ^= 0xff
			f.WriteAt(b, 0)
		}
	})
}

// Native and wazero on /data, through the whole stage: every program the
// runtime judged equal has its kept tree re-read from the host, and not
// one differs from the native final snapshot.
func TestRereadNativeAndWazeroAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("hundreds of programs under wazero")
	}
	for _, rt := range []string{"native", pipeline.RuntimeWazero} {
		t.Run(rt, func(t *testing.T) {
			t.Parallel()
			cfg := baseConfig(t, 300)
			cfg.SliceSize = 100
			cfg.Runtimes = []pipeline.Choice{{Name: rt, Why: "reference"}}
			cfg.Volumes = []string{pipeline.VolumeData}
			cfg.Known = knownWazero
			sum, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			sum.WriteReport(&b)
			r := sum.Rows[0]
			if r.Programs != 300 || r.Verdict == pipeline.VerdictError || r.Reread == 0 || r.Reread != r.Programs-r.Divergent {
				t.Fatalf("want 300 programs, every one the runtime judged equal re-read:\n%s", b.String())
			}
			for _, s := range sum.Sigs {
				if strings.HasPrefix(s.Signature, guestapi.DiffRereadPrefix) {
					t.Errorf("%s: %d programs, e.g. %d\n%s", s.Signature, s.Count, s.Example, b.String())
				}
			}
			if rt == "native" && r.Divergent != 0 {
				t.Errorf("native against native diverged:\n%s", b.String())
			}
			t.Logf("%s: %d programs re-read from the host in %.3fs (%.2f ms each); the cell's processes took %.1fs",
				rt, r.Reread, r.RereadSeconds, 1000*r.RereadSeconds/float64(r.Reread), r.Seconds)
		})
	}
}

// A runtime whose guest sees the right files while the host gets others
// (here: wazero, and every kept file's first byte flipped on the host
// after the run — no fault of internal/faultfs does that, since the guest
// reads what the host holds): every program with a non-empty file
// diverges as "host re-read: file other content", not known, shrunk to a
// minimal program that writes a file; with the signature known, it is
// suppressed. --keep keeps the slices' kept trees.
func TestRereadPlantedHostCorruption(t *testing.T) {
	if testing.Short() {
		t.Skip("programs and a shrink under wazero")
	}
	const sig = "host re-read: file other content"
	tr := &tamperRuntime{name: pipeline.RuntimeWazero, inner: runner.NewWazero(), tamper: flipFirstByte}
	cfg := baseConfig(t, 120)
	cfg.SliceSize = 60
	cfg.Runner = func(string) (runner.Runner, error) { return tr, nil }
	cfg.Runtimes = []pipeline.Choice{{Name: pipeline.RuntimeWazero, Why: "host corrupted"}}
	cfg.Volumes = []string{pipeline.VolumeTmp, pipeline.VolumeData}
	cfg.Known = knownWazero
	cfg.NoShrink = false
	cfg.ShrinkTime = 90 * time.Second
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	sum.WriteReport(&b)
	var found *Sig
	for i, s := range sum.Sigs {
		if strings.HasPrefix(s.Signature, guestapi.DiffRereadPrefix) {
			if s.Signature != sig || s.Volume != pipeline.VolumeData || s.Known {
				t.Errorf("unexpected %s %s: %q (known %v)", s.Runtime, s.Volume, s.Signature, s.Known)
				continue
			}
			found = &sum.Sigs[i]
		}
	}
	if found == nil || found.Count < 10 {
		t.Fatalf("want %q on /data for many programs:\n%s", sig, b.String())
	}
	for _, r := range sum.Rows {
		switch {
		case r.Volume == pipeline.VolumeTmp && r.Reread != 0:
			t.Errorf("/tmp: %d programs re-read", r.Reread)
		case r.Volume == pipeline.VolumeData && (r.Verdict != pipeline.VerdictDiverged || r.Reread < found.Count):
			t.Errorf("/data: verdict %s, %d re-read, %d host re-read divergences", r.Verdict, r.Reread, found.Count)
		}
	}
	if !strings.Contains(b.String(), "REREAD") {
		t.Errorf("no REREAD column:\n%s", b.String())
	}
	// Shrunk: the host re-read of a --diff-program run sees it too.
	e, err := ParseEntry(found.Minimal)
	if err != nil {
		t.Fatalf("%v (shrink: %s)\n%s", err, found.ShrinkNote, b.String())
	}
	if len(e.Program) > 3 || found.Elsewhere["wazero /data"] != sig || found.Elsewhere["wazero /tmp"] != "" {
		t.Errorf("minimal program: %d steps, elsewhere %v\n%s", len(e.Program), found.Elsewhere, found.Explained)
	}
	t.Logf("minimal (%s):\n%s%s", found.ShrinkNote, found.MinimalText, found.Explained)

	// Known: suppressed, never hidden; --keep keeps the kept trees.
	known := filepath.Join(t.TempDir(), "known.txt")
	kb, _ := os.ReadFile(knownWazero)
	os.WriteFile(known, append(kb, "\n# the test's corruption\n"+sig+"\n"...), 0o644)
	cfg2 := baseConfig(t, 60)
	cfg2.Runner, cfg2.Runtimes, cfg2.Volumes = cfg.Runner, cfg.Runtimes, []string{pipeline.VolumeData}
	cfg2.Known, cfg2.Keep = known, true
	sum, err = Run(context.Background(), cfg2)
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	sum.WriteReport(&b)
	if !sum.Passed || sum.Rows[0].Suppressed != sum.Rows[0].Divergent {
		t.Errorf("with the signature known: want every divergence suppressed:\n%s", b.String())
	}
	trees, _ := filepath.Glob(filepath.Join(sum.RunDir, "work", "*", "data", rootName, diff.KeepDirName, "*"))
	if len(trees) != 60 {
		t.Errorf("--keep: %d kept trees left, want 60", len(trees))
	}
}

// A kept tree that is not there — one program's, or all of them — is a
// harness error of the cell, with a message that says so, not a panic
// and not a verdict.
func TestRereadMissingTreeIsAnError(t *testing.T) {
	for _, c := range []struct {
		name   string
		tamper func(data string)
		want   string
	}{
		{"one tree", func(data string) { os.RemoveAll(diff.KeptPath(filepath.Join(data, rootName), 7)) }, "program 7: its kept tree cannot be re-read"},
		{"no trees", func(data string) { os.RemoveAll(filepath.Join(data, rootName, diff.KeepDirName)) }, "no kept trees at "},
		{"a file instead", func(data string) {
			p := diff.KeptPath(filepath.Join(data, rootName), 3)
			os.RemoveAll(p)
			os.WriteFile(p, nil, 0o644)
		}, "program 3: its kept tree cannot be re-read"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg := baseConfig(t, 20)
			tr := &tamperRuntime{name: "fake", inner: mustRunner(t, "native"), native: cfg.Guest.Native, tamper: c.tamper}
			cfg.Runner = func(string) (runner.Runner, error) { return tr, nil }
			cfg.Runtimes = []pipeline.Choice{{Name: "fake", Why: "test"}}
			cfg.Volumes = []string{pipeline.VolumeData}
			sum, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			r := sum.Rows[0]
			if r.Verdict != pipeline.VerdictError || !strings.Contains(r.Note, "host re-read of programs 0..19: ") || !strings.Contains(r.Note, c.want) ||
				strings.Contains(r.Note, "\n") || sum.Passed {
				var b strings.Builder
				sum.WriteReport(&b)
				t.Fatalf("want ERROR with %q:\n%s", c.want, b.String())
			}
			t.Logf("%s", r.Note)
		})
	}
}
