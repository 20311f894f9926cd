package archtest

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

var (
	native = target{"native", runtime.GOOS, runtime.GOARCH}
	wasip1 = target{"wasip1", "wasip1", "wasm"}
	both   = []target{native, wasip1}
)

// rules is every import rule of the module, one line each; docs/architecture.md
// draws them. A rule whose subject does not exist (yet) checks nothing and
// says so in the test log.
var rules = []rule{
	{"guest-is-not-host", "./cmd/guest", []string{"./internal/runner/...", "./internal/pipeline/...", "./internal/faultfs/...", "./cmd/orchestrate/...", "./cmd/wazero-run/...", "github.com/tetratelabs/wazero/..."}, both,
		"the guest is what runs inside the runtimes under test; runners, the pipeline, the fault layer and the embedded wazero runtime drive guests from the host"},
	{"guest-spawns-nothing", "./cmd/guest", []string{"os/exec"}, both,
		"WASI has no processes (os/exec builds for wasip1 but every Start fails), and the guest must do the same thing natively and under a runtime"},
	{"transcript-is-framing", "./pkg/transcript", []string{"./pkg/oracle/...", "./pkg/exerciser/...", "./pkg/fsop/...", "./pkg/shrink/...", "./pkg/guestapi/..."}, both,
		"transcripts are opaque records between a header and a trailer; the format is read, merged and fuzzed without knowing what an op is, and op semantics change without touching it"},
	{"fsop-is-vocabulary", "./pkg/fsop", []string{"./..."}, both,
		"the op vocabulary (ops as values, outcomes, error kinds, the .fsxops codec) is what every other package speaks, so it can import none of them"},
}

// TestImportRules checks every rule against the module as it is.
func TestImportRules(t *testing.T) {
	root, _ := moduleRoot(t)
	graphs := listGraphs(t, root)
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			var found []string
			for _, tg := range r.targets {
				g := graphs[tg]
				rep := check(g, r)
				if len(rep.subjects) == 0 {
					t.Logf("%s: no package matches %s, nothing to check (yet)", tg, r.subject)
					continue
				}
				t.Logf("%s: %s builds %d other packages; violations: %d", tg, shortAll(g, rep.subjects), rep.reached, len(rep.violations))
				for _, v := range rep.violations {
					found = append(found, g.format(v))
				}
			}
			if len(found) > 0 {
				t.Errorf("rule %q is broken (%s):\n\t%s", r.name, r.why, strings.Join(found, "\n\t"))
			}
		})
	}
}

// TestPlantedImportsAreCaught proves the checker sees a real violation: it
// plants a forbidden import into a copy of the module and expects exactly
// that chain, on every target of the rule.
func TestPlantedImportsAreCaught(t *testing.T) {
	root, module := moduleRoot(t)
	cases := []struct {
		rule    string
		dir     string // where the planted file goes
		pkgName string // its package clause
		imports string // module-relative path it imports
		want    string // the chain the rule must report
	}{
		{"guest-is-not-host", "pkg/oracle", "oracle", "internal/runner", "cmd/guest -> pkg/oracle -> internal/runner"},
		{"transcript-is-framing", "pkg/transcript", "transcript", "pkg/oracle", "pkg/transcript -> pkg/oracle"},
	}
	for _, c := range cases {
		t.Run(c.dir+" imports "+c.imports, func(t *testing.T) {
			t.Parallel()
			i := slices.IndexFunc(rules, func(r rule) bool { return r.name == c.rule })
			if i < 0 {
				t.Fatalf("no rule %q", c.rule)
			}
			r := rules[i]

			dir := copyModule(t, root)
			plant := "package " + c.pkgName + "\n\nimport _ \"" + module + "/" + c.imports + "\"\n"
			if err := os.WriteFile(filepath.Join(dir, c.dir, "zz_archtest_plant.go"), []byte(plant), 0o644); err != nil {
				t.Fatal(err)
			}
			// The copy must not reach the network: everything it needs is
			// already in the module cache.
			graphs := listGraphs(t, dir, "GOPROXY=off")
			for _, tg := range r.targets {
				g := graphs[tg]
				rep := check(g, r)
				for _, v := range rep.violations {
					t.Logf("reported: %s", g.format(v))
				}
				got := g.chains(rep)
				want := []string{tg.String() + ": " + c.want}
				if !slices.Equal(got, want) {
					t.Errorf("rule %q on the planted copy:\ngot  %q\nwant %q", r.name, got, want)
				}
			}
		})
	}
}

// goCmd runs the go command in dir for this module alone (no workspace).
func goCmd(t *testing.T, dir string, env []string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	cmd.Env = append(cmd.Env, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s (in %s, %s): %v\n%s", strings.Join(args, " "), dir, strings.Join(env, " "), err, stderr.Bytes())
	}
	return out
}

// moduleRoot returns the directory and path of the module under test.
func moduleRoot(t *testing.T) (dir, path string) {
	t.Helper()
	out := strings.Fields(string(goCmd(t, ".", nil, "list", "-m", "-f", "{{.Dir}} {{.Path}}")))
	if len(out) != 2 {
		t.Fatalf("go list -m: %q", out)
	}
	return out[0], out[1]
}

// listGraphs lists the module in dir once per target any rule names.
func listGraphs(t *testing.T, dir string, env ...string) map[target]*graph {
	t.Helper()
	graphs := map[target]*graph{}
	for _, r := range rules {
		for _, tg := range r.targets {
			if graphs[tg] != nil {
				continue
			}
			tenv := append([]string{"GOOS=" + tg.goos, "GOARCH=" + tg.goarch}, env...)
			// -e: a broken package is reported by the rule that reaches it,
			// not by failing the whole listing.
			out := goCmd(t, dir, tenv, "list", "-e", "-deps", "-json="+listFields, "./...")
			g, err := parseGraph(bytes.NewReader(out), tg)
			if err != nil {
				t.Fatalf("%s: %v", tg, err)
			}
			graphs[tg] = g
		}
	}
	return graphs
}

// copyModule copies the module's Go sources (go.mod, go.sum and *.go files)
// into a temporary directory, leaving out outputs, dependencies and
// version control.
func copyModule(t *testing.T, root string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			top := filepath.Dir(rel) == "."
			switch {
			case rel == ".":
			case strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "node_modules",
				top && slices.Contains([]string{"build", "cache", "oracle-runs", "wasmer-data"}, name):
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if name != "go.mod" && name != "go.sum" && !strings.HasSuffix(name, ".go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func shortAll(g *graph, paths []string) string {
	s := make([]string, len(paths))
	for i, p := range paths {
		s[i] = g.short(p)
	}
	return strings.Join(s, ", ")
}
