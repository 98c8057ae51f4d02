#!/usr/bin/env bash
# Incremental runs over a lake that grows (with late and out-of-order ticks)
# give the same tables as a full refresh; the run history records which lake
# snapshot version each model read; --select runs a part of the graph.
source "$(dirname "$0")/lib.sh"

P="$WORK/analytics"; L="$WORK/lake"; WH="$WORK/wh.duckdb"; FULL="$WORK/full.duckdb"
cp -r "$TL_SOURCE_DIR/analytics" "$P"; rm -rf "$P/target"
"$TICKLAKE" simulate --output - --seed 7 --start 2026-11-24T14:30:00Z --rate 0 --count 50000 \
  --faults late=0.02,ooo=0.05 > "$WORK/day.jsonl" 2> "$WORK/sim.err"
head -n 30000 "$WORK/day.jsonl" > "$WORK/part1.jsonl"
tail -n +30001 "$WORK/day.jsonl" > "$WORK/part2.jsonl"
wq() { "$TICKLAKE" query --lake "$L" --format csv "ATTACH '$1' AS w (READ_ONLY); $2" | sed -n 2p; }
run() { "$TICKLAKE" models run --project "$P" --lake "$L" "$@" > "$WORK/run.out" \
          || { cat "$WORK/run.out"; fail "models run $* failed"; }; }

say "first part, full build"
"$TICKLAKE" stream --from "$WORK/part1.jsonl" --source-id p1 --lake "$L" 2> /dev/null
run --warehouse "$WH"
v1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["lake"]["ticks_version"])' "$P/target/run_results.json")

say "second part, incremental"
"$TICKLAKE" stream --from "$WORK/part2.jsonl" --source-id p2 --lake "$L" 2> /dev/null
run --warehouse "$WH"
grep -q "bars_1m .* (incremental)" "$WORK/run.out" || { cat "$WORK/run.out"; fail "bars_1m did not run incrementally"; }
v2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["lake"]["ticks_version"])' "$P/target/run_results.json")
[ "$v2" -gt "$v1" ] || fail "lake version did not move: $v1 -> $v2"
expect_eq "late ticks in the lake" "$([ "$(q "$L" 'SELECT count(*) FROM ticks WHERE late')" -gt 0 ] && echo yes)" yes

say "a full refresh into another warehouse gives the same tables"
run --warehouse "$FULL" --full-refresh
for m in stg_ticks bars_1m bars_5m bars_1h daily_summary latest_quotes; do
  n=$("$TICKLAKE" query --lake "$L" --format csv "ATTACH '$WH' AS a (READ_ONLY); ATTACH '$FULL' AS b (READ_ONLY);
      SELECT (SELECT count(*) FROM (SELECT * FROM a.$m EXCEPT ALL SELECT * FROM b.$m))
           + (SELECT count(*) FROM (SELECT * FROM b.$m EXCEPT ALL SELECT * FROM a.$m))" | sed -n 2p)
  expect_eq "$m rows that differ between incremental and full refresh" "$n" 0
done
expect_eq "bars_1m rows" "$(wq "$WH" 'SELECT count(*) FROM w.bars_1m')" \
  "$("$TICKLAKE" query --lake "$L" --format csv "SELECT count(*) FROM (SELECT DISTINCT symbol, date_trunc('minute', ts) FROM ticks)" | sed -n 2p)"

say "lineage in the run history"
expect_eq "bars_1m versions, run by run" \
  "$(wq "$WH" "SELECT string_agg(lake_ticks_version::VARCHAR, '|' ORDER BY started_at) FROM w.ticklake_model_runs WHERE model = 'bars_1m'")" \
  "$v1|$v2"
expect_eq "bars_5m (reads the lake through bars_1m) in the last run" \
  "$(wq "$WH" "SELECT lake_ticks_version FROM w.ticklake_model_runs WHERE model = 'bars_5m' ORDER BY started_at DESC LIMIT 1")" "$v2"

say "--select runs part of the graph; the rest keeps its lineage"
"$TICKLAKE" simulate --output - --seed 9 --start 2026-11-24T16:00:00Z --rate 0 --count 1000 2> /dev/null \
  | sed 's/"symbol":"\([A-Z]*\)"/"symbol":"Z\1"/' \
  | "$TICKLAKE" stream --from - --source-id p3 --lake "$L" 2> /dev/null
run --warehouse "$WH" --select "+bars_1m"
grep -q "Done: 2 ok" "$WORK/run.out" || { cat "$WORK/run.out"; fail "expected 2 models"; }
v3=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["lake"]["ticks_version"])' "$P/target/run_results.json")
run --warehouse "$WH" --select "bars_5m"
expect_eq "bars_5m built from bars_1m of version" \
  "$(wq "$WH" "SELECT lake_ticks_version FROM w.ticklake_model_runs WHERE model = 'bars_5m' ORDER BY started_at DESC LIMIT 1")" "$v3"
expect_eq "daily_summary was not rebuilt" \
  "$(wq "$WH" "SELECT count(*) FROM w.daily_summary WHERE symbol LIKE 'Z%'")" 0
run --warehouse "$WH" --select "bars_1m+" --exclude "bars_1h"
grep -q "Done: 3 ok" "$WORK/run.out" || { cat "$WORK/run.out"; fail "expected bars_1m, bars_5m and daily_summary"; }
grep -q "bars_1h" "$WORK/run.out" && fail "bars_1h was excluded"
echo PASS >&2
