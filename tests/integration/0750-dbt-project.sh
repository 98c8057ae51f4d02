#!/usr/bin/env bash
# The shipped analytics/ project runs unchanged under real dbt-core with
# dbt-duckdb (pinned in scripts/python/interop.lock), with analytics/profiles.yml:
# `dbt build --project-dir analytics --profiles-dir analytics` over a lake, then
# an incremental `dbt run` after more ticks, compaction and an orphan file, and
# `dbt test`. Every model table equals `ticklake models run`'s, table by table
# (tests/tools/dbt_compare.py), and both run the same tests, by name, all
# passing. dbt reads the lake's snapshot, not its folder: the folder holds
# more rows (compaction inputs not yet vacuumed, an uncommitted file) than
# the snapshot, and dbt's stg_ticks still has exactly the snapshot's ticks.
source "$(dirname "$0")/lib.sh"
VENV=$("$TL_SOURCE_DIR/scripts/pyenv" interop) || fail "cannot set up the 'interop' Python venv (scripts/pyenv interop)"
PY=$VENV/bin/python
DBT=$VENV/bin/dbt
expect_eq "dbt-core, dbt-duckdb, deltalake in the venv" "$("$PY" -c 'from importlib.metadata import version as v
print(v("dbt-core"), v("dbt-duckdb"), v("deltalake"))')" "1.11.16 1.11.1 1.6.6"
A=$TL_SOURCE_DIR/analytics
MODELS="stg_ticks bars_1m bars_5m bars_1h daily_summary latest_quotes"
L=$WORK/lake
WH=$WORK/tl.duckdb
P=$WORK/tl-project # ticklake writes target/ into its project: a copy for it
cp -r "$A" "$P"
rm -rf "$P/target" "$P/logs"

# dbt on the shipped folder itself, everything it writes kept out of it
export TICKLAKE_LAKE=$L DBT_DUCKDB_PATH=$WORK/dbt.duckdb
export DBT_TARGET_PATH=$WORK/dbt-target DBT_LOG_PATH=$WORK/dbt-logs
export DBT_SEND_ANONYMOUS_USAGE_STATS=false DBT_USE_COLORS=false DBT_VERSION_CHECK=false
touch "$WORK/marker"
dbt() { # COMMAND LOG
  "$DBT" "$1" --project-dir "$A" --profiles-dir "$A" > "$WORK/$2" 2>&1 \
    || { tail -40 "$WORK/$2" >&2; fail "dbt $1 failed"; }
  ! grep -qi "deprecat" "$WORK/$2" || { grep -i -A3 deprecat "$WORK/$2" >&2; fail "dbt $1 warns of deprecated usage"; }
}
tl_models() { # COMMAND
  "$TICKLAKE" models "$1" --project "$P" --lake "$L" --warehouse "$WH" > "$WORK/tl-$1.out" 2>&1 \
    || { cat "$WORK/tl-$1.out" >&2; fail "ticklake models $1 failed"; }
}

# ticks every 10 minutes from START for COUNT starts, 1200 per start (1000/s
# of simulated time), with malformed, late (2-10 min), duplicate and
# out-of-order ones; seq made unique per start
sim() { # HOUR FIRST_MINUTE STARTS
  for ((i = 0; i < $3; i++)); do
    m=$(printf %02d $(($2 + 10 * i)))
    "$TICKLAKE" simulate --output - --count 1200 --rate 0 --seed "$1$m" --start "2026-11-24T$1:$m:00Z" \
      --faults bad=0.01,late=0.03,dup=0.01,ooo=0.02 2> /dev/null | sed "s/\"seq\":/\"seq\":$1$m/"
  done
}
{
  sim 14 0 6
  sim 15 0 6
  # three ticks without seq (kept as they are: no dedupe key)
  for s in 05 17 42; do
    echo "{\"symbol\":\"AAPL\",\"ts\":\"2026-11-24T15:$s:00.5Z\",\"price\":190.$s,\"size\":$((10#$s))}"
  done
} > "$WORK/a.jsonl"
{ sim 16 0 3; sim 16 5 3; } > "$WORK/b.jsonl"

say "lake 1: stream, ticklake models run, dbt build"
"$TICKLAKE" stream --from "$WORK/a.jsonl" --lake "$L" --source-id a --flush-rows 3000 2> "$WORK/a.err" \
  || { cat "$WORK/a.err"; fail "stream a"; }
tl_models run
dbt build build1.log
grep -q "Completed successfully" "$WORK/build1.log" || { tail -20 "$WORK/build1.log"; fail "dbt build did not complete successfully"; }
# shellcheck disable=SC2086
"$PY" "$TL_SOURCE_DIR/tests/tools/dbt_compare.py" "$DBT_DUCKDB_PATH" "$WH" $MODELS

say "lake 2: more ticks (some late), compaction, an uncommitted file; incremental runs"
"$TICKLAKE" stream --from "$WORK/b.jsonl" --lake "$L" --source-id b --flush-rows 3000 2> "$WORK/b.err" \
  || { cat "$WORK/b.err"; fail "stream b"; }
"$TICKLAKE" compact --lake "$L" --json > "$WORK/compact.json" 2> "$WORK/compact.err" || { cat "$WORK/compact.err"; fail "compact"; }
[ "$(json "$WORK/compact.json" partitions)" -ge 2 ] || fail "compaction did not run: $(cat "$WORK/compact.json")"
# a file a crashed writer left: in the folder, not in the log
live=$("$TICKLAKE" query --lake "$L" --format csv "SELECT path FROM lake_files WHERE table_name = 'ticks' AND path LIKE '%hour=14%' LIMIT 1" | sed -n 2p)
cp "$L/ticks/$live" "$(dirname "$L/ticks/$live")/part-crashed-writer.zstd.parquet"
snap=$(q "$L" 'SELECT count(*) FROM ticks')
folder=$(q "$L" "SELECT count(*) FROM read_parquet('$L/ticks/*/*/*/*/*.parquet')")
[ "$folder" -gt "$snap" ] || fail "the folder ($folder rows) should hold more than the snapshot ($snap)"
echo "ok: the folder holds $folder rows, the snapshot $snap" >&2
tl_models run
expect_eq "ticklake's second bars_1m run was incremental" "$("$TICKLAKE" query --lake "$L" --warehouse "$WH" --format csv \
  "SELECT incremental FROM ticklake_model_runs WHERE model = 'bars_1m' ORDER BY started_at DESC LIMIT 1" | sed -n 2p)" true
dbt run run2.log
grep -q "with touched as\|, touched as" "$DBT_TARGET_PATH/compiled/ticklake_analytics/models/marts/bars_1m.sql" \
  || fail "dbt's second bars_1m run was not incremental (no is_incremental() branch in its SQL)"
# shellcheck disable=SC2086
"$PY" "$TL_SOURCE_DIR/tests/tools/dbt_compare.py" "$DBT_DUCKDB_PATH" "$WH" $MODELS
dbt_q() { "$PY" -c 'import duckdb, sys; print(duckdb.connect(sys.argv[1], read_only=True).execute(sys.argv[2]).fetchone()[0])' "$DBT_DUCKDB_PATH" "$1"; }
expect_eq "dbt's stg_ticks rows = the snapshot's ticks" "$(dbt_q 'SELECT count(*) FROM main.stg_ticks')" "$snap"
expect_eq "ticks without seq in dbt's stg_ticks (once each)" "$(dbt_q 'SELECT count(*) FROM main.stg_ticks WHERE seq IS NULL')" 3

say "dbt test and ticklake models test: the same tests, all passing"
dbt test test.log
tl_models test
names() { # RUN_RESULTS -> "name status" lines, sorted
  "$PY" -c 'import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    if r["unique_id"].startswith("test."):
        print(r["unique_id"].split(".")[2], r["status"])' "$1" | sort
}
names "$DBT_TARGET_PATH/run_results.json" > "$WORK/dbt-tests.txt"
names "$P/target/run_results.json" > "$WORK/tl-tests.txt"
n=$(wc -l < "$WORK/dbt-tests.txt")
[ "$n" -ge 50 ] || fail "dbt ran only $n tests"
expect_eq "dbt tests passed" "$(grep -c ' pass$' "$WORK/dbt-tests.txt")" "$n"
diff "$WORK/dbt-tests.txt" "$WORK/tl-tests.txt" >&2 || fail "dbt and ticklake ran different tests (names above)"
echo "ok: the same $n tests by name, all passing in both" >&2

say "dbt wrote nothing into analytics/"
new=$(find "$A" -newer "$WORK/marker" -print | grep -v "^$A$" || true)
[ -z "$new" ] || fail "dbt wrote into the source tree: $new"
echo "ok: nothing in analytics/ is newer than the test's start" >&2
