package diff

import (
	"os"
	"strconv"
	"testing"
)

// go test -run TestDumpProgram ./pkg/diff with DUMP=seed:k writes program k.
func TestDumpProgram(t *testing.T) {
	v := os.Getenv("DUMP")
	if v == "" {
		t.Skip()
	}
	var seed uint64
	var k int64
	for i := range v {
		if v[i] == ':' {
			seed, _ = strconv.ParseUint(v[:i], 10, 64)
			k, _ = strconv.ParseInt(v[i+1:], 10, 64)
		}
	}
	os.Stdout.Write(AppendProgram(nil, "p"+strconv.FormatInt(k, 10), Generate(seed, k, DefaultConfig())))
}
