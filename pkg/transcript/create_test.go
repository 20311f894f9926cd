package transcript

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/internal/atomicfile"
)

// TestCreateGoesThroughAtomicfile: Create shares internal/atomicfile's
// temp-file-and-rename, so a report is readable by others (0644, not
// os.CreateTemp's 0600), whole after Close, and leaves no temporary file
// whether it was closed or aborted.
func TestCreateGoesThroughAtomicfile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "r.bin")
	writeFile(t, path, testHeader(0, 10))
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != atomicfile.Mode {
		t.Errorf("report mode %v, want %v", st.Mode().Perm(), atomicfile.Mode)
	}
	if _, err := Verify(path); err != nil {
		t.Fatal(err)
	}

	w, err := Create(filepath.Join(dir, "aborted.bin"), testHeader(0, 10))
	if err != nil {
		t.Fatal(err)
	}
	w.Write(rec(0))
	w.Abort()
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("files after an aborted Create: %v", ents)
	}

	// The error names the report, not the temporary file.
	_, err = Create(filepath.Join(dir, "missing", "r.bin"), testHeader(0, 1))
	if err == nil || strings.Contains(err.Error(), ".tmp-") || !strings.Contains(err.Error(), filepath.Join(dir, "missing", "r.bin")) {
		t.Errorf("err = %v", err)
	}
}
