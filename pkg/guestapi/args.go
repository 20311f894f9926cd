package guestapi

import "strconv"

// The guest's command lines. Each builder emits the seed's flags in the
// seed's order, then the optional flags in a fixed order, then the
// positional arguments, so a command line reads like the seed's and a
// test can compare it with the seed's text.

// Random is random mode's command line, the seed's
//
//	-f CFG -N n -S s -j k FILE
//
// followed by the optional flags that are set, then FILE.
type Random struct {
	Config  string // -f: the TOML config; "" omits -f (built-in defaults)
	NumOps  int64  // -N: operations per worker; -1 (unlimited, the guest's default) omits -N, since the CLI reads "-N -1" as two flags
	Seed    uint64 // -S, always given
	Threads int    // -j: workers; 0 omits -j (the count the runtime reports)
	File    string // FILE; worker K uses dir(FILE)/thread-K/base(FILE) when k > 1

	Inject      int64  // --inject N: op N applied to the model only (a deliberate failure); 0 = off
	LogStart    int64  // -b: log every op from this one; 0 = off
	Monitor     string // -m FROM:TO; "" = off
	ArtifactDir string // -P: failure artifacts' directory; "" = FILE's
	Quiet       bool   // -q
	Verbose     bool   // -v
	JSON        bool   // --json: a RandomResult on stdout, the human log on stderr
	RecordOps   string // --record-ops: every op written as it runs
	ReplayOps   string // --replay-ops: run exactly these ops (-N cuts them, -S gives the data)
	// ShrinkOps makes the line `shrink OPSFILE ... FILE`: the ops of
	// OPSFILE reduced to a minimal failing program on FILE.
	ShrinkOps string
}

// Args is the command line (without the program name).
func (r Random) Args() []string {
	var a []string
	if r.ShrinkOps != "" {
		a = append(a, "shrink", r.ShrinkOps)
	}
	if r.Config != "" {
		a = append(a, "-f", r.Config)
	}
	if r.NumOps != -1 {
		a = append(a, "-N", strconv.FormatInt(r.NumOps, 10))
	}
	a = append(a, "-S", strconv.FormatUint(r.Seed, 10))
	if r.Threads != 0 {
		a = append(a, "-j", strconv.Itoa(r.Threads))
	}
	if r.Inject != 0 {
		a = append(a, "--inject", strconv.FormatInt(r.Inject, 10))
	}
	if r.LogStart != 0 {
		a = append(a, "-b", strconv.FormatInt(r.LogStart, 10))
	}
	if r.Monitor != "" {
		a = append(a, "-m", r.Monitor)
	}
	if r.ArtifactDir != "" {
		a = append(a, "-P", r.ArtifactDir)
	}
	if r.RecordOps != "" {
		a = append(a, "--record-ops", r.RecordOps)
	}
	if r.ReplayOps != "" {
		a = append(a, "--replay-ops", r.ReplayOps)
	}
	a = appendCommon(a, r.Quiet, r.Verbose, r.JSON)
	return append(a, r.File)
}

// Oracle is an oracle run's command line. Without Expected it is the native
// run that writes the expected report, the seed's
//
//	--oracle -N L --oracle-output OUT ROOT
//
// and with Expected the comparing run:
//
//	--oracle -N L [--case-start S --case-count C] --oracle-expected EXP
//	    [--oracle-known K] [--oracle-output OUT] [--oracle-keep-files] [--json] ROOT
//
// With JSON the comparing run prints an OracleSummary on stdout (and its
// human report on stderr); its exit code is 1 on an unsuppressed divergence.
type Oracle struct {
	Chain     int    // -N L: the command sequence length, 1..8
	CaseStart int64  // --case-start
	CaseCount int64  // --case-count; 0 omits it (to the last case), and omits --case-start too when that is 0
	Expected  string // --oracle-expected: compare with this report while running
	Known     string // --oracle-known: known divergence signatures, reported as suppressed
	Output    string // --oracle-output: write the run's report here
	KeepFiles bool   // --oracle-keep-files: keep every case's files under ROOT for --oracle-verify-files
	StopFirst bool   // --oracle-stop-first: end at the first unsuppressed divergence (no report)
	Quiet     bool   // -q
	Verbose   bool   // -v
	JSON      bool   // --json
	Root      string // ROOT: the case root directory
}

// Args is the command line (without the program name).
func (o Oracle) Args() []string {
	a := []string{"--oracle", "-N", strconv.Itoa(o.Chain)}
	if o.CaseCount != 0 || o.CaseStart != 0 {
		a = append(a, "--case-start", strconv.FormatInt(o.CaseStart, 10))
	}
	if o.CaseCount != 0 {
		a = append(a, "--case-count", strconv.FormatInt(o.CaseCount, 10))
	}
	if o.Expected != "" {
		a = append(a, "--oracle-expected", o.Expected)
	}
	if o.Known != "" {
		a = append(a, "--oracle-known", o.Known)
	}
	if o.Output != "" {
		a = append(a, "--oracle-output", o.Output)
	}
	if o.KeepFiles {
		a = append(a, "--oracle-keep-files")
	}
	if o.StopFirst {
		a = append(a, "--oracle-stop-first")
	}
	a = appendCommon(a, o.Quiet, o.Verbose, o.JSON)
	return append(a, o.Root)
}

// Verify is the host re-read's command line, the seed's
//
//	--oracle-verify-files [--oracle-known K] [--oracle-host-root DIR] [--json] NATIVE_REPORT WASIX_REPORT
//
// run natively after the runtime exited. With JSON it prints an
// OracleSummary (Mode ModeVerifyFiles) on stdout.
type Verify struct {
	Native   string // NATIVE_REPORT: the expected report
	Report   string // WASIX_REPORT: the runtime's report, written with its case files kept
	Known    string // --oracle-known
	HostRoot string // --oracle-host-root: the runtime's case root on the host ("" = derived)
	Quiet    bool   // -q
	JSON     bool   // --json
}

// Args is the command line (without the program name).
func (v Verify) Args() []string {
	a := []string{"--oracle-verify-files"}
	if v.Known != "" {
		a = append(a, "--oracle-known", v.Known)
	}
	if v.HostRoot != "" {
		a = append(a, "--oracle-host-root", v.HostRoot)
	}
	a = appendCommon(a, v.Quiet, false, v.JSON)
	return append(a, v.Native, v.Report)
}

// CatalogArgs is `--oracle-catalog`, with `--json` for a Catalog on stdout.
func CatalogArgs(json bool) []string {
	if json {
		return []string{"--oracle-catalog", "--json"}
	}
	return []string{"--oracle-catalog"}
}

// Server is server mode's command line, the seed's `--server PORT`:
//
//	--server [--allow-root DIR]... [FLAGS...] [-q] PORT
//
// /run answers with a RunResponse, /health with a Health, refusals with an
// ErrorResponse.
type Server struct {
	Port       int      // PORT; 0 lets the kernel pick (natively the guest prints the address on stderr)
	AllowRoots []string // --allow-root DIR, repeated (required natively)
	Flags      []string // further server flags, as typed (e.g. "--max-runs", "2")
	Quiet      bool     // -q: no per-run log lines
}

// Args is the command line (without the program name).
func (s Server) Args() []string {
	a := []string{"--server"}
	for _, r := range s.AllowRoots {
		a = append(a, "--allow-root", r)
	}
	a = append(a, s.Flags...)
	a = appendCommon(a, s.Quiet, false, false)
	return append(a, strconv.Itoa(s.Port))
}

// appendCommon adds the flags every mode shares, in one order.
func appendCommon(a []string, quiet, verbose, json bool) []string {
	if quiet {
		a = append(a, "-q")
	}
	if verbose {
		a = append(a, "-v")
	}
	if json {
		a = append(a, "--json")
	}
	return a
}
