#!/usr/bin/env bash
# Backfill throughput: `ticklake stream --from f.jsonl` (parse, validate,
# dedupe, Parquet, Delta commit) against DuckDB's own JSON -> zstd Parquet
# COPY of the same file, side by side in one run. Prints the ratio
# (> 1 means ticklake is faster). N=2000000 ticks by default.
# BEFORE=/path/to/other/ticklake adds that build as a third column in the same
# alternating loop (before/after figures of a change, side by side).
source "$(dirname "$0")/lib.sh"
N=${N:-2000000}

"$TICKLAKE" simulate --output - --count "$N" --rate 0 --seed 1 > "$WORK/f.jsonl" 2>/dev/null
size=$(du -m "$WORK/f.jsonl" | cut -f1)
echo "input: $N ticks, ${size} MB JSONL; median of $RUNS runs each, alternating"

run_ticklake() {
  rm -rf "$WORK/lake"
  "$TICKLAKE" stream --from "$WORK/f.jsonl" --lake "$WORK/lake" 2>/dev/null
}
run_duckdb() {
  rm -f "$WORK/out.parquet"
  "$TICKLAKE" query --lake "$WORK/empty" --format csv \
    "COPY (SELECT * FROM read_json('$WORK/f.jsonl', format='newline_delimited')) TO '$WORK/out.parquet' (FORMAT parquet, COMPRESSION zstd)" >/dev/null
}
run_before() {
  rm -rf "$WORK/lake"
  "$BEFORE" stream --from "$WORK/f.jsonl" --lake "$WORK/lake" 2>/dev/null
}
for _ in $(seq "$RUNS"); do
  [ -z "${BEFORE:-}" ] || timed before run_before
  timed tl run_ticklake; timed db run_duckdb
done
t_tl=$(median_of tl); t_db=$(median_of db)
if [ -n "${BEFORE:-}" ]; then
  t_b=$(median_of before)
  echo "BEFORE stream --from   : ${t_b} s  ($(echo "$N / $t_b" | bc) ticks/s), ratio to duckdb $(ratio "$t_db" "$t_b")x"
fi
echo "ticklake stream --from : ${t_tl} s  ($(echo "$N / $t_tl" | bc) ticks/s)"
echo "duckdb COPY read_json  : ${t_db} s  ($(echo "$N / $t_db" | bc) ticks/s)"
r=$(ratio "$t_db" "$t_tl")
echo "ratio (duckdb time / ticklake time): ${r}x   target >= 1.5x"
result "JSONL backfill -> lake, $N ticks (s)" "$t_tl" "$t_db" "${r}x" ">= 1.5x" "$(verdict "$r" '>=' 1.5)"
