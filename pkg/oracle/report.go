package oracle

import (
	"fmt"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/fsx-wasix/fsx-wasix/pkg/transcript"
)

// Schema names an oracle report's records in its transcript header; what
// they mean is pinned by CatalogHash, the schema hash. The transcript
// package frames them and knows nothing more: the oracle owns its header
// fields (ReportMeta) and its records (record.go).
const Schema = "fsx-wasix oracle"

// ReportMeta is what an oracle report's header says beyond the framing,
// carried in the transcript header's opaque Meta.
type ReportMeta struct {
	Chain     int    `msgpack:"chain"`    // command sequence length
	Platform  string `msgpack:"platform"` // GOOS/GOARCH of the producer
	Runtime   string `msgpack:"runtime"`  // "native", or the runtime named by the producer's environment
	Root      string `msgpack:"root"`     // the producer's case root, as it saw it
	Output    string `msgpack:"output"`   // the report path, as the producer saw it
	KeptFiles bool   `msgpack:"kept"`     // case files were left in place for a host re-read
}

// ReportHeader is an oracle report's header: the framing (record i is case
// First+i) and the oracle's own fields.
type ReportHeader struct {
	transcript.Header
	ReportMeta
}

// Framing is the transcript header to write: the schema and the meta
// encoded into Meta (deterministically: slices merge byte-identically).
// SchemaHash is kept as it is: a run sets this build's CatalogHash; a host
// rewriting a guest's report keeps the guest's.
func (h ReportHeader) Framing() transcript.Header {
	f := h.Header
	f.Schema = Schema
	meta, err := msgpack.Marshal(&h.ReportMeta)
	if err != nil { // a plain struct of strings, ints and a bool
		panic(err)
	}
	f.Meta = meta
	return f
}

// ReadHeader is an oracle report's header from its transcript framing.
func ReadHeader(name string, f transcript.Header) (ReportHeader, error) {
	h := ReportHeader{Header: f}
	if f.Schema != Schema {
		return h, fmt.Errorf("%s: not an oracle report (it holds %q records)", name, f.Schema)
	}
	if err := msgpack.Unmarshal(f.Meta, &h.ReportMeta); err != nil {
		return h, fmt.Errorf("%s: corrupt oracle report header: %v", name, err)
	}
	if h.Chain < 1 || h.Chain > MaxChain {
		return h, fmt.Errorf("%s: corrupt oracle report header: chain %d", name, h.Chain)
	}
	return h, nil
}

// ExpectReport is the reader option of every oracle reader: records of this
// build's catalog, or a clear refusal.
func ExpectReport() transcript.Option { return transcript.ExpectSchema(Schema, CatalogHash) }

// OpenReport opens an oracle report for streaming and reads its header.
func OpenReport(path string) (*transcript.Reader, ReportHeader, error) {
	r, err := transcript.Open(path, ExpectReport())
	if err != nil {
		return nil, ReportHeader{}, err
	}
	h, err := ReadHeader(path, r.Header())
	if err != nil {
		r.Close()
		return nil, h, err
	}
	return r, h, nil
}
