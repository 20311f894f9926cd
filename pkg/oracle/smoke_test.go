package oracle

import (
	"context"
	"path/filepath"
	"testing"
)

func TestSmokeL1(t *testing.T) {
	root := filepath.Join(t.TempDir(), "r")
	var c Case
	err := Run(context.Background(), Config{Chain: 2, Start: 0, Count: 300, Root: root, Lanes: 2}, func(i int64, rec []byte) error {
		c.Decode(2, i)
		outs, err := DecodeRecord(rec)
		if err != nil {
			t.Fatal(err)
		}
		if i%7 == 0 {
			t.Logf("%d %v %v: %s ; %s | %s %s %s (%d bytes)", i, c.Steps[0].Entry, c.Steps[1].Entry, outs[0].Format(c.Steps[0].Entry.Command().Op), outs[1].Format(c.Steps[1].Entry.Command().Op), outs[2].FormatSnapshot(), outs[3].FormatSnapshot(), outs[4].FormatSnapshot(), len(rec))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
