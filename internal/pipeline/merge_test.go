package pipeline

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/pkg/oracle"
	"github.com/fsx-wasix/fsx-wasix/pkg/transcript"
)

func writeReport(t *testing.T, path, root string, start, count int64) {
	t.Helper()
	h := oracle.ReportHeader{Header: transcript.Header{SchemaHash: "cat", First: start, Count: count},
		ReportMeta: oracle.ReportMeta{Chain: 2, Platform: "linux/amd64", Runtime: "native", Root: root, Output: root + "/report.bin"}}
	w, err := transcript.Create(path, h.Framing())
	if err != nil {
		t.Fatal(err)
	}
	for i := start; i < start+count; i++ {
		if err := w.Write([]byte(fmt.Sprintf("record %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestNativeSlicesFromAnywhereMergeIdentically: native slices made in
// different directories (so recording different roots) merge, after
// canonicalisation, into exactly the report of one unsliced run.
func TestNativeSlicesFromAnywhereMergeIdentically(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.bin")
	writeReport(t, whole, "/somewhere/cases", 0, 100)
	parts := []string{filepath.Join(dir, "b.bin"), filepath.Join(dir, "a.bin")}
	writeReport(t, parts[0], "/run2/s00001/cases", 40, 60)
	writeReport(t, parts[1], "/run1/s00000/cases", 0, 40)
	if err := MergeReports(filepath.Join(dir, "raw.bin"), parts); err == nil {
		t.Fatal("slices with different roots merged without canonicalisation; the test lost its point")
	}
	for _, p := range append(parts, whole) {
		if err := CanonicalizeNative(p); err != nil {
			t.Fatal(err)
		}
	}
	merged := filepath.Join(dir, "merged.bin")
	if err := MergeReports(merged, parts); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(whole)
	b, _ := os.ReadFile(merged)
	if !bytes.Equal(a, b) {
		t.Fatalf("merged slices (%d bytes) differ from the whole run (%d bytes)", len(b), len(a))
	}
	f, err := transcript.Verify(merged)
	if err != nil {
		t.Fatal(err)
	}
	h, err := oracle.ReadHeader(merged, f)
	if err != nil || h.Root != nativeRoot || h.Count != 100 || h.SchemaHash != "cat" {
		t.Fatalf("merged header %+v, %v", h, err)
	}
}
