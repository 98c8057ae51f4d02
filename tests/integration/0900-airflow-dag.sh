#!/usr/bin/env bash
# Real Apache Airflow (pinned by scripts/python/airflow.lock) runs the shipped
# DAG airflow/dags/ticklake_dag.py with `airflow dags test` on a lake this test
# made. The DAG learns everything from the environment: TICKLAKE_BIN, the
# ticklake.yml named by TICKLAKE_CONFIG, and TICKLAKE_* variables.
#   1. every task (compact, models_run, models_test, vacuum) ends in success,
#      in that order; the lake shows the compaction (an OPTIMIZE commit, rows
#      unchanged, fewer files), the warehouse the models, vacuum deleted the
#      removed files (TICKLAKE_VACUUM_RETAIN=0s from the environment);
#   2. a broken lake path (TICKLAKE_LAKE_PATH overriding the file): compact
#      fails, is retried (TICKLAKE_AIRFLOW_RETRIES=1), its task log holds
#      ticklake's error, the downstream tasks never run, the run fails.
source "$(dirname "$0")/lib.sh"

AFV=$("$TL_SOURCE_DIR/scripts/pyenv" airflow) || fail "cannot set up the pinned Airflow (scripts/pyenv airflow)"
AF=$AFV/bin/airflow
[ -x "$AF" ] || fail "no airflow in $AFV"

L="$WORK/lake"; P="$WORK/analytics"; WH="$WORK/warehouse.duckdb"
cp -r "$TL_SOURCE_DIR/analytics" "$P"; rm -rf "$P/target"
AGG='SELECT symbol, count(*), min(price), max(price), sum(price), sum(size) FROM ticks GROUP BY 1 ORDER BY 1'
live_files() { q "$L" "SELECT count(*) FROM lake_files WHERE table_name = 'ticks'"; }

say "a lake of small files"
"$TICKLAKE" simulate --output - --count 20000 --rate 0 --start 2026-11-24T10:00:00Z 2> /dev/null \
  | "$TICKLAKE" stream --from - --source-id s --flush-rows 1000 --lake "$L" 2> "$WORK/stream.err" \
  || { cat "$WORK/stream.err"; fail "simulate | stream failed"; }
files=$(live_files)
[ "$files" -ge 10 ] || fail "expected many small files, got $files"
"$TICKLAKE" query --lake "$L" --format csv "$AGG" > "$WORK/before.csv"
grep -l '"operation":"OPTIMIZE"' "$L"/ticks/_delta_log/*.json > /dev/null 2>&1 \
  && fail "the fresh lake already has an OPTIMIZE commit"

# The deployment: a ticklake.yml (named by TICKLAKE_CONFIG) and environment
# variables; relative paths resolve in TICKLAKE_WORKDIR.
cat > "$WORK/ticklake.yml" << EOF
lake:
  path: $L
models:
  project: analytics
  warehouse: warehouse.duckdb
EOF
export TICKLAKE_BIN=$TICKLAKE TICKLAKE_CONFIG=$WORK/ticklake.yml TICKLAKE_WORKDIR=$WORK
export TICKLAKE_VACUUM_RETAIN=0s TICKLAKE_CACHE_DIR=$WORK/cache
export TICKLAKE_AIRFLOW_SCHEDULE='*/30 * * * *' # retries: the DAG's default (2, 5 min apart)
unset TICKLAKE_AIRFLOW_RETRIES TICKLAKE_AIRFLOW_RETRY_DELAY
unset TICKLAKE_LAKE_PATH TICKLAKE_MODELS_PROJECT TICKLAKE_MODELS_WAREHOUSE

# Airflow: its own home, a SQLite metadata DB, the shipped dags folder only.
export AIRFLOW_HOME=$WORK/airflow
export AIRFLOW__CORE__DAGS_FOLDER=$TL_SOURCE_DIR/airflow/dags
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__LOGGING__BASE_LOG_FOLDER=$AIRFLOW_HOME/logs
unset AIRFLOW__DATABASE__SQL_ALCHEMY_CONN AIRFLOW_CONFIG
export PYTHONDONTWRITEBYTECODE=1 # nothing written next to the shipped DAG
say "airflow db migrate"
timeout 120 "$AF" db migrate > "$WORK/migrate.log" 2>&1 || { tail -30 "$WORK/migrate.log"; fail "airflow db migrate"; }

# ti_states DATE -> "task_id state try_number" per task of the run of that
# logical date, in start order (from Airflow's metadata DB)
ti_states() {
  "$AFV/bin/python" - "$AIRFLOW_HOME/airflow.db" "$1" << 'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute(
    "SELECT ti.task_id, ti.state, ti.try_number FROM task_instance ti"
    " JOIN dag_run dr ON dr.dag_id = ti.dag_id AND dr.run_id = ti.run_id"
    " WHERE ti.dag_id = 'ticklake' AND dr.logical_date LIKE ?"
    " ORDER BY ti.start_date IS NULL, ti.start_date, ti.task_id",
    (sys.argv[2] + "%",)).fetchall()
for r in rows:
    print(*r)
EOF
}

say "airflow dags test ticklake 2026-11-25: every task succeeds"
rc=0
timeout 240 "$AF" dags test ticklake 2026-11-25 > "$WORK/run1.log" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || { tail -60 "$WORK/run1.log" >&2; fail "dags test exited $rc"; }
grep -q "DagRun Finished: dag_id=ticklake, logical_date=2026-11-25.*state=success" "$WORK/run1.log" \
  || { tail -40 "$WORK/run1.log" >&2; fail "the run did not finish in success"; }
states=$(ti_states 2026-11-25 | tr '\n' ,)
expect_eq "task instances (task state try)" "$states" \
  "compact success 1,models_run success 1,models_test success 1,vacuum success 1,"
settings=$("$AFV/bin/python" - "$AIRFLOW_HOME/airflow.db" << 'EOF'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
(data,) = db.execute("SELECT data FROM serialized_dag WHERE dag_id = 'ticklake'").fetchone()
dag = json.loads(data)["dag"]
args = dag["default_args"]["__var"]
print(dag["timetable"]["__var"]["expression"], dag["catchup"], dag["max_active_runs"],
      args["retries"], args["retry_delay"]["__var"])
EOF
)
expect_eq "schedule ($TICKLAKE_AIRFLOW_SCHEDULE), catchup, max_active_runs, retries, retry_delay" \
  "$settings" "$TICKLAKE_AIRFLOW_SCHEDULE False 1 2 300.0"

say "the lake shows the compaction"
expect_eq "live files after compaction" "$(live_files)" 1
"$TICKLAKE" query --lake "$L" --format csv "$AGG" > "$WORK/after.csv"
cmp -s "$WORK/before.csv" "$WORK/after.csv" || fail "per-symbol aggregates changed"
optimize=$(grep -l '"operation":"OPTIMIZE"' "$L"/ticks/_delta_log/*.json | wc -l)
expect_eq "OPTIMIZE commits in ticks/_delta_log" "$optimize" 1
grep -q "compacted 1 partitions: $files files .* -> 1 files .* 20000 rows" "$WORK/run1.log" \
  || fail "ticklake compact's summary is not in the compact task's log"

say "the warehouse shows the models run, on the compacted snapshot, and their tests"
optv=$(basename "$(grep -l '"operation":"OPTIMIZE"' "$L"/ticks/_delta_log/*.json)" .json)
runs=$("$TICKLAKE" query --lake "$L" --warehouse "$WH" --format csv \
  "SELECT count(*) || ' ' || count(*) FILTER (status = 'success') || ' ' || min(lake_ticks_version) || ' ' || max(lake_ticks_version)
   FROM ticklake_model_runs" | sed -n 2p)
expect_eq "model runs: models, succeeded, lake version read (min, max)" "$runs" "6 6 $((10#$optv)) $((10#$optv))"
bars=$("$TICKLAKE" query --lake "$L" --warehouse "$WH" --format csv 'SELECT count(*) FROM bars_1m' | sed -n 2p)
ref=$(q "$L" "SELECT count(*) FROM (SELECT DISTINCT symbol, date_trunc('minute', ts) FROM ticks)")
expect_eq "bars_1m rows = (symbol, minute) pairs in the lake" "$bars" "$ref"
grep -q "Done: 6 ok, 0 error, 0 skipped" "$WORK/run1.log" || fail "models_run's summary is not in its log"
# the last writer of target/run_results.json is models_test: every test passed
tests=$("$AFV/bin/python" -c 'import json, sys
r = json.load(open(sys.argv[1]))["results"]
print(len(r), sum(x["status"] == "pass" for x in r))' "$P/target/run_results.json") || fail "no run_results.json"
read -r ntests npass <<< "$tests"
[ "$ntests" -gt 0 ] || fail "models_test ran no test"
expect_eq "tests passed (run_results.json)" "$npass" "$ntests"
grep -q "Done: $ntests passed, 0 failed of $ntests tests" "$WORK/run1.log" || fail "models_test's summary is not in its log"
say "vacuum deleted the compacted inputs"
expect_eq "parquet files left in ticks/" \
  "$(find "$L/ticks" -name '*.parquet' -not -path '*/_delta_log/*' | wc -l)" 1

say "a broken lake path: compact fails (retried once), nothing downstream runs"
echo "not a folder" > "$WORK/file"
export TICKLAKE_LAKE_PATH=$WORK/file/lake # the environment wins over ticklake.yml
export TICKLAKE_AIRFLOW_RETRIES=1 TICKLAKE_AIRFLOW_RETRY_DELAY=1s
want_err="ticklake compact: no lake at $WORK/file/lake: not a folder"
direct_rc=0
"$TICKLAKE" compact > /dev/null 2> "$WORK/direct.err" || direct_rc=$?
[ "$direct_rc" -ne 0 ] || fail "ticklake compact succeeded on $TICKLAKE_LAKE_PATH"
# a lake that is not there is a usage error (exit 2), not a failed run
expect_eq "ticklake compact's exit code on a missing lake" "$direct_rc" 2
grep -qF "$want_err" "$WORK/direct.err" || fail "ticklake's own error changed: $(cat "$WORK/direct.err")"
rc=0
timeout 240 "$AF" dags test ticklake 2026-11-26 > "$WORK/run2.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "dags test exited 0 for a failed run"
grep -q "DagRun Finished: dag_id=ticklake, logical_date=2026-11-26.*state=failed" "$WORK/run2.log" \
  || { tail -40 "$WORK/run2.log" >&2; fail "the run did not finish as failed"; }
states=$(ti_states 2026-11-26 | sort | tr '\n' ,)
echo "$states" >&2
case "$states" in
  *"compact failed 2,"*) ;;
  *) fail "compact is not failed after 2 tries: $states" ;;
esac
for t in models_run models_test vacuum; do
  case "$states" in *"$t upstream_failed "*) ;; *) fail "$t is not upstream_failed: $states" ;; esac
done
n=$(grep -cF "$want_err" "$WORK/run2.log")
expect_eq "tries whose task log holds ticklake's error" "$n" 2
grep -q "exit code $direct_rc" "$WORK/run2.log" || fail "the task log does not give ticklake's exit code $direct_rc"
echo "ok: airflow ran the ticklake DAG" >&2
