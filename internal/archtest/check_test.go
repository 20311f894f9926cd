package archtest

// The checker: a pure function from one `go list -deps -json` graph and one
// rule to what the rule found. Running the go command is the harness's job
// (archtest_test.go), so the tests on a planted copy of the module use
// exactly this code.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// A target is one GOOS/GOARCH pair the module is listed for.
type target struct {
	name         string // how reports name it: "native", "wasip1"
	goos, goarch string
}

func (t target) String() string { return t.name + " (" + t.goos + "/" + t.goarch + ")" }

// A rule forbids a set of packages anywhere in the build of its subjects.
//
// Patterns are import paths in the go command's spirit: "./x" is the
// module's package x, any other path is taken as written (the standard
// library, other modules), and a trailing "/..." also takes every package
// below ("./..." is the whole module).
type rule struct {
	name      string
	subject   string   // pattern: the module packages the rule applies to
	forbidden []string // patterns no subject may reach through its imports
	targets   []target
	why       string
}

// pkg is the part of `go list -json` the checker reads.
type pkg struct {
	ImportPath string
	Imports    []string // resolved import paths, for the listed GOOS/GOARCH
	DepOnly    bool     // reached only as a dependency, not matched by ./...
	Module     *struct {
		Path string
		Main bool
	}
	Error *struct{ Err string }
}

// listFields is the -json field list that fills pkg.
const listFields = "ImportPath,Imports,DepOnly,Module,Error"

// graph is one `go list -deps -json ./...` answer: the module's packages and
// everything they build, for one target.
type graph struct {
	target target
	module string          // the main module's path
	pkgs   map[string]*pkg // by import path
	own    []string        // the module's packages (matched by ./...), sorted
}

// parseGraph reads the stream of JSON objects `go list -json` prints.
func parseGraph(r io.Reader, t target) (*graph, error) {
	g := &graph{target: t, pkgs: map[string]*pkg{}}
	dec := json.NewDecoder(r)
	for {
		p := new(pkg)
		err := dec.Decode(p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("go list output: %w", err)
		}
		g.pkgs[p.ImportPath] = p
		if !p.DepOnly && p.Module != nil && p.Module.Main {
			g.own = append(g.own, p.ImportPath)
			g.module = p.Module.Path
		}
	}
	if g.module == "" {
		return nil, errors.New("go list listed no package of the main module")
	}
	slices.Sort(g.own)
	return g, nil
}

// match reports whether importPath matches pattern (see rule).
func (g *graph) match(pattern, importPath string) bool {
	if rest, ok := strings.CutPrefix(pattern, "./"); ok {
		pattern = g.module + "/" + rest
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return importPath == base || strings.HasPrefix(importPath, base+"/")
	}
	return importPath == pattern
}

// short names a package as people say it: module packages relative to the
// module ("pkg/oracle"), the rest in full.
func (g *graph) short(importPath string) string {
	if rest, ok := strings.CutPrefix(importPath, g.module+"/"); ok {
		return rest
	}
	return importPath
}

// A violation is one forbidden package reached from a subject, or one
// package on the way that the go command could not list (so the rule could
// not be checked past it).
type violation struct {
	chain     []string // import paths, the subject first, the offender last
	forbidden string   // the pattern it matched; "" for a listing error
	err       string   // the go command's error, for a listing error
}

// report is what one rule found in one graph.
type report struct {
	rule       rule
	target     target
	subjects   []string // the module's packages the rule applied to
	reached    int      // packages reached from the subjects, forbidden ones included
	violations []violation
}

// check applies r to g: from every module package matching r.subject it
// walks the imports breadth first, so each chain it reports is a shortest
// one. A forbidden package is reported once per subject and not walked
// further: what it imports in turn is its own business, and reporting it
// again would bury the one import that crossed the line.
func check(g *graph, r rule) report {
	rep := report{rule: r, target: g.target}
	for _, subject := range g.own {
		if !g.match(r.subject, subject) {
			continue
		}
		rep.subjects = append(rep.subjects, subject)
		parent := map[string]string{subject: ""}
		chain := func(to string) []string {
			var c []string
			for p := to; p != ""; p = parent[p] {
				c = append(c, p)
			}
			slices.Reverse(c)
			return c
		}
		queue := []string{subject}
		for len(queue) > 0 {
			from := queue[0]
			queue = queue[1:]
			p := g.pkgs[from]
			if p == nil {
				rep.violations = append(rep.violations, violation{chain: chain(from), err: "not in the go list output"})
				continue
			}
			if p.Error != nil {
				rep.violations = append(rep.violations, violation{chain: chain(from), err: p.Error.Err})
			}
			for _, imp := range p.Imports {
				if _, seen := parent[imp]; seen || imp == "C" { // "C" is cgo, not a package
					continue
				}
				parent[imp] = from
				if i := slices.IndexFunc(r.forbidden, func(f string) bool { return g.match(f, imp) }); i >= 0 {
					rep.violations = append(rep.violations, violation{chain: chain(imp), forbidden: r.forbidden[i]})
					continue
				}
				queue = append(queue, imp)
			}
		}
		rep.reached += len(parent) - 1
	}
	return rep
}

// format renders a violation as "native (linux/amd64): cmd/guest ->
// pkg/oracle -> internal/runner".
func (g *graph) format(v violation) string {
	names := make([]string, len(v.chain))
	for i, p := range v.chain {
		names[i] = g.short(p)
	}
	s := g.target.String() + ": " + strings.Join(names, " -> ")
	if v.forbidden == "" {
		s += " (cannot be listed, so not checked past it: " + v.err + ")"
	}
	return s
}

// chains returns the formatted chains of the forbidden imports in rep, for
// tests that look for one.
func (g *graph) chains(rep report) []string {
	var out []string
	for _, v := range rep.violations {
		if v.forbidden != "" {
			out = append(out, g.format(v))
		}
	}
	return out
}
