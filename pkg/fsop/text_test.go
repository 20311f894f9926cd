package fsop

import (
	"reflect"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	in := []Entry{
		{Op: RandomOp(Write, 0x10, 0x20), FileSize: 0},
		{Op: RandomOp(Read, 1, 0), FileSize: 0x30, Skipped: true},
		{Op: RandomOp(Truncate, 0, 5), FileSize: 0x30, Injected: true, Overlap: true},
		{Op: RandomOp(CloseOpen, 0, 0), FileSize: 5},
		{Op: RandomOp(MapWrite, 0xffff, 1), FileSize: 5},
	}
	var b []byte
	for _, e := range in {
		b = AppendEntry(b, e)
	}
	got, err := ParseEntries(strings.NewReader("# header\n\n" + string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, in) {
		t.Fatalf("got %+v\nwant %+v", got, in)
	}
}

// fsx.c's own .fsxops lines parse.
func TestParseFsxC(t *testing.T) {
	t.Parallel()
	got, err := ParseEntries(strings.NewReader("skip read 0x0 0x0 0x0\nwrite 0x1f 0x400 0x0 close_open *\nmapwrite 010 16 0x10 keep_size\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || !got[0].Skipped || got[1].Op.Size != 0x400 || !got[1].Overlap || got[2].Op.Offset != 8 {
		t.Fatalf("got %+v", got)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"write 0x1 0x2\n", "frobnicate 0 0 0\n", "read 0x1 zz 0\n", "read 0 0 0 sparkly\n", "skip\n", "ok 1\nread -1 0 0\n", "open 0 0 0\n",
	} {
		if _, err := ParseEntries(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), "line ") {
			t.Errorf("%q: got %v, want an error naming the line", in, err)
		}
	}
}

// The header our writers put first gives the seed back to a reader.
func TestHeaderRoundTrip(t *testing.T) {
	t.Parallel()
	in := Header{Seed: 42, HasSeed: true, File: "/tmp/fsxfile", First: 1, Last: 3}
	b := AppendHeader(nil, in)
	b = AppendEntry(b, Entry{Op: RandomOp(Write, 0, 8)})
	h, ents, err := ParseOps(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if h != in || len(ents) != 1 {
		t.Fatalf("got %+v, %d entries; want %+v, 1", h, len(ents), in)
	}
	if h, _, _ := ParseOps(strings.NewReader("# a comment\nwrite 0 1 0\n")); h.HasSeed {
		t.Fatalf("a file without our header has a seed: %+v", h)
	}
}
