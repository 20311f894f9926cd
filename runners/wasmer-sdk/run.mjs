#!/usr/bin/env node
// Runs one WASI/WASIX module under @wasmer/sdk (the Wasmer + WASIX core
// compiled to wasm) with `wasmer run`'s argument shape:
//
//   node run.mjs run [--net] [--volume HOST:GUEST]... [--env K=V]...
//                    [--timeout-ms N] [--no-warmup] [--verbose] WASM [-- ARGS...]
//
// The guest's stdout and stderr stream through as it runs; the exit code is
// the guest's. 124: --timeout-ms ran out (the guest was killed). 125: this
// runner or the SDK failed; the last stderr line says why.
//
// Volumes are an in-memory copy, not a mount: the SDK cannot mount host
// directories from Node, and its file API (sandbox.fs) only reaches
// /workspace, the one place whose writes outlive a command. So HOST is
// copied into the sandbox at /workspace/GUEST before the run and copied back
// after it (new and changed files written, deleted ones removed). The guest
// sees the volume at /workspace/GUEST, and every guest argument naming a
// path under GUEST (alone, or after "--flag=") is rewritten to match. Paths
// the guest learns any other way (inside a config file, an HTTP query) are
// not rewritten. Package `files` at absolute paths were tried: the guest
// sees them, but its writes there are private to the command and lost.
//
// Warm-up (on by default, --no-warmup to see the bug): in a fresh Wasmer
// instance the first command's first poll_oneoff clock wait often never
// returns (docs/findings.md, "SDK: first clock wait hangs"); later commands
// in the same instance are fine. Go guests sleep through poll_oneoff, so
// before the guest we run WARMUP_WASM — 166 bytes whose _start waits 1 ms in
// poll_oneoff — with a short timeout, retried until one returns.
import { Wasmer } from "@wasmer/sdk/node";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

const EXIT_TIMEOUT = 124;
const EXIT_FAILURE = 125;
// WARMUP_WASM is this module (encoded by hand; no toolchain needed):
//   (module
//     (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
//     (memory (export "memory") 1)
//     ;; one clock subscription: CLOCK_MONOTONIC, relative timeout 1 ms, precision 1 us
//     (data (i32.const 0) "\00..." ) ;; id=1 @16, timeout=1000000 @24, precision=1000 @32
//     (func (export "_start") (drop (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))))
const WARMUP_WASM = Buffer.from(
  "AGFzbQEAAAABDAJgBH9/f38Bf2AAAAImARZ3YXNpX3NuYXBzaG90X3ByZXZpZXcxC3BvbGxfb25lb2ZmAAADAgEBBQMBAAEHEwIGX3N0YXJ0AAEGbWVtb3J5AgAKEAEOAEEAQUBBAUGAARAAGgsLNgEAQQALMAAAAAAAAAAAAAAAAAAAAAABAAAAAAAAAEBCDwAAAAAA6AMAAAAAAAAAAAAAAAAAAA==",
  "base64");
const WARMUP_TRIES = 8;
const WARMUP_TIMEOUT_MS = 500;
const COPY_LIMIT = 2 * 1024 * 1024 * 1024; // bytes per run, a guard against mounting $HOME

function die(msg) {
  process.stderr.write(`wasmer-sdk-run: ${msg}\n`);
  process.exit(EXIT_FAILURE);
}

// parseArgs takes flags before and after "run", so a wrapper can fix some:
// WASMER="node run.mjs --env GOGC=off" in front of `run --volume ...`.
function parseArgs(argv) {
  const at = argv.indexOf("run");
  if (at < 0) die("usage: run.mjs run [--net] [--volume HOST:GUEST]... [--env K=V]... [--timeout-ms N] WASM [-- ARGS...]");
  const o = { net: false, volumes: [], env: {}, timeoutMs: 0, warmup: true, verbose: false, wasm: "", args: [] };
  argv = [...argv.slice(0, at), ...argv.slice(at + 1)];
  let i = 0;
  const value = (flag) => {
    if (i + 1 >= argv.length) die(`${flag} needs a value`);
    return argv[++i];
  };
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--net") o.net = true;
    else if (a === "--verbose") o.verbose = true;
    else if (a === "--no-warmup") o.warmup = false;
    else if (a === "--volume" || a.startsWith("--volume=")) o.volumes.push(parseVolume(a.includes("=") ? a.slice(9) : value(a)));
    else if (a === "--env" || a.startsWith("--env=")) {
      const kv = a.includes("=") && a.startsWith("--env=") ? a.slice(6) : value(a);
      const eq = kv.indexOf("=");
      if (eq <= 0) die(`--env ${kv}: want K=V`);
      o.env[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else if (a === "--timeout-ms") {
      o.timeoutMs = Number(value(a));
      if (!Number.isInteger(o.timeoutMs) || o.timeoutMs < 0) die(`--timeout-ms: not a count of milliseconds`);
    } else if (a.startsWith("-")) die(`unknown flag ${a}`);
    else {
      o.wasm = a;
      const rest = argv.slice(i + 1);
      o.args = rest[0] === "--" ? rest.slice(1) : rest;
      break;
    }
  }
  if (!o.wasm) die("missing WASM");
  return o;
}

function parseVolume(s) {
  const i = s.lastIndexOf(":");
  const v = i < 0 ? { host: s, guest: s } : { host: s.slice(0, i), guest: s.slice(i + 1) };
  if (!v.host || !v.guest.startsWith("/")) die(`bad --volume ${s}: want HOST:GUEST with an absolute GUEST path`);
  v.guest = path.posix.normalize(v.guest).replace(/\/$/, "") || "/";
  v.inSandbox = v.guest === "/workspace" || v.guest.startsWith("/workspace/") ? v.guest : "/workspace" + (v.guest === "/" ? "" : v.guest);
  return v;
}

// rewriteArg maps a guest path under a volume's GUEST to its /workspace
// copy; the longest matching GUEST wins.
function rewriteArg(a, volumes) {
  let prefix = "";
  const eq = a.indexOf("=");
  if (a.startsWith("-") && eq >= 0) { prefix = a.slice(0, eq + 1); a = a.slice(eq + 1); }
  let best = null;
  for (const v of volumes) {
    const g = v.guest === "/" ? "" : v.guest;
    if ((a === g || a.startsWith(g + "/")) && a.startsWith("/") && (!best || g.length > best.g.length)) best = { v, g };
  }
  if (!best || best.v.guest === best.v.inSandbox) return prefix + a;
  return prefix + best.v.inSandbox + a.slice(best.g.length);
}

const hash = (bytes) => createHash("sha1").update(bytes).digest("hex");

// copyIn copies the host tree into the sandbox and returns what it copied
// (relative path -> sha1, "" for directories) so copyOut can tell changes.
async function copyIn(sb, v, budget) {
  const seen = new Map();
  await sb.fs.mkdir(v.inSandbox, { recursive: true });
  const walk = async (rel) => {
    const hostDir = path.join(v.host, rel);
    for (const e of fs.readdirSync(hostDir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      const dst = `${v.inSandbox}/${r}`;
      if (e.isDirectory()) {
        await sb.fs.mkdir(dst, { recursive: true });
        seen.set(r, "");
        await walk(r);
      } else if (e.isFile()) {
        const bytes = fs.readFileSync(path.join(v.host, r));
        budget.bytes += bytes.length;
        if (budget.bytes > COPY_LIMIT) die(`--volume ${v.host}: more than ${COPY_LIMIT} bytes to copy into the SDK; mount a smaller directory`);
        await sb.fs.writeFile(dst, bytes);
        seen.set(r, hash(bytes));
      } // symlinks, sockets, devices: not copied
    }
  };
  if (!fs.statSync(v.host, { throwIfNoEntry: false })?.isDirectory()) die(`--volume ${v.host}:${v.guest}: host path is not a directory`);
  await walk("");
  return seen;
}

// copyOut mirrors the sandbox tree back onto the host: new and changed
// files are written, files and directories that were copied in and are gone
// now are removed. Unchanged files are not touched. An entry that cannot be
// copied back — the SDK can list one name twice, as a directory and as a
// file, after a rename of a file over a directory (docs/diff.md, the host
// re-read) — is skipped and counted, not fatal: the tree is the runtime's,
// and the guest's own answer is already out; the host sees the tree as far
// as it could be copied.
async function copyOut(sb, v, seen) {
  const now = new Set();
  let written = 0;
  const failed = [];
  const walk = async (rel) => {
    for (const e of await sb.fs.readDir(rel ? `${v.inSandbox}/${rel}` : v.inSandbox)) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      now.add(r);
      const dst = path.join(v.host, r);
      try {
        if (e.kind === "directory") {
          fs.mkdirSync(dst, { recursive: true });
          await walk(r);
        } else {
          const bytes = await sb.fs.readFile(`${v.inSandbox}/${r}`);
          if (seen.get(r) !== hash(bytes)) {
            fs.writeFileSync(dst, bytes);
            written++;
          }
        }
      } catch (err) {
        failed.push(`${r}: ${err.message}`);
      }
    }
  };
  await walk("");
  const gone = [...seen.keys()].filter((r) => !now.has(r)).sort().reverse(); // children first
  for (const r of gone) fs.rmSync(path.join(v.host, r), { recursive: true, force: true });
  return { written, removed: gone.length, failed };
}

// warmUp runs WARMUP_WASM until one run's clock wait returns (see the top).
async function warmUp(sb, warm, verbose) {
  const t0 = Date.now();
  for (let i = 1; i <= WARMUP_TRIES; i++) {
    const out = await sb.command(warm, []).run({ check: false, timeoutMs: WARMUP_TIMEOUT_MS });
    if (out.reason !== "timeout") {
      if (verbose) process.stderr.write(`wasmer-sdk-run: warm-up took ${Date.now() - t0} ms (${i - 1} hung)\n`);
      return;
    }
  }
  process.stderr.write(`wasmer-sdk-run: warning: the warm-up's 1 ms clock wait hung ${WARMUP_TRIES} times; the guest may hang when it sleeps\n`);
}

async function pump(stream, out) {
  if (!stream) return;
  for await (const chunk of stream) out.write(chunk);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  let bytes;
  try { bytes = fs.readFileSync(o.wasm); } catch (e) { die(`reading ${o.wasm}: ${e.message}`); }
  const wasmer = new Wasmer({ cache: false });
  const pkg = await wasmer.packages.load(bytes);
  const warm = o.warmup ? await wasmer.packages.load(WARMUP_WASM) : null;
  const sb = await wasmer.sandboxes.create({ packages: warm ? [pkg, warm] : [pkg], network: { mode: o.net ? "host" : "disabled" } });
  if (warm) await warmUp(sb, warm, o.verbose);
  const budget = { bytes: 0 };
  const copied = [];
  for (const v of o.volumes) copied.push(await copyIn(sb, v, budget));
  const args = o.args.map((a) => rewriteArg(a, o.volumes));
  if (o.verbose) process.stderr.write(`wasmer-sdk-run: args ${JSON.stringify(args)}\n`);

  // Belt and braces: if the SDK's own timeout does not stop a hung guest,
  // this one ends the whole runner.
  if (o.timeoutMs > 0) {
    setTimeout(() => {
      process.stderr.write(`wasmer-sdk-run: timeout after ${o.timeoutMs} ms (the SDK did not stop the guest)\n`);
      process.exit(EXIT_TIMEOUT);
    }, o.timeoutMs + 10_000).unref();
  }
  // The guest learns some paths outside its arguments (an HTTP query's
  // cwd=/data): FSX_VOLUME_MAP tells it where each volume really is.
  const map = o.volumes.filter((v) => v.inSandbox !== v.guest).map((v) => `${v.guest}=${v.inSandbox}`).join(",");
  const env = map && !("FSX_VOLUME_MAP" in o.env) ? { FSX_VOLUME_MAP: map, ...o.env } : o.env;
  const proc = await sb.command(pkg, args, { env }).spawn({
    stdout: "pipe", stderr: "pipe", stdin: "closed",
    ...(o.timeoutMs > 0 ? { timeoutMs: o.timeoutMs } : {}),
  });
  const pumps = [pump(proc.stdout, process.stdout), pump(proc.stderr, process.stderr)];
  const out = await proc.wait({ check: false });
  await Promise.all(pumps);

  for (let i = 0; i < o.volumes.length; i++) {
    const v = o.volumes[i];
    const r = await copyOut(sb, v, copied[i]);
    if (r.failed.length > 0) process.stderr.write(`wasmer-sdk-run: warning: --volume ${v.host}:${v.guest}: ${r.failed.length} entries could not be copied back, the first ${r.failed[0]}\n`);
    if (o.verbose) process.stderr.write(`wasmer-sdk-run: --volume ${v.host}:${v.guest} was an in-memory copy at ${v.inSandbox}: ${copied[i].size} entries in, ${r.written} files written back, ${r.removed} removed\n`);
  }
  if (out.reason === "timeout") {
    process.stderr.write(`wasmer-sdk-run: timeout after ${o.timeoutMs} ms (guest killed)\n`);
    return EXIT_TIMEOUT;
  }
  if (out.reason === "terminated") {
    process.stderr.write(`wasmer-sdk-run: the guest was terminated (exit ${out.exitCode})\n`);
    return out.exitCode || EXIT_FAILURE;
  }
  return out.exitCode;
}

main().then(
  (code) => process.exit(code),
  (e) => die(`${e?.code ? e.code + ": " : ""}${String(e?.message ?? e).split("\n")[0]}`),
);
