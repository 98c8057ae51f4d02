#!/usr/bin/env bash
# stg_ticks keeps the first copy of each (symbol, seq) and every tick without
# a seq: the stream never writes a second copy, but a table can hold one (a
# replay by another writer, a file added twice), and the model's dedupe took
# only the keys with copies through its window since the scheduled jobs got a
# DuckDB budget (a window over every tick did not fit it). A second copy of
# one tick is added to the table by hand: a Parquet file and a Delta commit.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
cp -r "$TL_SOURCE_DIR/analytics" analytics; rm -rf analytics/target
L="$WORK/lake"

say "three ticks streamed: AA seq 1 and 2, BB without a seq"
t0=$(( $(date +%s) * 1000 - 600000 ))
cat > a.jsonl <<JSON
{"symbol":"AA","ts":$t0,"price":1.5,"size":10,"seq":1}
{"symbol":"AA","ts":$((t0 + 100)),"price":1.6,"size":10,"seq":2}
{"symbol":"BB","ts":$((t0 + 100)),"price":2.6,"size":10}
JSON
"$TICKLAKE" stream --from a.jsonl --lake "$L" 2> stream.err || { cat stream.err; fail "stream failed"; }

say "a later copy of AA seq 1 (another price) and of BB's tick, added in a commit of their own"
add=$(grep -h '"add"' "$L"/ticks/_delta_log/*.json | head -1)
dir=$(python3 -c 'import json,sys,os; print(os.path.dirname(json.loads(sys.argv[1])["add"]["path"]))' "$add")
"$TICKLAKE" query --lake "$L" --format csv "COPY (SELECT * EXCLUDE (year, month, day, hour)
  REPLACE (9.9::DECIMAL(18,6) AS price, ingest_ts + INTERVAL 1 SECOND AS ingest_ts)
  FROM ticks WHERE seq = 1 OR seq IS NULL) TO '$L/ticks/$dir/part-copy.parquet' (FORMAT parquet)" \
  > /dev/null || fail "writing the copy failed"
last=$(ls "$L"/ticks/_delta_log/ | grep -c '\.json$')
python3 - "$add" "$dir/part-copy.parquet" "$L/ticks/$dir/part-copy.parquet" \
  > "$L/ticks/_delta_log/$(printf '%020d' "$last").json" <<'PY'
import json, os, sys
a = json.loads(sys.argv[1])["add"]
a.update(path=sys.argv[2], size=os.path.getsize(sys.argv[3]))
a.pop("stats", None)
print(json.dumps({"add": a}))
PY
expect_eq "ticks in the table, copies included" "$(q "$L" 'SELECT count(*) FROM ticks')" 5

say "stg_ticks: the first copy of AA seq 1, both BB ticks"
"$TICKLAKE" models run --project analytics --lake "$L" --select stg_ticks > run.out 2>&1 \
  || fail "models run: $(tail -5 run.out)"
wh() { "$TICKLAKE" query --lake "$L" --format csv "$1" | sed -n 2p; }
expect_eq "rows" "$(wh 'SELECT count(*) FROM stg_ticks')" 4
expect_eq "AA seq 1, the first copy's price" "$(wh "SELECT price FROM stg_ticks WHERE symbol = 'AA' AND seq = 1")" "1.500000"
expect_eq "AA seq 2" "$(wh "SELECT count(*) FROM stg_ticks WHERE symbol = 'AA' AND seq = 2")" 1
expect_eq "BB without a seq, both" "$(wh "SELECT count(*) FROM stg_ticks WHERE symbol = 'BB' AND seq IS NULL")" 2

say "models test: the (symbol, seq) test passes on it"
"$TICKLAKE" models test --project analytics --lake "$L" --select stg_ticks > test.out 2>&1 \
  || fail "models test: $(grep -v '^PASS' test.out | tail -5)"
grep -q "PASS   assert_unique_symbol_seq" test.out || fail "the uniqueness test did not run: $(tail -3 test.out)"
echo "ok" >&2
