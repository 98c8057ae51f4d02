#!/usr/bin/env bash
# The models job's run record says what it did (issue 15): models built and
# tests failed. `schedule --once` runs `models run` then `models test`; a
# passing round records tests_failed 0, a round with a failing singular test
# records a failed run with tests_failed 1 and the models it built, and
# `ticklake runs` shows both (JSON, CSV and the table's TFAIL column).
# The failed records name what failed: the failing test with its rows, and
# (after a model is broken) the model with its error, in the run record,
# the log and `ticklake runs`.
source "$(dirname "$0")/lib.sh"
L="$WORK/lake"; P="$WORK/analytics"; WH="$WORK/wh.duckdb"
cp -r "$TL_SOURCE_DIR/analytics" "$P"; rm -rf "$P/target"

say "a small lake"
"$TICKLAKE" simulate --output - --count 5000 --rate 0 --start 2026-11-24T10:00:00Z 2> /dev/null \
  | "$TICKLAKE" stream --from - --source-id s --lake "$L" 2> "$WORK/stream.err" \
  || { cat "$WORK/stream.err"; fail "simulate | stream failed"; }

say "a passing round: models built, 0 tests failed"
"$TICKLAKE" schedule --once --lake "$L" --project "$P" --warehouse "$WH" --schedule-vacuum '' \
  > "$WORK/ok.out" 2> "$WORK/ok.err" || { cat "$WORK/ok.err"; fail "schedule --once failed"; }

say "a failing test: the run fails, and its record counts the failure"
echo "select 1 as always_fails" > "$P/tests/assert_always_fails.sql"
rc=0
"$TICKLAKE" schedule --once --lake "$L" --project "$P" --warehouse "$WH" --schedule-vacuum '' \
  --models-retries 0 > "$WORK/bad.out" 2> "$WORK/bad.err" || rc=$?
expect_eq "schedule --once exit code with a failing test" "$rc" 1

"$TICKLAKE" runs --lake "$L" --job models --format json > "$WORK/runs.json" || fail "ticklake runs failed"
python3 - "$WORK/runs.json" <<'PY' || fail "the models runs' records: $(cat "$WORK/runs.json")"
import json, sys
runs = json.load(open(sys.argv[1]))
assert len(runs) == 2, runs
ok, bad = runs
assert ok["status"] == "success" and ok["error"] is None, ok
assert ok["summary"]["models"] >= 6 and ok["summary"]["tests_failed"] == 0, ok
assert bad["status"] == "failed", bad
assert bad["summary"]["models"] == ok["summary"]["models"], bad
assert bad["summary"]["tests_failed"] == 1, bad
assert "1 of" in bad["error"] and "tests failed" in bad["error"], bad
print("ok: models", ok["summary"]["models"], "tests_failed 0 then 1", file=sys.stderr)
PY

"$TICKLAKE" runs --lake "$L" --job models --format csv > "$WORK/runs.csv" || fail "runs --format csv"
python3 -c 'import csv,sys; r = list(csv.DictReader(open(sys.argv[1]))); assert [x["tests_failed"] for x in r] == ["0", "1"], r' \
  "$WORK/runs.csv" || fail "csv tests_failed: $(cat "$WORK/runs.csv")"

"$TICKLAKE" runs --lake "$L" --job models > "$WORK/runs.txt" || fail "ticklake runs failed"
cat "$WORK/runs.txt" >&2
# JOB SCHEDULED START SECONDS TRY STATUS IN OUT ROWS MODELS TFAIL
awk '$1 == "models" { print $6, $11 }' "$WORK/runs.txt" > "$WORK/tfail.txt"
expect_eq "table STATUS and TFAIL" "$(tr '\n' ' ' < "$WORK/tfail.txt")" "success 0 failed 1 "

say "the record names what failed: the failing test, then a broken model and why"
python3 - "$WORK/runs.json" <<'PY' || fail "the failing test is not named: $(cat "$WORK/runs.json")"
import json, sys
bad = json.load(open(sys.argv[1]))[1]
assert "tests failed: assert_always_fails: 1 failing row" in bad["error"], bad["error"]
PY
rm "$P/tests/assert_always_fails.sql"
echo "select no_such_column from {{ ref('stg_ticks') }}" > "$P/models/marts/broken_model.sql"
rc=0
"$TICKLAKE" schedule --once --lake "$L" --project "$P" --warehouse "$WH" --schedule-vacuum '' \
  --models-retries 0 > "$WORK/broken.out" 2> "$WORK/broken.err" || rc=$?
expect_eq "schedule --once exit code with a broken model" "$rc" 1
grep -q "models failed.*broken_model: .*no_such_column" "$WORK/broken.err" \
  || fail "the log does not name the broken model and why: $(grep models "$WORK/broken.err")"
"$TICKLAKE" runs --lake "$L" --job models --format json > "$WORK/runs.json" || fail "ticklake runs failed"
python3 - "$WORK/runs.json" <<'PY' || fail "the broken model is not named: $(cat "$WORK/runs.json")"
import json, sys
last = json.load(open(sys.argv[1]))[-1]
assert last["status"] == "failed", last
assert "1 of" in last["error"] and "models failed" in last["error"], last["error"]
assert "broken_model: " in last["error"] and "no_such_column" in last["error"], last["error"]
print("ok:", last["error"][:160], file=sys.stderr)
PY
"$TICKLAKE" runs --lake "$L" --job models > "$WORK/runs.txt" || fail "ticklake runs failed"
grep -q "broken_model: " "$WORK/runs.txt" || fail "ticklake runs does not show the model: $(cat "$WORK/runs.txt")"
