// Command probe is a tiny guest for testing the runners without the real
// exerciser: each subcommand checks one thing a runner must get right (args,
// env, exit code, mounts, clocks, the WASIX import) and prints one line.
//
//	probe info                   runtime view: CPUs, parallelism, cwd, dirs
//	probe exit N                 exit with code N
//	probe env KEY                print $KEY
//	probe write PATH TEXT        create PATH (and its directory) holding TEXT
//	probe cat PATH               print PATH
//	probe ls DIR                 list DIR, one name per line
//	probe sleep DURATION         time.Sleep and print how long it took
//	probe echo ARGS...           print the arguments, one per line
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/wasix"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: probe info|exit|env|write|cat|ls|sleep|echo ...")
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "info":
		n, ok := wasix.ThreadParallelism()
		wd, _ := os.Getwd()
		fmt.Printf("numcpu=%d gomaxprocs=%d parallelism=%d parallelism_ok=%v cwd=%s\n",
			runtime.NumCPU(), runtime.GOMAXPROCS(0), n, ok, wd)
		for _, d := range []string{"/", "/tmp", "/data", "/work", "/workspace"} {
			st, err := os.Stat(d)
			w := os.WriteFile(filepath.Join(d, ".probe-w"), nil, 0o644)
			if w == nil {
				os.Remove(filepath.Join(d, ".probe-w"))
			}
			fmt.Printf("dir %s exists=%v dir=%v writable=%v\n", d, err == nil, err == nil && st.IsDir(), w == nil)
		}
	case "exit":
		n, err := strconv.Atoi(arg(args, 0))
		check(err)
		os.Exit(n)
	case "env":
		fmt.Println(os.Getenv(arg(args, 0)))
	case "write":
		p := arg(args, 0)
		check(os.MkdirAll(filepath.Dir(p), 0o755))
		check(os.WriteFile(p, []byte(arg(args, 1)), 0o644))
	case "cat":
		b, err := os.ReadFile(arg(args, 0))
		check(err)
		os.Stdout.Write(b)
	case "ls":
		es, err := os.ReadDir(arg(args, 0))
		check(err)
		for _, e := range es {
			fmt.Println(e.Name())
		}
	case "sleep":
		d, err := time.ParseDuration(arg(args, 0))
		check(err)
		t0 := time.Now()
		time.Sleep(d)
		fmt.Printf("slept %v\n", time.Since(t0))
	case "echo":
		for _, a := range args {
			fmt.Println(a)
		}
	default:
		fail("unknown subcommand " + os.Args[1])
	}
}

func arg(args []string, i int) string {
	if i >= len(args) {
		fail("missing argument")
	}
	return args[i]
}

func check(err error) {
	if err != nil {
		fail(err.Error())
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "probe:", msg)
	os.Exit(3)
}
