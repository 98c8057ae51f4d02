#!/usr/bin/env bash
# Backfill: a JSONL file through the same path as Kafka; the Parquet files
# read back the same by DuckDB and by hyparquet, an independent reader.
source "$(dirname "$0")/lib.sh"

say "backfill 1,000,000 ticks from a file"
"$TICKLAKE" simulate --output - --count 1000000 --rate 0 --seed 11 > "$WORK/f.jsonl" 2> "$WORK/sim.err"
expect_eq "lines written by simulate" "$(wc -l < "$WORK/f.jsonl")" 1000000
"$TICKLAKE" stream --from "$WORK/f.jsonl" --lake "$WORK/lake" --stats-json "$WORK/s.json" 2> "$WORK/stream.err" \
  || { cat "$WORK/stream.err"; fail "stream --from failed"; }
L="$WORK/lake"
expect_eq "rows" "$(q "$L" 'SELECT count(*) FROM ticks')" 1000000
expect_eq "distinct (symbol, seq)" "$(q "$L" 'SELECT count(*) FROM (SELECT DISTINCT symbol, seq FROM ticks)')" 1000000
expect_eq "first line number kept as offset" "$(q "$L" 'SELECT min(src_offset) FROM ticks')" 1
expect_eq "last line number kept as offset" "$(q "$L" 'SELECT max(src_offset) FROM ticks')" 1000000

say "re-running the same file adds nothing"
"$TICKLAKE" stream --from "$WORK/f.jsonl" --lake "$L" --stats-json "$WORK/s2.json" 2> "$WORK/stream2.err"
expect_eq "skipped on re-run" "$(json "$WORK/s2.json" skipped)" 1000000
expect_eq "rows after re-run" "$(q "$L" 'SELECT count(*) FROM ticks')" 1000000

say "stdin works too, with an explicit source id"
head -n 1000 "$WORK/f.jsonl" | "$TICKLAKE" stream --from - --source-id stdin-test --lake "$WORK/lake2" 2> /dev/null
expect_eq "rows from stdin" "$(q "$WORK/lake2" 'SELECT count(*) FROM ticks')" 1000

if [ ! -d "$TL_SOURCE_DIR/tests/tools/node_modules/hyparquet" ]; then
  fail "hyparquet is not installed (scripts/bootstrap installs it)"
fi
say "hyparquet and DuckDB read the same rows"
"$TICKLAKE" simulate --output - --count 20000 --rate 0 --seed 12 --faults bad=0.05 > "$WORK/g.jsonl" 2> /dev/null
"$TICKLAKE" stream --from "$WORK/g.jsonl" --lake "$WORK/lake3" 2> /dev/null
files=$(find "$WORK/lake3/ticks" -name '*.parquet' | sort)
# the files hyparquet reads are the native writer's (src/parquet/, the default)
expect_eq "writer of the stream's files" \
  "$(q "$WORK/lake3" "SELECT DISTINCT split_part(created_by, ' ', 1) FROM parquet_file_metadata('$WORK/lake3/ticks/**/*.parquet')")" ticklake
# --parquet-writer duckdb goes back to DuckDB's COPY: the same rows
head -n 5000 "$WORK/g.jsonl" > "$WORK/g5k.jsonl"
"$TICKLAKE" stream --from "$WORK/g5k.jsonl" --lake "$WORK/lake3d" --parquet-writer duckdb 2> /dev/null
"$TICKLAKE" stream --from "$WORK/g5k.jsonl" --lake "$WORK/lake3n" 2> /dev/null
expect_eq "writer with --parquet-writer duckdb" \
  "$(q "$WORK/lake3d" "SELECT DISTINCT split_part(created_by, ' ', 1) FROM parquet_file_metadata('$WORK/lake3d/ticks/**/*.parquet')")" DuckDB
rows_of() { "$TICKLAKE" query --lake "$1" --format csv "SELECT * EXCLUDE (ingest_ts) FROM ticks ORDER BY src_offset"; }
cmp -s <(rows_of "$WORK/lake3d") <(rows_of "$WORK/lake3n") || fail "the native and DuckDB writers' lakes differ"
echo "ok: the native and DuckDB writers' files hold the same rows" >&2
node "$TL_SOURCE_DIR/tests/tools/read_parquet.mjs" $files | python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    print("|".join("" if r[k] is None else str(r[k]).lower() if isinstance(r[k], bool) else str(r[k])
          for k in ("symbol","ts","price","size","bid","ask","exchange","seq","late","src_partition","src_offset","ingest_ts")))
' | sort > "$WORK/hyparquet.txt"
"$TICKLAKE" query --lake "$WORK/lake3" --format csv "SELECT concat_ws('|', symbol, epoch_us(ts), price::VARCHAR, coalesce(size::VARCHAR, ''), coalesce(bid::VARCHAR, ''), coalesce(ask::VARCHAR, ''), coalesce(exchange, ''), coalesce(seq::VARCHAR, ''), late::VARCHAR, src_partition, src_offset, epoch_us(ingest_ts)) AS r FROM ticks" \
  | tail -n +2 | sed 's/^"//; s/"$//' | sort > "$WORK/duckdb.txt"
expect_eq "rows read by hyparquet" "$(wc -l < "$WORK/hyparquet.txt")" "$(q "$WORK/lake3" 'SELECT count(*) FROM ticks')"
cmp -s "$WORK/hyparquet.txt" "$WORK/duckdb.txt" || { diff "$WORK/hyparquet.txt" "$WORK/duckdb.txt" | head >&2; fail "hyparquet and DuckDB disagree"; }
echo "ok: hyparquet and DuckDB agree on every row" >&2

say "a 300 KB line is cut and dead-lettered as too_large; the lines around it are kept"
{ echo '{"symbol":"CUT","ts":"2026-11-24T10:00:00Z","price":1,"seq":1}'
  python3 -c 'print("x" * 300000, end="")'; echo
  echo '{"symbol":"CUT","ts":"2026-11-24T10:00:01Z","price":2,"seq":2}'; } > "$WORK/long.jsonl"
"$TICKLAKE" stream --from "$WORK/long.jsonl" --lake "$WORK/lake4" 2> /dev/null
expect_eq "rows around the long line" "$(q "$WORK/lake4" 'SELECT count(*) FROM ticks')" 2
expect_eq "the long line, dead-lettered" "$(q "$WORK/lake4" "SELECT reason || ':' || src_offset FROM deadletter")" "too_large:2"
