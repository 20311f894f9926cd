package exerciser

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
	"github.com/pelletier/go-toml/v2"
)

// Limits that turn absurd numbers into one clear error instead of an
// out-of-memory crash. Each worker holds about 2×flen in memory, and a wasm32
// guest has at most 4 GiB in all.
const (
	MaxFileLen = 1 << 30
	MaxWeight  = 1 << 30
	maxThreads = 1024
)

// DefaultConfig is the config with every key missing, as fsx-rs defaults it:
// flen 256 KiB, op sizes 0..64 KiB aligned to 1, and read, write, mapread,
// mapwrite and truncate weighted equally (fsx-rs gives each 10 when the
// [weights] table exists without them and 1 when it is absent: the same mix).
func DefaultConfig() Config {
	return Config{
		FileLen: 256 * 1024,
		OpSize:  OpSize{Min: 0, Max: 65536, Align: 1},
		Weights: Weights{Read: 10, Write: 10, MapRead: 10, MapWrite: 10, Truncate: 10},
	}
}

// tomlDoc is what a config file may contain: our keys plus the fsx-rs keys
// WASI cannot express, which are accepted only at their "off" value so that
// fsx-rs configs carry over.
type tomlDoc struct {
	FileLen           uint64      `toml:"flen"`
	NoSizeChecks      bool        `toml:"nosizechecks"`
	BlockMode         bool        `toml:"blockmode"`
	NoMsyncAfterWrite bool        `toml:"nomsyncafterwrite"` // no msync without mmap: either value is true here
	OpSize            OpSize      `toml:"opsize"`
	Weights           tomlWeights `toml:"weights"`
}

// tomlWeights is Weights plus fsx-rs's weights WASI cannot express
// (go-toml flattens the embedded struct, as encoding/json does).
type tomlWeights struct {
	Weights

	Invalidate     float64 `toml:"invalidate"`
	PosixFallocate float64 `toml:"posix_fallocate"`
	PunchHole      float64 `toml:"punch_hole"`
	Sendfile       float64 `toml:"sendfile"`
	PosixFadvise   float64 `toml:"posix_fadvise"`
	CopyFileRange  float64 `toml:"copy_file_range"`
}

// LoadConfig reads and validates a TOML config file. Every error is a
// *UsageError whose text is one line naming the file and the problem.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, usagef("config: %v", err)
	}
	return ParseConfig(data, path)
}

// ParseConfig parses and validates a TOML config; name prefixes the errors.
func ParseConfig(data []byte, name string) (Config, error) {
	def := DefaultConfig()
	doc := tomlDoc{
		FileLen: def.FileLen,
		OpSize:  def.OpSize,
		Weights: tomlWeights{Weights: def.Weights},
	}
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return Config{}, &UsageError{tomlError(name, err)}
	}
	if doc.BlockMode {
		return Config{}, usagef("config %s: blockmode = true is not supported (WASI files only)", name)
	}
	if doc.OpSize.Align == 0 {
		return Config{}, usagef("config %s: opsize.align must be greater than zero", name)
	}
	w := doc.Weights
	for _, u := range []struct {
		key string
		v   float64
	}{
		{"invalidate", w.Invalidate}, {"posix_fallocate", w.PosixFallocate},
		{"punch_hole", w.PunchHole}, {"sendfile", w.Sendfile},
		{"posix_fadvise", w.PosixFadvise}, {"copy_file_range", w.CopyFileRange},
	} {
		if u.v != 0 {
			return Config{}, usagef("config %s: weights.%s = %v: WASI cannot express %s, only 0 is accepted", name, u.key, u.v, u.key)
		}
	}
	c := Config{
		FileLen:      doc.FileLen,
		NoSizeChecks: doc.NoSizeChecks,
		OpSize:       doc.OpSize,
		Weights:      w.Weights,
	}
	if err := c.Validate(); err != nil {
		var fe *fieldError
		if errors.As(err, &fe) {
			if line := keyLine(data, fe.key); line > 0 {
				return Config{}, usagef("config %s:%d: %v", name, line, err)
			}
		}
		return Config{}, usagef("config %s: %v", name, err)
	}
	return c, nil
}

// fieldError is a value that breaks a rule, with its key, so that a
// config file's error can name the line.
type fieldError struct{ key, msg string }

func (e *fieldError) Error() string { return e.msg }

func fieldErr(key, format string, a ...any) error {
	return &fieldError{key: key, msg: fmt.Sprintf(format, a...)}
}

// keyLine is the line of data that sets key ("flen", "opsize.max"), or 0
// when the file does not set it (a default broke the rule).
func keyLine(data []byte, key string) int {
	table, leaf, _ := strings.Cut(key, ".")
	if leaf == "" {
		table, leaf = "", key
	}
	cur := ""
	for i, line := range strings.Split(string(data), "\n") {
		l := strings.TrimSpace(line)
		if strings.HasPrefix(l, "[") {
			cur = strings.TrimSpace(strings.Trim(l, "[]"))
			continue
		}
		k, _, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		if k == key && cur == "" || k == leaf && cur == table {
			return i + 1
		}
	}
	return 0
}

// tomlError turns go-toml's errors into one line with the key and position.
func tomlError(name string, err error) error {
	var sme *toml.StrictMissingError
	if errors.As(err, &sme) && len(sme.Errors) > 0 {
		e := &sme.Errors[0]
		row, col := e.Position()
		more := ""
		if n := len(sme.Errors) - 1; n > 0 {
			more = fmt.Sprintf(" (and %d more)", n)
		}
		return fmt.Errorf("config %s:%d:%d: unknown key %q%s", name, row, col, strings.Join(e.Key(), "."), more)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		key := ""
		if k := de.Key(); len(k) > 0 {
			key = fmt.Sprintf(" (key %q)", strings.Join(k, "."))
		}
		return fmt.Errorf("config %s:%d:%d: %s%s", name, row, col, plainTypes(strings.TrimPrefix(de.Error(), "toml: ")), key)
	}
	return fmt.Errorf("config %s: %s", name, strings.TrimPrefix(err.Error(), "toml: "))
}

// goTypeRE matches go-toml's "into struct field pkg.T.F of type uint64",
// which names our Go types rather than what the user should write.
var goTypeRE = regexp.MustCompile(`into struct field \S+ of type ([\w.]+)`)

func plainTypes(msg string) string {
	return goTypeRE.ReplaceAllStringFunc(msg, func(m string) string {
		switch t := goTypeRE.FindStringSubmatch(m)[1]; {
		case strings.HasSuffix(t, "OpSize"):
			return "where the table [opsize] (min, max, align) is expected"
		case strings.HasSuffix(t, "Weights"):
			return "where the table [weights] is expected"
		case t == "bool":
			return "where true or false is expected"
		case t == "float64":
			return "where a number is expected"
		default:
			return "where a whole number >= 0 is expected"
		}
	})
}

// Validate applies fsx-rs's rules plus our size limits. OpSize.Align 0 means
// 1 here, so that programs building a Config need not set it.
func (c Config) Validate() error {
	switch {
	case c.FileLen == 0:
		return fieldErr("flen", "flen must be greater than zero")
	case c.FileLen > MaxFileLen:
		return fieldErr("flen", "flen %d is larger than the limit %d (1 GiB)", c.FileLen, MaxFileLen)
	case c.OpSize.Max == 0:
		return fieldErr("opsize.max", "opsize.max must be greater than zero")
	case c.OpSize.Min > c.OpSize.Max:
		return fieldErr("opsize.min", "opsize.min (%d) must be no greater than opsize.max (%d)", c.OpSize.Min, c.OpSize.Max)
	case c.OpSize.Align > c.OpSize.Max:
		return fieldErr("opsize.align", "opsize.align (%d) must be no greater than opsize.max (%d)", c.OpSize.Align, c.OpSize.Max)
	}
	total := uint64(0)
	for i, w := range c.Weights.list() {
		if w > MaxWeight {
			return fieldErr("weights."+fsop.Kind(i).String(), "weights.%s = %d is larger than the limit %d", fsop.Kind(i), w, MaxWeight)
		}
		total += w
	}
	if total == 0 {
		return errors.New("all weights are zero: nothing to do")
	}
	return nil
}

// list is the weights in fsop.Kind order.
func (w Weights) list() (l [fsop.NumRandomKinds]uint64) {
	for i := range l {
		l[i] = *w.Of(fsop.Kind(i))
	}
	return l
}

// TOML renders the config in the file format, for the replay artifact.
func (c Config) TOML() []byte {
	b, err := toml.Marshal(c)
	if err != nil { // cannot happen for this plain struct
		panic(err)
	}
	return b
}
