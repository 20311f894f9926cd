package pipeline

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func testKey() CacheKey {
	return CacheKey{SourceHash: "s", CatalogHash: "c", Chain: 2, Start: 0, Count: 5832, Toolchain: Toolchain{"go1.26.8", "linux", "amd64"}}
}

func TestCacheKeyCoversEveryField(t *testing.T) {
	t.Parallel()
	base := testKey()
	seen := map[string]string{base.Hash(): "base"}
	variants := map[string]func(*CacheKey){
		"source":  func(k *CacheKey) { k.SourceHash = "s2" },
		"catalog": func(k *CacheKey) { k.CatalogHash = "c2" },
		"chain":   func(k *CacheKey) { k.Chain = 3 },
		"start":   func(k *CacheKey) { k.Start = 1 },
		"count":   func(k *CacheKey) { k.Count = 1 },
		"go":      func(k *CacheKey) { k.Toolchain.GoVersion = "go1.27" },
		"os":      func(k *CacheKey) { k.Toolchain.GOOS = "darwin" },
		"arch":    func(k *CacheKey) { k.Toolchain.GOARCH = "arm64" },
	}
	for name, mutate := range variants {
		k := base
		mutate(&k)
		h := k.Hash()
		if prev, dup := seen[h]; dup {
			t.Errorf("changing %s gives the same key as %s", name, prev)
		}
		seen[h] = name
	}
}

func TestCachePutGetAndCorruption(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := &Cache{Dir: filepath.Join(dir, "cache")}
	k := testKey()
	if p, err := c.Get(k); p != "" || err != nil {
		t.Fatalf("empty cache: Get = %q, %v", p, err)
	}
	src := filepath.Join(dir, "report.bin")
	os.WriteFile(src, []byte("report bytes"), 0o644)
	path, err := c.Put(k, src)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := c.Get(k); p != path || err != nil {
		t.Fatalf("after Put: Get = %q, %v; want %q", p, err, path)
	}
	// A flipped byte: warned about, removed, then a miss.
	os.WriteFile(path, []byte("report bytez"), 0o644)
	if _, err := c.Get(k); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Fatalf("corrupt entry: err = %v", err)
	}
	if p, err := c.Get(k); p != "" || err != nil {
		t.Fatalf("corrupt entry should be gone: Get = %q, %v", p, err)
	}
	// A report without its sidecar (write interrupted between the renames).
	c.Put(k, src)
	os.Remove(path + ".sum")
	if _, err := c.Get(k); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("entry without sidecar: err = %v", err)
	}
	// A truncated report.
	c.Put(k, src)
	os.Truncate(path, 3)
	if _, err := c.Get(k); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "bytes, want") {
		t.Fatalf("truncated entry: err = %v", err)
	}
	// The validator is consulted.
	c.Put(k, src)
	c.Validate = func(string) error { return errors.New("bad magic") }
	if _, err := c.Get(k); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "bad magic") {
		t.Fatalf("validator: err = %v", err)
	}
	// No temporary files are left behind.
	left, _ := filepath.Glob(filepath.Join(c.Dir, ".*tmp*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestCheckWritable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := CheckWritable(filepath.Join(dir, "cache"), "cache"); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	err := CheckWritable(filepath.Join(file, "cache"), "cache")
	if err == nil || strings.Count(err.Error(), "\n") != 0 || !strings.Contains(err.Error(), "not writable") {
		t.Fatalf("CheckWritable under a file: %v", err)
	}
}

// TestSourceHashFollowsGuestSources copies the module's guest sources into a
// temporary module and checks that an edit to a guest file changes the hash
// and an edit to a file the guest does not import does not.
func TestSourceHashFollowsGuestSources(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	t.Parallel()
	root, err := FindModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	// A copy of the module without tests and without the orchestrator.
	cp := exec.Command("sh", "-c", `tar -C "$0" --exclude='*_test.go' --exclude=./build --exclude=./cache --exclude=./oracle-runs --exclude=node_modules --exclude=.git -cf - . | tar -C "$1" -xf -`, root, tmp)
	if out, err := cp.CombinedOutput(); err != nil {
		t.Fatalf("copying the module: %v\n%s", err, out)
	}
	ctx := context.Background()
	tc, err := ReadToolchain(ctx, tmp)
	if err != nil {
		t.Fatal(err)
	}
	h1, err := SourceHash(ctx, tmp, tc)
	if err != nil {
		t.Fatal(err)
	}
	k1 := testKey()
	k1.SourceHash = h1

	// An unrelated file: the hash must not move.
	os.WriteFile(filepath.Join(tmp, "internal", "pipeline", "zz_extra.go"), []byte("package pipeline\n"), 0o644)
	if h, _ := SourceHash(ctx, tmp, tc); h != h1 {
		t.Fatalf("an edit outside the guest changed the source hash")
	}
	// A guest file: the hash and so the cache key must move.
	main := filepath.Join(tmp, "cmd", "guest", "main.go")
	data, _ := os.ReadFile(main)
	os.WriteFile(main, append(data, []byte("\n// an edit\n")...), 0o644)
	h2, err := SourceHash(ctx, tmp, tc)
	if err != nil {
		t.Fatal(err)
	}
	k2 := k1
	k2.SourceHash = h2
	if h2 == h1 || k2.Hash() == k1.Hash() {
		t.Fatalf("editing cmd/guest/main.go did not change the cache key")
	}
	// The toolchain is part of it too.
	if h3, _ := SourceHash(ctx, tmp, Toolchain{"go9", tc.GOOS, tc.GOARCH}); h3 == h2 {
		t.Fatalf("the Go version is not part of the source hash")
	}
}
