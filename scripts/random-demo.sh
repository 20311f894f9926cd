#!/usr/bin/env bash
# The seed's random-mode commands, as written, under the wasmer CLI when it is
# installed (FSX_WASMER, the pinned install root, or PATH), else under the
# embedded wazero runner (cmd/wazero-run), which takes `wasmer run`'s shape.
# NUMOPS (default 10000, the seed's) sets -N.
set -euo pipefail
cd "$(dirname "$0")/.."
wasmer=$(bash scripts/pick-runtime.sh)
numops=(-N "${NUMOPS:-10000}")
work=$(mktemp -d -t fsx-random.XXXXXX)
cp build/fsx-wasix.wasm "$work/"
cp cmd/guest/testdata/fsx-10mb.toml "$work/"
mkdir -p "$work/wasmer-data"
cd "$work"
set -x
"$wasmer" run --volume "$PWD:/work" fsx-wasix.wasm -- -f /work/fsx-10mb.toml "${numops[@]}" -S 1 -j4 /tmp/fsxfile
"$wasmer" run --volume "$PWD:/work" --volume "$PWD/wasmer-data:/data" fsx-wasix.wasm -- -f /work/fsx-10mb.toml "${numops[@]}" -S 1 -j4 /data/fsxfile
{ set +x; } 2>/dev/null
rm -rf "$work"
echo "random workload: both runs passed" >&2
