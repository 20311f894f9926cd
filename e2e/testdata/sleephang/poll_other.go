//go:build !wasip1

package main

import "time"

// pollClock sleeps natively; the raw call only exists on wasip1.
func pollClock(abs bool, d, precision time.Duration) uint32 { time.Sleep(d); return 0 }
