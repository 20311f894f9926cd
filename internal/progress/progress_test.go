package progress

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
)

var lineRE = regexp.MustCompile(LinePattern)

// TestLines: off a terminal every due Add prints one whole line that
// LinePattern matches, with the counts, the rate and the caller's suffix.
func TestLines(t *testing.T) {
	var out bytes.Buffer
	m := New(Options{W: &out, Interval: time.Nanosecond}, "fsx", "ops", 1000, func(b []byte) []byte {
		return append(b, "seed 7, 4 workers"...)
	})
	for i := 0; i < 10; i++ {
		time.Sleep(time.Millisecond) // the test's own clock; the meter never sleeps
		m.Add(100)
	}
	m.Finish()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 10 {
		t.Fatalf("%d lines, want 10:\n%s", len(lines), out.String())
	}
	for i, l := range lines {
		if !lineRE.MatchString(l) || strings.ContainsAny(l, "\r\x1b") {
			t.Errorf("line %d %q does not match %s", i, l, LinePattern)
		}
	}
	if !strings.HasPrefix(lines[0], "fsx: 100/1000 ops (10%), ") || !strings.HasSuffix(lines[0], " to go; seed 7, 4 workers") {
		t.Errorf("first line %q", lines[0])
	}
	if !strings.HasPrefix(lines[9], "fsx: 1000/1000 ops (100%), ") || strings.Contains(lines[9], "to go") {
		t.Errorf("last line %q", lines[9])
	}
}

// TestUnknownTotal: random mode's unlimited -N has no total, no
// percentage and no time to go.
func TestUnknownTotal(t *testing.T) {
	var out bytes.Buffer
	m := New(Options{W: &out, Interval: time.Nanosecond}, "fsx", "ops", -1, nil)
	time.Sleep(time.Millisecond)
	m.Add(256)
	l := strings.TrimSuffix(out.String(), "\n")
	if !lineRE.MatchString(l) || !strings.HasPrefix(l, "fsx: 256 ops, ") || strings.Contains(l, "%") || strings.Contains(l, "to go") {
		t.Errorf("line %q", l)
	}
}

// TestInterval: lines come no more often than the interval says.
func TestInterval(t *testing.T) {
	var out bytes.Buffer
	m := New(Options{W: &out, Interval: time.Hour}, "oracle", "cases", 10, nil)
	for i := 0; i < 10; i++ {
		m.Add(1)
	}
	if out.Len() != 0 {
		t.Errorf("printed before the interval: %q", out.String())
	}
}

// TestOff: no writer or no interval is no meter, and a nil meter is safe.
func TestOff(t *testing.T) {
	var out bytes.Buffer
	for _, o := range []Options{{}, {W: &out}, {W: &out, Interval: 0, Bar: true}} {
		m := New(o, "fsx", "ops", 10, nil)
		if m != nil {
			t.Errorf("New(%+v) is a meter; want nil", o)
		}
		m.Add(5)
		m.Clear()
		m.Finish()
	}
	if out.Len() != 0 {
		t.Errorf("an off meter printed %q", out.String())
	}
}

// TestBar: on a terminal the bar is redrawn in place (carriage return,
// erase to the end of the line, no newline), never wider than the
// terminal, and Finish erases it. Colour only when asked.
func TestBar(t *testing.T) {
	for _, color := range []bool{false, true} {
		var out bytes.Buffer
		m := New(Options{W: &out, Interval: time.Nanosecond, Bar: true, Color: color, Width: 40}, "oracle", "cases", 5832, func(b []byte) []byte {
			return append(b, "12 divergent"...)
		})
		time.Sleep(time.Millisecond)
		m.Add(2916)
		s := out.String()
		if !strings.HasPrefix(s, "\r") || !strings.HasSuffix(s, "\x1b[K") || strings.Contains(s, "\n") {
			t.Fatalf("color %v: bar %q: want \\r ... ESC[K on one line", color, s)
		}
		visible := regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]").ReplaceAllString(strings.TrimPrefix(s, "\r"), "")
		if len(visible) > 39 || !strings.HasPrefix(visible, "oracle [##########          ] 50% 2916/") {
			t.Errorf("color %v: visible bar %q (%d columns; want at most 39)", color, visible, len(visible))
		}
		if strings.Contains(s, "\x1b[32m") != color {
			t.Errorf("color %v: bar %q", color, s)
		}
		out.Reset()
		m.Finish()
		if out.String() != "\r\x1b[K" {
			t.Errorf("Finish wrote %q; want the bar erased", out.String())
		}
		out.Reset()
		m.Clear()
		if out.Len() != 0 {
			t.Errorf("a second Clear wrote %q", out.String())
		}
	}
}

// TestAddDoesNotAllocate: a due Add, which formats and writes a line or
// a bar, allocates nothing (the guest runs with its collector off). Every
// call prints: AllocsPerRun divides whole numbers, so an allocation in
// only some calls could round down to 0.
func TestAddDoesNotAllocate(t *testing.T) {
	for _, bar := range []bool{false, true} {
		m := New(Options{W: io.Discard, Interval: time.Nanosecond, Bar: bar, Color: true, Width: 60}, "fsx", "ops", 1<<40, func(b []byte) []byte {
			b = append(b, "seed "...)
			return append(b, "1, 4 workers"...)
		})
		el := time.Duration(0)
		allocs := testing.AllocsPerRun(1000, func() {
			el += 1234567 * time.Microsecond
			m.done += 1 << 20
			m.print(el)
		})
		if allocs != 0 {
			t.Errorf("bar %v: %.2f allocations per print; want 0", bar, allocs)
		}
		if allocs := testing.AllocsPerRun(1000, func() { m.Add(1 << 20) }); allocs != 0 {
			t.Errorf("bar %v: %.2f allocations per Add; want 0", bar, allocs)
		}
	}
}

func TestAppendDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0.0s", 440 * time.Millisecond: "0.4s", 12340 * time.Millisecond: "12.3s", 59960 * time.Millisecond: "1m00s",
		245 * time.Second: "4m05s", 2*time.Hour + 3*time.Minute: "2h03m",
	} {
		if got := string(AppendDuration(nil, d)); got != want {
			t.Errorf("AppendDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
