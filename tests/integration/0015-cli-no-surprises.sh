#!/usr/bin/env bash
# The CLI as a data engineer meets it (issue 14): read-only commands refuse a
# lake that is not there (exit 2, the path named, nothing created); `query`
# runs every statement of a script and prints each result; the models'
# warehouse and its lock live under the lake's _ticklake/, not the working
# folder; an unreachable S3 endpoint fails an interactive command at once.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
cp -r "$TL_SOURCE_DIR/analytics" analytics; rm -rf analytics/target
mkdir cwd
cd cwd

say "read-only commands refuse a lake that does not exist"
missing="$WORK/mistyped/lake"
refuses() { # NAME ARGS...: the command exits 2 naming the path, creating nothing
  local name=$1 rc=0
  shift
  "$TICKLAKE" "$@" --lake "$missing" > out.txt 2> err.txt || rc=$?
  expect_eq "exit code of '$name' on a missing lake" "$rc" 2
  grep -q "no lake at $missing: the folder does not exist" err.txt \
    || fail "$name: the message does not name the path: $(cat err.txt)"
  [ ! -e "$WORK/mistyped" ] || fail "$name created $WORK/mistyped"
}
refuses query query 'SELECT 1'
refuses dashboard dashboard --listen 127.0.0.1:0
refuses "models test" models test --project "$WORK/analytics"
refuses "compact --dry-run" compact --dry-run
refuses "vacuum --dry-run" vacuum --dry-run

say "a small lake"
"$TICKLAKE" simulate --output - --count 3000 --rate 0 --seed 5 > "$WORK/f.jsonl" 2> /dev/null
"$TICKLAKE" stream --from "$WORK/f.jsonl" --lake "$WORK/lake" 2> "$WORK/stream.err" || fail "stream: $(cat "$WORK/stream.err")"
L="$WORK/lake"

say "query runs every statement of a script and prints each result"
"$TICKLAKE" query --lake "$L" --format csv \
  'SELECT count(*) AS n FROM ticks; CREATE TEMP TABLE t AS SELECT 41 AS x; SELECT x + 1 AS y FROM t' > out.txt
grep -qx 'n' out.txt && grep -qx 3000 out.txt || fail "first result missing: $(cat out.txt)"
grep -qx 'y' out.txt && grep -qx 42 out.txt || fail "last result missing (the temp table of statement 2 not seen?): $(cat out.txt)"
"$TICKLAKE" query --lake "$L" 'SELECT 1 AS a; SELECT 2 AS b' > out.txt
expect_eq "table results printed" "$(grep -c '^(1 row)$' out.txt)" 2
"$TICKLAKE" query --lake "$L" --format json 'SELECT 1 AS a; SELECT 2 AS b' > out.txt
python3 - out.txt <<'PY' || fail "json: one array per statement: $(cat out.txt)"
import json, sys
text = open(sys.argv[1]).read()
dec, pos, arrays = json.JSONDecoder(), 0, []
while pos < len(text.strip()):
    v, pos = dec.raw_decode(text, pos)
    arrays.append(v)
    while pos < len(text) and text[pos].isspace(): pos += 1
assert arrays == [[{"a": 1}], [{"b": 2}]], arrays
PY
set +e; "$TICKLAKE" query --lake "$L" --format csv 'SELECT 7 AS a; SELECT nope; SELECT 9' > out.txt 2> err.txt; rc=$?; set -e
expect_eq "exit code of a script whose second statement fails" "$rc" 1
grep -qx 7 out.txt || fail "the result before the failing statement was not printed: $(cat out.txt)"
grep -q "statement 2 of 3" err.txt || fail "the failing statement is not named: $(cat err.txt)"
grep -qx 9 out.txt && fail "a statement after the failing one ran"

say "the warehouse and its lock live under the lake's _ticklake/, not the working folder"
"$TICKLAKE" models run --project "$WORK/analytics" --lake "$L" > run.out 2>&1 || fail "models run: $(tail -5 run.out)"
[ -f "$L/_ticklake/warehouse.duckdb" ] || fail "no warehouse at $L/_ticklake/warehouse.duckdb"
[ -f "$L/_ticklake/warehouse.duckdb.lock" ] || fail "no lock next to the warehouse"
[ -z "$(ls -A . | grep -v -e '^out.txt$' -e '^err.txt$' -e '^run.out$')" ] || fail "files in the working folder: $(ls -A .)"
expect_eq "query finds the default warehouse" "$(q "$L" 'SELECT sum(tick_count) FROM bars_1m')" 3000
expect_eq "the lake's tables do not list _ticklake" "$(q "$L" "SELECT count(*) FROM lake_files WHERE path LIKE '%_ticklake%'")" 0

say "an unreachable S3 endpoint fails an interactive query at once"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
set +e
AWS_ACCESS_KEY_ID=k AWS_SECRET_ACCESS_KEY=s "$TICKLAKE" query --lake s3://bucket/lake \
  --s3-endpoint "http://127.0.0.1:$port" 'SELECT count(*) FROM ticks' > out.txt 2> err.txt
rc=$?
set -e
expect_eq "exit code on an unreachable endpoint" "$rc" 1
grep -q "endpoint unreachable" err.txt || fail "no 'endpoint unreachable': $(cat err.txt)"
grep -q "retrying" err.txt && fail "a connection refused at the first request was retried: $(cat err.txt)"
echo "ok: $(tail -1 err.txt)" >&2
