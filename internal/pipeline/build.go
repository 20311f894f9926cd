package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// GuestPackage is the guest's main package, relative to the module root.
const GuestPackage = "./cmd/guest"

// Toolchain is what the go command will build with; part of every cache key
// because a different compiler or target can change what the guest does.
type Toolchain struct {
	GoVersion string // e.g. go1.26.8
	GOOS      string
	GOARCH    string
}

func (t Toolchain) String() string { return t.GoVersion + " " + t.GOOS + "/" + t.GOARCH }

// Guest is a built guest: both binaries and the hash of what they were
// built from.
type Guest struct {
	Native     string // path of the native binary
	Wasm       string // path of the wasip1 binary
	SourceHash string // hex sha256 over the guest's sources, go.mod, go.sum and the toolchain
	Toolchain  Toolchain
	Reused     bool // true when the stamp matched and nothing was rebuilt
}

// goCmd runs the go command in dir and returns its stdout; stderr goes into
// the error so that a broken build is reported with the compiler's words.
func goCmd(ctx context.Context, dir string, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("go %s: %s", strings.Join(args, " "), msg)
	}
	return out, nil
}

// ReadToolchain asks the go command (not this process's runtime, which may
// have been built by another Go) what it builds with.
func ReadToolchain(ctx context.Context, src string) (Toolchain, error) {
	out, err := goCmd(ctx, src, nil, "env", "GOVERSION", "GOOS", "GOARCH")
	if err != nil {
		return Toolchain{}, err
	}
	f := strings.Fields(string(out))
	if len(f) != 3 {
		return Toolchain{}, fmt.Errorf("go env: unexpected output %q", out)
	}
	return Toolchain{GoVersion: f[0], GOOS: f[1], GOARCH: f[2]}, nil
}

type listedPackage struct {
	Dir            string
	ImportPath     string
	Standard       bool
	GoFiles        []string
	CgoFiles       []string
	SFiles         []string
	IgnoredGoFiles []string
	EmbedFiles     []string
	Module         *struct{ Path string }
}

// SourceHash hashes every source file of every package of this module the
// guest depends on, for both the native and the wasip1 build (they differ by
// build tags), plus go.mod, go.sum and the toolchain. Files of other modules
// are pinned by go.sum. Any edit that could change the guest's behaviour
// changes the hash; edits to the orchestrator or tests do not.
func SourceHash(ctx context.Context, src string, tc Toolchain) (string, error) {
	files := map[string]bool{}
	for _, env := range [][]string{nil, {"GOOS=wasip1", "GOARCH=wasm"}} {
		out, err := goCmd(ctx, src, env, "list", "-deps", "-json", GuestPackage)
		if err != nil {
			return "", err
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		for {
			var p listedPackage
			if err := dec.Decode(&p); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return "", fmt.Errorf("go list: %v", err)
			}
			if p.Standard || p.Module == nil || !isWithin(src, p.Dir) {
				continue
			}
			for _, group := range [][]string{p.GoFiles, p.CgoFiles, p.SFiles, p.IgnoredGoFiles, p.EmbedFiles} {
				for _, f := range group {
					files[filepath.Join(p.Dir, f)] = true
				}
			}
		}
	}
	if len(files) == 0 {
		return "", fmt.Errorf("no guest sources found under %s (is this the fsx-wasix module?)", src)
	}
	files[filepath.Join(src, "go.mod")] = true
	files[filepath.Join(src, "go.sum")] = true
	names := make([]string, 0, len(files))
	for f := range files {
		names = append(names, f)
	}
	sort.Strings(names)
	h := sha256.New()
	fmt.Fprintf(h, "toolchain %s\n", tc)
	for _, name := range names {
		rel, _ := filepath.Rel(src, name)
		data, err := os.ReadFile(name)
		if err != nil {
			return "", err
		}
		// Length-prefixed so that moving bytes between files changes the hash.
		fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(rel), len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func isWithin(root, dir string) bool {
	rel, err := filepath.Rel(root, dir)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// stampName records the source hash the binaries in the build dir were
// built from; a matching stamp means the build can be skipped.
const stampName = ".fsx-wasix.stamp"

// BuildGuest builds the native and wasip1 guests from src into dir, unless
// the stamp there says they are already built from the same sources.
// Binaries are built under temporary names and renamed, and the stamp is
// written last, so an interrupted build is simply redone next time.
func BuildGuest(ctx context.Context, src, dir string, tc Toolchain) (Guest, error) {
	hash, err := SourceHash(ctx, src, tc)
	if err != nil {
		return Guest{}, err
	}
	g := Guest{
		Native:     filepath.Join(dir, "fsx-wasix"),
		Wasm:       filepath.Join(dir, "fsx-wasix.wasm"),
		SourceHash: hash,
		Toolchain:  tc,
	}
	upToDate := func() bool {
		stamp, err := os.ReadFile(filepath.Join(dir, stampName))
		return err == nil && strings.TrimSpace(string(stamp)) == hash && exists(g.Native) && exists(g.Wasm)
	}
	if upToDate() {
		g.Reused = true
		return g, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Guest{}, fmt.Errorf("build dir %s is not writable: %v", dir, unwrapPathError(err))
	}
	// Orchestrators sharing a build dir (parallel tests, two terminals) take
	// turns; the second finds the first's build up to date.
	lock, err := os.OpenFile(filepath.Join(dir, ".build.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return Guest{}, fmt.Errorf("build dir %s is not writable: %v", dir, unwrapPathError(err))
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return Guest{}, fmt.Errorf("locking the build dir: %v", err)
	}
	if upToDate() {
		g.Reused = true
		return g, nil
	}
	_ = os.Remove(filepath.Join(dir, stampName))
	for _, b := range []struct {
		out string
		env []string
	}{{g.Native, nil}, {g.Wasm, []string{"GOOS=wasip1", "GOARCH=wasm"}}} {
		tmp := b.out + ".tmp"
		if _, err := goCmd(ctx, src, b.env, "build", "-o", tmp, GuestPackage); err != nil {
			_ = os.Remove(tmp)
			return Guest{}, err
		}
		if err := os.Rename(tmp, b.out); err != nil {
			return Guest{}, err
		}
	}
	if err := WriteFileAtomic(filepath.Join(dir, stampName), []byte(hash+"\n")); err != nil {
		return Guest{}, err
	}
	return g, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// FindModuleRoot walks up from dir to the go.mod of the fsx-wasix module.
func FindModuleRoot(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && strings.Contains(string(data), "module github.com/fsx-wasix/fsx-wasix\n") {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("not inside the fsx-wasix source tree (no go.mod for github.com/fsx-wasix/fsx-wasix above %s); run from the clone or pass --src DIR", dir)
		}
		d = parent
	}
}
