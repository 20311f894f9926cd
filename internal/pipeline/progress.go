package pipeline

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Reporter prints the pipeline's progress bars and one-line stage results
// on stderr. Bars are drawn only on a terminal: in CI logs and pipes they
// would be noise, and the one-line results carry everything that matters.
type Reporter struct {
	W   io.Writer
	TTY bool

	mu sync.Mutex
}

// NewReporter reports to w, drawing bars when w is a terminal.
func NewReporter(w io.Writer) *Reporter {
	return &Reporter{W: w, TTY: isTerminal(w)}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Stage is one running stage: a bar (maybe invisible) and a start time.
type Stage struct {
	r     *Reporter
	name  string
	bar   *progressbar.ProgressBar
	start time.Time

	// Without a terminal, a long stage prints a progress line now and then,
	// so a CI log shows a chain-3 run is alive.
	total, done int64
	lastLine    time.Time
}

// LogEvery is how often a stage without a bar reports progress.
var LogEvery = 30 * time.Second

// Start begins a stage of total units (cases, or steps when total is small).
func (r *Reporter) Start(name string, total int64) *Stage {
	s := &Stage{r: r, name: name, start: time.Now(), total: total, lastLine: time.Now()}
	if r.TTY {
		s.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(r.W),
			progressbar.OptionSetDescription(fmt.Sprintf("%-14s", name)),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetWidth(30),
		)
	}
	return s
}

// Add advances the bar by n units.
func (s *Stage) Add(n int64) {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	s.done += n
	if s.bar != nil {
		_ = s.bar.Add64(n)
		return
	}
	if now := time.Now(); now.Sub(s.lastLine) >= LogEvery && s.total > 0 {
		s.lastLine = now
		el := now.Sub(s.start)
		eta := time.Duration(float64(el) * float64(s.total-s.done) / float64(max(s.done, 1)))
		fmt.Fprintf(s.r.W, "%-14s %d/%d (%.0f%%), %s elapsed, about %s to go\n", s.name, s.done, s.total, 100*float64(s.done)/float64(s.total), FormatDuration(el), FormatDuration(eta))
	}
}

// Elapsed is the stage's wall time so far.
func (s *Stage) Elapsed() time.Duration { return time.Since(s.start) }

// Done closes the bar and prints the stage's one-line result with its time.
func (s *Stage) Done(format string, a ...any) time.Duration {
	d := time.Since(s.start)
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	if s.bar != nil {
		_ = s.bar.Finish()
		_ = s.bar.Clear()
	}
	fmt.Fprintf(s.r.W, "%-14s %s  (%s)\n", s.name, fmt.Sprintf(format, a...), FormatDuration(d))
	return d
}

// Printf prints a line, clearing a bar that is being drawn.
func (r *Reporter) Printf(format string, a ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.TTY {
		fmt.Fprint(r.W, "\r\033[K")
	}
	fmt.Fprintf(r.W, format, a...)
}

// FormatDuration rounds for people: 0.4s, 12.3s, 4m05s.
func FormatDuration(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	d = d.Round(time.Second)
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}
