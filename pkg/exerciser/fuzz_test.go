package exerciser

import (
	"strings"
	"testing"
)

// FuzzParseConfig: any bytes are a valid config or one usage error line —
// never a panic, never a config that fails its own validation.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		"flen = 10485760\n[opsize]\nmin = 1\nmax = 65536\n[weights]\nclose_open = 1\nread = 1\nwrite = 1\nmapread = 1\nmapwrite = 1\ntruncate = 1\nfsync = 0\nfdatasync = 0\n",
		"opsize = 5\n", "flen = -1\n", "[weights]\nread = 1.5\n", "[opsize]\nmin = 10\nmax = 5\n", "flen = = 3\n", "\xff\xfe", "[weights]\npunch_hole = 0.5\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data, "f.toml")
		if err != nil {
			if ExitCode(err) != ExitUsage || strings.ContainsRune(err.Error(), '\n') {
				t.Fatalf("%q: error %q is not one usage line", data, err)
			}
			return
		}
		if verr := c.Validate(); verr != nil {
			t.Fatalf("%q: accepted a config that fails validation: %v", data, verr)
		}
	})
}
