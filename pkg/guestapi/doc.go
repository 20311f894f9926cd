// Package guestapi is the guest↔host contract: the one place where the
// guest (cmd/guest) and the programs that run it (the orchestrator, the
// e2e tests, the benchmarks) agree on command lines, environment variable
// names and JSON results.
//
// Before it, the host built guest command lines by hand in several places
// and read the guest's results by scraping its human report with regular
// expressions, so a reworded line silently broke the orchestrator (and the
// scraper's own test fixture had drifted from the real wording). Now:
//
//   - argv: [Random], [Oracle], [Verify], [Server] and [CatalogArgs] build
//     each mode's command line in the seed's shape;
//   - environment: the Env* constants name every variable the guest reads;
//   - results: [RandomResult], [OracleSummary], [Catalog] and the server's
//     [RunResponse], [Health] and [ErrorResponse] are what the guest prints
//     with --json (or answers over HTTP). The guest fills them and encodes
//     them; the host decodes the same types. Field names are the wire
//     format users already script against: they do not change.
//
// Both sides import this package, so it builds for GOOS=wasip1 and imports
// nothing but the standard library's portable parts: no os/exec, nothing of
// internal/runner or other host-only code, nothing of the guest's engines
// (pkg/exerciser, pkg/oracle), which convert their results into these
// types instead.
//
// There is no schema version field: adding one would change every mode's
// existing --json output. The guest and the orchestrator are built from one
// tree, and where the host cannot assume that (the catalog), it checks that
// the fields it needs are present.
package guestapi
