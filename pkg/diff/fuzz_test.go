package diff

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// FuzzParsePrograms: any bytes as a program file (the corpus, --diff-program,
// findings.txt) parse to programs that write back and parse to the same
// steps, or to one error line naming the file — never a panic.
func FuzzParsePrograms(f *testing.F) {
	for _, s := range []string{
		"program a\nw1 open h0 A RDWR|CREAT\nw1 write h0 32\nw2 mapread h0 0 64\n\nw1 mkdir d0\nw1 rename d0 B\n",
		"# c\nw1 seek h0 cur -16\nw1 read_dir_batch h1 1\nw2 link A d0/d1\n", "w3 open\n", "w1\n", "program\n", "\x00\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		progs, err := ParsePrograms(bytes.NewReader(data), "f")
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "f:") || strings.Contains(msg, "\n") {
				t.Fatalf("%q: error %q is not one line naming the file", data, msg)
			}
			return
		}
		var b []byte
		for i, p := range progs {
			b = AppendProgram(b, "p"+string(rune('a'+i%26)), p.Steps)
		}
		again, err := ParsePrograms(bytes.NewReader(b), "g")
		if err != nil || len(again) != len(progs) {
			t.Fatalf("%q: %d programs wrote back as %q, which parses to %d (%v)", data, len(progs), b, len(again), err)
		}
		for i := range progs {
			if !reflect.DeepEqual(progs[i].Steps, again[i].Steps) {
				t.Fatalf("%q: program %d does not round-trip:\n%+v\n%+v", data, i, progs[i].Steps, again[i].Steps)
			}
		}
	})
}
