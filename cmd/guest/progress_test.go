package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/internal/progress"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

var progressRE = regexp.MustCompile(progress.LinePattern)

// progressLines splits out the lines of s that are progress lines; the
// rest is returned as it was.
func progressLines(s string) (lines []string, rest string) {
	var keep []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if progressRE.MatchString(strings.TrimSuffix(l, "\n")) {
			lines = append(lines, strings.TrimSuffix(l, "\n"))
		} else {
			keep = append(keep, l)
		}
	}
	return lines, strings.Join(keep, "")
}

// TestRandomProgressLines: off a terminal (the test's pipes), a tiny
// interval gives whole progress lines on stderr — ops done of the total,
// ops/s, the seed, the workers — and none on stdout, with and without
// --json (whose stdout stays one JSON value).
func TestRandomProgressLines(t *testing.T) {
	t.Parallel()
	for _, json := range []bool{false, true} {
		args := []string{"-f", seedConfig, "-N", "1200", "-S", "5", "-j", "2", "--progress-interval", "1ms"}
		if json {
			args = append(args, "--json")
		}
		stdout, stderr, code := guest(t, append(args, filepath.Join(t.TempDir(), "fsxfile"))...)
		if code != 0 {
			t.Fatalf("json %v: exit %d\nstdout:\n%s\nstderr:\n%s", json, code, stdout, stderr)
		}
		lines, rest := progressLines(stderr)
		if len(lines) < 2 {
			t.Fatalf("json %v: %d progress lines on stderr, want several:\n%s", json, len(lines), stderr)
		}
		for _, l := range lines {
			if !strings.HasPrefix(l, "fsx: ") || !strings.Contains(l, "/2400 ops (") || !strings.Contains(l, " ops/s, ") ||
				!strings.HasSuffix(l, "; seed 5, 2 workers") {
				t.Errorf("json %v: progress line %q", json, l)
			}
		}
		if strings.ContainsAny(stderr, "\r\x1b") {
			t.Errorf("json %v: a bar or colour off a terminal:\n%q", json, stderr)
		}
		if l, _ := progressLines(stdout); len(l) != 0 || strings.Contains(stdout, "ops/s, ") {
			t.Errorf("json %v: progress on stdout:\n%s", json, stdout)
		}
		if json {
			if !strings.Contains(rest, "Using seed 5") {
				t.Errorf("the human log is not on stderr with --json:\n%s", rest)
			}
			var res guestapi.RandomResult
			dec := jsonDecoder(stdout)
			if err := dec.Decode(&res); err != nil || dec.More() || res.TotalOps != 2400 {
				t.Errorf("stdout is not the one JSON result (%v): %s", err, stdout)
			}
		} else if strings.TrimSpace(rest) != "" {
			t.Errorf("stderr holds more than progress lines:\n%s", rest)
		}
	}
}

// TestRandomProgressOff: --progress-interval 0 and -q print no progress;
// -q with an explicit interval does.
func TestRandomProgressOff(t *testing.T) {
	t.Parallel()
	base := []string{"-f", seedConfig, "-N", "600", "-S", "2", "-j", "1"}
	for _, tc := range []struct {
		flags []string
		want  bool
	}{
		{[]string{"--progress-interval", "0"}, false},
		{[]string{"-q"}, false},
		{[]string{"-q", "--progress-interval", "1ms"}, true},
	} {
		stdout, stderr, code := guest(t, append(append(append([]string{}, base...), tc.flags...), filepath.Join(t.TempDir(), "f"))...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", tc.flags, code, stdout, stderr)
		}
		lines, _ := progressLines(stderr)
		if got := len(lines) > 0; got != tc.want {
			t.Errorf("%v: %d progress lines; want some: %v\nstderr:\n%s", tc.flags, len(lines), tc.want, stderr)
		}
		if !tc.want && stderr != "" {
			t.Errorf("%v: stderr is not empty:\n%s", tc.flags, stderr)
		}
	}
}

func jsonDecoder(s string) *json.Decoder {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	return dec
}

// TestShrinkPrintsNoProgress: the shrinker's hundreds of replays print no
// progress lines, even with a tiny interval (each would read as the whole
// shrink's progress).
func TestShrinkPrintsNoProgress(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "f")
	if _, _, code := guest(t, "-N", "800", "-S", "4", "-j", "1", "--inject", "500", "-q", file); code == 0 {
		t.Fatal("the injected run passed")
	}
	out, stderr, code := guest(t, "shrink", file+".fsxops", "--progress-interval", "1ns", file)
	if code != 0 || !strings.Contains(out, "1-minimal") {
		t.Fatalf("shrink: exit %d\n%s%s", code, out, stderr)
	}
	if l, _ := progressLines(out + stderr); len(l) != 0 || stderr != "" {
		t.Errorf("shrink printed progress (%d lines) or anything on stderr:\n%s", len(l), stderr)
	}
}
