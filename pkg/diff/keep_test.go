package diff

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
	"github.com/fsx-wasix/fsx-wasix/pkg/transcript"
)

// TestKeptTreesAreTheFinalSnapshots: a --diff-keep run answers exactly as
// a run that empties its case directory (same records), leaves one tree
// per program, and SnapshotTree of each — the host's re-read — is the
// program's final snapshot without the stream verdicts. Corrupting a kept
// file, removing one or adding one is seen with the right signature; a
// missing tree is an error, not a snapshot.
func TestKeptTreesAreTheFinalSnapshots(t *testing.T) {
	t.Parallel()
	const n = 300
	cfg := DefaultConfig()
	base := Options{Seed: 5, Config: cfg, Programs: n, Count: n}
	native := filepath.Join(t.TempDir(), "native.bin")
	o := base
	o.Root, o.Output = filepath.Join(t.TempDir(), "r1"), native
	if _, err := Execute(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(otherFS(t), "r2")
	o = base
	o.Root, o.Expected, o.Keep = root, native, true
	res, err := Execute(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Comparer; c.Compared != n || c.Divergent != 0 || len(res.Divergent) != 0 {
		t.Fatalf("keep run against the emptying run: compared %d, %d divergent (%v)", c.Compared, c.Divergent, res.Divergent)
	}
	if _, err := os.Stat(filepath.Join(root, CaseDirName)); err == nil {
		t.Errorf("a keep run made %s", CaseDirName)
	}
	ents, _ := os.ReadDir(filepath.Join(root, KeepDirName))
	if len(ents) != n {
		t.Fatalf("%d kept trees, want %d", len(ents), n)
	}

	r, err := transcript.Open(native)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	files, dirs, streams := 0, 0, 0
	var sample []Entry // the final snapshot of a program with a non-empty file
	sampleK := int64(-1)
	for k := int64(0); k < n; k++ {
		rec, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		d, err := DecodeRecord(rec, Generate(5, k, cfg))
		if err != nil {
			t.Fatal(err)
		}
		host, err := SnapshotTree(KeptPath(root, k))
		if err != nil {
			t.Fatal(err)
		}
		if sig := RereadSignature(d.Final, host); sig != "" {
			t.Fatalf("program %d: %s\nfinal %v\nhost  %v", k, sig, d.Final, host)
		}
		for _, e := range d.Final {
			switch {
			case strings.HasSuffix(e.Path, " stream"):
				streams++
			case e.Path == "." || strings.HasSuffix(e.Path, "/"):
				dirs++
			default:
				files++
				if sampleK < 0 && e.O.Err == fsop.OK && e.O.Value > 0 && e.Path == "A" {
					sample, sampleK = d.Final, k
				}
			}
		}
	}
	t.Logf("%d programs: %d files, %d directories, %d stream verdicts (left out) compared", n, files, dirs, streams)
	if files < n/2 || dirs < n || streams == 0 || sampleK < 0 {
		t.Fatalf("too little to compare: %d files, %d dirs, %d streams", files, dirs, streams)
	}

	// What the host sees changed, each with its signature.
	tree := KeptPath(root, sampleK)
	a := filepath.Join(tree, "A")
	data, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	check := func(what, want string) {
		t.Helper()
		host, err := SnapshotTree(tree)
		if err != nil {
			t.Fatal(err)
		}
		if got := RereadSignature(sample, host); got != want {
			t.Errorf("%s: signature %q, want %q", what, got, want)
		}
	}
	flipped := slices.Clone(data)
	flipped[len(flipped)/2] ^= 0xff
	os.WriteFile(a, flipped, 0o644)
	check("a flipped byte", "host re-read: file other content")
	os.WriteFile(a, data[:len(data)-1], 0o644)
	check("one byte short", "host re-read: file other length")
	os.WriteFile(a, data, 0o644)
	check("restored", "")
	os.WriteFile(filepath.Join(tree, "Z"), nil, 0o644)
	check("a name no program makes", "host re-read: dir other names")
	os.Remove(filepath.Join(tree, "Z"))
	os.Remove(a)
	check("removed", "host re-read: dir other names")

	if _, err := SnapshotTree(KeptPath(root, n)); err == nil {
		t.Errorf("the tree of a program that did not run: no error")
	}
}
