// Command wazero-run runs a WASI/WASIX module under the embedded wazero
// runtime with `wasmer run`'s argument shape, so any script written for the
// wasmer CLI (the seed's commands, /work/shared/acceptance/seed-commands.sh)
// runs under wazero with WASMER=wazero-run:
//
//	wazero-run run [--net] [--volume HOST:GUEST]... [--env K=V]... [--fault KIND:N[@GUEST]] WASM -- ARGS...
//
// Volumes are real host-directory mounts; the guest also gets a private
// /tmp (a fresh host temp dir, removed afterwards) unless a volume maps
// /tmp. --fault breaks one read or write on the volumes (internal/faultfs;
// a line on stderr says whether it fired). Its exit code is the guest's;
// 125 means wazero-run itself failed.
// See internal/runner for what the runtime provides.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alecthomas/kong"
	"github.com/fsx-wasix/fsx-wasix/internal/runner"
)

const exitFailure = 125 // as `docker run`: the runner, not the guest, failed

type runCmd struct {
	Net     bool          `help:"Host networking: with the guest's --server PORT (or --listen), pre-open a TCP listener for it."`
	Listen  string        `placeholder:"HOST:PORT" help:"Pre-opened TCP listener address (with --net); default 127.0.0.1:PORT from the guest's --server PORT."`
	Volume  []string      `sep:"none" placeholder:"HOST:GUEST" help:"Mount a host directory into the guest (repeatable)."`
	Env     []string      `sep:"none" placeholder:"K=V" help:"Set a guest environment variable (repeatable)."`
	Timeout time.Duration `help:"Kill the guest after this long (0 = never)."`
	Fault   string        `placeholder:"KIND:N[@GUEST]" help:"Break one read or write on the volumes (drop-write, short-write, corrupt-read; see internal/faultfs)."`
	Wasm    string        `arg:"" help:"The module to run."`
	Args    []string      `arg:"" optional:"" passthrough:"" help:"Guest arguments (after --)."`
}

type cli struct {
	Run runCmd `cmd:"" help:"Run a module, as 'wasmer run' does."`
}

func (c *runCmd) Run() error {
	spec := runner.Spec{
		Wasm: c.Wasm, Args: c.Args, Net: c.Net, Listen: c.Listen, Env: c.Env,
		Timeout: c.Timeout, Stdout: os.Stdout, Stderr: os.Stderr, Fault: c.Fault,
	}
	if len(spec.Args) > 0 && spec.Args[0] == "--" {
		spec.Args = spec.Args[1:]
	}
	for _, v := range c.Volume {
		vol, err := runner.ParseVolume(v)
		if err != nil {
			return err
		}
		spec.Volumes = append(spec.Volumes, vol)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := runner.NewWazero().Run(ctx, spec)
	if err != nil {
		return err
	}
	os.Exit(code)
	return nil
}

func main() {
	var c cli
	k := kong.Parse(&c, kong.Name("wazero-run"),
		kong.Description("Run a WASI/WASIX module under wazero with `wasmer run`'s arguments."),
		kong.Exit(func(code int) {
			if code != 0 {
				code = exitFailure
			}
			os.Exit(code)
		}))
	if err := k.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "wazero-run:", err)
		os.Exit(exitFailure)
	}
}
