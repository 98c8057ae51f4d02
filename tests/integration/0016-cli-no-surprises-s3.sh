#!/usr/bin/env bash
# The CLI without surprises (issue 14), the points 0015 leaves out:
# - on S3 too, the read-only commands (query, dashboard, models test,
#   compact --dry-run, vacuum --dry-run; also runs and schema) refuse a lake
#   that is not there, exit 2 naming it, and write nothing to the bucket; a
#   missing bucket is S3's NoSuchBucket error (exit 1, as 0100 has it);
# - run from a working folder against an S3 lake, no command leaves a file
#   there: the warehouse and its lock go to the lake's state folder, DuckDB
#   spills under $TMPDIR;
# - an unreachable endpoint fails each of those commands at its first
#   request (exit 1, "endpoint unreachable", no retries);
# - numbers never print -0.00: query's table, CSV and JSON output of money
#   that moved down by less than half a cent in a hundred, the models'
#   output, and every answer of the dashboard's API on such a symbol.
source "$(dirname "$0")/lib.sh"
source "$TL_SOURCE_DIR/tests/tools/moto.sh"
cd "$WORK"
cp -r "$TL_SOURCE_DIR/analytics" analytics; rm -rf analytics/target
mkdir cwd tmp
cd cwd
start_moto lake
export XDG_STATE_HOME=$WORK/state TMPDIR=$WORK/tmp
keys() { curl -sf "$MOTO_URL/lake?list-type=2" | grep -o '<Key>' | wc -l; }
cwd_empty() { # what a command left in the working folder, besides its own output files
  local left
  left=$(ls -A . | grep -v -e '^out.txt$' -e '^err.txt$' || true)
  [ -z "$left" ] || fail "$1 left files in the working folder: $left"
}

READONLY=("query|query|SELECT 1" "dashboard|dashboard|--listen|127.0.0.1:0"
  "models test|models|test|--project|$WORK/analytics" "compact --dry-run|compact|--dry-run"
  "vacuum --dry-run|vacuum|--dry-run" "runs|runs" "schema|schema")
each_readonly() { # FN LAKE: FN NAME LAKE ARGS... for every read-only command
  local fn=$1 lake=$2 spec name
  for spec in "${READONLY[@]}"; do
    IFS='|' read -r -a a <<< "$spec"
    name=${a[0]}
    "$fn" "$name" "$lake" "${a[@]:1}"
  done
}

refuses() { # NAME LAKE CMD ARGS...: exit 2, "no lake at LAKE: WHY", nothing written
  local name=$1 lake=$2 rc=0
  shift 2
  "$TICKLAKE" "$@" --lake "$lake" > out.txt 2> err.txt || rc=$?
  expect_eq "exit code of '$name' on $lake" "$rc" 2
  grep -q "^ticklake [a-z ]*: no lake at $lake: $WHY" err.txt \
    || fail "$name: the message does not name $lake ($WHY): $(cat err.txt)"
  expect_eq "objects in the bucket after '$name'" "$(keys)" 0
}
say "S3: read-only commands refuse a lake that is not there"
WHY="nothing is stored under that prefix" each_readonly refuses s3://lake/mistyped/lake
say "S3: a bucket that is not there is an error naming it (exit 1, as a wrong key is)"
no_bucket() { # NAME LAKE CMD ARGS...
  local name=$1 lake=$2 rc=0
  shift 2
  "$TICKLAKE" "$@" --lake "$lake" > out.txt 2> err.txt || rc=$?
  expect_eq "exit code of '$name' on a missing bucket" "$rc" 1
  grep -q "^ticklake [a-z ]*: .*s3://no-such-bucket/.*HTTP 404 NoSuchBucket" err.txt || fail "$name: $(cat err.txt)"
  grep -q "retrying" err.txt && fail "$name retried a missing bucket: $(cat err.txt)"
  expect_eq "objects in the bucket after '$name'" "$(keys)" 0
}
each_readonly no_bucket s3://no-such-bucket/lake
for cmd in compact vacuum; do # not only the dry runs
  WHY="nothing is stored under that prefix" refuses "$cmd" s3://lake/mistyped/lake "$cmd"
done
cwd_empty "the refused commands"

say "an S3 lake, with a symbol whose price moved down by 0.001 %"
python3 - > "$WORK/ticks.jsonl" <<'PY'
import json
# 2026-11-24, a past day: the dashboard answers from the lake
base = 1795514400000  # 10:00:00Z in ms
rows = []
for k in range(600):
    for i, (sym, first, last) in enumerate((("DOWN", "1000.00", "999.99"), ("FLAT", "50.00", "50.00"),
                                            ("UP", "20.00", "20.50"))):
        price = first if k < 599 else last
        rows.append({"symbol": sym, "ts": base + k * 1000 + i, "price": float(price), "size": 100,
                     "seq": k + 1})
for r in rows:
    print(json.dumps(r))
PY
L=s3://lake/real
"$TICKLAKE" stream --from "$WORK/ticks.jsonl" --lake "$L" 2> "$WORK/stream.err" \
  || fail "stream: $(cat "$WORK/stream.err")"
rm -rf "$WORK/cache" # what the stream cached; the commands below start without it
expect_eq "ticks" "$(q "$L" 'SELECT count(*) FROM ticks')" 1800

say "no command leaves files in the working folder (S3 lake)"
"$TICKLAKE" models run --project "$WORK/analytics" --lake "$L" > out.txt 2>&1 || fail "models run: $(tail -5 out.txt)"
cwd_empty "models run"
wh=$(ls "$WORK"/state/ticklake/*/warehouse.duckdb 2> /dev/null || true)
[ -n "$wh" ] || fail "no warehouse in the state folder $WORK/state/ticklake/"
[ -f "$wh.lock" ] || fail "no lock next to the warehouse $wh"
"$TICKLAKE" models test --project "$WORK/analytics" --lake "$L" > out.txt 2>&1 || fail "models test: $(tail -5 out.txt)"
grep -E -- '(^|[^0-9.])-0\.0+([^0-9]|$)' out.txt && fail "models test printed a negative zero"
cwd_empty "models test"
expect_eq "query finds the state folder's warehouse" "$(q "$L" 'SELECT sum(tick_count) FROM bars_1m')" 1800
cwd_empty "query"
for c in "compact --dry-run" "compact" "vacuum --dry-run" "vacuum" "runs" "schema"; do
  "$TICKLAKE" $c --lake "$L" > out.txt 2> err.txt || fail "$c: $(cat err.txt)"
  cwd_empty "$c"
done
spill=$("$TICKLAKE" query --lake "$L" --format csv "SELECT current_setting('temp_directory')" | sed -n 2p)
case "$spill" in "$WORK/tmp/"*) ;; *) fail "DuckDB spills to '$spill', not under \$TMPDIR" ;; esac
echo "ok: DuckDB spills to $spill" >&2

say "numbers never print -0.00"
CHG="SELECT symbol, round((arg_max(price, ts) - arg_min(price, ts)) * 100 / arg_min(price, ts), 2) AS chg_pct,
        arg_max(price, ts) - arg_min(price, ts) AS move, round(arg_max(price, ts) - arg_min(price, ts), 1) AS move_1
     FROM ticks GROUP BY 1 ORDER BY 1"
for fmt in table csv json; do
  "$TICKLAKE" query --lake "$L" --format $fmt "$CHG" > out.txt 2> err.txt || fail "query: $(cat err.txt)"
  grep -q 'DOWN' out.txt || fail "no DOWN row: $(cat out.txt)"
  grep -E -- '-0\.00([^0-9]|$)' out.txt && fail "query --format $fmt printed -0.00"
  echo "ok: query --format $fmt: $(grep DOWN out.txt | tr -d '\n')" >&2
done
"$TICKLAKE" query --lake "$L" --format csv \
  "SELECT symbol, day_return, realised_vol FROM daily_summary ORDER BY 1" > out.txt
grep -E -- '(^|[^0-9.e])-0(\.0+)?(,|$)' out.txt && fail "daily_summary printed a negative zero"

: > "$WORK/dash.out"
"$TICKLAKE" dashboard --lake "$L" --listen 127.0.0.1:0 > "$WORK/dash.out" 2> "$WORK/dash.err" &
PIDS+=($!)
dash_url() { URL=$(sed -n 's/^ticklake dashboard: \(http[^ ]*\).*/\1/p' "$WORK/dash.out"); [ -n "$URL" ]; }
wait_until 30 "the dashboard's address" dash_url
from=1795514400; to=$((from + 3600))
for path in "api/symbols?from=$from&to=$to" "api/stats?symbol=DOWN&from=$from&to=$to" \
  "api/bars?symbol=DOWN&from=$from&to=$to&interval=1m" "api/line?symbol=DOWN&from=$from&to=$to" \
  "api/days" "api/health" "api/symbols"; do
  curl -sf "$URL$path" > "$WORK/api.json" || fail "GET /$path failed"
  python3 - "$WORK/api.json" "$path" <<'PY' || fail "/$path: $(head -c 600 "$WORK/api.json")"
import json, re, sys
text = open(sys.argv[1]).read()
json.loads(text)
bad = re.findall(r'(?<![\w.])-0(?:\.0+)?(?![\w.])', text)
assert not bad, f"negative zero in {sys.argv[2]}: {bad}"
if sys.argv[2].startswith("api/symbols?"):
    rows = {r["s"]: r for r in json.loads(text)["symbols"]}
    assert rows["DOWN"]["chg"] == 0 and '"chg":0.00' in text, rows["DOWN"]
    assert rows["UP"]["chg"] == 2.5, rows["UP"]
    for r in rows.values():  # the Trend column of a past range: 1..60 closes
        assert 1 <= len(r["spark"]) <= 60, r
        assert all(isinstance(p, (int, float)) for p in r["spark"]), r
PY
done
echo "ok: the dashboard's API has no negative zero (DOWN's change is 0.00)" >&2
cwd_empty "dashboard"

say "an unreachable endpoint fails every read-only command at its first request"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
unreachable() { # NAME LAKE ARGS...
  local name=$1 lake=$2 rc=0
  shift 2
  "$TICKLAKE" "$@" --lake "$lake" --s3-endpoint "http://127.0.0.1:$port" > out.txt 2> err.txt || rc=$?
  expect_eq "exit code of '$name' on an unreachable endpoint" "$rc" 1
  grep -q "endpoint unreachable" err.txt || fail "$name: no 'endpoint unreachable': $(cat err.txt)"
  grep -q "retrying" err.txt && fail "$name retried a refused connection: $(cat err.txt)"
  true
}
each_readonly unreachable "$L"
cwd_empty "the commands on an unreachable endpoint"
