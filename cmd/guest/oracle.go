package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"syscall"

	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
	"github.com/fsx-wasix/fsx-wasix/pkg/oracle"
)

// OracleFlags are oracle mode's own flags.
type OracleFlags struct {
	Oracle            bool   `name:"oracle" help:"Oracle mode: run every command sequence of length -N (1..8) in case directories under FILE."`
	OracleOutput      string `name:"oracle-output" help:"Write the transcript here (replaced only by a whole report)."`
	OracleExpected    string `name:"oracle-expected" help:"Compare against this transcript while running; exit 1 on any unsuppressed divergence."`
	OracleVerifyFiles bool   `name:"oracle-verify-files" help:"Compare NATIVE_REPORT and WASIX_REPORT and re-read the case files from the host."`
	OracleCatalog     bool   `name:"oracle-catalog" help:"Print the expanded catalog and exit."`
	OracleKeepFiles   bool   `name:"oracle-keep-files" help:"Keep every case's files in FILE/case-NNNNNNN/ (implied by --oracle-expected with an --oracle-output inside FILE: the seed's mounted-volume run, which --oracle-verify-files re-reads)."`
	OracleKnown       string `name:"oracle-known" help:"File of known divergence signatures (one per line) to report as suppressed."`
	OracleHostRoot    string `name:"oracle-host-root" help:"--oracle-verify-files: host directory of the runtime's case root (default: derived from where the report was written and is read)."`
	OracleStopFirst   bool   `name:"oracle-stop-first" help:"With --oracle-expected: stop at the first unsuppressed divergence and write no report (to measure how soon a broken filesystem is noticed)."`
	CaseStart         int64  `name:"case-start" default:"0" help:"Oracle: first case index to run."`
	CaseCount         int64  `name:"case-count" default:"-1" help:"Oracle: number of cases to run (default: to the last case)."`
}

// exitDivergent is oracle mode's exit code when the runtime answered
// differently from the expected report.
const exitDivergent = 1

func oracleChain(cli *CLI) (int, int64, error) {
	switch {
	case cli.NumOps == -1:
		return 0, 0, usagef("oracle mode needs -N, the command sequence length (1..%d)", oracle.MaxChain)
	case cli.NumOps < 1 || cli.NumOps > oracle.MaxChain:
		return 0, 0, usagef("-N %d: the oracle's chain length must be 1..%d", cli.NumOps, oracle.MaxChain)
	}
	L := int(cli.NumOps)
	total, err := oracle.CaseCount(L)
	if err != nil {
		return 0, 0, usagef("%v", err)
	}
	return L, total, nil
}

func readKnown(cli *CLI) (map[string]bool, error) {
	if cli.OracleKnown == "" {
		return nil, nil
	}
	k, err := oracle.ReadKnown(cli.OracleKnown)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return k, nil
}

func runOracle(cli *CLI) error {
	L, total, err := oracleChain(cli)
	if err != nil {
		return err
	}
	if len(cli.Args) != 1 {
		return usagef("oracle mode takes one root directory (e.g. /tmp/fsx-oracle-native), got %d arguments", len(cli.Args))
	}
	if cli.CaseCount == 0 {
		return usagef("--case-count 0: a run needs at least one case (omit --case-count to run to the last case)")
	}
	start, count := cli.CaseStart, cli.CaseCount
	if count == -1 {
		count = total - start
	}
	if start < 0 || start >= total || count < 1 || count > total-start {
		return usagef("--case-start %d --case-count %d: chain %d has cases 0..%d", cli.CaseStart, cli.CaseCount, L, total-1)
	}
	known, err := readKnown(cli)
	if err != nil {
		return err
	}
	prog, err := progressOptions(cli)
	if err != nil {
		return err
	}
	lanes := cli.Threads
	if lanes <= 0 {
		lanes = runtime.NumCPU()
	}
	opts := oracle.Options{
		Config: oracle.Config{
			Chain: L, Start: start, Count: count, Root: cli.Args[0], Lanes: lanes,
			KeepFiles: cli.OracleKeepFiles || keepImplied(cli),
		},
		Output: cli.OracleOutput, Expected: cli.OracleExpected, Known: known,
		StopAtFirst: cli.OracleStopFirst,
		Progress:    prog,
	}
	if cli.OracleStopFirst && cli.OracleExpected == "" {
		return usagef("--oracle-stop-first needs --oracle-expected: it stops at the first divergence from it")
	}
	// Prepare is the one place the root, the range and the expected report
	// are checked: bad input is refused before the banner says anything runs.
	session, err := oracle.Prepare(opts)
	var ie *oracle.InputError
	if errors.As(err, &ie) {
		return usagef("%v", ie.Err)
	}
	if err != nil {
		return err
	}
	// The human report goes to stdout, or to stderr when stdout carries
	// the JSON summary (as in random mode).
	human := humanOut(cli)
	if !cli.Quiet {
		fmt.Fprintf(human, "oracle: chain %d: %d cases in all (%d catalog entries, catalog %s); running cases %d..%d in %s with %d lane(s) of 2 workers\n",
			L, total, len(oracle.Catalog), oracle.CatalogHash, start, start+count-1, opts.Root, lanes)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := session.Run(ctx)
	if errors.As(err, &ie) {
		return usagef("%v", ie.Err)
	}
	if err != nil && ctx.Err() != nil {
		return exitError{code: exitInterrupted, msg: fmt.Sprintf("oracle: interrupted: chain %d cases %d..%d were not all run and no report was written; run the same command again (or a slice of it with --case-start/--case-count)", L, start, start+count-1)}
	}
	if err != nil {
		return err
	}
	sum := guestapi.OracleSummary{
		Mode: guestapi.ModeOracle, Chain: L, CatalogHash: oracle.CatalogHash, TotalCases: total, CaseStart: start, CaseCount: count,
		Root: res.Header.Root, Output: res.Header.Output, Platform: res.Header.Platform, Runtime: res.Header.Runtime,
		Seconds: res.Elapsed.Seconds(), OK: true, Stopped: res.Stopped,
	}
	if s := res.Elapsed.Seconds(); s > 0 {
		sum.CasesPerSec = float64(count) / s
	}
	if cli.OracleOutput != "" && !res.Stopped {
		if st, err := os.Stat(cli.OracleOutput); err == nil {
			sum.ReportBytes = st.Size()
		}
	}
	if !cli.Quiet && res.Stopped {
		fmt.Fprintf(human, "oracle: stopped at the first divergence, case %d of %d..%d, after %.2fs (no report written)\n",
			start+res.Comparer.Compared-1, start, start+count-1, sum.Seconds)
	} else if !cli.Quiet {
		fmt.Fprintf(human, "oracle: ran %d cases in %.2fs (%.0f cases/s)\n", count, sum.Seconds, sum.CasesPerSec)
		if cli.OracleOutput != "" {
			fmt.Fprintf(human, "oracle: report %s: %d bytes (%.2f bytes/case)%s\n", cli.OracleOutput, sum.ReportBytes, float64(sum.ReportBytes)/float64(count),
				map[bool]string{true: ", case files kept", false: ""}[opts.KeepFiles])
		}
	}
	if cli.Verbose {
		// Memory must stay flat in the chain length: say what the run
		// allocated and holds. runtime/metrics, not ReadMemStats, which
		// hangs the guest under the Wasmer SDK.
		m := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/memory/classes/total:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}}
		metrics.Read(m)
		fmt.Fprintf(human, "oracle: memory: %d bytes allocated (%.0f per case), %d MiB from the system, %d collections\n",
			m[0].Value.Uint64(), float64(m[0].Value.Uint64())/float64(count), m[1].Value.Uint64()>>20, m[2].Value.Uint64())
	}
	if c := res.Comparer; c != nil {
		fillCompare(&sum, c)
		if !cli.Quiet || !sum.OK {
			sum.WriteReport(human)
		}
	}
	if cli.JSON {
		if err := printJSON(sum); err != nil {
			return err
		}
	}
	if !sum.OK {
		return exitError{code: exitDivergent, msg: fmt.Sprintf("oracle: %d divergent cases (%d suppressed as known)", sum.Divergent, sum.Suppressed)}
	}
	return nil
}

// humanOut is where the human report goes: stdout, unless stdout carries
// the --json result.
func humanOut(cli *CLI) io.Writer {
	if cli.JSON {
		return os.Stderr
	}
	return os.Stdout
}

// keepImplied: a comparing run that writes its report inside its own root
// is the seed's mounted-volume run, whose case files --oracle-verify-files
// re-reads from the host afterwards, so it keeps them without being told.
// The native run (no --oracle-expected) and runs reporting elsewhere
// remove their case files as they go.
func keepImplied(cli *CLI) bool {
	if cli.OracleExpected == "" || cli.OracleOutput == "" || len(cli.Args) != 1 {
		return false
	}
	root, err1 := filepath.Abs(cli.Args[0])
	out, err2 := filepath.Abs(cli.OracleOutput)
	return err1 == nil && err2 == nil && strings.HasPrefix(out, root+string(filepath.Separator))
}

// fillCompare copies the comparison into the summary: the counts, the
// groups and the first divergent programs, in pkg/oracle's order.
func fillCompare(sum *guestapi.OracleSummary, c *oracle.Comparer) { c.Fill(sum) }

// printJSON writes v as the --json result on stdout.
func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func runOracleVerifyFiles(cli *CLI) error {
	if len(cli.Args) != 2 {
		return usagef("--oracle-verify-files takes NATIVE_REPORT WASIX_REPORT, got %d arguments", len(cli.Args))
	}
	known, err := readKnown(cli)
	if err != nil {
		return err
	}
	c, err := oracle.VerifyFiles(cli.Args[0], cli.Args[1], cli.OracleHostRoot, known)
	if err != nil {
		return usagef("%v", err)
	}
	sum := guestapi.OracleSummary{Mode: guestapi.ModeVerifyFiles, Chain: c.Chain, CatalogHash: oracle.CatalogHash, Platform: oracle.Platform(), Runtime: oracle.RuntimeName()}
	fillCompare(&sum, c)
	human := humanOut(cli)
	if !cli.Quiet || !sum.OK {
		sum.WriteReport(human)
	}
	sum.WriteHostFiles(human)
	if cli.JSON {
		if err := printJSON(sum); err != nil {
			return err
		}
	}
	if !sum.OK {
		return exitError{code: exitDivergent, msg: fmt.Sprintf("oracle verify: %d divergent cases (%d suppressed as known)", sum.Divergent, sum.Suppressed)}
	}
	return nil
}

// catalog is the guest's catalog as --oracle-catalog --json prints it,
// with the case count of every chain length from pkg/oracle's CaseCount.
func catalog() guestapi.Catalog {
	cat := guestapi.Catalog{Hash: oracle.CatalogHash}
	for i, e := range oracle.Catalog {
		en := guestapi.CatalogEntry{Index: i, Command: e.Command().Name, Handle: int(e.Handle)}
		if e.File >= 0 {
			en.File = oracle.Files[e.File]
		}
		cat.Entries = append(cat.Entries, en)
	}
	for L := 1; L <= oracle.MaxChain; L++ {
		if n, err := oracle.CaseCount(L); err == nil {
			cat.Chains = append(cat.Chains, guestapi.ChainCases{Chain: L, Cases: n})
		}
	}
	return cat
}

func printOracleCatalog(cli *CLI) error {
	cat := catalog()
	if cli.JSON {
		return printJSON(cat)
	}
	fmt.Printf("# fsx-wasix oracle catalog %s: %d commands expanded to %d entries\n", cat.Hash, len(oracle.Commands), len(cat.Entries))
	for _, ch := range cat.Chains {
		if ch.Chain <= 3 {
			fmt.Printf("# chain %d: %d cases\n", ch.Chain, ch.Cases)
		}
	}
	for i, e := range oracle.Catalog {
		fmt.Printf("%3d  %s\n", i, e)
	}
	return nil
}
