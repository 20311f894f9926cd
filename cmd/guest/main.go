// Command fsx-wasix is the guest: one binary, built natively and for
// GOOS=wasip1, with three modes — random (fsx), oracle and HTTP server.
//
// The flags shared by every mode live here; each mode keeps its own flags in
// an embedded struct beside its code (random.go, oracle.go, server.go), so a
// mode can be read in one file.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/alecthomas/kong"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// Exit codes shared by every mode. Random mode adds fsx.c's failure codes
// (see pkg/exerciser); these two are the ones every mode can return.
const (
	exitOK    = 0
	exitUsage = 2 // bad flags, bad config, bad input
	// exitInterrupted: SIGINT or SIGTERM stopped the run cleanly (summary
	// printed). Not the shell's 130: fsx.c gives 130 to its start-up
	// truncate check (docs/exit-codes.md).
	exitInterrupted = 4
)

// CLI is the whole command line. Kong fills it; run dispatches on the mode.
type CLI struct {
	NumOps  int64   `short:"N" name:"numops" default:"-1" help:"Random mode: operations per worker (default: unlimited). Oracle mode: command sequence length."`
	Seed    *uint64 `short:"S" name:"seed" help:"Seed for the random generator (random when omitted; always printed)."`
	Threads int     `short:"j" name:"threads" default:"0" help:"Workers (default: the logical CPU count the runtime reports)."`
	Verbose bool    `short:"v" help:"Log more."`
	Quiet   bool    `short:"q" help:"Log less."`
	JSON    bool    `name:"json" help:"Print the summary as JSON on stdout."`

	// Progress (random mode and the oracle), on stderr: progress.go.
	ProgressInterval *time.Duration `name:"progress-interval" placeholder:"DURATION" help:"Random mode and the oracle: print a progress line on stderr this often (default 5s; 0 turns progress off, as -q does unless this flag is given). On a terminal a bar is redrawn instead."`
	ProgressBar      bool           `name:"progress-bar" help:"Draw the progress bar even where the guest cannot tell a terminal: under WebAssembly (Wasmer says every stdio descriptor is one), or with stderr redirected."`

	Version kong.VersionFlag `help:"Print the version and exit."`

	RandomFlags `embed:""`
	OracleFlags `embed:""`
	ServerFlags `embed:""`
	ShrinkFlags `embed:""`
	DiffFlags   `embed:""`

	Args []string `arg:"" optional:"" name:"FILE" help:"Random: the file to exercise. Oracle: the case root directory. Server: an optional port. --oracle-verify-files: NATIVE_REPORT WASIX_REPORT."`
}

// usageError marks an error as the user's input being wrong: exit 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// exitError carries a specific exit code and an optional message already printed.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	var cli CLI
	parser, err := kong.New(&cli,
		kong.Name("fsx-wasix"),
		kong.Description("A filesystem exerciser for WebAssembly runtimes (random fsx mode, oracle mode, HTTP server)."),
		kong.Vars{"version": version},
		kong.UsageOnError(),
		kong.Exit(func(code int) { panic(kongExit(code)) }),
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fsx-wasix:", err)
		return exitUsage
	}
	// `fsx-wasix shrink OPSFILE ... FILE` takes random mode's flags: it is a
	// word before them, not a kong subcommand, so the seed's command lines
	// (no subcommand) parse as before.
	// OPSFILE moves to the end, after FILE: kong takes the positional
	// arguments that follow the last flag.
	shrinking := len(args) > 0 && args[0] == "shrink"
	if shrinking {
		if len(args) > 1 && !strings.HasPrefix(args[1], "-") {
			args = append(append([]string(nil), args[2:]...), args[1])
		} else {
			args = args[1:]
		}
	}
	code, done := parse(parser, normalizeArgs(args))
	if done {
		return code
	}
	if shrinking {
		err = shrinkCommand(&cli)
	} else {
		err = dispatch(&cli)
	}
	var ee exitError
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		if ee.msg != "" {
			fmt.Fprintln(os.Stderr, "fsx-wasix:", ee.msg)
		}
		return ee.code
	case errors.As(err, &ue):
		fmt.Fprintln(os.Stderr, "fsx-wasix:", err)
		return exitUsage
	default:
		fmt.Fprintln(os.Stderr, "fsx-wasix:", err)
		return 1
	}
}

type kongExit int

// parse runs kong, turning its exit calls (help, version, parse errors) into
// return values so main stays the only caller of os.Exit.
func parse(parser *kong.Kong, args []string) (code int, done bool) {
	defer func() {
		if r := recover(); r != nil {
			if c, ok := r.(kongExit); ok {
				code, done = int(c), true
				return
			}
			panic(r)
		}
	}()
	if _, err := parser.Parse(args); err != nil {
		fmt.Fprintln(os.Stderr, "fsx-wasix:", err)
		return exitUsage, true
	}
	return 0, false
}

// normalizeArgs accepts fsx's attached short forms (-j4, -N100, -S1) that
// users type from habit.
//
// A negative number after a numeric flag (-N -5) is joined to it as
// --numops=-5: the CLI library would take "-5" for a flag and answer with
// a suggestion that fails again; joined, the mode's own check says the
// allowed range in one line.
func normalizeArgs(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if long, ok := numericFlags[a]; ok && i+1 < len(args) && isNegative(args[i+1]) {
			out = append(out, long+"="+args[i+1])
			i++
			continue
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' {
			switch a[1] {
			case 'j', 'N', 'S', 'b', 'm', 'P', 'f':
				if a[2] != '=' {
					out = append(out, a[:2], a[2:])
					continue
				}
			}
		}
		out = append(out, a)
	}
	return out
}

// numericFlags are the flags that take a signed number, by every spelling,
// with their long name.
var numericFlags = map[string]string{
	"-N": "--numops", "--numops": "--numops", "-j": "--threads", "--threads": "--threads",
	"-S": "--seed", "--seed": "--seed", "-b": "--log-start", "--log-start": "--log-start",
	"--inject": "--inject", "--case-start": "--case-start", "--case-count": "--case-count",
	"--shrink-attempts": "--shrink-attempts",
}

func isNegative(s string) bool {
	if len(s) < 2 || s[0] != '-' {
		return false
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func dispatch(cli *CLI) error {
	var modes []string
	for _, m := range []struct {
		on   bool
		flag string
	}{{cli.Server, "--server"}, {cli.Oracle, "--oracle"}, {cli.OracleVerifyFiles, "--oracle-verify-files"}, {cli.OracleCatalog, "--oracle-catalog"}} {
		if m.on {
			modes = append(modes, m.flag)
		}
	}
	if len(modes) > 1 {
		return usagef("%s are different modes: give one", strings.Join(modes, " and "))
	}
	switch {
	case cli.Server:
		return runServer(cli)
	case cli.OracleCatalog:
		return printOracleCatalog(cli)
	case cli.OracleVerifyFiles:
		return runOracleVerifyFiles(cli)
	case cli.Oracle:
		return runOracle(cli)
	case cli.DiffProgram != "":
		return runDiffProgram(cli)
	case cli.Diff:
		return runDiff(cli)
	default:
		return runRandom(cli)
	}
}
