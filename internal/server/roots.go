package server

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// resolveCwd checks that cwd names an existing directory inside one of the
// allowed roots and returns its real path (symlinks resolved). The run uses
// the real path, so a symlink swapped in after the check cannot widen what
// was approved beyond that directory's own subtree.
func resolveCwd(cwd string, roots []string) (string, *paramError) {
	if strings.ContainsRune(cwd, 0) {
		return "", errParam("cwd", "contains a NUL byte")
	}
	if !filepath.IsAbs(cwd) {
		return "", errParam("cwd", "%q is not an absolute path", cwd)
	}
	// ".." is refused outright rather than cleaned away: a request that walks
	// up is either a mistake or a probe, and neither should run.
	for _, el := range strings.Split(cwd, "/") {
		if el == ".." {
			return "", errParam("cwd", "%q contains \"..\"", cwd)
		}
	}
	// Outside every root (by name) the answer is the same whether the path
	// exists or not: the server must not tell a client what is on the host.
	inside := false
	for _, root := range roots {
		rr, err := filepath.EvalSymlinks(root)
		inside = inside || within(filepath.Clean(cwd), filepath.Clean(root)) || err == nil && within(filepath.Clean(cwd), rr)
	}
	if !inside {
		return "", errParam("cwd", "%q is outside the allowed roots %v", cwd, roots)
	}
	real, err := filepath.EvalSymlinks(filepath.Clean(cwd))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", errParam("cwd", "%q does not exist", cwd)
		}
		return "", errParam("cwd", "%q cannot be resolved: %v", cwd, err)
	}
	st, err := os.Stat(real)
	if err != nil {
		return "", errParam("cwd", "%q: %v", cwd, err)
	}
	if !st.IsDir() {
		return "", errParam("cwd", "%q is not a directory", cwd)
	}
	for _, root := range roots {
		rr, err := filepath.EvalSymlinks(root)
		if err != nil {
			continue // a root that does not exist here (no /data volume) allows nothing
		}
		if within(real, rr) {
			return real, nil
		}
	}
	if real != filepath.Clean(cwd) {
		return "", errParam("cwd", "%q resolves to %q, outside the allowed roots %v", cwd, real, roots)
	}
	return "", errParam("cwd", "%q is outside the allowed roots %v", cwd, roots)
}

// within reports whether p is root or below it; both are clean real paths.
func within(p, root string) bool {
	if root == "/" {
		return true
	}
	return p == root || strings.HasPrefix(p, root+"/")
}

// checkFile accepts a plain file name: one path element, nothing that walks.
func checkFile(name string) *paramError {
	switch {
	case name == "." || name == "..":
		return errParam("file", "%q is not a file name", name)
	case strings.ContainsAny(name, "/\\"):
		return errParam("file", "%q must be a plain name, without directories", name)
	case strings.ContainsRune(name, 0):
		return errParam("file", "contains a NUL byte")
	case len(name) > 200: // room for the .fsxgood/.fsxlog/.fsxops suffixes under NAME_MAX
		return errParam("file", "longer than 200 bytes")
	}
	return nil
}

// workerPaths are the files a run touches: exerciser.Options.Path's rule,
// dir/thread-K/base for K = 1..threads when threads > 1.
func workerPaths(dir, file string, threads int) []string {
	if threads <= 1 {
		return []string{filepath.Join(dir, file)}
	}
	out := make([]string, threads)
	for k := range out {
		out[k] = filepath.Join(dir, "thread-"+strconv.Itoa(k+1), file)
	}
	return out
}

// checkWorkerPaths refuses a run whose files or thread-K directories exist as
// something other than what the exerciser would create: a symlink there would
// send its writes outside the allowed roots.
func checkWorkerPaths(dir string, paths []string) *paramError {
	for _, p := range paths {
		if d := filepath.Dir(p); d != dir {
			if st, err := os.Lstat(d); err == nil && !st.IsDir() {
				return errParam("cwd", "%q exists and is not a directory (symlinks are refused)", d)
			}
		}
		if st, err := os.Lstat(p); err == nil && !st.Mode().IsRegular() {
			return errParam("file", "%q exists and is not a regular file (symlinks are refused)", p)
		}
	}
	return nil
}

// Alias maps the path prefix From to To.
type Alias struct{ From, To string }

// ParseAliases parses FSX_VOLUME_MAP: "FROM=TO" pairs separated by commas,
// both absolute.
func ParseAliases(s string) ([]Alias, error) {
	var as []Alias
	for _, kv := range strings.Split(s, ",") {
		if kv == "" {
			continue
		}
		from, to, ok := strings.Cut(kv, "=")
		if !ok || !filepath.IsAbs(from) || !filepath.IsAbs(to) {
			return nil, errors.New("FSX_VOLUME_MAP: want FROM=TO pairs of absolute paths, got " + strconv.Quote(kv))
		}
		as = append(as, Alias{filepath.Clean(from), filepath.Clean(to)})
	}
	return as, nil
}

// applyAliases rewrites p when it is an alias's From or below it. Paths
// with ".." are left alone for resolveCwd to refuse.
func applyAliases(p string, as []Alias) string {
	for _, a := range as {
		if p == a.From || strings.HasPrefix(p, a.From+"/") {
			return a.To + p[len(a.From):]
		}
	}
	return p
}
