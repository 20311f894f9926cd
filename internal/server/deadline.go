package server

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// withPolledDeadline is context.WithDeadline plus a clock check on every
// Done and Err call.
//
// Why: under WebAssembly Go has one thread and no preemption, so a run whose
// workers never block never lets the scheduler fire the deadline's timer; and
// under the Wasmer SDK a goroutine sleeping on a timer may never wake (the
// relative poll_oneoff hang, docs/findings.md). The exerciser consults its
// context at every op, so reading the clock there makes timeout_ms cancel the
// run on time whatever the scheduler does. Natively the timer fires as usual.
func withPolledDeadline(parent context.Context, d time.Time) (context.Context, context.CancelFunc) {
	inner, cancel := context.WithDeadline(parent, d)
	c := &polledCtx{Context: inner, deadline: d, done: make(chan struct{})}
	// A goroutine that waits on Done without calling it again still wakes
	// when the inner context ends (timer natively, or the parent).
	stop := context.AfterFunc(inner, c.poll)
	return c, func() { stop(); cancel(); c.poll() }
}

type polledCtx struct {
	context.Context // the real deadline context: parent cancellation, values
	deadline        time.Time
	done            chan struct{}
	closed          atomic.Bool
	once            sync.Once
	err             error // set before done is closed
}

func (c *polledCtx) poll() {
	if c.closed.Load() {
		return
	}
	err := c.Context.Err()
	if err == nil && !time.Now().Before(c.deadline) {
		err = context.DeadlineExceeded
	}
	if err != nil {
		c.once.Do(func() {
			c.err = err
			close(c.done)
			c.closed.Store(true)
		})
	}
}

func (c *polledCtx) Done() <-chan struct{} {
	c.poll()
	return c.done
}

func (c *polledCtx) Err() error {
	c.poll()
	if c.closed.Load() {
		return c.err
	}
	return nil
}
