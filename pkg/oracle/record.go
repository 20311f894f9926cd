package oracle

import (
	"bytes"
	"fmt"

	"github.com/fsx-wasix/fsx-wasix/pkg/fsop"
	"github.com/vmihailenco/msgpack/v5"
)

// A record is a msgpack array of the case's L step outcomes, then the
// snapshots of A, B and C, each in fsop's outcome encoding.

// DecodeRecord parses a record into its outcomes (steps, then snapshots).
func DecodeRecord(rec []byte) ([]fsop.Outcome, error) {
	d := msgpack.NewDecoder(bytes.NewReader(rec))
	n, err := d.DecodeArrayLen()
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	if n < 0 || n > MaxChain+len(Files) {
		return nil, fmt.Errorf("record: %d outcomes", n)
	}
	out := make([]fsop.Outcome, n)
	for i := range out {
		if err := fsop.DecodeOutcome(d, &out[i]); err != nil {
			return nil, fmt.Errorf("record outcome %d: %w", i, err)
		}
	}
	return out, nil
}
