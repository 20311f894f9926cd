// Package runner runs one guest — fsx-wasix.wasm, or the native build — under
// one runtime, with the argument shape of `wasmer run`: volumes, host
// networking, environment and guest arguments. The orchestrator, the tests
// and the benchmarks all go through [Runner], so a new runtime is one new
// file here and nothing else changes.
//
// The runners and what they mean by a volume:
//
//   - "wazero" (embedded, in-process): volumes are real host-directory
//     mounts (wazero's WithDirMount). The guest also gets a /tmp: a fresh
//     host temp dir, removed after the run, unless a volume maps /tmp.
//     Clocks are real. Every wasix_32v1 function the module imports is
//     defined: thread_parallelism writes runtime.NumCPU(), the rest return
//     ENOSYS (52), so one fsx-wasix.wasm runs under wazero and Wasmer.
//   - "wasmer-sdk" (@wasmer/sdk 0.16.0 under Node, runners/wasmer-sdk):
//     the SDK cannot mount host directories, so each volume is an in-memory
//     copy: copied into the sandbox's /workspace/<GUEST> before the run and
//     back out (new, changed and deleted files) after it. The guest sees the
//     volume at /workspace/<GUEST>, not at GUEST: guest arguments naming a
//     path under GUEST are rewritten (see runners/wasmer-sdk/run.mjs).
//     HostBacked() is false for this runner.
//   - "wasmer" (the wasmer CLI, pinned version [WasmerVersion]): exactly
//     `wasmer run` with [WasmerArgs]; volumes are Wasmer's host filesystem
//     layer and /tmp is Wasmer's in-memory filesystem.
//   - "native": Spec.Wasm is the native guest binary; there are no mounts,
//     so guest arguments under a volume's GUEST path are rewritten to its
//     HOST path.
//
// Networking hook for the HTTP server under wazero: wazero guests cannot
// open sockets, so with Spec.Net the wazero runner pre-opens a TCP listener
// on Spec.Listen ("host:port"), or, when Listen is empty, on 127.0.0.1:PORT
// taken from the guest's own `--server PORT` arguments. wazero numbers
// pre-opened sockets right after the pre-opened directories, so the guest
// finds it as the first fd after its preopens whose type is a socket (fd 3
// plus the number of mounts, /tmp included); net.FileListener(os.NewFile(fd,
// "")) turns it into a listener. The Wasmer runtimes ignore Listen: there
// the guest opens its own socket through WASIX.
//
// Timeouts: a run with Spec.Timeout that does not finish in time is killed
// (the wazero module is closed, the child process is killed) and Run returns
// an error wrapping [ErrTimeout].
package runner
