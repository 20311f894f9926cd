package exerciser

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/internal/atomicfile"
)

// TestArtifactsWrittenAtomically: the failure artifacts go through
// internal/atomicfile, so they are whole, readable by others (0644, not
// os.CreateTemp's 0600) and leave no temporary file behind.
func TestArtifactsWrittenAtomically(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	art := filepath.Join(dir, "art")
	res, out := run(t, Options{Config: smallConfig(), Seed: 1, NumOps: 500, Inject: 50, Path: filepath.Join(dir, "f"), ArtifactDir: art})
	if res.Workers[0].Failure == nil {
		t.Fatalf("--inject 50 did not fail:\n%s", out)
	}
	ents, err := os.ReadDir(art)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
		st, err := os.Stat(filepath.Join(art, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if runtime.GOOS != "windows" && st.Mode().Perm() != atomicfile.Mode {
			t.Errorf("%s: mode %v, want %v", e.Name(), st.Mode().Perm(), atomicfile.Mode)
		}
	}
	for _, ext := range []string{".fsxgood", ".fsxlog", ".fsxops"} {
		if _, err := os.Stat(filepath.Join(art, "f"+ext)); err != nil {
			t.Errorf("artifact missing (have %v): %v", names, err)
		}
	}
}
