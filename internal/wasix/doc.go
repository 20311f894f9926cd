// Package wasix wraps the few WASIX calls the guest uses (wasix_32v1
// imports) behind plain Go functions, with native stand-ins, so the rest of
// the guest never needs a build tag.
//
// Every import declared here must also be provided by the wazero runner
// (internal/runner), or one fsx-wasix.wasm would not run everywhere.
package wasix
