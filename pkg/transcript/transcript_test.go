package transcript

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

func testHeader(start, count int64) Header {
	return Header{Schema: "test records", SchemaHash: "c0ffee", First: start, Count: count,
		Meta: []byte("\x81\xa4root\xa6/tmp/x")}
}

// rec is a record that varies with i but repeats, like oracle records.
func rec(i int64) []byte { return []byte(fmt.Sprintf("\x93%c\x01%c", byte(i%7), byte(i%3))) }

func writeFile(t *testing.T, path string, h Header) {
	t.Helper()
	w, err := Create(path, h)
	if err != nil {
		t.Fatal(err)
	}
	for i := h.First; i < h.End(); i++ {
		if err := w.Write(rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func readAll(path string, opts ...Option) (Header, [][]byte, error) {
	r, err := Open(path, opts...)
	if err != nil {
		return Header{}, nil, err
	}
	defer r.Close()
	var out [][]byte
	for {
		b, err := r.Next()
		if err == io.EOF {
			return r.Header(), out, nil
		}
		if err != nil {
			return r.Header(), out, err
		}
		out = append(out, append([]byte(nil), b...))
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.bin")
	h := testHeader(10, 5000)
	writeFile(t, path, h)
	got, recs, err := readAll(path, ExpectSchema("test records", "c0ffee"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, h) {
		t.Fatalf("header %+v, want %+v", got, h)
	}
	if len(recs) != 5000 {
		t.Fatalf("%d records", len(recs))
	}
	for i, r := range recs {
		if !bytes.Equal(r, rec(int64(i)+10)) {
			t.Fatalf("record %d = %q", i, r)
		}
	}
	// Big records use the longer bin frames.
	big := filepath.Join(t.TempDir(), "big.bin")
	w, err := Create(big, testHeader(0, 2))
	if err != nil {
		t.Fatal(err)
	}
	w.Write(bytes.Repeat([]byte{1}, 300))
	w.Write(bytes.Repeat([]byte{2}, 70000))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, recs, err := readAll(big); err != nil || len(recs[0]) != 300 || len(recs[1]) != 70000 {
		t.Fatalf("big records: %v", err)
	}
}

func TestCountMismatchLeavesNoFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "r.bin")
	os.WriteFile(path, []byte("good old report"), 0o644)
	w, err := Create(path, testHeader(0, 3))
	if err != nil {
		t.Fatal(err)
	}
	w.Write(rec(0))
	if err := w.Close(); err == nil {
		t.Fatal("Close with too few records succeeded")
	}
	w.Abort()
	if b, _ := os.ReadFile(path); string(b) != "good old report" {
		t.Fatalf("old report replaced: %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("temporary files left: %v", ents)
	}
}

func TestUnwritable(t *testing.T) {
	t.Parallel()
	_, err := Create(filepath.Join(t.TempDir(), "missing", "r.bin"), testHeader(0, 1))
	if err == nil || !strings.Contains(err.Error(), "cannot write transcript") {
		t.Fatalf("err = %v", err)
	}
}

func TestRejects(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.bin")
	writeFile(t, good, testHeader(0, 3000))
	data, _ := os.ReadFile(good)

	var nbuf bytes.Buffer
	nw, _ := newWriter(&nbuf, testHeader(0, 0), Version+1)
	nw.Close()
	var obuf bytes.Buffer // version 1 carried the oracle's fields: refused with a clear line
	ow, _ := newWriter(&obuf, testHeader(0, 0), 1)
	ow.Close()

	// A zstd file that is not a transcript.
	var other bytes.Buffer
	zw, _ := zstd.NewWriter(&other)
	zw.Write([]byte("\xb4some other twenty chars and more"))
	zw.Close()

	flipped := append([]byte(nil), data...)
	flipped[len(flipped)/2] ^= 0x40

	cases := []struct {
		name string
		data []byte
		opts []Option
		want error
		msg  string
	}{
		{"truncated-half", data[:len(data)/2], nil, ErrTruncated, "truncated"},
		{"truncated-end", data[:len(data)-3], nil, ErrTruncated, "cut short"},
		{"empty", nil, nil, ErrTruncated, "truncated"},
		{"not-zstd", []byte("hello, this is not a report at all"), nil, ErrBadMagic, "bad magic"},
		{"other-zstd", other.Bytes(), nil, ErrBadMagic, "bad magic"},
		{"corrupted", flipped, nil, ErrCorrupt, "corrupt"},
		{"wrong-schema-hash", data, []Option{ExpectSchema("test records", "beef")}, ErrSchemaMismatch, "another schema"},
		{"wrong-schema", data, []Option{ExpectSchema("other records", "c0ffee")}, ErrSchemaMismatch, "another schema"},
		{"trailing-garbage", append(append([]byte(nil), data...), "junk"...), nil, ErrCorrupt, "corrupt"},
	}
	nb := nbuf.Bytes()
	cases = append(cases, struct {
		name string
		data []byte
		opts []Option
		want error
		msg  string
	}{"newer-version", nb, nil, ErrNewerVersion, "newer"}, struct {
		name string
		data []byte
		opts []Option
		want error
		msg  string
	}{"older-version", obuf.Bytes(), nil, ErrOlderVersion, "regenerate it with this build"})
	for _, c := range cases {
		p := filepath.Join(dir, c.name)
		os.WriteFile(p, c.data, 0o644)
		_, _, err := readAll(p, c.opts...)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, c.msg) || !strings.Contains(msg, p) {
			t.Errorf("%s: message %q: want one line naming the file and saying %q", c.name, msg, c.msg)
		}
		if _, err := Verify(p, c.opts...); !errors.Is(err, c.want) {
			t.Errorf("%s: Verify err = %v", c.name, err)
		}
	}
	if _, err := Verify(filepath.Join(dir, "missing.bin")); err == nil || !strings.Contains(err.Error(), "cannot read transcript") {
		t.Errorf("missing file: %v", err)
	}
}

// TestMergeIsByteIdentical is the orchestrator's contract: slices merged in
// case order give the unsharded bytes, whatever order they are named in.
func TestMergeIsByteIdentical(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.bin")
	writeFile(t, whole, testHeader(0, 20000))
	var parts []string
	for _, r := range [][2]int64{{13000, 7000}, {0, 1}, {1, 12999}} {
		p := filepath.Join(dir, fmt.Sprintf("part-%d.bin", r[0]))
		writeFile(t, p, testHeader(r[0], r[1]))
		parts = append(parts, p)
	}
	merged := filepath.Join(dir, "merged.bin")
	if err := Merge(merged, parts); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(whole)
	b, _ := os.ReadFile(merged)
	if !bytes.Equal(a, b) {
		t.Fatalf("merged report differs from the whole one (%d vs %d bytes)", len(b), len(a))
	}
	// A gap or a differing producer is refused.
	if err := Merge(filepath.Join(dir, "gap.bin"), parts[:2]); err == nil || !strings.Contains(err.Error(), "contiguous") {
		t.Fatalf("gap: %v", err)
	}
	other := testHeader(20000, 5)
	other.Meta = []byte("\x81\xa4root\xa6/data/")
	op := filepath.Join(dir, "other.bin")
	writeFile(t, op, other)
	if err := Merge(filepath.Join(dir, "x.bin"), []string{whole, op}); err == nil || !strings.Contains(err.Error(), "produced differently") {
		t.Fatalf("differing header: %v", err)
	}
}

// Bad inputs a person gives by mistake get words that name the mistake.
func TestMistakesAreNamed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "is a directory, not a transcript") {
		t.Errorf("a directory: %v", err)
	}
	p := filepath.Join(dir, "r.bin")
	writeFile(t, p, testHeader(0, 10))
	if err := Merge(filepath.Join(dir, "m.bin"), []string{p, p}); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("the same transcript twice: %v", err)
	}
}
