package detect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// modeRank orders columns: random, random+sync, oracle-1, oracle-2, …,
// diff, then anything else by name.
func modeRank(m string) (int, string) {
	switch {
	case m == "random":
		return 0, ""
	case m == "random+sync":
		return 1, ""
	case strings.HasPrefix(m, "oracle-"):
		if L, err := strconv.Atoi(strings.TrimPrefix(m, "oracle-")); err == nil {
			return 2 + L, ""
		}
	case m == ModeDiff:
		return 1 << 20, ""
	}
	return 1<<20 + 1, m
}

func modeLess(a, b string) bool {
	ra, sa := modeRank(a)
	rb, sb := modeRank(b)
	if ra != rb {
		return ra < rb
	}
	return sa < sb
}

// Modes are the table's columns: every mode some row has a cell of, in
// column order.
func (t *Table) Modes() []string {
	var out []string
	for _, r := range t.Rows {
		for _, c := range r.Cells {
			if !slices.Contains(out, c.Mode) {
				out = append(out, c.Mode)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return modeLess(out[i], out[j]) })
	return out
}

// cell is row r's cell of mode m, or nil.
func (r *Row) cell(m string) *Cell {
	for i := range r.Cells {
		if r.Cells[i].Mode == m {
			return &r.Cells[i]
		}
	}
	return nil
}

// parts is t.Parts, or for a table without them the one part it is.
func (t *Table) parts() []Part {
	if len(t.Parts) > 0 {
		return t.Parts
	}
	return []Part{{Modes: t.Modes(), Date: t.Date, Seconds: t.Seconds}}
}

// ReadTable reads a table written by `orchestrate detect --json` and
// checks that it is one: rows, the control first, every cell with a mode.
func ReadTable(path string) (*Table, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var t Table
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("%s is not a detection table: %v", path, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s is not a detection table: data after the table", path)
	}
	if err := t.check(); err != nil {
		return nil, fmt.Errorf("%s is not a detection table: %v", path, err)
	}
	return &t, nil
}

func (t *Table) check() error {
	if len(t.Rows) == 0 {
		return fmt.Errorf("no rows")
	}
	if t.Rows[0].Fault != "" {
		return fmt.Errorf("the first row is %q, not the control (no fault)", t.Rows[0].Fault)
	}
	seen := map[string]bool{}
	for _, r := range t.Rows {
		if seen[r.Fault] {
			return fmt.Errorf("fault %q has two rows", r.Fault)
		}
		seen[r.Fault] = true
		modes := map[string]bool{}
		for _, c := range r.Cells {
			if c.Mode == "" || modes[c.Mode] {
				return fmt.Errorf("row %q: a cell without a mode, or two of mode %q", orNone(r.Fault), c.Mode)
			}
			modes[c.Mode] = true
		}
	}
	return nil
}

// Merge is old with the columns of upd: every column upd has replaces
// old's column of that mode (row by row, by fault; a fault only upd has
// gets a row), the other columns of old stay. The parameters of the
// replaced columns (seeds, ops, chains, programs) are upd's, and upd's
// part replaces the replaced columns in old's parts.
func Merge(old, upd *Table) (*Table, error) {
	if err := old.check(); err != nil {
		return nil, fmt.Errorf("the table to merge into: %v", err)
	}
	if err := upd.check(); err != nil {
		return nil, fmt.Errorf("the new columns: %v", err)
	}
	now := upd.Modes()
	m := &Table{Seeds: old.Seeds, SyncSeeds: old.SyncSeeds, NumOps: old.NumOps, DiffPrograms: old.DiffPrograms, DiffSeed: old.DiffSeed}
	has := func(mode string) bool { return slices.Contains(now, mode) }
	if has("random") {
		m.Seeds, m.NumOps = upd.Seeds, upd.NumOps
	}
	if has("random+sync") {
		m.SyncSeeds, m.NumOps = upd.SyncSeeds, upd.NumOps
	}
	if has(ModeDiff) {
		m.DiffPrograms, m.DiffSeed = upd.DiffPrograms, upd.DiffSeed
	}
	byFault := map[string]*Row{}
	for i := range upd.Rows {
		byFault[upd.Rows[i].Fault] = &upd.Rows[i]
	}
	for _, r := range old.Rows {
		row := Row{Fault: r.Fault, Group: r.Group}
		for _, c := range r.Cells {
			if !has(c.Mode) {
				row.Cells = append(row.Cells, c)
			}
		}
		if u := byFault[r.Fault]; u != nil {
			row.Cells = append(row.Cells, u.Cells...)
			if u.Group != "" {
				row.Group = u.Group
			}
			delete(byFault, r.Fault)
		}
		m.Rows = append(m.Rows, row)
	}
	for _, r := range upd.Rows {
		if byFault[r.Fault] != nil {
			m.Rows = append(m.Rows, r)
		}
	}
	for i := range m.Rows {
		c := m.Rows[i].Cells
		sort.SliceStable(c, func(a, b int) bool { return modeLess(c[a].Mode, c[b].Mode) })
	}
	for _, mode := range m.Modes() {
		var L int
		if _, err := fmt.Sscanf(mode, "oracle-%d", &L); err == nil {
			m.Chains = append(m.Chains, L)
		}
	}
	for _, p := range old.parts() {
		var keep []string
		for _, mode := range p.Modes {
			if !has(mode) {
				keep = append(keep, mode)
			}
		}
		if len(keep) > 0 {
			p.Modes = keep
			m.Parts = append(m.Parts, p)
		}
	}
	m.Parts = append(m.Parts, upd.parts()...)
	for _, p := range m.Parts {
		m.Seconds += p.Seconds
		if p.Date > m.Date {
			m.Date = p.Date
		}
	}
	return m, nil
}
