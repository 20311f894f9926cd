package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// cacheFormat is bumped when the layout of cache entries changes, so old
// entries are never misread.
const cacheFormat = 2 // 2: transcript format 2 (the oracle's fields in the header's Meta)

// CacheKey names one native oracle report. It covers everything that could
// change the report's bytes: the guest (its source hash), the catalog, the
// chain length, which cases, and the toolchain and platform that ran it.
type CacheKey struct {
	SourceHash  string
	CatalogHash string
	Chain       int
	Start       int64
	Count       int64
	Toolchain   Toolchain
}

// Hash is the key's identity: sha256 over a canonical text of every field.
func (k CacheKey) Hash() string {
	s := fmt.Sprintf("fsx-wasix native oracle cache v%d\nsource %s\ncatalog %s\nchain %d\ncases %d+%d\ngo %s\nplatform %s/%s\n",
		cacheFormat, k.SourceHash, k.CatalogHash, k.Chain, k.Start, k.Count, k.Toolchain.GoVersion, k.Toolchain.GOOS, k.Toolchain.GOARCH)
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Cache stores native oracle reports by key. An entry is a report file plus
// a sidecar holding its length and sha256, both written atomically, the
// sidecar last: an entry without a matching sidecar is incomplete or corrupt
// and is treated as a miss, with a warning.
type Cache struct {
	Dir string
	// Validate, when set, is a further check of a report on a hit (for
	// example reading its transcript header and trailer).
	Validate func(path string) error
}

// Path is where the entry for key lives (whether or not it exists yet).
// The name starts with the chain and case range so a person can find it.
func (c *Cache) Path(k CacheKey) string {
	return filepath.Join(c.Dir, fmt.Sprintf("native-L%d-%d+%d-%s.bin", k.Chain, k.Start, k.Count, k.Hash()[:20]))
}

// ErrCorrupt marks a cache entry that exists but cannot be trusted.
var ErrCorrupt = errors.New("corrupt cache entry")

// Get returns the entry's path when it exists and checks out. A missing
// entry is (“”, nil). A corrupt one is removed and reported as an error
// wrapping ErrCorrupt, which the caller shows as a warning and treats as a
// miss.
func (c *Cache) Get(k CacheKey) (string, error) {
	path := c.Path(k)
	sum, err := os.ReadFile(path + ".sum")
	if errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(path); err == nil {
			c.remove(path)
			return "", fmt.Errorf("%w %s: no checksum file (an interrupted write?); rebuilding it", ErrCorrupt, path)
		}
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("%w %s: %v; rebuilding it", ErrCorrupt, path, err)
	}
	if err := checkSum(path, string(sum)); err != nil {
		c.remove(path)
		return "", fmt.Errorf("%w %s: %v; rebuilding it", ErrCorrupt, path, err)
	}
	if c.Validate != nil {
		if err := c.Validate(path); err != nil {
			c.remove(path)
			return "", fmt.Errorf("%w %s: %v; rebuilding it", ErrCorrupt, path, err)
		}
	}
	return path, nil
}

// Put copies the report at src into the cache under k.
func (c *Cache) Put(k CacheKey, src string) (string, error) {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return "", fmt.Errorf("cache: %v", err)
	}
	path := c.Path(k)
	// Remove the old sidecar first: between the two renames below, the entry
	// must look incomplete rather than valid with stale contents.
	_ = os.Remove(path + ".sum")
	if err := CopyFileAtomic(path, src); err != nil {
		return "", fmt.Errorf("cache: %v", err)
	}
	sum, size, err := fileSum(path)
	if err != nil {
		return "", fmt.Errorf("cache: %v", err)
	}
	if err := WriteFileAtomic(path+".sum", []byte(fmt.Sprintf("%s %d\n", sum, size))); err != nil {
		return "", fmt.Errorf("cache: %v", err)
	}
	return path, nil
}

func (c *Cache) remove(path string) {
	_ = os.Remove(path)
	_ = os.Remove(path + ".sum")
}

// CheckWritable fails with one line when the cache directory cannot be
// created or written, before any work is done.
func CheckWritable(dir, what string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("%s %s is not writable: %v", what, dir, unwrapPathError(err))
	}
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return fmt.Errorf("%s %s is not writable: %v", what, dir, unwrapPathError(err))
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

func checkSum(path, sidecar string) error {
	f := strings.Fields(sidecar)
	if len(f) != 2 {
		return errors.New("unreadable checksum file")
	}
	wantSize, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return errors.New("unreadable checksum file")
	}
	sum, size, err := fileSum(path)
	if err != nil {
		return err
	}
	if size != wantSize {
		return fmt.Errorf("%d bytes, want %d", size, wantSize)
	}
	if sum != f[0] {
		return errors.New("checksum mismatch")
	}
	return nil
}

func fileSum(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
