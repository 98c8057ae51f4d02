#!/usr/bin/env bash
# Builds bench/bench_json.c with yajl and json-c (the CMake bench target has
# yajl only) and runs it: msgs/s and ns/msg per parser on one core.
#   bench/json_parsers.sh [N]     N parses per run (default 3000000)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${TMPDIR:-/tmp}/ticklake-bench-json.$$"
trap 'rm -f "$out"' EXIT
# shellcheck disable=SC2046 # pkg-config output is meant to split into flags
cc -std=gnu11 -O2 -DNDEBUG -DTL_BENCH_JSONC -I"$root/src" \
    "$root/bench/bench_json.c" "$root"/src/tick/*.c "$root"/src/util/civil.c "$root"/src/util/utf8.c "$root"/src/util/buf.c "$root"/src/util/rfc3339.c \
    $(pkg-config --cflags --libs yajl json-c) -o "$out"
echo "# $(cc --version | head -1); yajl $(pkg-config --modversion yajl); json-c $(pkg-config --modversion json-c)"
echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
exec_n="${1:-3000000}"
if command -v taskset >/dev/null; then
    taskset -c 0 "$out" "$exec_n"
else
    "$out" "$exec_n"
fi
