// Package transcript reads and writes oracle transcripts: a stream of opaque
// records framed by a header and a trailer, msgpack inside one zstd frame.
//
// It knows nothing of what a record means (the oracle encodes and decodes
// its own records); it guarantees the things every consumer needs the same
// way: a file that is either whole or visibly broken, one-line errors that
// say which (truncated, corrupt, bad magic, newer version, catalog
// mismatch), streaming in constant memory, and deterministic bytes, so that
// merging the slices of a run in case order reproduces the unsharded report
// byte for byte.
//
// Layout of the decompressed stream (all msgpack):
//
//	"fsx-wasix-transcript"   str: the magic
//	1                        uint: the format version
//	{header map}             Header, field names as in its msgpack tags
//	bin, bin, ...            one bin per record, in case order
//	nil                      end of records
//	{trailer map}            {"count": records, "checksum": FNV-1a 64 of the record framing and payloads}
//
// The whole stream is one zstd frame written with fixed encoder settings and
// a single-threaded encoder, so equal input gives equal bytes.
package transcript
