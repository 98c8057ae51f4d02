#!/usr/bin/env bash
# The scheduled jobs' own DuckDB budget, schedule.duckdb_memory_limit
# (--jobs-duckdb-memory-limit; 384 MiB by default, 0 = duckdb.memory_limit;
# never more than duckdb.memory_limit): it reaches the databases of `schedule`'s compaction
# (its debug lines name the limit) and models (a model reads it back with
# current_setting), from the flag, the environment and ticklake.yml; and
# under `up` the jobs run with it while the stream keeps duckdb.memory_limit.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
L="$WORK/lake"
MIB=$((1024 * 1024))

# opens_with LOG BYTES: the log's DuckDB opens all have memory_limit BYTES
opens_with() {
  local opened others
  opened=$(grep -c 'opened .*(memory_limit' "$1" || true)
  [ "$opened" -gt 0 ] || fail "$1: no DuckDB database opened (debug log)"
  others=$(grep 'opened .*(memory_limit' "$1" | grep -v "(memory_limit $2 bytes," || true)
  [ -z "$others" ] || fail "$1: a database opened without memory_limit $2: $others"
}

# a project whose one model reads the limits of the database building it
mkdir -p proj/models
echo "name: limits" > proj/dbt_project.yml
cat > proj/models/limits.sql <<'SQL'
{{ config(materialized='table') }}
select current_setting('memory_limit') as m,
       (select count(*) from {{ source('lake', 'ticks') }}) as n
SQL
printf 'sources:\n  - name: lake\n    tables:\n      - name: ticks\n' > proj/models/src.yml
model_limit() {
  "$TICKLAKE" query --lake "$L" --warehouse wh.duckdb --format csv 'SELECT m FROM limits' | sed -n 2p
}
# once ARGS...: schedule --once, models only, into wh.duckdb
once() {
  "$TICKLAKE" schedule --once --lake "$L" --project proj --warehouse wh.duckdb \
    --schedule-compact '' --schedule-vacuum '' "$@" > once.out 2> once.err \
    || { cat once.err; fail "schedule --once $* failed"; }
}

say "--help: schedule and up list the setting"
# (into a file first: grep -q stops reading at its match, and under pipefail
# the help's writer dying of SIGPIPE would fail the check)
for cmd in schedule up; do
  "$TICKLAKE" "$cmd" --help > help.txt 2>&1 || fail "$cmd --help failed"
  grep -q -- '--jobs-duckdb-memory-limit SIZE' help.txt \
    || fail "$cmd --help has no --jobs-duckdb-memory-limit"
  grep -q 'TICKLAKE_SCHEDULE_DUCKDB_MEMORY_LIMIT, schedule.duckdb_memory_limit' help.txt \
    || fail "$cmd --help does not name the setting's variable and key"
done

say "a lake of ten small files (compact.min_files is 8)"
"$TICKLAKE" simulate --output - --count 1200 --rate 0 --seed 5 --start 2026-11-24T10:00:00Z \
  > all.jsonl 2> /dev/null
split -l 120 -d all.jsonl ticks.
for f in ticks.0*; do
  "$TICKLAKE" stream --from "$f" --lake "$L" 2>> stream.err || { tail -5 stream.err; fail "stream failed"; }
done

say "schedule --once: the scheduled compaction's databases have the jobs' 256 MiB"
"$TICKLAKE" schedule --once --lake "$L" --schedule-models '' --schedule-vacuum '' \
  --jobs-duckdb-memory-limit 256MiB --log-level debug > compact.out 2> compact.err || { cat compact.err; fail "scheduled compaction failed"; }
grep -q 'compact ok' compact.err || fail "the compaction did not run: $(grep schedule compact.err)"
opens_with compact.err $((256 * MIB))
expect_eq "ticks after compaction" "$(q "$L" 'SELECT count(*) FROM ticks')" 1200

say "schedule --once: the models job reads its limit back"
once
expect_eq "the default: 384 MiB" "$(model_limit)" "384.0 MiB"
once --jobs-duckdb-memory-limit 100MiB
expect_eq "from the flag" "$(model_limit)" "100.0 MiB"
TICKLAKE_SCHEDULE_DUCKDB_MEMORY_LIMIT=90MiB once
expect_eq "from the environment" "$(model_limit)" "90.0 MiB"
printf 'schedule:\n  duckdb_memory_limit: 80MiB\n' > ticklake.yml
once
expect_eq "from ticklake.yml" "$(model_limit)" "80.0 MiB"
rm ticklake.yml
TICKLAKE_DUCKDB_MEMORY_LIMIT=200MiB once --jobs-duckdb-memory-limit 256MiB
expect_eq "never above duckdb.memory_limit" "$(model_limit)" "200.0 MiB"
once --jobs-duckdb-memory-limit 0
expect_eq "0: duckdb.memory_limit" "$(model_limit)" "1.0 GiB"
expect_eq "the model read the lake" \
  "$("$TICKLAKE" query --lake "$L" --warehouse wh.duckdb --format csv 'SELECT n FROM limits' | sed -n 2p)" 1200

say "a scheduled compaction that spills, into a cache folder not made yet"
# 200k ticks in eight files of one hour: their sort does not fit 24 MiB and
# spills to <cache>/duckdb-spill; DuckDB makes only that last folder, and
# the cache folder of a local lake was never made (the spill failed with
# "Failed to create directory" once the jobs had a budget)
"$TICKLAKE" simulate --output - --count 200000 --rate 0 --seed 7 --symbols 1000 \
  --start 2026-11-25T10:00:00Z 2> /dev/null | split -l 25000 -d - big.
for f in big.0*; do
  "$TICKLAKE" stream --from "$f" --lake big 2>> stream.err || { tail -5 stream.err; fail "stream failed"; }
done
TICKLAKE_CACHE_DIR="$WORK/not/made/cache" "$TICKLAKE" schedule --once --lake big \
  --schedule-models '' --schedule-vacuum '' --compact-retries 0 --jobs-duckdb-memory-limit 24MiB \
  --duckdb-threads 1 > spill.out 2> spill.err || { cat spill.err; fail "the spilling compaction failed"; }
grep -q 'compact ok .*8 -> 1 files, 200000 rows' spill.err \
  || fail "the hour was not compacted: $(grep schedule spill.err)"
[ -d "$WORK/not/made/cache" ] || fail "the cache folder was not made"
expect_eq "ticks after the spilling compaction" "$(q big 'SELECT count(*) FROM ticks')" 200000

say "up: the jobs run with their limit, the stream keeps duckdb.memory_limit"
mkdir up && cd up
cp -r ../proj analytics
# the stream's first flush and commit come within a second; a models run
# fires every 2 s from the start, so several run inside the 8 s
"$TICKLAKE" up --listen 127.0.0.1:0 --lake ./lake --duration 8s --symbols 5 --rate 200 \
  --schedule-compact '' --schedule-vacuum '' --schedule-models '@every 2s' \
  --jobs-duckdb-memory-limit 120MiB --log-level debug > up.out 2> up.err \
  || { tail -20 up.err; fail "up failed"; }
grep -q 'schedule: models ok' up.err || fail "no models run under up: $(grep schedule up.err | tail -5)"
expect_eq "the models job's limit under up" \
  "$("$TICKLAKE" query --lake ./lake --format csv 'SELECT m FROM limits' | sed -n 2p)" "120.0 MiB"
# the stream's writer opens at the start, before any job: the default 1 GiB
first=$(grep -m1 'opened .*(memory_limit' up.err)
case "$first" in *"(memory_limit $((1024 * MIB)) bytes,"*) ;; *) fail "the stream's database: $first" ;; esac
grep -q "(memory_limit $((120 * MIB)) bytes," up.err || fail "no database opened with the jobs' limit under up"
echo "ok" >&2
