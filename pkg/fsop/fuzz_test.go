package fsop

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseOps: any bytes parse to entries that write back and parse to the
// same entries, or to one error naming the line — never a panic.
func FuzzParseOps(f *testing.F) {
	for _, s := range []string{
		"# fsx-wasix ops: seed 1, file /tmp/f, ops 1..3\nwrite 0x0 0x10 0x0\nskip read 0x20 0x10 0x10\ntruncate 0x0 0x5 0x10 injected *\n",
		"write 0x1f 0x400 0x0 close_open *\nmapwrite 010 16 0x10 keep_size\n", "read -1 0 0\n", "open 0 0 0\n", "skip\n", "\x00\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, ents, err := ParseOps(bytes.NewReader(data))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") && !strings.Contains(err.Error(), "token too long") {
				t.Fatalf("%q: error %q does not name the line", data, err)
			}
			return
		}
		var b []byte
		for _, e := range ents {
			b = AppendEntry(b, e)
		}
		_, again, err := ParseOps(bytes.NewReader(b))
		if err != nil || len(again) != len(ents) || len(ents) > 0 && !reflect.DeepEqual(again, ents) {
			t.Fatalf("%q: entries %+v do not round-trip: %+v %v", data, ents, again, err)
		}
		_ = h
	})
}
