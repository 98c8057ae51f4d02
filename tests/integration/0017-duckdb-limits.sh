#!/usr/bin/env bash
# The settings duckdb.memory_limit and duckdb.threads reach every DuckDB
# database a command opens, through each module's options (no process
# globals, issue 12): query answers current_setting() with them; the
# stream's, compaction's and the checkpoints' databases (their debug lines
# name the limits) all have them; a model, built by `models run` and by the
# scheduler's models job, reads them back; the default is 1 GiB, and 0 is
# DuckDB's own default.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
L="$WORK/lake"
MIB300=$((300 * 1024 * 1024))

# opened_with LOG BYTES THREADS: the log has DuckDB opens, each with the limits
opened_with() {
  local opened others
  opened=$(grep -c 'opened .*(memory_limit' "$1" || true)
  [ "$opened" -gt 0 ] || fail "$1: no DuckDB database opened (debug log)"
  others=$(grep 'opened .*(memory_limit' "$1" | grep -v "(memory_limit $2 bytes, threads $3;" || true)
  [ -z "$others" ] || fail "$1: a database opened without the limits: $others"
  echo "$opened"
}

say "stream: its database and the checkpoints' have the limits"
# ten files, a commit each: version 10 is checkpointed
"$TICKLAKE" simulate --output - --count 3000 --rate 0 --seed 3 --start 2026-11-24T10:00:00Z \
  > all.jsonl 2> /dev/null
split -l 300 -d all.jsonl ticks.
for f in ticks.0*; do
  TICKLAKE_DUCKDB_MEMORY_LIMIT=300MiB "$TICKLAKE" stream --from "$f" --lake "$L" \
    --duckdb-threads 1 --log-level debug 2>> stream.err || { tail -5 stream.err; fail "stream failed"; }
done
n=$(opened_with stream.err "$MIB300" 1)
ls "$L/ticks/_delta_log/" | grep -q 'checkpoint.parquet$' || fail "no checkpoint was written"
[ "$n" -ge 11 ] || fail "expected ten streams' databases and a checkpoint writer's, saw $n opens"

say "query: current_setting() through the command's database"
expect_eq "memory_limit from the environment" \
  "$(TICKLAKE_DUCKDB_MEMORY_LIMIT=300MiB q "$L" "SELECT current_setting('memory_limit')")" "300.0 MiB"
expect_eq "threads from the flag" \
  "$("$TICKLAKE" query --lake "$L" --duckdb-threads 1 --format csv "SELECT current_setting('threads')" | sed -n 2p)" 1
expect_eq "the default memory_limit" "$(q "$L" "SELECT current_setting('memory_limit')")" "1.0 GiB"
dflt=$("$TICKLAKE" query --lake "$L" --duckdb-memory-limit 0 --format csv \
  "SELECT current_setting('memory_limit')" | sed -n 2p)
[ -n "$dflt" ] && [ "$dflt" != "1.0 GiB" ] && [ "$dflt" != "0 bytes" ] \
  || fail "--duckdb-memory-limit 0 should leave DuckDB's default, got '$dflt'"
# the lake has checkpoints now: the views' checkpoint reader has the limits too
TICKLAKE_DUCKDB_MEMORY_LIMIT=300MiB "$TICKLAKE" query --lake "$L" --duckdb-threads 1 \
  --log-level debug 'SELECT count(*) FROM ticks' > /dev/null 2> query.err
n=$(opened_with query.err "$MIB300" 1)
[ "$n" -ge 2 ] || fail "expected the query's database and the ticks checkpoint's reader, saw $n opens"

say "compact: its database and the checkpoints' have the limits"
TICKLAKE_DUCKDB_MEMORY_LIMIT=300MiB "$TICKLAKE" compact --lake "$L" --duckdb-threads 1 \
  --log-level debug 2> compact.err || { tail -5 compact.err; fail "compact failed"; }
opened_with compact.err "$MIB300" 1 > /dev/null
expect_eq "ticks after compaction" "$(q "$L" 'SELECT count(*) FROM ticks')" 3000

say "models run and the scheduler's models job: a model reads the limits back"
mkdir -p proj/models
echo "name: limits" > proj/dbt_project.yml
cat > proj/models/limits.sql <<'SQL'
{{ config(materialized='table') }}
select current_setting('memory_limit') as m, current_setting('threads') as t,
       (select count(*) from {{ source('lake', 'ticks') }}) as n
SQL
printf 'sources:\n  - name: lake\n    tables:\n      - name: ticks\n' > proj/models/src.yml
TICKLAKE_DUCKDB_MEMORY_LIMIT=300MiB "$TICKLAKE" models run --project proj --lake "$L" \
  --warehouse wh.duckdb --duckdb-threads 1 > run.out 2>&1 || { cat run.out; fail "models run failed"; }
expect_eq "models run's limits" \
  "$("$TICKLAKE" query --lake "$L" --warehouse wh.duckdb --format csv 'SELECT m, t, n FROM limits' | sed -n 2p)" \
  "300.0 MiB,1,3000"
TICKLAKE_DUCKDB_MEMORY_LIMIT=200MiB "$TICKLAKE" schedule --once --lake "$L" --project proj \
  --warehouse wh.duckdb --schedule-compact '' --schedule-vacuum '' --duckdb-threads 2 \
  > once.out 2> once.err || { cat once.err; fail "schedule --once failed"; }
expect_eq "the scheduled models job's limits" \
  "$("$TICKLAKE" query --lake "$L" --warehouse wh.duckdb --format csv 'SELECT m, t FROM limits' | sed -n 2p)" \
  "200.0 MiB,2"
echo "ok" >&2
