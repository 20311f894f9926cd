package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// HTTPOptions are the connection-level settings of Serve.
type HTTPOptions struct {
	// Timeouts off (all zero) is what the Wasmer SDK needs: a pending
	// connection deadline is a runtime timer, and an idle Go scheduler waits
	// for it with a relative poll_oneoff that the SDK never returns from
	// (docs/findings.md). Natively they bound slow or stuck clients.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration // must outlast the longest run: it covers the handler
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	// ShutdownGrace is how long runs in progress may finish after the
	// shutdown signal before they are cancelled (their clients get 503).
	ShutdownGrace time.Duration
}

// DefaultHTTPOptions are the native defaults, with a write timeout that
// outlasts the longest run the limits allow.
func DefaultHTTPOptions(lim Limits) HTTPOptions {
	return HTTPOptions{
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      lim.MaxRunTime + time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ShutdownGrace:     30 * time.Second,
	}
}

// runsKey finds Serve's run-cancelling context from a request's, for runs
// detached from their request (Options.DetachRuns).
type runsKey struct{}

// errShutdown is the cause runs see when shutdown cancels them.
var errShutdown = errors.New("the server is shutting down")

// Serve answers on ln until ctx ends, then shuts down gracefully: the
// listener closes, new runs get 503, runs in progress get ShutdownGrace to
// finish, and are then cancelled at their next op (their clients get 503
// with cancelled:true). Serve returns once every handler has answered.
func Serve(ctx context.Context, ln net.Listener, s *Server, o HTTPOptions) error {
	runs, cancelRuns := context.WithCancelCause(context.Background())
	defer cancelRuns(nil)
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: o.ReadHeaderTimeout,
		ReadTimeout:       o.ReadTimeout,
		WriteTimeout:      o.WriteTimeout,
		IdleTimeout:       o.IdleTimeout,
		MaxHeaderBytes:    o.MaxHeaderBytes,
		// Every request context derives from runs, so cancelling it reaches
		// every run in progress.
		BaseContext: func(net.Listener) context.Context { return context.WithValue(runs, runsKey{}, runs) },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.StartClosing()
	grace, cancel := context.WithTimeout(context.Background(), o.ShutdownGrace)
	defer cancel()
	if err := hs.Shutdown(grace); err != nil {
		cancelRuns(errShutdown)
		// Cancelled runs stop at their next op; give their handlers a moment
		// to answer before closing what is left.
		last, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := hs.Shutdown(last); err != nil {
			hs.Close()
		}
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
