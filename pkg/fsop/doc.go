// Package fsop is the one vocabulary every part of fsx-wasix speaks about
// filesystem operations: an operation as a value (Op: kind, handle, file,
// offset, size, flags), a Program of ops over workers, the closed set of
// portable error kinds (Errno) and outcomes (Outcome, Digest), and their
// codecs — the .fsxops text format and the msgpack form of outcomes in
// transcripts.
//
// It exists so that an op is named once: random mode's picker, the oracle's
// catalog, .fsxops files, the config keys and the server's parameters all
// take their names, order and meaning from here, and a program can be run
// against any Backend (the real filesystem, a model) and judged by
// comparing outcomes. Like wazero's experimental/sys, errors are a closed
// set and backends embed Unimplemented so the vocabulary can grow without
// breaking them.
//
// fsop imports nothing of this module (internal/archtest checks it), so
// every other package can depend on it without cycles, on both the host and
// the guest (GOOS=wasip1).
package fsop
