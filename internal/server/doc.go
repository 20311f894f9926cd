// Package server is fsx-wasix's HTTP mode: GET/POST /run turns query or form
// parameters into one exerciser run, and GET /health says the server is up.
//
// It exists so a runtime team can deploy the guest as a long-running service
// (inside Wasmer, with a /data volume) and trigger runs over HTTP. Everything
// here is about the request, not the run: parameter parsing into the
// exerciser's Config (whose defaults and validation stay in pkg/exerciser),
// caps, allowed roots, admission of concurrent runs, per-path exclusion,
// deadlines that cancel the run, and listening — including inside
// WebAssembly, where Go's wasip1 port cannot open a socket by itself (see
// Listen). docs/server.md is the user's guide.
package server
