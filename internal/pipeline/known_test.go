package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/internal/testutil"
)

// A cell suppresses --known plus its runtime version's list; another
// version's list, or none, adds nothing.
func TestKnownForJoinsFileAndVersionList(t *testing.T) {
	dir := t.TempDir()
	user := filepath.Join(dir, "user.txt")
	os.WriteFile(user, []byte("read: EBADF -> EACCES"), 0o644) // no final newline
	kd := filepath.Join(dir, "known")
	os.Mkdir(kd, 0o755)
	os.WriteFile(filepath.Join(kd, KnownListName(RuntimeWazero)), []byte("write: ok -> EIO\n"), 0o644)
	os.WriteFile(filepath.Join(kd, RuntimeWasmer+"-0.0.1.txt"), []byte("never: ok -> EIO\n"), 0o644)

	text, from, err := knownFor(Config{Known: user, KnownDir: kd}, RuntimeWazero)
	if err != nil {
		t.Fatal(err)
	}
	if string(text) != "read: EBADF -> EACCES\nwrite: ok -> EIO\n" || len(from) != 2 {
		t.Errorf("wazero: %q from %v", text, from)
	}
	text, from, err = knownFor(Config{KnownDir: kd}, RuntimeWasmer)
	if err != nil || len(text) != 0 || len(from) != 0 {
		t.Errorf("wasmer %s has no list here, got %q from %v (%v)", RuntimeVersion(RuntimeWasmer), text, from, err)
	}
	if _, _, err := knownFor(Config{Known: filepath.Join(dir, "missing.txt")}, RuntimeWazero); err == nil || !strings.Contains(err.Error(), "--known") {
		t.Errorf("a missing --known file: %v", err)
	}
}

// The repository ships a known list for the version of every runtime this
// build pins: bumping a runtime without looking at its divergences fails
// here, not silently in a user's CI.
func TestShippedKnownListsMatchPinnedVersions(t *testing.T) {
	for _, rt := range KnownRuntimes {
		p := filepath.Join(testutil.RepoRoot(), "known", KnownListName(rt))
		b, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("%s %s: no shipped known list: %v", rt, RuntimeVersion(rt), err)
			continue
		}
		lines := 0
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				lines++
				if !strings.Contains(l, " -> ") {
					t.Errorf("%s: %q is not a divergence signature (WANT -> GOT)", p, l)
				}
			}
		}
		if lines == 0 {
			t.Errorf("%s: no signatures", p)
		}
	}
}
