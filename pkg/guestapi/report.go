package guestapi

import (
	"fmt"
	"io"
	"strings"
)

// WriteReport prints the comparison as the guest's human report does (the
// wording of docs/oracle.md, unchanged from pkg/oracle's Comparer): the
// counts, the first divergent programs, the groups by signature.
func (s *OracleSummary) WriteReport(w io.Writer) {
	fmt.Fprintf(w, "compared %d cases: %d divergent", s.Compared, s.Divergent)
	if s.Suppressed > 0 {
		fmt.Fprintf(w, " (%d suppressed as known)", s.Suppressed)
	}
	fmt.Fprintln(w)
	if len(s.First) > 0 {
		fmt.Fprintf(w, "first %d divergent cases:\n", len(s.First))
		for _, d := range s.First {
			fmt.Fprintf(w, "%s\n  signature: %s\n", strings.TrimRight(d.Program, "\n"), d.Signature)
		}
	}
	if len(s.Groups) > 0 {
		fmt.Fprintf(w, "divergences by signature (%d distinct):\n", len(s.Groups))
		for _, g := range s.Groups {
			note := ""
			if g.Suppressed {
				note = "  [suppressed: known]"
			}
			fmt.Fprintf(w, "  %8d  %s  (e.g. case %d)%s\n", g.Count, g.Signature, g.Example, note)
		}
	}
}

// WriteHostFiles prints the host re-read's last line.
func (s *OracleSummary) WriteHostFiles(w io.Writer) {
	fmt.Fprintf(w, "checked %d file snapshots\n", s.HostFiles)
}
