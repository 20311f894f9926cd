// Package progress reports how far a long guest run is, on stderr, without
// a timer: a bar redrawn in place on a terminal, otherwise one line every
// Interval. The work loop drives it (Add), and Add reads the clock, never
// sleeps or waits on time: under Wasmer a Go guest whose netpoller runs
// stalls forever at its next garbage collection (docs/findings.md, finding
// 3), and any timer, sleep or ticker starts the netpoller. Add does not
// allocate either (TestAddDoesNotAllocate): the guest keeps its collector
// off under wasip1 and its hot loops allocation-free.
//
// A line reads, for random mode and the oracle:
//
//	fsx: 40960/400000 ops (10%), 8123 ops/s, 5.0s elapsed, about 44s to go; seed 1, 4 workers
//	oracle: 1200/5832 cases (20%), 950 cases/s, 1.3s elapsed, about 4.9s to go; 2 divergent
//
// LinePattern matches every line this package prints.
package progress

import (
	"io"
	"os"
	"runtime"
	"strconv"
	"time"
)

// DefaultInterval is how often a line is printed when stderr is not a
// terminal and the command line does not say.
const DefaultInterval = 5 * time.Second

// barEvery is how often a bar is redrawn at most (or Interval, if shorter).
const barEvery = 200 * time.Millisecond

// LinePattern is a regular expression for one progress line: label,
// done[/total units (percent)], rate, elapsed, [time to go], [; the
// caller's suffix]. (A string, so the guest does not link regexp for it.)
const LinePattern = `^[a-z]+: [0-9]+(/[0-9]+)? [a-z]+( \([0-9]+%\))?, [0-9]+ [a-z]+/s, [0-9hms.]+ elapsed(, about [0-9hms.]+ to go)?(; .*)?$`

// Options says whether and how to report. The zero value reports nothing.
type Options struct {
	W        io.Writer     // where (stderr); nil reports nothing
	Interval time.Duration // between lines; 0 reports nothing
	Bar      bool          // redraw a bar in place (W is a terminal) instead of printing lines
	Color    bool          // color the bar (NO_COLOR unset)
	Width    int           // the terminal's columns for the bar; 0 means 80
}

// On reports whether these options print anything.
func (o Options) On() bool { return o.W != nil && o.Interval > 0 }

// Meter is one run's progress. It is not safe for concurrent use: callers
// with several goroutines serialise Add, Clear and Finish (random mode does
// it under the lock of its output writer, so its lines and the bar never
// mix). A nil *Meter is a valid meter that reports nothing.
type Meter struct {
	o      Options
	label  string
	unit   string
	total  int64 // <= 0: unknown (random mode's unlimited -N)
	suffix func(b []byte) []byte

	start time.Time
	every time.Duration // between prints
	next  time.Duration // since start, when the next print is due
	done  int64
	drawn bool // a bar is on the screen
	buf   []byte
}

// New returns a meter for total units (<= 0: unknown) of work, or nil when
// o reports nothing. label starts every line ("fsx", "oracle"); unit names
// what is counted ("ops", "cases"); suffix, if not nil, appends the
// caller's own words after "; " (it must not allocate).
func New(o Options, label, unit string, total int64, suffix func(b []byte) []byte) *Meter {
	if !o.On() {
		return nil
	}
	m := &Meter{o: o, label: label, unit: unit, total: total, suffix: suffix, start: time.Now(), every: o.Interval, buf: make([]byte, 0, 512)}
	if o.Bar {
		m.every = min(m.every, barEvery)
		if m.o.Width <= 0 {
			m.o.Width = 80
		}
	}
	m.next = m.every
	return m
}

// Add counts n more units done and prints when a print is due. It reads the
// clock once and does not allocate.
func (m *Meter) Add(n int64) {
	if m == nil {
		return
	}
	m.done += n
	el := time.Since(m.start)
	if el < m.next {
		return
	}
	m.next = el + m.every
	m.print(el)
}

// Clear removes a drawn bar, so other output can start at the left edge;
// the next due Add draws it again. Lines need no clearing.
func (m *Meter) Clear() {
	if m == nil || !m.drawn {
		return
	}
	m.drawn = false
	_, _ = io.WriteString(m.o.W, "\r\x1b[K")
}

// Finish ends the meter: a bar is cleared (the caller's summary follows).
func (m *Meter) Finish() { m.Clear() }

func (m *Meter) print(el time.Duration) {
	b := m.buf[:0]
	if m.o.Bar {
		b = m.appendBar(b, el)
	} else {
		b = m.appendLine(b, el)
		b = append(b, '\n')
	}
	m.buf = b
	_, _ = m.o.W.Write(b)
}

// appendLine is the line format (LineRE).
func (m *Meter) appendLine(b []byte, el time.Duration) []byte {
	b = append(b, m.label...)
	b = append(b, ": "...)
	b = strconv.AppendInt(b, m.done, 10)
	if m.total > 0 {
		b = append(b, '/')
		b = strconv.AppendInt(b, m.total, 10)
	}
	b = append(b, ' ')
	b = append(b, m.unit...)
	if m.total > 0 {
		b = append(b, " ("...)
		b = strconv.AppendInt(b, m.percent(), 10)
		b = append(b, "%)"...)
	}
	b = append(b, ", "...)
	b = strconv.AppendInt(b, m.rate(el), 10)
	b = append(b, ' ')
	b = append(b, m.unit...)
	b = append(b, "/s, "...)
	b = AppendDuration(b, el)
	b = append(b, " elapsed"...)
	if left, ok := m.left(el); ok {
		b = append(b, ", about "...)
		b = AppendDuration(b, left)
		b = append(b, " to go"...)
	}
	return m.appendSuffix(b)
}

// barWidth is the bar's inside, in characters.
const barWidth = 20

// appendBar is the terminal form: carriage return, the bar, the counts,
// erase to the end of the line; cut to the terminal's width so it never
// wraps (a wrapped line cannot be redrawn in place).
func (m *Meter) appendBar(b []byte, el time.Duration) []byte {
	b = append(b, '\r')
	start := len(b)
	b = append(b, m.label...)
	b = append(b, ' ')
	if m.total > 0 {
		fill := int(min(m.done, m.total) * barWidth / m.total)
		b = append(b, '[')
		if m.o.Color {
			b = append(b, "\x1b[32m"...)
		}
		for i := 0; i < barWidth; i++ {
			c := byte(' ')
			if i < fill {
				c = '#'
			}
			if i == fill && m.o.Color {
				b = append(b, "\x1b[0m"...)
			}
			b = append(b, c)
		}
		if fill == barWidth && m.o.Color {
			b = append(b, "\x1b[0m"...)
		}
		b = append(b, "] "...)
		b = strconv.AppendInt(b, m.percent(), 10)
		b = append(b, "% "...)
	}
	b = strconv.AppendInt(b, m.done, 10)
	if m.total > 0 {
		b = append(b, '/')
		b = strconv.AppendInt(b, m.total, 10)
	}
	b = append(b, ' ')
	b = append(b, m.unit...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, m.rate(el), 10)
	b = append(b, "/s "...)
	if left, ok := m.left(el); ok {
		b = append(b, "ETA "...)
		b = AppendDuration(b, left)
	} else {
		b = AppendDuration(b, el)
	}
	b = m.appendSuffix(b)
	// Cut to width-1 visible columns (the colour codes take none).
	visible, limit := 0, m.o.Width-1
	for i := start; i < len(b); i++ {
		if b[i] == 0x1b { // skip an escape sequence: ESC [ ... letter
			for i < len(b) && (b[i] < 'A' || b[i] > 'Z') && (b[i] < 'a' || b[i] > 'z') {
				i++
			}
			continue
		}
		if visible++; visible > limit {
			b = b[:i]
			if m.o.Color {
				b = append(b, "\x1b[0m"...)
			}
			break
		}
	}
	m.drawn = true
	return append(b, "\x1b[K"...)
}

func (m *Meter) appendSuffix(b []byte) []byte {
	if m.suffix == nil {
		return b
	}
	n := len(b)
	b = append(b, "; "...)
	if c := m.suffix(b); len(c) > len(b) {
		return c
	}
	return b[:n]
}

func (m *Meter) percent() int64 {
	return min(m.done, m.total) * 100 / m.total
}

func (m *Meter) rate(el time.Duration) int64 {
	if el <= 0 {
		return 0
	}
	return int64(float64(m.done) / el.Seconds())
}

// left estimates the time to go from the rate so far.
func (m *Meter) left(el time.Duration) (time.Duration, bool) {
	if m.total <= 0 || m.done <= 0 || m.done >= m.total {
		return 0, false
	}
	return time.Duration(float64(el) * float64(m.total-m.done) / float64(m.done)), true
}

// AppendDuration rounds for people, as the orchestrator does: 0.4s, 12.3s,
// 4m05s, 2h03m.
func AppendDuration(b []byte, d time.Duration) []byte {
	if d < 0 {
		d = 0
	}
	if t := int64((d + 50*time.Millisecond) / (100 * time.Millisecond)); t < 600 { // tenths
		b = strconv.AppendInt(b, t/10, 10)
		b = append(b, '.')
		b = strconv.AppendInt(b, t%10, 10)
		return append(b, 's')
	}
	if s := int64((d + time.Second/2) / time.Second); s < 3600 {
		b = strconv.AppendInt(b, s/60, 10)
		b = append(b, 'm')
		return append2(b, s%60, 's')
	}
	mins := int64((d + time.Minute/2) / time.Minute)
	b = strconv.AppendInt(b, mins/60, 10)
	b = append(b, 'h')
	return append2(b, mins%60, 'm')
}

func append2(b []byte, v int64, unit byte) []byte {
	if v < 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, v, 10)
	return append(b, unit)
}

// IsTerminal reports whether f is a terminal the guest can trust: a
// character device, natively. Under wasip1 it is always false: Wasmer (CLI
// 7.4.2) reports every stdio descriptor as a character device even when it
// is redirected to a file or a pipe (docs/findings.md), so a bar there
// would fill CI logs with carriage returns; --progress-bar asks for one.
// TERM=dumb is no terminal for a bar either.
func IsTerminal(f *os.File) bool {
	if runtime.GOOS == "wasip1" || os.Getenv("TERM") == "dumb" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Columns is the terminal's width from $COLUMNS, or 0 (unknown: 80).
func Columns() int {
	n, err := strconv.Atoi(os.Getenv("COLUMNS"))
	if err != nil || n < 20 {
		return 0
	}
	return n
}
