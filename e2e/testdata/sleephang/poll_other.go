//go:build !wasip1

package main

import "time"

// pollClock sleeps natively; the raw call only exists on wasip1.
func pollClock(abs bool, d, precision time.Duration) uint32 { time.Sleep(d); return 0 }

// pollFd and fdFlags only exist on wasip1.
func pollFd(fd int, write, clock bool, d time.Duration) string { return "wasip1 only" }

func fdFlags(fd int) (uint16, uint32) { return 0, 0 }
