// Command sleephang is the smallest reproduction of the Wasmer SDK's sleep
// hang (docs/findings.md): a relative clock subscription to poll_oneoff —
// which is how Go's runtime sleeps, and how its garbage collector's
// background workers wait — does not return.
//
//	sleephang poll rel|abs DURATION [PRECISION]   one raw poll_oneoff clock subscription (precision default 0)
//	sleephang sleep DURATION N        time.Sleep N times
//	sleephang alloc N                 N fresh 64 KiB buffers written to /tmp (the GC must run)
//	sleephang big MIB N               N fresh buffers of MIB MiB each (as the exerciser's model)
//	sleephang gc                      one runtime.GC()
//	sleephang opengc PATH             one runtime.GC() while PATH is open (created)
//	sleephang rawopengc PATH          as opengc, with a raw descriptor instead of an os.File
//	sleephang opensleep PATH          one 1 ms poll_oneoff clock wait while PATH is open
//	sleephang sleepgc DURATION        time.Sleep once (a timer starts the netpoller), then one runtime.GC(); no file open
//	sleephang pollfd PATH read|write [TIMEOUT]  one raw poll_oneoff: fd_read/fd_write on a raw fd of PATH (created), plus a relative clock of TIMEOUT if given
//	sleephang stdioflags              fd_fdstat_get's fs_flags for fds 0-2 (Go's syscall init asks for NONBLOCK on each)
//	sleephang goalloc MIB N           as big, in a goroutine the main one waits for
//	sleephang model MIB               the exerciser's set-up: a file open while two MIB buffers are made
//
// Each prints one line with how long it took; a hang prints nothing.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/wasix"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: sleephang poll rel|abs DURATION [PRECISION] | sleep DURATION N | alloc N | big MIB N  | gc | goalloc MIB N | model MIB | opengc PATH | rawopengc PATH | opensleep PATH | sleepgc DURATION | pollfd PATH read|write [TIMEOUT] | stdioflags")
	}
	t0 := time.Now()
	switch os.Args[1] {
	case "poll":
		d, prec := dur(arg(3)), time.Duration(0)
		if len(os.Args) > 4 {
			prec = dur(arg(4))
		}
		fmt.Printf("poll %s %v precision %v: ", arg(2), d, prec)
		errno := pollClock(arg(2) == "abs", d, prec)
		fmt.Printf("errno=%d took %v\n", errno, time.Since(t0))
	case "sleep":
		d, n := dur(arg(2)), num(arg(3))
		for i := 0; i < n; i++ {
			time.Sleep(d)
		}
		fmt.Printf("sleep %v x%d: took %v\n", d, n, time.Since(t0))
	case "alloc":
		n := num(arg(2))
		f, err := os.Create("/tmp/sleephang-alloc")
		if err != nil {
			fail(err.Error())
		}
		defer os.Remove(f.Name())
		for i := 0; i < n; i++ {
			buf := make([]byte, 64<<10) // fresh each time on purpose: garbage
			buf[i%len(buf)] = byte(i)
			if _, err := f.WriteAt(buf, int64(i%16)<<16); err != nil {
				fail(err.Error())
			}
		}
		fmt.Printf("alloc x%d: took %v\n", n, time.Since(t0))
	case "big":
		mib, n := num(arg(2)), num(arg(3))
		var keep []byte
		for i := 0; i < n; i++ {
			keep = make([]byte, mib<<20)
			keep[i%len(keep)] = byte(i)
		}
		fmt.Printf("big %d MiB x%d: took %v (%d)\n", mib, n, time.Since(t0), keep[0])
	case "goalloc":
		mib, n := num(arg(2)), num(arg(3))
		var wg sync.WaitGroup
		var keep []byte
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				keep = make([]byte, mib<<20)
				keep[i%len(keep)] = byte(i)
			}
		}()
		wg.Wait()
		fmt.Printf("goalloc %d MiB x%d: took %v (%d)\n", mib, n, time.Since(t0), keep[0])
	case "model":
		// As the exerciser's set-up: the file is open while the model is made.
		mib := num(arg(2))
		f, err := os.Create("/tmp/sleephang-model")
		if err != nil {
			fail(err.Error())
		}
		good, orig := make([]byte, mib<<20), make([]byte, mib<<20)
		x := uint64(1)
		for i := range orig {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			orig[i] = byte(x)
		}
		f.Close()
		fmt.Printf("model %d MiB: took %v (%d)\n", mib, time.Since(t0), good[0]+orig[0])
	case "opengc":
		// The smallest reproduction: one runtime.GC() while a file is open.
		f, err := os.Create(arg(2))
		if err != nil {
			fail(err.Error())
		}
		runtime.GC()
		f.Close()
		fmt.Printf("opengc %s: took %v\n", arg(2), time.Since(t0))
	case "rawopengc":
		// As opengc, with a raw descriptor (no os.File, not in Go's netpoller).
		fd, err := syscall.Open(arg(2), syscall.O_RDWR|syscall.O_CREAT, 0o644)
		if err != nil {
			fail(err.Error())
		}
		runtime.GC()
		syscall.Close(fd)
		fmt.Printf("rawopengc %s: took %v\n", arg(2), time.Since(t0))
	case "opensleep":
		// As opengc, with a plain sleep instead of the GC.
		f, err := os.Create(arg(2))
		if err != nil {
			fail(err.Error())
		}
		fmt.Printf("opensleep %s: ", arg(2))
		errno := pollClock(false, time.Millisecond, time.Microsecond)
		f.Close()
		fmt.Printf("errno=%d took %v\n", errno, time.Since(t0))
	case "sleepgc":
		// As opengc with no file: the first timer also starts Go's netpoller,
		// and then every stop-the-world ends with a netpoll(0).
		time.Sleep(dur(arg(2)))
		runtime.GC()
		fmt.Printf("sleepgc %s: took %v\n", arg(2), time.Since(t0))
	case "pollfd":
		// Finding 3's first suspect: a regular file in a poll_oneoff fd
		// subscription (with, optionally, the netpoller's relative clock).
		fd, err := syscall.Open(arg(2), syscall.O_RDWR|syscall.O_CREAT, 0o644)
		if err != nil {
			fail(err.Error())
		}
		write, clock, d := arg(3) == "write", len(os.Args) > 4, time.Duration(0)
		if clock {
			d = dur(arg(4))
		}
		fmt.Printf("pollfd %s %s clock=%v: ", arg(2), arg(3), map[bool]string{true: d.String(), false: "none"}[clock])
		res := pollFd(fd, write, clock, d)
		syscall.Close(fd)
		fmt.Printf("%s took %v\n", res, time.Since(t0))
	case "stdioflags":
		// Whether the runtime kept the NONBLOCK flag Go's syscall init sets on
		// stdio: if it did, os.Stdin/Stdout/Stderr are pollable and the
		// netpoller starts with the process, not with the first os.File.
		fmt.Print("stdioflags:")
		for fd := 0; fd < 3; fd++ {
			fl, errno := fdFlags(fd)
			fmt.Printf(" fd%d=%d(errno %d)", fd, fl, errno)
		}
		fmt.Println()
	case "wasix":
		n, ok := wasix.ThreadParallelism()
		fmt.Printf("thread_parallelism: %d %v\n", n, ok)
	case "gc":
		runtime.GC()
		fmt.Printf("gc: took %v\n", time.Since(t0))
	default:
		fail("unknown mode " + os.Args[1])
	}
}

func arg(i int) string {
	if i >= len(os.Args) {
		fail("missing argument")
	}
	return os.Args[i]
}

func dur(s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		fail(err.Error())
	}
	return d
}

func num(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		fail(err.Error())
	}
	return n
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "sleephang:", msg)
	os.Exit(3)
}
