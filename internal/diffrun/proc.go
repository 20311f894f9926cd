package diffrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/pipeline"
	"github.com/fsx-wasix/fsx-wasix/internal/runner"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

// Guest paths of every differential process: /work holds what the host
// gives the guest (the expected transcript, the known signatures, the
// config, a program file); the programs run under ROOT on the runtime's
// own /tmp or on a host directory mounted at /data.
const (
	guestWork    = "/work"
	guestData    = "/data"
	rootName     = "fsx-diff"
	expectedName = "expected.bin"
	knownName    = "known.txt"
	configName   = "diff.toml"
	programsName = "programs.prog"
)

// Target is where programs run: natively, or one runtime × volume cell.
type Target struct {
	Runtime string // "native", "wazero", "wasmer", "wasmer-sdk"
	Volume  string // pipeline.VolumeTmp or VolumeData; native: VolumeData (a host directory)
	R       runner.Runner
	// Fault is a wazero fault (internal/faultfs) on the volume: tests plant
	// divergences with it.
	Fault string
	// noReread runs a /data target without --diff-keep and the host
	// re-read (the warm-up, which only compiles the guest).
	noReread bool
}

// Name is "wasmer /tmp", or "native".
func (t Target) Name() string {
	if t.Runtime == "native" {
		return "native"
	}
	return t.Runtime + " " + t.Volume
}

// dirName is the target as a path element: "wasmer-sdk-data", and with a
// fault "wazero-data-stale-read-data" (targets that differ only by their
// fault run at once in the detection table).
func (t Target) dirName() string {
	if t.Runtime == "native" {
		return "native"
	}
	n := t.Runtime + "-" + strings.TrimPrefix(t.Volume, "/")
	if t.Fault != "" {
		n += "-" + reNotName.ReplaceAllString(t.Fault, "-")
	}
	return n
}

// Backing says what the cell's volume really is (pipeline's words).
func (t Target) Backing() string {
	switch {
	case t.Runtime == "native":
		return "host (Linux)"
	case t.Volume == pipeline.VolumeTmp:
		return pipeline.BackingRuntimeTmp
	case t.R != nil && !t.R.HostBacked():
		return pipeline.BackingCopy
	}
	return pipeline.BackingHost
}

// Guest is the built guest.
type Guest struct {
	Native, Wasm string
}

// procs runs guest processes, at most Jobs at once.
type procs struct {
	guest  Guest
	native runner.Runner
	tokens chan struct{}
	// base is how long any runtime process may take, perProgram what each
	// program adds (a hang is a process that outlives both).
	base, perProgram time.Duration
	config           string // the diff config file on the host; "" = the default
}

func newProcs(g Guest, native runner.Runner, jobs int, base, perProgram time.Duration, config string) *procs {
	return &procs{guest: g, native: native, tokens: make(chan struct{}, max(jobs, 1)), base: base, perProgram: perProgram, config: config}
}

func (p *procs) timeout(programs int64) time.Duration {
	return p.base + time.Duration(programs)*p.perProgram
}

// proc is a finished guest process.
type proc struct {
	code     int
	stdout   []byte
	lastLine string
	tail     string // the last 256 KiB or so of stderr (a Rust panic's backtrace is long)
	log      string
	err      error // could not run or did not finish (runner.ErrTimeout for a hang)
	elapsed  time.Duration
}

// hung says whether the process was stopped by its timeout.
func (r *proc) hung() bool { return errors.Is(r.err, runner.ErrTimeout) }

// run runs one guest process for target t in dir (its /work is dir/work,
// its /data dir/data, both made here), logging to dir/guest.log.
func (p *procs) run(ctx context.Context, t Target, dir string, args []string, programs int64) proc {
	res := proc{log: filepath.Join(dir, "guest.log")}
	work, data := filepath.Join(dir, "work"), filepath.Join(dir, "data")
	for _, d := range []string{work, data} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			res.err = err
			return res
		}
	}
	spec := runner.Spec{
		Volumes: []runner.Volume{{Host: work, Guest: guestWork}, {Host: data, Guest: guestData}},
		Args:    args,
		Env:     []string{guestapi.Env(guestapi.EnvRuntime, t.Runtime)},
		Timeout: p.timeout(programs),
		Fault:   t.Fault,
	}
	r := t.R
	if t.Runtime == "native" {
		spec.Wasm, r, spec.Env, spec.Timeout = p.guest.Native, p.native, nil, 0
	} else {
		spec.Wasm = p.guest.Wasm
	}
	lf, err := os.Create(res.log)
	if err != nil {
		res.err = err
		return res
	}
	defer lf.Close()
	var stdout, stderr bytes.Buffer
	var mu sync.Mutex
	spec.Stdout = io.MultiWriter(lf, &stdout)
	spec.Stderr = io.MultiWriter(lockedWriter{&mu, lf}, &capped{b: &stderr, max: 256 << 10})
	select {
	case p.tokens <- struct{}{}:
	case <-ctx.Done():
		res.err = ctx.Err()
		return res
	}
	t0 := time.Now()
	res.code, res.err = r.Run(ctx, spec)
	res.elapsed = time.Since(t0)
	<-p.tokens
	res.stdout = stdout.Bytes()
	res.tail = stderr.String()
	res.lastLine = lastLine(stderr.Bytes())
	if res.lastLine == "" {
		res.lastLine = lastLine(stdout.Bytes())
	}
	return res
}

// breakage is how a process that answered nothing usable broke: its
// signature ("crash: …" or "hang: …"), name-free like a divergence's.
func (r *proc) breakage() string {
	if r.hung() {
		return "hang: the runtime did not finish the program"
	}
	msg := r.lastLine
	if r.err != nil && msg == "" {
		msg = r.err.Error()
	}
	// What broke, in the words closest to the cause: the guest's own
	// error ("fsx-wasix: program 30: cannot empty …", which a runner's
	// complaint about copying files back may follow), else a Rust panic of
	// the runtime ("panicked at …:" and its message on the next line).
	if l := guestLine(r.tail); l != "" {
		msg = l
	} else if m := rePanic.FindStringSubmatch(r.tail); m != nil {
		msg = "runtime panic: " + strings.TrimSpace(m[1])
	}
	if msg == "" {
		msg = fmt.Sprintf("exited with %d and said nothing", r.code)
	}
	return "crash: " + normaliseCrash(msg)
}

var (
	reGuestPrefix = regexp.MustCompile(`^(fsx-wasix|diff): `)
	reProgram     = regexp.MustCompile(`\bprogram \S+?: `)
	reParens      = regexp.MustCompile(` \([^)]*\)`)
	reNumber      = regexp.MustCompile(`0x[0-9a-fA-F]+|\d+`)
	reQuoted      = regexp.MustCompile(`"[^"]*"|'[^']*'`)
	reHint        = regexp.MustCompile(`\bprogram (\d+): `)
	rePanic       = regexp.MustCompile(`panicked at [^\n]*:\n([^\n]+)`)
	reNotName     = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)
)

// guestLine is the last line of tail in which the guest names the program
// it broke on, or "".
func guestLine(tail string) string {
	lines := strings.Split(tail, "\n")
	for i := len(lines) - 1; i >= 0 && i >= len(lines)-8; i-- {
		if l := strings.TrimSpace(lines[i]); strings.HasPrefix(l, "fsx-wasix: ") && reHint.MatchString(l) {
			return l
		}
	}
	return ""
}

// normaliseCrash keeps what a crash says and drops what changes from one
// program to the next: the program's number or label, names in
// parentheses, numbers.
func normaliseCrash(s string) string {
	s = reGuestPrefix.ReplaceAllString(strings.TrimSpace(s), "")
	s = reProgram.ReplaceAllString(s, "")
	s = reParens.ReplaceAllString(s, "")
	s = reQuoted.ReplaceAllString(s, `"…"`)
	s = reNumber.ReplaceAllString(s, "N")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// crashHint is the program a crashed --diff run names in its last line
// ("fsx-wasix: program 30: cannot empty …"), or -1.
func crashHint(line string) int64 {
	m := reHint.FindStringSubmatch(line)
	if m == nil {
		return -1
	}
	var k int64
	if _, err := fmt.Sscan(m[1], &k); err != nil {
		return -1
	}
	return k
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// capped keeps the last max bytes or so of what is written.
type capped struct {
	b   *bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	c.b.Write(p)
	if c.b.Len() > 2*c.max {
		keep := append([]byte(nil), c.b.Bytes()[c.b.Len()-c.max:]...)
		c.b.Reset()
		c.b.Write(keep)
	}
	return len(p), nil
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	return ""
}

// rootFor is the guest ROOT of target t.
func rootFor(t Target) string {
	if t.Volume == pipeline.VolumeTmp && t.Runtime != "native" {
		return pipeline.VolumeTmp + "/" + rootName
	}
	return guestData + "/" + rootName
}
