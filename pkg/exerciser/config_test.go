package exerciser

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
)

func TestParseConfig(t *testing.T) {
	t.Parallel()
	seed := DefaultConfig()
	seed.FileLen = 10485760
	seed.OpSize = OpSize{Min: 1, Max: 65536, Align: 1}
	seed.Weights = Weights{CloseOpen: 1, Read: 1, Write: 1, MapRead: 1, MapWrite: 1, Truncate: 1}
	seedTOML, err := os.ReadFile("testdata/fsx-10mb.toml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		toml    string
		want    *Config // nil: only check the error
		wantErr string  // "" = must succeed
	}{
		{name: "seed config", toml: string(seedTOML), want: &seed},
		{name: "empty file is fsx-rs defaults", toml: "", want: ptr(DefaultConfig())},
		{name: "missing weights default to 10, present ones kept", toml: "[weights]\nclose_open = 3\n",
			want: ptr(withWeights(DefaultConfig(), Weights{CloseOpen: 3, Read: 10, Write: 10, MapRead: 10, MapWrite: 10, Truncate: 10}))},
		{name: "nosizechecks", toml: "nosizechecks = true\n", want: ptr(func() Config { c := DefaultConfig(); c.NoSizeChecks = true; return c }())},
		{name: "fsx-rs keys WASI cannot express are fine at 0",
			toml: "[weights]\ninvalidate = 0\nposix_fallocate = 0.0\npunch_hole = 0\nsendfile = 0\nposix_fadvise = 0\ncopy_file_range = 0\n", want: ptr(DefaultConfig())},
		{name: "blockmode false and nomsyncafterwrite accepted", toml: "blockmode = false\nnomsyncafterwrite = true\n", want: ptr(DefaultConfig())},

		{name: "invalidate nonzero", toml: "[weights]\ninvalidate = 1\n", wantErr: "weights.invalidate = 1: WASI cannot express invalidate"},
		{name: "posix_fallocate nonzero", toml: "[weights]\nposix_fallocate = 2\n", wantErr: "weights.posix_fallocate"},
		{name: "punch_hole nonzero", toml: "[weights]\npunch_hole = 0.5\n", wantErr: "weights.punch_hole"},
		{name: "sendfile nonzero", toml: "[weights]\nsendfile = 1\n", wantErr: "weights.sendfile"},
		{name: "posix_fadvise nonzero", toml: "[weights]\nposix_fadvise = 1\n", wantErr: "weights.posix_fadvise"},
		{name: "copy_file_range nonzero", toml: "[weights]\ncopy_file_range = 1\n", wantErr: "weights.copy_file_range"},
		{name: "blockmode true", toml: "blockmode = true\n", wantErr: "blockmode"},
		{name: "unknown top-level key names key and line", toml: "flen = 4096\nbogus = 1\n", wantErr: `t.toml:2:1: unknown key "bogus"`},
		{name: "unknown weight names key and line", toml: "[weights]\nread = 1\nreed = 1\n", wantErr: `t.toml:3:1: unknown key "weights.reed"`},
		{name: "unknown table", toml: "[opsizes]\nmax = 1\n", wantErr: `unknown key "opsizes`},
		{name: "flen zero", toml: "flen = 0\n", wantErr: "t.toml:1: flen must be greater than zero"},
		{name: "flen huge", toml: "flen = 10000000000\n", wantErr: "t.toml:1: flen 10000000000 is larger than the limit"},
		{name: "flen negative", toml: "flen = -1\n", wantErr: "t.toml:1:"},
		{name: "max zero", toml: "[opsize]\nmax = 0\n", wantErr: "t.toml:2: opsize.max must be greater than zero"},
		{name: "min above max", toml: "[opsize]\nmin = 10\nmax = 5\n", wantErr: "t.toml:2: opsize.min (10) must be no greater than opsize.max (5)"},
		{name: "align above max", toml: "[opsize]\nmax = 5\nalign = 8\n", wantErr: "t.toml:3: opsize.align (8) must be no greater than opsize.max (5)"},
		{name: "align zero", toml: "[opsize]\nalign = 0\n", wantErr: "opsize.align must be greater than zero"},
		{name: "all weights zero", toml: "[weights]\nread = 0\nwrite = 0\nmapread = 0\nmapwrite = 0\ntruncate = 0\n", wantErr: "all weights are zero"},
		{name: "negative weight", toml: "[weights]\nread = -1\n", wantErr: "t.toml:2:"},
		{name: "huge weight", toml: "[weights]\nread = 99999999999\n", wantErr: "t.toml:2: weights.read = 99999999999 is larger"},
		{name: "wrong type", toml: "flen = \"big\"\n", wantErr: "t.toml:1:"},
		{name: "float weight", toml: "[weights]\nread = 1.5\n", wantErr: "t.toml:2:"},
		{name: "malformed", toml: "flen = = 3\n", wantErr: "t.toml:1:"},
		{name: "table given a number", toml: "opsize = 5\n", wantErr: "t.toml:1:10: cannot decode TOML integer where the table [opsize] (min, max, align) is expected"},
		{name: "against a default", toml: "[opsize]\nmin = 70000\n", wantErr: "config t.toml:2: opsize.min (70000) must be no greater than opsize.max (65536)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseConfig([]byte(tt.toml), "t.toml")
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("want error containing %q, got config %+v", tt.wantErr, got)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %q does not contain %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Fatalf("error is not one line: %q", err)
				}
				if ExitCode(err) != ExitUsage {
					t.Fatalf("exit code %d, want %d", ExitCode(err), ExitUsage)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tt.want != nil && got != *tt.want {
				t.Fatalf("got %+v\nwant %+v", got, *tt.want)
			}
		})
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	t.Parallel()
	_, err := LoadConfig(filepath.Join(t.TempDir(), "nope.toml"))
	if err == nil || !strings.Contains(err.Error(), "nope.toml") || ExitCode(err) != ExitUsage {
		t.Fatalf("got %v (exit %d), want a usage error naming the file", err, ExitCode(err))
	}
}

// The replay artifact's TOML must parse back to the same config.
func TestConfigTOMLRoundTrip(t *testing.T) {
	t.Parallel()
	c := DefaultConfig()
	c.NoSizeChecks, c.OpSize.Align, c.Weights.Fsync = true, 4, 7
	got, err := ParseConfig(c.TOML(), "rt")
	if err != nil || got != c {
		t.Fatalf("round trip: %v\n got %+v\nwant %+v", err, got, c)
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	base := Options{Path: "x", Threads: 1, NumOps: 10, Config: DefaultConfig()}
	tests := []struct {
		name string
		mod  func(*Options)
		want string
	}{
		{"no path", func(o *Options) { o.Path = "" }, "no FILE"},
		{"zero threads", func(o *Options) { o.Threads = 0 }, "at least 1"},
		{"too many threads", func(o *Options) { o.Threads = 5000 }, "limit"},
		{"numops below -1", func(o *Options) { o.NumOps = -2 }, "numops"},
		{"negative inject", func(o *Options) { o.Inject = -1 }, "--inject"},
		{"negative log start", func(o *Options) { o.LogStart = -1 }, "-b"},
		{"monitor reversed", func(o *Options) { o.Monitor = [2]uint64{9, 3} }, "-m"},
		{"bad config", func(o *Options) { o.Config.FileLen = 0 }, "flen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := base
			tt.mod(&o)
			_, err := Run(t.Context(), o)
			if err == nil || !strings.Contains(err.Error(), tt.want) || ExitCode(err) != ExitUsage {
				t.Fatalf("got %v (exit %d), want usage error with %q", err, ExitCode(err), tt.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func withWeights(c Config, w Weights) Config { c.Weights = w; return c }

// The config keys of the weights are fsop's kind names, in fsop's order:
// the struct tags spell them again (tags cannot be computed), so this test
// is what keeps them one vocabulary.
func TestWeightKeysAreKindNames(t *testing.T) {
	t.Parallel()
	typ := reflect.TypeOf(Weights{})
	if typ.NumField() != fsop.NumRandomKinds {
		t.Fatalf("Weights has %d fields, fsop has %d random-mode kinds", typ.NumField(), fsop.NumRandomKinds)
	}
	for i := range typ.NumField() {
		f, k := typ.Field(i), fsop.Kind(i)
		if f.Tag.Get("toml") != k.String() || f.Tag.Get("json") != k.String() {
			t.Errorf("field %s: tags toml %q json %q, want %q (fsop kind %d)", f.Name, f.Tag.Get("toml"), f.Tag.Get("json"), k, i)
		}
		var w Weights
		*w.Of(k) = 7
		if reflect.ValueOf(w).Field(i).Uint() != 7 {
			t.Errorf("Weights.Of(%s) is not field %s", k, f.Name)
		}
	}
}
