// Command wazero-run runs a WASI/WASIX module under the embedded wazero
// runtime with `wasmer run`'s argument shape, so any script written for the
// wasmer CLI (the seed's commands, /work/shared/acceptance/seed-commands.sh)
// runs under wazero with WASMER=wazero-run:
//
//	wazero-run run [--net] [--volume HOST:GUEST]... [--env K=V]... [--fault NAME[:N][@GUEST][,seed=S]] WASM -- ARGS...
//	wazero-run --list-faults [--json]
//
// Volumes are real host-directory mounts; the guest also gets a private
// /tmp (a fresh host temp dir, removed afterwards) unless a volume maps
// /tmp. --fault breaks the volumes' filesystem with a fault of the
// catalogue (internal/faultfs, docs/faults.md): every call that matches
// it, or with :N only the Nth; a line on stderr says whether and where it
// fired. --list-faults prints the catalogue: name, description and the
// bug class it stands for (--json: every field). Its exit code is the
// guest's; 2 means a bad --fault; 125 means wazero-run itself failed.
// See internal/runner for what the runtime provides.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/alecthomas/kong"
	"github.com/fsx-wasix/fsx-wasix/internal/faultfs"
	"github.com/fsx-wasix/fsx-wasix/internal/runner"
)

const (
	exitFailure = 125 // as `docker run`: the runner, not the guest, failed
	exitUsage   = 2   // a bad --fault
)

type runCmd struct {
	Net     bool          `help:"Host networking: with the guest's --server PORT (or --listen), pre-open a TCP listener for it."`
	Listen  string        `placeholder:"HOST:PORT" help:"Pre-opened TCP listener address (with --net); default 127.0.0.1:PORT from the guest's --server PORT."`
	Volume  []string      `sep:"none" placeholder:"HOST:GUEST" help:"Mount a host directory into the guest (repeatable)."`
	Env     []string      `sep:"none" placeholder:"K=V" help:"Set a guest environment variable (repeatable)."`
	Timeout time.Duration `help:"Kill the guest after this long (0 = never)."`
	Fault   string        `placeholder:"NAME[:N][@GUEST][,seed=S]" help:"Break the volumes' filesystem with a fault of the catalogue (every matching call, or only the Nth); --list-faults prints the catalogue."`
	Wasm    string        `arg:"" help:"The module to run."`
	Args    []string      `arg:"" optional:"" passthrough:"" help:"Guest arguments (after --)."`
}

type cli struct {
	Version kong.VersionFlag `help:"Print the version and exit."`
	Run     runCmd           `cmd:"" help:"Run a module, as 'wasmer run' does."`
}

func (c *runCmd) Run() error {
	if c.Fault != "" {
		if _, err := faultfs.Parse(c.Fault); err != nil {
			fmt.Fprintln(os.Stderr, "wazero-run:", err)
			os.Exit(exitUsage)
		}
	}
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

// listFaults prints the fault catalogue: a table of name, description and
// bug class, or with asJSON every field as a JSON array.
func listFaults(w io.Writer, asJSON bool) error {
	if asJSON {
		e := json.NewEncoder(w)
		e.SetIndent("", "  ")
		return e.Encode(faultfs.Catalogue())
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDESCRIPTION\tBUG CLASS")
	for _, d := range faultfs.Catalogue() {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", d.Name, d.Desc, d.Class)
	}
	fmt.Fprintf(tw, "\n--fault %s: every matching call is broken, or with :N only the Nth; docs/faults.md has the details.\n", faultfs.Spec)
	return tw.Flush()
}

// listArgs reports whether args ask for the catalogue (--list-faults,
// with --json or not, and nothing else) rather than a run. After `run`
// every argument is the run's (a guest may take --list-faults too).
func listArgs(args []string) (list, asJSON, ok bool) {
	if len(args) == 0 || args[0] == "run" || !slices.Contains(args, "--list-faults") {
		return false, false, true
	}
	for _, a := range args {
		switch a {
		case "--list-faults":
		case "--json":
			asJSON = true
		default:
			return true, false, false
		}
	}
	return true, asJSON, true
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	if list, asJSON, ok := listArgs(os.Args[1:]); list {
		if !ok {
			fmt.Fprintln(os.Stderr, "wazero-run: --list-faults takes only --json")
			os.Exit(exitUsage)
		}
		if err := listFaults(os.Stdout, asJSON); err != nil {
			fmt.Fprintln(os.Stderr, "wazero-run:", err)
			os.Exit(exitFailure)
		}
		return
	}
	var c cli
	k := kong.Parse(&c, kong.Name("wazero-run"), kong.Vars{"version": "wazero-run " + version},
		kong.Description("Run a WASI/WASIX module under wazero with `wasmer run`'s arguments. "+
			"`wazero-run --list-faults [--json]` prints the catalogue of --fault names."),
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
