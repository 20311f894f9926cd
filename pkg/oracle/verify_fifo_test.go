//go:build linux

package oracle

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestVerifyFilesReadsEachReportOnce gives VerifyFiles its two reports
// through named pipes that can be read only once: it used to read each
// twice (a whole-file check, then the stream) and so waited for ever on
// the second open.
func TestVerifyFilesReadsEachReportOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	native, report, kept := keptRun(t, dir, 60)
	pipe := func(name, src string) string {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
		go func() { // one writer: the pipe's contents can be read once
			f, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err != nil {
				return
			}
			f.Write(data)
			f.Close()
		}()
		return p
	}
	np, rp := pipe("native.fifo", native), pipe("report.fifo", report)
	type result struct {
		c   *Comparer
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := VerifyFiles(np, rp, kept, nil)
		done <- result{c, err}
	}()
	select {
	case r := <-done:
		if r.err != nil || r.c.Failed() || r.c.Compared != 60 {
			t.Fatalf("VerifyFiles: %v", r.err)
		}
	case <-time.After(20 * time.Second):
		// Unblock the second open (it then reads an empty file) so the
		// goroutine ends.
		for _, p := range []string{np, rp} {
			if f, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				f.Close()
			}
		}
		<-done
		t.Fatal("VerifyFiles opened a report a second time (it blocked on the pipe)")
	}
}
