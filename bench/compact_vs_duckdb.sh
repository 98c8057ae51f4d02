#!/usr/bin/env bash
# Compaction throughput against DuckDB's own sort-and-rewrite of the same
# files, and query speed on a lake of many small files before and after.
#   bench/compact_vs_duckdb.sh            (COUNT=2000000 FILES_COUNT=2500000 RUNS=3 QUERY=1)
# Part 1: COUNT ticks in one hour as ~400 small files; median of RUNS, alternating:
#   ticklake compact            (whole CLI run: snapshot, plan, sort, stats, upload, commit)
#   DuckDB COPY (SELECT * FROM read_parquet([same files]) ORDER BY symbol, ts) TO ... zstd
# BEFORE=/path/to/other/ticklake times that build's compaction too, in the same
# alternating loop (before/after figures of a change, side by side).
# Part 2: FILES_COUNT ticks as ~5000 small files (the stream flushes ~500 rows at a time); a GROUP BY query before
# and after compaction (QUERY=0 skips it).
source "$(dirname "$0")/lib.sh"
COUNT=${COUNT:-2000000}
FILES_COUNT=${FILES_COUNT:-2500000}
L="$WORK/lake"

echo "building a lake: $COUNT ticks, flush every 5000 rows" >&2
"$TICKLAKE" simulate --output - --count "$COUNT" --rate 0 --start 2026-11-24T10:00:00Z 2> /dev/null \
  | "$TICKLAKE" stream --from - --source-id bench --flush-rows 5000 --lake "$L" 2> /dev/null
cp -r "$L" "$WORK/pristine"
nfiles=$(find "$L/ticks" -name 'part-*.parquet' | wc -l)
bytes=$(du -sb --exclude=_delta_log "$L/ticks" | cut -f1)
list=$(find "$L/ticks" -name 'part-*.parquet' | sort | sed "s/.*/'&'/" | paste -sd,)

restore() { rm -rf "$L"; cp -r "$WORK/pristine" "$L"; }
duck_copy() {
  "$TICKLAKE" query --lake "$WORK/empty" "COPY (SELECT * FROM read_parquet([$list], hive_partitioning=false) ORDER BY symbol, ts) TO '$WORK/duck.parquet' (FORMAT parquet, COMPRESSION zstd)" > /dev/null
}
compact() { "$TICKLAKE" compact --lake "$L" > /dev/null; }
compact_before() { "$BEFORE" compact --lake "$L" > /dev/null; }

for _ in $(seq "$RUNS"); do
  timed db duck_copy; PRE=restore timed tc compact
  [ -z "${BEFORE:-}" ] || PRE=restore timed tb compact_before
done
t_duck=$(median_of db); t_compact=$(median_of tc)
rows_per_s() { echo "$COUNT / $1" | bc -l | xargs printf '%.0f'; }
echo "input: $COUNT ticks in $nfiles files, $((bytes / 1000000)) MB (one hour partition); median of $RUNS runs, alternating"
printf '%-34s %8s s  %10s ticks/s\n' "DuckDB COPY ... ORDER BY" "$t_duck" "$(rows_per_s "$t_duck")"
printf '%-34s %8s s  %10s ticks/s\n' "ticklake compact" "$t_compact" "$(rows_per_s "$t_compact")"
if [ -n "${BEFORE:-}" ]; then
  t_b=$(median_of tb)
  printf '%-34s %8s s  %10s ticks/s, ratio to DuckDB %sx\n' "BEFORE compact" "$t_b" "$(rows_per_s "$t_b")" "$(ratio "$t_duck" "$t_b")"
fi
r=$(ratio "$t_duck" "$t_compact")
echo "ratio (compact throughput / DuckDB): ${r}x   target >= 1.2x"
result "compaction vs COPY ... ORDER BY, $COUNT ticks in $nfiles files (s)" "$t_compact" "$t_duck" "${r}x" ">= 1.2x" "$(verdict "$r" '>=' 1.2)"

[ "${QUERY:-1}" = 1 ] || exit 0
echo "building a lake of small files: $FILES_COUNT ticks, flush every 200 rows" >&2
Q="$WORK/qlake"
"$TICKLAKE" simulate --output - --count "$FILES_COUNT" --rate 0 --start 2026-11-24T10:00:00Z 2> /dev/null \
  | "$TICKLAKE" stream --from - --source-id bench --flush-rows 200 --lake "$Q" 2> /dev/null
SQL='SELECT symbol, count(*), avg(price), max(ts) FROM ticks GROUP BY 1 ORDER BY 1'
query() { "$TICKLAKE" query --lake "$Q" "$SQL" > /dev/null; }
qfiles=$("$TICKLAKE" query --lake "$Q" --format csv "SELECT count(*) FROM lake_files" | sed -n 2p)
for _ in $(seq "$RUNS"); do timed qb query; done; t_before=$(median_of qb)
t_c=$( { /usr/bin/time -f %e "$TICKLAKE" compact --lake "$Q" > /dev/null; } 2>&1 )
for _ in $(seq "$RUNS"); do timed qa query; done; t_after=$(median_of qa)
echo "query '$SQL'"
printf '  before compaction (%s files): %s s\n' "$qfiles" "$t_before"
printf '  after compaction  (%s files): %s s   (compaction took %s s)\n' \
  "$("$TICKLAKE" query --lake "$Q" --format csv "SELECT count(*) FROM lake_files" | sed -n 2p)" "$t_after" "$t_c"
result "query on $FILES_COUNT ticks: $qfiles small files / compacted (s)" "$t_after" "$t_before" "$(ratio "$t_before" "$t_after")x" "-" "-"
