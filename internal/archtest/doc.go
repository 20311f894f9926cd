// Package archtest holds no code, only tests: the module's import rules,
// checked against what the go command really builds, and the build files
// every task runs through (the Taskfile parses).
//
// The rules live in one table in archtest_test.go (subject, forbidden
// imports, GOOS/GOARCH targets, why); docs/architecture.md explains them.
// The main one: nothing the guest builds, natively or for wasip1, imports
// host machinery (runners, the pipeline, the fault layer, the embedded
// wazero runtime). A rule written only in a document drifts the first time
// a convenient import crosses the line; a failing test does not.
//
// The test asks `go list -deps -json ./...` once per target and walks that
// graph, so the answer is the build's own, build tags and per-GOOS files
// included (a guest file that only builds for wasip1 is seen only there). It
// reports every violation with the import chain that leads to it, and the
// checker is itself tested: forbidden imports are planted into a copy of the
// module and must be reported.
package archtest
