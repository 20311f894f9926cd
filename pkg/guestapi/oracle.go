package guestapi

// Modes of an OracleSummary.
const (
	ModeOracle      = "oracle"              // --oracle: a native or comparing run
	ModeVerifyFiles = "oracle-verify-files" // --oracle-verify-files: the host re-read
)

// OracleSummary is oracle mode's --json result on stdout, for a run
// (--oracle) and for the host re-read (--oracle-verify-files). The human
// report, on stdout without --json and on stderr with it, is rendered from
// the same value (WriteReport).
type OracleSummary struct {
	Mode        string  `json:"mode"` // ModeOracle or ModeVerifyFiles
	Chain       int     `json:"chain"`
	CatalogHash string  `json:"catalog_hash"`
	TotalCases  int64   `json:"total_cases"` // cases of the chain (runs only)
	CaseStart   int64   `json:"case_start"`  // the slice run (runs only)
	CaseCount   int64   `json:"case_count"`
	Root        string  `json:"root,omitempty"`   // the case root, absolute
	Output      string  `json:"output,omitempty"` // the report written, absolute
	Platform    string  `json:"platform"`         // GOOS/GOARCH of the guest
	Runtime     string  `json:"runtime"`          // "native", or $FSX_RUNTIME under wasip1
	Seconds     float64 `json:"seconds,omitempty"`
	CasesPerSec float64 `json:"cases_per_second,omitempty"`
	ReportBytes int64   `json:"report_bytes,omitempty"`

	// The comparison (zero for a native run, which compares nothing).
	Compared   int64 `json:"compared"`
	Divergent  int64 `json:"divergent"`  // including suppressed
	Suppressed int64 `json:"suppressed"` // divergent cases whose signature is known
	// HostFiles is the file snapshots the host re-read checked (verify-files).
	HostFiles int64 `json:"host_file_snapshots,omitempty"`
	// Groups are the divergent cases by signature, most frequent first.
	Groups []OracleGroup `json:"groups,omitempty"`
	// First are the first unsuppressed divergent cases (at most 20), each
	// spelled out as a readable program.
	First []OracleDivergence `json:"first,omitempty"`
	// OK: no unsuppressed divergence (the exit code is 0, else 1).
	OK bool `json:"ok"`
	// Stopped: --oracle-stop-first ended the run at its first unsuppressed
	// divergence (Compared cases ran; no report was written).
	Stopped bool `json:"stopped,omitempty"`
}

// OracleGroup is all divergent cases with one signature: which command (or
// file snapshot) first answered differently and how, e.g.
// "read(zero_bytes): EBADF -> EACCES".
type OracleGroup struct {
	Signature  string `json:"signature"`
	Count      int64  `json:"count"`
	Suppressed bool   `json:"suppressed"` // the signature was given as known
	Example    int64  `json:"example_case"`
}

// OracleDivergence is one divergent case spelled out.
type OracleDivergence struct {
	Index      int64  `json:"case"`
	Signature  string `json:"signature"`
	Suppressed bool   `json:"suppressed"`
	Program    string `json:"program"` // the case's steps with expected and actual outcomes, one per line
}

// Signatures is the cases per divergence signature.
func (s *OracleSummary) Signatures() map[string]int64 {
	m := make(map[string]int64, len(s.Groups))
	for _, g := range s.Groups {
		m[g.Signature] += g.Count
	}
	return m
}

// Catalog is `--oracle-catalog --json`: the guest's expanded command
// catalog, its hash (recorded in every report) and the number of cases of
// each chain length, counted by the guest itself (the host may be built
// from other sources than the guest it runs).
type Catalog struct {
	Hash    string         `json:"catalog_hash"`
	Entries []CatalogEntry `json:"entries"`
	Chains  []ChainCases   `json:"chains"`
}

// CatalogEntry is one command on one handle and file.
type CatalogEntry struct {
	Index   int    `json:"index"`
	Command string `json:"command"`        // e.g. "open(append_create)"
	Handle  int    `json:"handle"`         // 0 or 1; -1 for commands without a handle
	File    string `json:"file,omitempty"` // "A", "B", "C"; "" when the command names no file
}

// ChainCases is the number of cases (command sequences × worker
// assignments) of one chain length.
type ChainCases struct {
	Chain int   `json:"chain"`
	Cases int64 `json:"cases"`
}

// Cases is the case count of chain length L, and whether the catalog has it.
func (c *Catalog) Cases(L int) (int64, bool) {
	for _, ch := range c.Chains {
		if ch.Chain == L {
			return ch.Cases, true
		}
	}
	return 0, false
}
