package diff

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
)

// The program file format: programs as text, one op per line, in the
// spirit of .fsxops. It is what a divergence is printed as, what the
// host-side shrinker writes candidates in, and what --diff-program runs.
//
//	# comment: ignored, as are leading and trailing spaces
//	program [LABEL]            optional: starts a new program
//	w1 open h0 A RDWR|CREAT    WORKER KIND OPERANDS
//	w2 write h0 32
//	w1 rename A d0/B
//
//	w1 stat A                  a blank line also ends a program
//
// WORKER is w1 or w2. KIND is the op's fsop name; its operands:
//
//	open hK P FLAGS        FLAGS: RDONLY|WRONLY|RDWR then |CREAT |EXCL |TRUNC |APPEND |DIRECTORY ("-" = RDONLY)
//	close|fstat|fsync|fdatasync hK
//	read|write hK SIZE     at the handle's offset
//	mapread|mapwrite hK OFFSET SIZE   pread/pwrite
//	seek hK set|cur|end OFFSET        OFFSET signed
//	truncate hK SIZE       ftruncate
//	read_dir_batch hK N    up to N entries from a directory handle
//	stat|delete|mkdir|rmdir|remove_all|read_dir P    (read_dir . lists the root; open h0 . opens it)
//	rename|link P Q
//	snapshot
//
// hK is h0..h3; P and Q are names of the namespace (Paths: A–D, d0, d1, and
// those under d0/ or d1/). Numbers are decimal or 0x hex. A parse error
// names the file, the line and the reason.

// Program is a parsed program with where it came from.
type Program struct {
	Label string // the program line's label, or "NAME:LINE" of its first op
	Line  int    // line of its first op
	Steps fsop.Program
}

var whenceNames = [...]string{"set", "cur", "end"}

// FormatFlags spells open flags with the access mode first: "RDWR|CREAT",
// "RDONLY|DIRECTORY".
func FormatFlags(f fsop.OpenFlags) string {
	acc := "RDONLY"
	switch {
	case f&fsop.ReadWrite != 0:
		acc = "RDWR"
	case f&fsop.WriteOnly != 0:
		acc = "WRONLY"
	}
	rest := f &^ (fsop.ReadWrite | fsop.WriteOnly)
	if f&fsop.ReadWrite != 0 && f&fsop.WriteOnly != 0 {
		rest |= fsop.WriteOnly // both bits: keep the odd one visible
	}
	if rest == 0 {
		return acc
	}
	return acc + "|" + rest.String()
}

// FormatOp spells op in the program file format, without the worker.
func FormatOp(op *fsop.Op) string {
	var b strings.Builder
	b.WriteString(op.Kind.String())
	a := argsOf(op.Kind)
	if a&argHandle != 0 {
		fmt.Fprintf(&b, " h%d", op.Handle)
	}
	if a&argPath != 0 {
		b.WriteString(" " + PathName(op.File))
	}
	if a&argPath2 != 0 {
		b.WriteString(" " + PathName(op.File2))
	}
	if a&argFlags != 0 {
		b.WriteString(" " + FormatFlags(op.Flags))
	}
	if a&argWhence != 0 {
		w := "?"
		if int(op.Whence) < len(whenceNames) {
			w = whenceNames[op.Whence]
		}
		fmt.Fprintf(&b, " %s %d", w, int64(op.Offset))
	}
	if a&argOffset != 0 {
		fmt.Fprintf(&b, " %d", op.Offset)
	}
	if a&argSize != 0 {
		fmt.Fprintf(&b, " %d", op.Size)
	}
	return b.String()
}

// FormatStep is one line of a program file: "w1 open h0 A RDWR|CREAT".
func FormatStep(st *fsop.Step) string { return fmt.Sprintf("w%d %s", st.Worker, FormatOp(&st.Op)) }

// AppendProgram appends p in the file format, preceded by a program line
// with label (when label is not empty), and ends it with a blank line.
func AppendProgram(b []byte, label string, p fsop.Program) []byte {
	if label != "" {
		b = append(b, "program "...)
		b = append(b, label...)
		b = append(b, '\n')
	}
	for i := range p {
		b = append(b, FormatStep(&p[i])...)
		b = append(b, '\n')
	}
	return append(b, '\n')
}

// ParsePrograms reads every program of a program file; name labels errors
// ("NAME:LINE: reason").
func ParsePrograms(r io.Reader, name string) ([]Program, error) {
	var out []Program
	var cur *Program
	end := func() {
		if cur != nil && len(cur.Steps) > 0 {
			out = append(out, *cur)
		}
		cur = nil
	}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			end()
			continue
		}
		if strings.HasPrefix(text, "#") {
			continue
		}
		f := strings.Fields(text)
		if f[0] == "program" {
			end()
			cur = &Program{Label: strings.TrimSpace(strings.TrimPrefix(text, "program"))}
			continue
		}
		st, err := ParseStep(f)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, line, err)
		}
		if cur == nil {
			cur = &Program{}
		}
		if len(cur.Steps) == 0 {
			cur.Line = line
			if cur.Label == "" {
				cur.Label = fmt.Sprintf("%s:%d", name, line)
			}
		}
		if len(cur.Steps) == MaxLength {
			return nil, fmt.Errorf("%s:%d: program longer than %d steps", name, line, MaxLength)
		}
		cur.Steps = append(cur.Steps, st)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	end()
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no programs", name)
	}
	return out, nil
}

// ParseStep parses the fields of one op line.
func ParseStep(f []string) (fsop.Step, error) {
	st := fsop.Step{}
	switch f[0] {
	case "w1":
		st.Worker = 1
	case "w2":
		st.Worker = 2
	default:
		return st, fmt.Errorf("want a worker (w1 or w2) first, got %q", f[0])
	}
	if len(f) < 2 {
		return st, fmt.Errorf("worker without an op")
	}
	k, ok := fsop.ParseKind(f[1])
	if !ok || classIndex(k) < 0 {
		return st, fmt.Errorf("unknown op %q (want one of %s)", f[1], classNames())
	}
	op := fsop.Op{Kind: k, Handle: fsop.NoHandle, File: fsop.NoFile, File2: fsop.NoFile}
	a := argsOf(k)
	want := 0
	for _, bit := range [...]int{argHandle, argPath, argPath2, argFlags, argOffset, argSize} {
		if a&bit != 0 {
			want++
		}
	}
	if a&argWhence != 0 {
		want += 2
	}
	args := f[2:]
	if len(args) != want {
		return st, fmt.Errorf("%s takes %d operands (%s), got %d", k, want, usageOf(k), len(args))
	}
	next := func() string { s := args[0]; args = args[1:]; return s }
	if a&argHandle != 0 {
		s := next()
		n, err := strconv.Atoi(strings.TrimPrefix(s, "h"))
		if !strings.HasPrefix(s, "h") || err != nil || n < 0 || n >= Handles {
			return st, fmt.Errorf("bad handle %q (want h0..h%d)", s, Handles-1)
		}
		op.Handle = int8(n)
	}
	for _, bit := range [...]int{argPath, argPath2} {
		if a&bit == 0 {
			continue
		}
		s := next()
		p, ok := ParsePath(s)
		rootOK := k == fsop.ReadDir || k == fsop.Open
		if !ok || p == fsop.NoFile && !rootOK {
			return st, fmt.Errorf("bad name %q (want A-D, d0, d1, or one of them under d0/ or d1/%s)", s, map[bool]string{true: "; . for the root", false: ""}[rootOK])
		}
		if bit == argPath {
			op.File = p
		} else {
			op.File2 = p
		}
	}
	if a&argFlags != 0 {
		s := next()
		fl, ok := fsop.ParseOpenFlags(s)
		if !ok {
			return st, fmt.Errorf("bad open flags %q (want RDONLY, WRONLY or RDWR, then any of |CREAT |EXCL |TRUNC |APPEND |DIRECTORY)", s)
		}
		op.Flags = fl
	}
	if a&argWhence != 0 {
		s := next()
		w := -1
		for i, n := range whenceNames {
			if n == s {
				w = i
			}
		}
		if w < 0 {
			return st, fmt.Errorf("bad seek origin %q (want set, cur or end)", s)
		}
		op.Whence = fsop.Whence(w)
		s = next()
		v, err := strconv.ParseInt(s, 0, 64)
		if err != nil || v < -MaxOffset || v > MaxOffset {
			return st, fmt.Errorf("bad seek offset %q (want a number within ±%d)", s, MaxOffset)
		}
		op.Offset = uint64(v)
	}
	if a&argOffset != 0 {
		v, err := number(next(), MaxOffset, "offset")
		if err != nil {
			return st, err
		}
		op.Offset = v
	}
	if a&argSize != 0 {
		limit, what := uint64(MaxIO), "size"
		switch k {
		case fsop.Truncate:
			limit = MaxOffset
		case fsop.ReadDirBatch:
			limit, what = MaxBatch, "entry count"
		}
		v, err := number(next(), limit, what)
		if err != nil {
			return st, err
		}
		if k == fsop.ReadDirBatch && v == 0 {
			return st, fmt.Errorf("bad entry count 0 (want 1..%d)", MaxBatch)
		}
		op.Size = v
		if k == fsop.Read || k == fsop.Write {
			op.Offset = fsop.Cursor
		}
	}
	st.Op = op
	return st, nil
}

func number(s string, limit uint64, what string) (uint64, error) {
	v, err := strconv.ParseUint(s, 0, 64)
	if err != nil || v > limit {
		return 0, fmt.Errorf("bad %s %q (want 0..%d)", what, s, limit)
	}
	return v, nil
}

func classNames() string {
	var s []string
	for _, k := range Classes {
		s = append(s, k.String())
	}
	return strings.Join(s, ", ")
}

func usageOf(k fsop.Kind) string {
	a := argsOf(k)
	var s []string
	if a&argHandle != 0 {
		s = append(s, "hK")
	}
	if a&argPath != 0 {
		s = append(s, "P")
	}
	if a&argPath2 != 0 {
		s = append(s, "Q")
	}
	if a&argFlags != 0 {
		s = append(s, "FLAGS")
	}
	if a&argWhence != 0 {
		s = append(s, "set|cur|end", "OFFSET")
	}
	if a&argOffset != 0 {
		s = append(s, "OFFSET")
	}
	if a&argSize != 0 {
		s = append(s, "SIZE")
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, " ")
}
