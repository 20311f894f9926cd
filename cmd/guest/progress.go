package main

import (
	"os"

	"github.com/fsx-wasix/fsx-wasix/internal/progress"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

// progressOptions is how random mode and the oracle report progress, on
// stderr whatever stdout carries (--json stays clean): a bar on a terminal,
// else a line every --progress-interval (5s by default). 0 turns it off,
// and so does -q unless --progress-interval is given. NO_COLOR keeps the
// bar plain. Under wasip1 the guest cannot tell a terminal (Wasmer reports
// every stdio descriptor as one), so it prints lines unless --progress-bar.
func progressOptions(cli *CLI) (progress.Options, error) {
	interval := progress.DefaultInterval
	switch {
	case cli.ProgressInterval != nil && *cli.ProgressInterval < 0:
		return progress.Options{}, usagef("--progress-interval must not be negative (0 turns progress off), got %v", *cli.ProgressInterval)
	case cli.ProgressInterval != nil:
		interval = *cli.ProgressInterval
	case cli.Quiet:
		interval = 0
	}
	_, noColor := os.LookupEnv(guestapi.EnvNoColor)
	bar := cli.ProgressBar || progress.IsTerminal(os.Stderr)
	return progress.Options{W: os.Stderr, Interval: interval, Bar: bar, Color: bar && !noColor, Width: progress.Columns()}, nil
}
