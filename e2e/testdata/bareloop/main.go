// Command bareloop is the benchmarks' baseline: the least a filesystem
// exerciser can do per step — pwrite 1..64 KiB at a random offset in a
// 10 MiB file, pread it back, compare — with no model, no log, no checks
// beyond the compare. Built natively and for wasip1 and run under each
// runtime, it tells what the runtime itself costs, so the exerciser's own
// overhead can be judged against it.
//
//	bareloop FILE PAIRS [SEED]
//
// Prints "bareloop: N pairs in D, R pairs/s"; exits 1 on a miscompare.
package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"time"
)

const (
	fileLen = 10 << 20
	maxOp   = 64 << 10
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: bareloop FILE PAIRS [SEED]")
		os.Exit(2)
	}
	pairs, err := strconv.Atoi(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bareloop:", err)
		os.Exit(2)
	}
	seed := uint64(1)
	if len(os.Args) > 3 {
		if seed, err = strconv.ParseUint(os.Args[3], 10, 64); err != nil {
			fmt.Fprintln(os.Stderr, "bareloop:", err)
			os.Exit(2)
		}
	}
	f, err := os.OpenFile(os.Args[1], os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bareloop:", err)
		os.Exit(2)
	}
	defer f.Close()
	rng := rand.New(rand.NewPCG(seed, seed))
	wbuf, rbuf := make([]byte, maxOp), make([]byte, maxOp) // reused: no garbage in the loop
	t0 := time.Now()
	for i := 0; i < pairs; i++ {
		size := 1 + rng.IntN(maxOp)
		off := int64(rng.IntN(fileLen - size + 1))
		w, r := wbuf[:size], rbuf[:size]
		w[0], w[size-1] = byte(i), byte(i>>8)
		if _, err := f.WriteAt(w, off); err != nil {
			fmt.Fprintln(os.Stderr, "bareloop: pwrite:", err)
			os.Exit(1)
		}
		if _, err := f.ReadAt(r, off); err != nil {
			fmt.Fprintln(os.Stderr, "bareloop: pread:", err)
			os.Exit(1)
		}
		if !bytes.Equal(w, r) {
			fmt.Fprintf(os.Stderr, "bareloop: miscompare at pair %d (0x%x+0x%x)\n", i, off, size)
			os.Exit(1)
		}
	}
	d := time.Since(t0)
	fmt.Printf("bareloop: %d pairs in %v, %.0f pairs/s\n", pairs, d.Round(time.Millisecond), float64(pairs)/d.Seconds())
}
