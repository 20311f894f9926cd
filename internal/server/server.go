package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsx-wasix/fsx-wasix/pkg/exerciser"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

// RunFunc runs the exerciser; tests replace it to exercise the HTTP layer alone.
type RunFunc func(ctx context.Context, opts exerciser.Options) (exerciser.Result, error)

// Limits are the server's caps. A request beyond one gets 400 naming the
// parameter and the flag that sets the cap.
type Limits struct {
	MaxNumOps       int64         // per worker
	MaxThreads      int           // workers per run
	MaxFileLen      uint64        // flen
	MaxTotalFileLen uint64        // flen × threads: what the models of all workers hold in memory
	MaxRunTime      time.Duration // timeout_ms cap, and the deadline of a run without one
	MaxRuns         int           // runs at once; more get 429
	MaxBody         int64         // POST body bytes; more get 413
}

// DefaultLimits suit a developer machine and Wasmer's 32-bit address space.
func DefaultLimits() Limits {
	return Limits{
		MaxNumOps:       10_000_000,
		MaxThreads:      64,
		MaxFileLen:      256 << 20,
		MaxTotalFileLen: 1 << 30,
		MaxRunTime:      30 * time.Minute,
		MaxRuns:         4,
		MaxBody:         64 << 10,
	}
}

// runDefaults are the values of parameters a request leaves out that do not
// belong to the TOML config.
type runDefaults struct {
	NumOps  int64
	Threads int
}

// Options configure a Server.
type Options struct {
	// Roots are the directories a run's cwd must be inside. Empty allows nothing.
	Roots []string
	// Aliases map a path prefix the client names to where it really is
	// (applied to cwd and Roots before any check). The Wasmer SDK runner
	// copies a volume GUEST to /workspace/GUEST and says so in
	// FSX_VOLUME_MAP; with the alias, a query's cwd=/data still works there.
	Aliases []Alias
	Limits  Limits
	// DefaultNumOps is numops when a request omits it: the CLI's "unlimited"
	// makes no sense for a request, so the seed's 10000 stands in.
	DefaultNumOps int64
	// DefaultThreads is threads when a request omits it: the CLI's default,
	// the logical CPU count the runtime reports (capped by MaxThreads).
	DefaultThreads int
	Version        string
	Run            RunFunc   // nil = exerciser.Run
	Log            io.Writer // one line per run; nil = discard
	// RetryAfter is what 429 and 503 answers put in Retry-After.
	RetryAfter time.Duration
	// DetachRuns runs the exerciser under a context that a client going away
	// does not cancel (timeout_ms and shutdown still do). Under Wasmer the
	// request context is cancelled a few milliseconds into every request
	// (net/http's background read of the connection ends at once there), so
	// the guest sets this under WebAssembly.
	DetachRuns bool
}

// Server is the HTTP handler. It is safe for concurrent use.
type Server struct {
	opt      Options
	def      runDefaults
	mux      *http.ServeMux
	slots    chan struct{}
	closing  atomic.Bool
	active   atomic.Int64
	mu       sync.Mutex
	inUse    map[string]bool // worker paths of the runs in progress
	logMu    sync.Mutex
	runCount atomic.Int64
}

// New builds a Server. Zero limits take DefaultLimits' values.
func New(opt Options) *Server {
	d := DefaultLimits()
	l := &opt.Limits
	if l.MaxNumOps <= 0 {
		l.MaxNumOps = d.MaxNumOps
	}
	if l.MaxThreads <= 0 {
		l.MaxThreads = d.MaxThreads
	}
	if l.MaxFileLen == 0 {
		l.MaxFileLen = d.MaxFileLen
	}
	if l.MaxTotalFileLen == 0 {
		l.MaxTotalFileLen = d.MaxTotalFileLen
	}
	if l.MaxRunTime <= 0 {
		l.MaxRunTime = d.MaxRunTime
	}
	if l.MaxRuns <= 0 {
		l.MaxRuns = d.MaxRuns
	}
	if l.MaxBody <= 0 {
		l.MaxBody = d.MaxBody
	}
	if opt.Run == nil {
		opt.Run = exerciser.Run
	}
	if opt.Log == nil {
		opt.Log = io.Discard
	}
	if opt.RetryAfter <= 0 {
		opt.RetryAfter = 2 * time.Second
	}
	if opt.DefaultNumOps <= 0 {
		opt.DefaultNumOps = 10000
	}
	opt.DefaultNumOps = min(opt.DefaultNumOps, l.MaxNumOps)
	opt.DefaultThreads = max(1, min(opt.DefaultThreads, l.MaxThreads))
	for i, r := range opt.Roots {
		opt.Roots[i] = filepath.Clean(applyAliases(r, opt.Aliases))
	}
	s := &Server{
		opt:   opt,
		def:   runDefaults{NumOps: opt.DefaultNumOps, Threads: opt.DefaultThreads},
		mux:   http.NewServeMux(),
		slots: make(chan struct{}, l.MaxRuns),
		inUse: map[string]bool{},
	}
	s.mux.HandleFunc("/health", s.health)
	s.mux.HandleFunc("/run", s.run)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no such endpoint %q (try /health or /run)", r.URL.Path), "")
	})
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// StartClosing makes new runs get 503 while the ones in progress finish.
func (s *Server) StartClosing() { s.closing.Store(true) }

// Active is the number of runs in progress.
func (s *Server) Active() int64 { return s.active.Load() }

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, "GET, HEAD")
		return
	}
	writeJSON(w, http.StatusOK, guestapi.Health{
		OK:         true,
		Version:    s.opt.Version,
		RunsActive: s.active.Load(),
		MaxRuns:    s.opt.Limits.MaxRuns,
		Roots:      s.opt.Roots,
		Closing:    s.closing.Load(),
	})
}

func (s *Server) run(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		if ct := r.Header.Get("Content-Type"); ct != "" {
			if mt, _, _ := mime.ParseMediaType(ct); mt != "application/x-www-form-urlencoded" {
				writeError(w, http.StatusUnsupportedMediaType,
					fmt.Sprintf("POST /run takes a form body (application/x-www-form-urlencoded), not %q", mt), "")
				return
			}
		}
	default:
		methodNotAllowed(w, "GET, POST")
		return
	}
	if s.closing.Load() {
		s.unavailable(w, http.StatusServiceUnavailable, "the server is shutting down")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.opt.Limits.MaxBody)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body exceeds %d bytes", mbe.Limit), "")
			return
		}
		writeError(w, http.StatusBadRequest, "malformed parameters: "+err.Error(), "")
		return
	}
	// The config starts from the exerciser's defaults and is checked by its
	// Validate: the CLI's code path, so both accept and refuse the same.
	req, perr := parseRun(r.Form, exerciser.DefaultConfig(), s.def, s.opt.Limits)
	if perr == nil {
		perr = checkFile(req.File)
	}
	var dir string
	if perr == nil {
		dir, perr = resolveCwd(applyAliases(req.Cwd, s.opt.Aliases), s.opt.Roots)
	}
	paths := workerPaths(dir, req.File, req.Threads)
	if perr == nil {
		perr = checkWorkerPaths(dir, paths)
	}
	if perr == nil {
		if err := req.Config.Validate(); err != nil {
			perr = &paramError{Msg: "invalid config (in the TOML file's names): " + err.Error()}
		}
	}
	if perr != nil {
		writeError(w, http.StatusBadRequest, perr.Error(), perr.Param)
		return
	}

	// Exclusion before admission: a run on files already in use is a
	// conflict whatever the load, and 409 tells the client more than 429.
	if busy := s.lock(paths); busy != "" {
		writeError(w, http.StatusConflict,
			fmt.Sprintf("%s is in use by a run in progress; wait for it, or use another cwd or file", busy), "")
		return
	}
	defer s.unlock(paths)
	select {
	case s.slots <- struct{}{}:
	default:
		s.unavailable(w, http.StatusTooManyRequests,
			fmt.Sprintf("%d runs already in progress (--max-runs)", s.opt.Limits.MaxRuns))
		return
	}
	defer func() { <-s.slots }()
	s.active.Add(1)
	defer s.active.Add(-1)

	ctx := r.Context()
	if s.opt.DetachRuns {
		ctx = context.WithoutCancel(ctx)
		if base, ok := ctx.Value(runsKey{}).(context.Context); ok {
			// Still cancelled by shutdown, through Serve's base context.
			var stop context.CancelFunc
			ctx, stop = context.WithCancel(ctx)
			defer context.AfterFunc(base, stop)()
			defer stop()
		}
	}
	s.execute(w, ctx, req, dir, paths)
}

// execute runs the exerciser under the request's deadline and answers.
func (s *Server) execute(w http.ResponseWriter, reqCtx context.Context, req runRequest, dir string, paths []string) {
	if !req.SeedSet {
		req.Seed = randomSeed()
	}
	deadline := time.Now().Add(req.Timeout)
	ctx, cancel := withPolledDeadline(reqCtx, deadline)
	defer cancel()
	opts := exerciser.Options{
		Path:      filepath.Join(dir, req.File),
		NumOps:    req.NumOps,
		Seed:      req.Seed,
		Threads:   req.Threads,
		Config:    req.Config,
		Inject:    req.Inject,
		Verbosity: -1,
		Out:       io.Discard,
	}
	id := s.runCount.Add(1)
	res, err := s.safeRun(ctx, opts)
	cerr := ctx.Err()
	resp := newRunResponse(req, opts, res)
	status := http.StatusOK
	switch {
	case errors.Is(cerr, context.DeadlineExceeded):
		status = http.StatusGatewayTimeout
		resp.Cancelled = true
		resp.Error = fmt.Sprintf("timeout_ms=%d passed; the run was cancelled and has stopped (%d of %d ops done)",
			req.Timeout.Milliseconds(), resp.OpsDone, resp.TotalOpsPlanned)
	case cerr != nil:
		// The client went away or the server is shutting down: nobody may
		// read this, but say what happened for the log and for shutdown.
		status = http.StatusServiceUnavailable
		resp.Cancelled = true
		cause := context.Cause(ctx)
		if cause == nil {
			cause = cerr
		}
		resp.Error = "the run was cancelled: " + cause.Error()
	case errors.As(err, new(*exerciser.UsageError)):
		status = http.StatusBadRequest
		resp.Error = "the exerciser refused the options: " + err.Error()
	case err != nil:
		status = http.StatusInternalServerError
		resp.Error = "the run could not start: " + err.Error()
	case resp.Report != "":
		status = http.StatusInternalServerError
		resp.Error = "verification failed: " + firstSummary(resp)
	default:
		resp.OK = true
	}
	s.logf("run %d: %d %s cwd=%s file=%s threads=%d numops=%d seed=%d ops_done=%d elapsed=%s %s",
		id, status, http.StatusText(status), dir, req.File, req.Threads, req.NumOps, req.Seed,
		resp.OpsDone, time.Duration(resp.ElapsedMS*float64(time.Millisecond)).Round(time.Millisecond), resp.Error)
	writeJSON(w, status, resp)
}

// safeRun turns a panic in the run into an error, so one bad run answers 500
// instead of dropping the connection.
func (s *Server) safeRun(ctx context.Context, opts exerciser.Options) (res exerciser.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return s.opt.Run(ctx, opts)
}

func (s *Server) lock(paths []string) (busy string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range paths {
		if s.inUse[p] {
			return p
		}
	}
	for _, p := range paths {
		s.inUse[p] = true
	}
	return ""
}

func (s *Server) unlock(paths []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range paths {
		delete(s.inUse, p)
	}
}

func (s *Server) unavailable(w http.ResponseWriter, status int, msg string) {
	secs := int((s.opt.RetryAfter + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeError(w, status, msg, "")
}

func (s *Server) logf(format string, a ...any) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.opt.Log, "fsx-wasix: "+format+"\n", a...)
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	writeError(w, http.StatusMethodNotAllowed, "method not allowed; use "+allow, "")
}

func writeError(w http.ResponseWriter, status int, msg, param string) {
	writeJSON(w, status, guestapi.ErrorResponse{Error: msg, Param: param})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(guestapi.ErrorResponse{Error: "encoding the answer: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
