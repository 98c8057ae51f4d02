#!/usr/bin/env bash
# Runs every benchmark in bench/ and prints one table: figure, ticklake,
# peer, ratio (or value), target, met/missed (issue 13's targets).
# BENCHMARKS.md holds its latest output.
#
#   bench/run-all.sh                 the full run (~45 min on a loaded 2-core box)
#   QUICK=1 bench/run-all.sh         smaller inputs, 1 run each, a 1-minute `up` (~10 min)
#   ONLY="backfill kcat" bench/run-all.sh    some of them (names below)
#   REAL_KAFKA=1 bench/run-all.sh    also Kafka -> lake against a real broker (Java)
#
# Each script is also run alone (see its header); each times ticklake and its
# peer in alternation in one run, RUNS times (default 3), and reports medians.
# Benchmarks are not tests: nothing here runs in `make test`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
export TICKLAKE=${TICKLAKE:-$root/build/ticklake}
[ -x "$TICKLAKE" ] || { echo "build first: make" >&2; exit 2; }
QUICK=${QUICK:-0}
ALL="json backfill kcat compact size sse queryable rss uprss"
ONLY=${ONLY:-$ALL}
RESULTS=$(mktemp "${TMPDIR:-/tmp}/tl-bench-results.XXXXXX")
LOG=${LOG:-${TMPDIR:-/tmp}/tl-bench-run-all.log}
export RESULTS
trap 'rm -f "$RESULTS"' EXIT
: > "$LOG"

# q SETTINGS...: the smaller inputs of a quick run (full runs: each script's defaults)
if [ "$QUICK" = 1 ]; then export RUNS=${RUNS:-1}; else export RUNS=${RUNS:-3}; fi
q() { if [ "$QUICK" = 1 ]; then echo "$@"; fi; }

want() { case " $ONLY " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
# run NAME CMD...: its output goes to the log; a failing benchmark is a row
# saying so, and the others still run
run() {
  local name=$1; shift
  echo "== $name: $*" | tee -a "$LOG" >&2
  local t0=$SECONDS
  if ! "$@" >> "$LOG" 2>&1; then
    printf '%s\t-\t-\tFAILED (see %s)\t-\t-\n' "$name" "$LOG" >> "$RESULTS"
  fi
  echo "   $((SECONDS - t0)) s" >&2
}
json_row() {
  local out ns
  out=$("$here/json_parsers.sh" "${JSON_N:-$([ "$QUICK" = 1 ] && echo 500000 || echo 3000000)}")
  echo "$out"
  ns=$(echo "$out" | awk '$1 == "tl_tick_parse" {print $4}')
  [ -n "$ns" ] || return 1
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "JSON parse, one core (ns/tick; peer: bare yajl)" "$ns" \
    "$(echo "$out" | awk '$1 == "yajl" {print $5}')" "$ns ns" "-" "-" >> "$RESULTS"
  # the same parser with its fast path off (every message through yajl)
  local ny
  ny=$(echo "$out" | awk '$1 == "tl_tick_parse/yajl" {print $4}')
  [ -z "$ny" ] || printf '%s\t%s\t%s\t%s\t%s\t%s\n' \
    "  tl_tick_parse, fast path on (peer: off, all yajl) (ns/tick)" "$ns" "$ny" \
    "$(echo "scale=4; $ny / $ns" | bc -l | xargs printf "%.2f")x" "-" "-" >> "$RESULTS"
}

want json && run json json_row
want backfill && run backfill env $(q N=500000) "$here/backfill_vs_duckdb.sh"
want kcat && run kcat env $(q N=300000 PARTS=4) "$here/stream_vs_kcat.sh"
[ "${REAL_KAFKA:-0}" = 1 ] && want kcat && run kcat-real env BROKER=real $(q N=300000 PARTS=4) "$here/stream_vs_kcat.sh"
want compact && run compact env QUERY=0 $(q COUNT=500000) "$here/compact_vs_duckdb.sh"
want size && run size env $(q N=500000) "$here/parquet_size.sh"
want sse && run sse env $(q SECONDS_RUN=15) "$here/sse_latency.sh"
want queryable && run queryable env $(q SECONDS_RUN=20) "$here/queryable_latency.sh"
want rss && run rss env $(q N=1000000) "$here/stream_rss.sh"
want uprss && run uprss env $(q MINUTES=1) "$here/up_rss.sh"

{
  echo "| figure | ticklake | peer | ratio / value | target | |"
  echo "|---|---:|---:|---:|---|---|"
  awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6}' "$RESULTS"
} | tee -a "$LOG"
echo >&2
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%F %H:%M UTC'); RUNS=$RUNS QUICK=$QUICK; full output: $LOG" | tee -a "$LOG"
