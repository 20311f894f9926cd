#!/usr/bin/env bash
# The in-repository copy of ../shared/acceptance/seed-commands.sh, so a clone alone can check the
# seed's example commands (e2e/TestSeedCommands runs it; the shared script stays the outside check).
# Keep the two in step: TestSeedScriptMatchesShared compares them when ../shared is there.
# The seed's example commands, run as written (with our build paths), as an executable acceptance check.
#
#   GUEST_NATIVE=build/fsx-wasix GUEST_WASM=build/fsx-wasix.wasm WASMER=wasmer ../shared/acceptance/seed-commands.sh [section...]
#
# WASMER is any command that takes `wasmer run`'s argument shape (the wasmer CLI, or a runner that mimics it).
# Sections: random-tmp random-data oracle-tmp oracle-data server (default: all). NUMOPS (default 10000) and
# CHAIN (default 2) are the seed's sizes; lower them for a quick check. Prints one PASS/FAIL line per command
# and exits non-zero if any failed. Works in a scratch directory; touches nothing else but /tmp/fsx-oracle-*.
set -u
GUEST_NATIVE=$(realpath "${GUEST_NATIVE:?set GUEST_NATIVE to the native guest binary}")
GUEST_WASM=$(realpath "${GUEST_WASM:?set GUEST_WASM to the wasm guest}")
read -r -a WASMER_CMD <<< "${WASMER:-wasmer}"
NUMOPS=${NUMOPS:-10000}; CHAIN=${CHAIN:-2}; PORT=${PORT:-3020}; TIMEOUT=${TIMEOUT:-900}
sections=${*:-random-tmp random-data oracle-tmp oracle-data server}
work=$(mktemp -d -t seed-accept.XXXXXX); cd "$work" || exit 2
cp "$GUEST_WASM" fsx-wasix.wasm
failed=0
check() { # name, command...
  local name=$1; shift
  if timeout "$TIMEOUT" "$@" >"$work/$name.log" 2>&1; then echo "PASS  $name"
  else echo "FAIL  $name (exit $?; log $work/$name.log): $(tail -1 "$work/$name.log")"; failed=$((failed+1)); fi
}
cat > fsx-10mb.toml <<'CFG'
flen = 10485760
[opsize]
min = 1
max = 65536
[weights]
close_open = 1
read = 1
write = 1
mapread = 1
mapwrite = 1
truncate = 1
fsync = 0
fdatasync = 0
CFG
mkdir -p wasmer-data
for s in $sections; do case $s in
random-tmp)
  check random-tmp "${WASMER_CMD[@]}" run --volume "$PWD:/work" fsx-wasix.wasm -- -f /work/fsx-10mb.toml -N "$NUMOPS" -S 1 -j4 /tmp/fsxfile ;;
random-data)
  check random-data "${WASMER_CMD[@]}" run --volume "$PWD:/work" --volume "$PWD/wasmer-data:/data" fsx-wasix.wasm -- -f /work/fsx-10mb.toml -N "$NUMOPS" -S 1 -j4 /data/fsxfile
  check random-data-isolated-dirs test -f wasmer-data/thread-1/fsxfile -a -f wasmer-data/thread-4/fsxfile ;;
oracle-tmp|oracle-data)
  if [ ! -f fsx-oracle-native-report.bin ]; then
    rm -rf /tmp/fsx-oracle-native; mkdir -p /tmp/fsx-oracle-native
    check oracle-native "$GUEST_NATIVE" --oracle -N "$CHAIN" --oracle-output /tmp/fsx-oracle-native/report.bin /tmp/fsx-oracle-native
    cp /tmp/fsx-oracle-native/report.bin fsx-oracle-native-report.bin 2>/dev/null
  fi
  if [ "$s" = oracle-tmp ]; then
    check oracle-wasix-tmp "${WASMER_CMD[@]}" run --volume "$PWD:/work" fsx-wasix.wasm -- --oracle -N "$CHAIN" --oracle-expected /work/fsx-oracle-native-report.bin /tmp/fsx-oracle-wasix
  else
    mkdir -p wasmer-data/fsx-oracle-wasix
    check oracle-wasix-data "${WASMER_CMD[@]}" run --volume "$PWD:/work" --volume "$PWD/wasmer-data:/data" fsx-wasix.wasm -- --oracle -N "$CHAIN" --oracle-expected /work/fsx-oracle-native-report.bin --oracle-output /data/fsx-oracle-wasix/report.bin /data/fsx-oracle-wasix
    check oracle-verify-files "$GUEST_NATIVE" --oracle-verify-files /tmp/fsx-oracle-native/report.bin wasmer-data/fsx-oracle-wasix/report.bin
  fi ;;
server)
  "${WASMER_CMD[@]}" run --net --volume "$PWD:/work" --volume "$PWD/wasmer-data:/data" fsx-wasix.wasm -- --server "$PORT" >"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 150); do curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break; sleep 0.2; done
  check server-health curl -fs "http://127.0.0.1:$PORT/health"
  q="file=fsxfile&numops=$NUMOPS&threads=4&seed=1&flen=10485760&opsize_min=1&opsize_max=65536&close_open=1&read=1&write=1&mapread=1&mapwrite=1&truncate=1&fsync=0&fdatasync=0"
  check server-run-tmp curl -fs "http://127.0.0.1:$PORT/run?cwd=/tmp&$q"
  check server-run-data curl -fs "http://127.0.0.1:$PORT/run?cwd=/data&$q"
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null ;;
*) echo "unknown section $s"; failed=$((failed+1)) ;;
esac; done
echo "seed commands: $failed failed (work dir $work)"
[ "$failed" -eq 0 ] && rm -rf "$work"
[ "$failed" -eq 0 ]
