package server

import (
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fsx-wasix/fsx-wasix/pkg/exerciser"
	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
)

// runRequest is one parsed /run request, before the paths are resolved.
type runRequest struct {
	Cwd      string
	File     string
	NumOps   int64
	Threads  int
	Seed     uint64
	SeedSet  bool
	Config   exerciser.Config
	Timeout  time.Duration
	Inject   int64
	explicit map[string]bool // canonical names given by the client
}

// paramError is a 4xx answer that names the parameter at fault.
type paramError struct {
	Param string
	Msg   string
}

func (e *paramError) Error() string {
	if e.Param == "" {
		return e.Msg
	}
	// The name may be the client's (an unknown parameter): quoted unless
	// it is a plain word, so no byte of it (a newline, an escape) reaches
	// a log line raw.
	if strings.IndexFunc(e.Param, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
	}) >= 0 {
		return strconv.Quote(e.Param) + ": " + e.Msg
	}
	return e.Param + ": " + e.Msg
}

func errParam(name, format string, a ...any) *paramError {
	return &paramError{Param: name, Msg: fmt.Sprintf(format, a...)}
}

// param is one accepted parameter: its canonical name, its aliases, and how
// it lands in the request. Unknown names are rejected rather than ignored so
// a typo in a weight name ("wirte=5") cannot silently run the default mix.
type param struct {
	name    string
	aliases []string
	set     func(r *runRequest, v string, lim Limits) *paramError
}

// params are the /run parameters; the op weights, one per random-mode op
// under its fsop name, are appended by weightParams.
var params = append([]param{
	{name: "cwd", set: func(r *runRequest, v string, _ Limits) *paramError { r.Cwd = v; return nil }},
	{name: "file", aliases: []string{"path"}, set: func(r *runRequest, v string, _ Limits) *paramError { r.File = v; return nil }},
	{name: "numops", aliases: []string{"n"}, set: func(r *runRequest, v string, lim Limits) *paramError {
		n, err := parseInt("numops", v, 0, lim.MaxNumOps, "--max-numops")
		r.NumOps = n
		return err
	}},
	{name: "threads", aliases: []string{"j"}, set: func(r *runRequest, v string, lim Limits) *paramError {
		n, err := parseInt("threads", v, 1, int64(lim.MaxThreads), "--max-threads")
		r.Threads = int(n)
		return err
	}},
	{name: "seed", set: func(r *runRequest, v string, _ Limits) *paramError {
		n, err := parseUint("seed", v)
		r.Seed, r.SeedSet = n, true
		return err
	}},
	{name: "flen", set: func(r *runRequest, v string, lim Limits) *paramError {
		n, err := parseUint("flen", v)
		if err == nil && n > lim.MaxFileLen {
			err = errParam("flen", "%d exceeds the server's cap %d (--max-flen)", n, lim.MaxFileLen)
		}
		r.Config.FileLen = n
		return err
	}},
	{name: "nosizechecks", set: func(r *runRequest, v string, _ Limits) *paramError {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errParam("nosizechecks", "want true or false, got %q", v)
		}
		r.Config.NoSizeChecks = b
		return nil
	}},
	uintParam("opsize_min", func(r *runRequest) *uint64 { return &r.Config.OpSize.Min }),
	uintParam("opsize_max", func(r *runRequest) *uint64 { return &r.Config.OpSize.Max }),
	uintParam("opsize_align", func(r *runRequest) *uint64 { return &r.Config.OpSize.Align }),
	{name: "timeout_ms", set: func(r *runRequest, v string, lim Limits) *paramError {
		n, err := parseInt("timeout_ms", v, 1, lim.MaxRunTime.Milliseconds(), "--max-run-time")
		r.Timeout = time.Duration(n) * time.Millisecond
		return err
	}},
	// inject is the CLI's --inject over HTTP: op N is applied to the model
	// only, a deliberate verification failure. It exists for self-tests (the
	// 500 path) and touches nothing outside the run's own files.
	{name: "inject", set: func(r *runRequest, v string, _ Limits) *paramError {
		n, err := parseInt("inject", v, 0, math.MaxInt64, "")
		r.Inject = n
		return err
	}},
}, weightParams()...)

// weightParams are the op weights: one parameter per random-mode op, named
// as the config key (fsop's name).
func weightParams() []param {
	var ps []param
	for _, k := range fsop.RandomKinds() {
		ps = append(ps, uintParam(k.String(), func(r *runRequest) *uint64 { return r.Config.Weights.Of(k) }))
	}
	return ps
}

func uintParam(name string, field func(*runRequest) *uint64) param {
	return param{name: name, set: func(r *runRequest, v string, _ Limits) *paramError {
		n, err := parseUint(name, v)
		*field(r) = n
		return err
	}}
}

// parseUint accepts decimal digits only: no sign, no hex, no spaces, and
// overflow is an error rather than a wrap.
func parseUint(name, v string) (uint64, *paramError) {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, errParam(name, "%q overflows a 64-bit unsigned integer", v)
		}
		return 0, errParam(name, "want a non-negative decimal integer, got %q", v)
	}
	return n, nil
}

func parseInt(name, v string, lo, hi int64, capFlag string) (int64, *paramError) {
	if strings.HasPrefix(v, "+") { // ParseInt takes "+5"; keep one spelling per number
		return 0, errParam(name, "want a decimal integer without a sign, got %q", v)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, errParam(name, "%q overflows a 64-bit integer", v)
		}
		return 0, errParam(name, "want a decimal integer, got %q", v)
	}
	if n < lo {
		return 0, errParam(name, "must be at least %d, got %d", lo, n)
	}
	if n > hi {
		if capFlag != "" {
			return 0, errParam(name, "%d exceeds the server's cap %d (%s)", n, hi, capFlag)
		}
		return 0, errParam(name, "must be at most %d, got %d", hi, n)
	}
	return n, nil
}

// byName maps every accepted name, canonical or alias, to its parameter.
var byName = func() map[string]*param {
	m := map[string]*param{}
	for i := range params {
		p := &params[i]
		m[p.name] = p
		for _, a := range p.aliases {
			m[a] = p
		}
	}
	return m
}()

// parseRun turns form values into a request. Defaults come from base (the
// exerciser's DefaultConfig, so the CLI and the server share them) and from
// the server's options; the exerciser's Config.Validate runs later on the
// result.
func parseRun(form url.Values, base exerciser.Config, def runDefaults, lim Limits) (runRequest, *paramError) {
	r := runRequest{
		Config:   base,
		NumOps:   def.NumOps,
		Threads:  def.Threads,
		Timeout:  lim.MaxRunTime,
		explicit: map[string]bool{},
	}
	// Sorted so the first error reported is the same on every call.
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p, ok := byName[k]
		if !ok {
			return r, errParam(k, "unknown parameter (accepted: %s)", strings.Join(names(), ", "))
		}
		if vs := form[k]; len(vs) != 1 {
			return r, errParam(k, "given %d times; give it once", len(vs))
		}
		if r.explicit[p.name] {
			return r, errParam(p.name, "given twice (as %q and an alias); give it once", k)
		}
		r.explicit[p.name] = true
		if err := p.set(&r, form[k][0], lim); err != nil {
			return r, err
		}
	}
	if r.Cwd == "" {
		return r, errParam("cwd", "required (a directory under an allowed root, such as /tmp)")
	}
	if r.File == "" {
		return r, errParam("file", "required (a plain file name, such as fsxfile)")
	}
	if total := r.Config.FileLen * uint64(r.Threads); r.Config.FileLen != 0 &&
		(total/uint64(r.Threads) != r.Config.FileLen || total > lim.MaxTotalFileLen) {
		return r, errParam("flen", "flen × threads = %d × %d exceeds the server's cap %d on the bytes all workers may hold (--max-total-flen)",
			r.Config.FileLen, r.Threads, lim.MaxTotalFileLen)
	}
	return r, nil
}

func names() []string {
	out := make([]string, 0, len(byName))
	for k := range byName {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
