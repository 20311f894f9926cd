#!/usr/bin/env bash
# Installs the pinned wasmer CLI outside the clone, so CI's fresh clones and
# later sessions on the same machine reuse it:
#
#   scripts/install-wasmer.sh            # prints the binary's path on the last line
#   scripts/install-wasmer.sh --find     # the same when present, else exit 1 without building
#
# Idempotent: a present binary of the pinned version is reused at once.
# Otherwise it builds from the Rust crate registry (cargo install, ~20 min
# and ~0.6 GB of crate sources on 2 cores; see docs/perf-runtimes.md).
# WASMER_VERSION must match internal/runner.WasmerVersion; 7.4.2 is the
# newest that builds with Rust 1.95 (7.5.0 needs a newer Rust).
set -euo pipefail
WASMER_VERSION=${WASMER_VERSION:-7.4.2}
ROOT=${FSX_WASMER_ROOT:-/opt/fsx-wasix-tools/wasmer-$WASMER_VERSION}
BIN=$ROOT/bin/wasmer
say() { echo "install-wasmer: $*" >&2; }

if [ -x "$BIN" ]; then
  if v=$("$BIN" --version 2>/dev/null) && [ "$v" = "wasmer $WASMER_VERSION" ]; then
    say "reusing $v at $BIN"
    echo "$BIN"
    exit 0
  fi
  say "$BIN is '${v:-broken}', not wasmer $WASMER_VERSION: rebuilding"
fi
if [ "${1:-}" = "--find" ]; then
  exit 1
fi
if other=$(command -v wasmer 2>/dev/null) && [ "$other" != "$BIN" ]; then
  ov=$("$other" --version 2>/dev/null || echo unknown)
  [ "$ov" = "wasmer $WASMER_VERSION" ] || say "note: $other on PATH is '$ov', not $WASMER_VERSION; the tests use $BIN (or set FSX_WASMER)"
fi

if ! command -v cargo >/dev/null 2>&1; then
  say "cargo not found: install Rust (rustup or Debian's cargo, Rust >= 1.90), then re-run this script"
  exit 1
fi
# Debian packages the build links against or runs (cc, make, pkg-config, libssl for the registry client).
missing=()
for p in build-essential pkg-config libssl-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    say "missing Debian packages: ${missing[*]} (apt-get install them as root), then re-run"
    exit 1
  fi
fi

say "building wasmer-cli $WASMER_VERSION into $ROOT with $(cargo --version) — about 20 minutes on 2 cores"
start=$(date +%s)
mkdir -p "$ROOT"
# cargo prints one "Compiling ..." line per crate: that is the progress.
if ! nice cargo install wasmer-cli --locked --version "$WASMER_VERSION" \
    --features singlepass,cranelift --root "$ROOT" 2>&1 | grep --line-buffered -E '^\s*(Compiling|Finished|Installing|Installed|error|warning: unused)' ; then
  :
fi
if ! [ -x "$BIN" ] || [ "$("$BIN" --version 2>/dev/null)" != "wasmer $WASMER_VERSION" ]; then
  say "build failed after $(( $(date +%s) - start )) s: re-run with cargo's full output (cargo install wasmer-cli --locked --version $WASMER_VERSION --features singlepass,cranelift --root $ROOT)"
  exit 1
fi
say "installed $("$BIN" --version) at $BIN in $(( $(date +%s) - start )) s"
echo "$BIN"
