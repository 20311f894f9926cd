// Package oracle runs every short program of filesystem commands — open
// modes, append, truncate-on-open, exclusive create, handles shared between
// two threads, delete while open, stat and readdir — and records what each
// command answered, so that the answers of a WebAssembly runtime can be
// diffed against the native ones.
//
// Pieces, in the order the data flows:
//
//   - catalog.go: the seed's 19 commands expanded over the two logical
//     handles and the files A, B, C; its hash goes into every transcript.
//   - cases.go: case index ↔ (command sequence, worker assignment), one to
//     one, so any slice of cases can run on its own and slices concatenate.
//   - outcome.go, errno.go: portable outcomes (ok and a value, or an error
//     kind from a closed set) and their compact msgpack encoding.
//   - exec.go: the executor: two workers (OS threads natively) sharing the
//     handles, strict hand-off between them, snapshots of A, B and C.
//   - compare.go: case-by-case comparison, readable divergent programs,
//     grouping by signature, known-bug suppression.
//   - session.go: one run's input checked once (Prepare), then the cases
//     run with their report written and compared (Session.Run, Execute).
//   - verify.go: the host-side re-read of a runtime's case files.
//
// Records go into transcripts (package transcript), which know nothing of
// what they mean.
package oracle
