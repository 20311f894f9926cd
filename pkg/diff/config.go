package diff

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
)

// MaxWeight bounds one weight, so a typo cannot make a draw overflow.
const MaxWeight = 1_000_000

// Config is what the generator draws from: program lengths and the weight
// of each op class. It is part of the schema hash: programs of another
// config are other programs.
type Config struct {
	LengthMin, LengthMax int
	Weights              [NumClasses]uint64 // in Classes order
}

// DefaultWeights favour the ops that make state (open, write, rename) and
// keep the rest frequent enough to meet it.
var DefaultWeights = map[fsop.Kind]uint64{
	fsop.Open: 12, fsop.Close: 5, fsop.Read: 8, fsop.Write: 10, fsop.MapRead: 5, fsop.MapWrite: 6,
	fsop.Seek: 4, fsop.Truncate: 5, fsop.Fstat: 4, fsop.Stat: 4, fsop.Delete: 5, fsop.Rename: 6,
	fsop.Link: 2, fsop.Mkdir: 4, fsop.Rmdir: 3, fsop.RemoveAll: 2, fsop.ReadDir: 3,
	fsop.ReadDirBatch: 6, fsop.Fsync: 2, fsop.Fdatasync: 2, fsop.Snapshot: 1,
}

// DefaultConfig is the config with every key missing: 5–60 steps, DefaultWeights.
func DefaultConfig() Config {
	c := Config{LengthMin: 5, LengthMax: 60}
	for i, k := range Classes {
		c.Weights[i] = DefaultWeights[k]
	}
	return c
}

// Weight is the weight of class k (0 for a kind outside the catalog).
func (c *Config) Weight(k fsop.Kind) uint64 {
	if i := classIndex(k); i >= 0 {
		return c.Weights[i]
	}
	return 0
}

// tomlDoc is what a config file may contain. The weight keys are the
// classes' fsop names; TestWeightKeysAreTheClasses holds the tags to
// Classes, since Go tags cannot be computed.
type tomlDoc struct {
	Diff struct {
		LengthMin *int64       `toml:"length_min"`
		LengthMax *int64       `toml:"length_max"`
		Weights   *tomlWeights `toml:"weights"`
	} `toml:"diff"`
}

type tomlWeights struct {
	Open         *int64 `toml:"open"`
	Close        *int64 `toml:"close"`
	Read         *int64 `toml:"read"`
	Write        *int64 `toml:"write"`
	MapRead      *int64 `toml:"mapread"`
	MapWrite     *int64 `toml:"mapwrite"`
	Seek         *int64 `toml:"seek"`
	Truncate     *int64 `toml:"truncate"`
	Fstat        *int64 `toml:"fstat"`
	Stat         *int64 `toml:"stat"`
	Delete       *int64 `toml:"delete"`
	Rename       *int64 `toml:"rename"`
	Link         *int64 `toml:"link"`
	Mkdir        *int64 `toml:"mkdir"`
	Rmdir        *int64 `toml:"rmdir"`
	RemoveAll    *int64 `toml:"remove_all"`
	ReadDir      *int64 `toml:"read_dir"`
	ReadDirBatch *int64 `toml:"read_dir_batch"`
	Fsync        *int64 `toml:"fsync"`
	Fdatasync    *int64 `toml:"fdatasync"`
	Snapshot     *int64 `toml:"snapshot"`
}

// LoadConfig reads and validates a config file; every error is one line
// naming the file and the key.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %v", err)
	}
	return ParseConfig(data, path)
}

// ParseConfig parses and validates a config: [diff] length_min,
// length_max and [diff.weights] one key per class. With a [diff.weights]
// table, a class it does not name weighs 0 (so a config can focus on a
// few classes); without one, every class has its default weight.
func ParseConfig(data []byte, name string) (Config, error) {
	var doc tomlDoc
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return Config{}, tomlError(name, err)
	}
	c := DefaultConfig()
	d := &doc.Diff
	for _, f := range []struct {
		key string
		v   *int64
		dst *int
	}{{"length_min", d.LengthMin, &c.LengthMin}, {"length_max", d.LengthMax, &c.LengthMax}} {
		if f.v == nil {
			continue
		}
		if *f.v < 1 || *f.v > MaxLength {
			return Config{}, fmt.Errorf("config %s: diff.%s = %d is out of range 1..%d", name, f.key, *f.v, MaxLength)
		}
		*f.dst = int(*f.v)
	}
	if c.LengthMin > c.LengthMax {
		return Config{}, fmt.Errorf("config %s: diff.length_min = %d is greater than diff.length_max = %d", name, c.LengthMin, c.LengthMax)
	}
	if d.Weights != nil {
		v := reflect.ValueOf(d.Weights).Elem()
		for i := range Classes {
			c.Weights[i] = 0
			p := v.Field(i).Interface().(*int64)
			if p == nil {
				continue
			}
			if *p < 0 || *p > MaxWeight {
				return Config{}, fmt.Errorf("config %s: diff.weights.%s = %d is out of range 0..%d", name, Classes[i], *p, MaxWeight)
			}
			c.Weights[i] = uint64(*p)
		}
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("config %s: %v", name, err)
	}
	return c, nil
}

// Validate checks the ranges ParseConfig checks, for configs built in code.
func (c *Config) Validate() error {
	switch {
	case c.LengthMin < 1 || c.LengthMin > MaxLength:
		return fmt.Errorf("diff.length_min = %d is out of range 1..%d", c.LengthMin, MaxLength)
	case c.LengthMax < 1 || c.LengthMax > MaxLength:
		return fmt.Errorf("diff.length_max = %d is out of range 1..%d", c.LengthMax, MaxLength)
	case c.LengthMin > c.LengthMax:
		return fmt.Errorf("diff.length_min = %d is greater than diff.length_max = %d", c.LengthMin, c.LengthMax)
	}
	var total uint64
	for i, w := range c.Weights {
		if w > MaxWeight {
			return fmt.Errorf("diff.weights.%s = %d is out of range 0..%d", Classes[i], w, MaxWeight)
		}
		total += w
	}
	if total == 0 {
		return errors.New("diff.weights: all weights are zero: nothing to do")
	}
	return nil
}

// TOML is the config in its file format, every key spelled out: the
// canonical form the schema hash covers and the transcript header carries.
func (c *Config) TOML() string {
	var b strings.Builder
	fmt.Fprintf(&b, "[diff]\nlength_min = %d\nlength_max = %d\n\n[diff.weights]\n", c.LengthMin, c.LengthMax)
	for i, k := range Classes {
		fmt.Fprintf(&b, "%s = %d\n", k, c.Weights[i])
	}
	return b.String()
}

// SchemaHash identifies what a transcript's records mean: the catalog, the
// generator, the record format and the config. Records are compared only
// under equal hashes.
func SchemaHash(c *Config) string {
	h := sha256.New()
	describeCatalog(h)
	h.Write([]byte(c.TOML()))
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// tomlError turns go-toml's errors into one line with the key and position.
func tomlError(name string, err error) error {
	var sme *toml.StrictMissingError
	if errors.As(err, &sme) && len(sme.Errors) > 0 {
		e := &sme.Errors[0]
		row, col := e.Position()
		return fmt.Errorf("config %s:%d:%d: unknown key %q", name, row, col, strings.Join(e.Key(), "."))
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		key := ""
		if k := de.Key(); len(k) > 0 {
			key = fmt.Sprintf(" (key %q)", strings.Join(k, "."))
		}
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		if i := strings.Index(msg, " into struct field"); i >= 0 {
			msg = msg[:i] + " where a whole number is expected"
		}
		return fmt.Errorf("config %s:%d:%d: %s%s", name, row, col, msg, key)
	}
	return fmt.Errorf("config %s: %s", name, strings.TrimPrefix(err.Error(), "toml: "))
}
