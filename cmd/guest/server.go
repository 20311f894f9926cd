package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/server"
	"github.com/fsx-wasix/fsx-wasix/internal/wasix"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

// ServerFlags are server mode's own flags. The port is the positional
// argument (fsx-wasix --server 3020), as in the seed.
type ServerFlags struct {
	Server        bool          `name:"server" help:"Serve HTTP on PORT (the positional argument; default $PORT, else 8080). See docs/server.md."`
	AllowRoot     []string      `name:"allow-root" placeholder:"DIR" help:"Server: a directory runs may use (repeatable). Default /tmp and /data under WebAssembly; required natively."`
	Bind          string        `name:"bind" default:"127.0.0.1" help:"Server: IPv4 address to listen on (0.0.0.0 to serve beyond this machine)."`
	MaxNumOps     int64         `name:"max-numops" default:"10000000" help:"Server: cap on numops per worker."`
	MaxThreads    int           `name:"max-threads" default:"64" help:"Server: cap on threads per run."`
	MaxFileLen    uint64        `name:"max-flen" default:"268435456" help:"Server: cap on flen (bytes)."`
	MaxTotalFlen  uint64        `name:"max-total-flen" default:"1073741824" help:"Server: cap on flen × threads, the bytes all workers' models hold."`
	MaxRunTime    time.Duration `name:"max-run-time" default:"30m" help:"Server: cap on timeout_ms, and the deadline of runs without one."`
	MaxRuns       int           `name:"max-runs" default:"0" help:"Server: runs at once, more get 429 (default 4 natively, 1 under WebAssembly)."`
	MaxBody       int64         `name:"max-body" default:"65536" help:"Server: cap on a POST body (bytes)."`
	HTTPTimeouts  string        `name:"http-timeouts" enum:"auto,on,off" default:"auto" help:"Server: connection read/write/idle timeouts: on, off, or auto (on natively, off under WebAssembly, where the Wasmer SDK hangs on timers; see docs/server.md)."`
	ShutdownGrace time.Duration `name:"shutdown-grace" default:"30s" help:"Server: on SIGTERM, how long runs in progress may finish before they are cancelled."`
}

// underWasm is true in the wasip1 build: one thread, no preemption, and the
// SDK's timer hang, which change several defaults.
const underWasm = runtime.GOOS == "wasip1"

func runServer(cli *CLI) error {
	f := cli.ServerFlags
	port, err := serverPort(cli.Args)
	if err != nil {
		return err
	}
	roots := f.AllowRoot
	for _, r := range roots {
		// Refused at start-up, not at the first request: a root that is
		// relative or missing would make every run fail.
		if !filepath.IsAbs(r) {
			return usagef("--allow-root %s: give an absolute directory", r)
		}
		if st, err := os.Stat(r); err != nil || !st.IsDir() {
			return usagef("--allow-root %s: not an existing directory", r)
		}
	}
	if len(roots) == 0 {
		if !underWasm {
			return usagef("server mode natively needs at least one --allow-root DIR: runs write files there")
		}
		roots = []string{"/tmp", "/data"}
	}
	lim := server.Limits{
		MaxNumOps:       f.MaxNumOps,
		MaxThreads:      f.MaxThreads,
		MaxFileLen:      f.MaxFileLen,
		MaxTotalFileLen: f.MaxTotalFlen,
		MaxRunTime:      f.MaxRunTime,
		MaxRuns:         f.MaxRuns,
		MaxBody:         f.MaxBody,
	}
	if lim.MaxRuns == 0 && underWasm {
		// One thread and no preemption: a second run only waits behind the
		// first and holds its memory, so refuse it with 429 instead.
		lim.MaxRuns = 1
	}
	threads := cli.Threads
	if threads <= 0 {
		threads, _ = wasix.ThreadParallelism()
	}
	numops := int64(0)
	if cli.NumOps > 0 {
		numops = cli.NumOps
	}
	var logw io.Writer = os.Stderr
	if cli.Quiet {
		logw = io.Discard
	}
	aliases, err := server.ParseAliases(os.Getenv(guestapi.EnvVolumeMap))
	if err != nil {
		return usagef("%v", err)
	}
	srv := server.New(server.Options{
		Roots:          roots,
		Aliases:        aliases,
		Limits:         lim,
		DefaultNumOps:  numops,
		DefaultThreads: threads,
		Version:        version,
		Log:            logw,
		// Under WebAssembly: see the fields' comments and docs/server.md.
		DetachRuns: underWasm,
	})
	ho := server.DefaultHTTPOptions(lim)
	if f.HTTPTimeouts == "off" || (f.HTTPTimeouts == "auto" && underWasm) {
		ho.ReadHeaderTimeout, ho.ReadTimeout, ho.WriteTimeout, ho.IdleTimeout = 0, 0, 0, 0
	}
	ho.ShutdownGrace = f.ShutdownGrace

	ln, addr, err := server.Listen(f.Bind, port)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	fmt.Fprintf(os.Stderr, "fsx-wasix: serving on http://%s (allowed roots %v)\n", addr, roots)
	ctx := context.Background()
	if !underWasm {
		// Not under WebAssembly: no signal reaches a wasip1 guest (the host
		// kills it), and os/signal's watcher stalls the only thread there, so
		// the server never answered under wazero (docs/findings.md).
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
		defer stop()
	}
	if err := server.Serve(ctx, ln, srv, ho); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	fmt.Fprintln(os.Stderr, "fsx-wasix: server stopped")
	return nil
}

// serverPort is the positional PORT, else $PORT, else 8080.
func serverPort(args []string) (int, error) {
	s, from := "8080", "default"
	switch {
	case len(args) > 1:
		return 0, usagef("--server takes at most one argument, the port; got %q", args)
	case len(args) == 1:
		s, from = args[0], "argument"
	case os.Getenv(guestapi.EnvPort) != "":
		s, from = os.Getenv(guestapi.EnvPort), "$"+guestapi.EnvPort
	}
	p, err := strconv.Atoi(s)
	if err != nil || p < 0 || p > 65535 {
		return 0, usagef("server port (%s) %q: want 0..65535", from, s)
	}
	return p, nil
}
