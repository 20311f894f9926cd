#!/usr/bin/env bash
# Prints the command that takes `wasmer run`'s arguments for the demo tasks:
# the wasmer CLI when installed (FSX_WASMER, the pinned install root, or
# PATH), else the embedded wazero runner (built to build/wazero-run). Says
# which on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
wasmer=${FSX_WASMER:-}
[ -z "$wasmer" ] && wasmer=$(bash scripts/install-wasmer.sh --find 2>/dev/null || true)
[ -z "$wasmer" ] && command -v wasmer >/dev/null && wasmer=$(command -v wasmer)
if [ -n "$wasmer" ]; then
  echo "runtime: wasmer CLI ($wasmer)" >&2
else
  go build -o build/wazero-run ./cmd/wazero-run
  wasmer=$PWD/build/wazero-run
  echo "runtime: wazero (embedded) — wasmer CLI not installed; './task install-wasmer' builds it" >&2
fi
echo "$wasmer"
