#!/usr/bin/env bash
# Schema evolution (issue 16): 100k ticks into a lake, then two columns
# added through ticklake.yml (schema.extra_columns), 100k ticks that carry
# them (a few with wrong types, a few with unknown fields), compaction; then
# `ticklake query`, a model and delta-rs read the old rows with NULLs and the
# new rows with values, the wrong-typed records are in the dead letter with
# their reason, and every record is accounted for. A restart on the older
# configuration, a retype and a rename are refused naming the column.
source "$(dirname "$0")/lib.sh"
VENV=$("$TL_SOURCE_DIR/scripts/pyenv" interop) || fail "cannot set up the 'interop' Python venv (scripts/pyenv interop)"
PY=$VENV/bin/python
L="$WORK/lake"
N=100000
BAD=7

say "100k ticks with the built-in columns"
"$TICKLAKE" simulate --output - --count $N --rate 0 --seed 3 --start 2026-11-24T14:00:00Z \
  2> /dev/null > "$WORK/a.jsonl"
# in two runs, so hour 14 has files of two sources for compaction to merge
split -n l/2 -d "$WORK/a.jsonl" "$WORK/a-"
for f in "$WORK"/a-0*; do
  "$TICKLAKE" stream --from "$f" --source-id "$(basename "$f")" --lake "$L" 2> "$WORK/a.err" \
    || { cat "$WORK/a.err"; fail "stream $f failed"; }
done
expect_eq "ticks after the first run" "$(q "$L" 'SELECT count(*) FROM ticks')" $N

say "two columns added through ticklake.yml; 100k ticks carry them"
cat > "$WORK/ticklake.yml" << 'EOF'
schema:
  extra_columns:
    venue: string
    trade_id: int64
EOF
# seq made unique against the first run (the stream drops a repeated
# (symbol, seq)); every 9th tick has an unknown field, BAD ticks a wrong type
"$TICKLAKE" simulate --output - --count $N --rate 0 --seed 4 --start 2026-11-24T15:00:00Z \
  2> /dev/null | python3 -c '
import json, sys
bad = {100: ("trade_id", "T-100"), 2000: ("venue", 17), 3000: ("trade_id", 1.5),
       4000: ("venue", ["X"]), 5000: ("trade_id", True), 6000: ("venue", {"a": 1}),
       7000: ("trade_id", "7")}
for i, line in enumerate(sys.stdin):
    d = json.loads(line)
    d["seq"] = d["seq"] + 10**9
    d["venue"] = "V%d" % (i % 4)
    d["trade_id"] = i
    if i % 9 == 0:
        d["cond"] = {"codes": ["@", i]}
    if i in bad:
        d[bad[i][0]] = bad[i][1]
    print(json.dumps(d, separators=(",", ":")))
' > "$WORK/b.jsonl"
(cd "$WORK" && "$TICKLAKE" stream --from b.jsonl --source-id b --lake "$L" --stats-json b.json) \
  2> "$WORK/b.err" || { cat "$WORK/b.err"; fail "stream b failed"; }
expect_eq "accepted in the second run" "$(json "$WORK/b.json" accepted)" $((N - BAD))
expect_eq "rejected in the second run" "$(json "$WORK/b.json" rejected)" $BAD

say "ticklake schema shows the columns and the version that added them"
"$TICKLAKE" schema --lake "$L" > "$WORK/schema.out" || fail "ticklake schema failed"
grep -Eq "^  venue +string +nullable +\(added\)" "$WORK/schema.out" || { cat "$WORK/schema.out"; fail "venue not shown"; }
grep -Eq "^  trade_id +int64 " "$WORK/schema.out" || fail "trade_id not shown"
grep -Eq "^  version [0-9]+ at .*: added venue string, trade_id int64$" "$WORK/schema.out" \
  || { cat "$WORK/schema.out"; fail "history does not name the version that added the columns"; }
grep -Eq "^  version [0-9]+ at .*: added extra string$" "$WORK/schema.out" || fail "history lacks the extra column"
grep -q "version 0 at .*: created with 16 columns" "$WORK/schema.out" || fail "history lacks the creation"

say "an older configuration, a retype and a rename are refused"
for spec in "" "venue:string,trade_id:string" "market:string,trade_id:int64"; do
  set +e
  "$TICKLAKE" stream --from "$WORK/a.jsonl" --source-id c --lake "$L" ${spec:+--extra-columns "$spec"} \
    > /dev/null 2> "$WORK/refused.err"
  rc=$?
  set -e
  [ "$rc" -ne 0 ] || fail "a stream with extra columns '$spec' started"
  case "$spec" in
    "") grep -q "column 'venue' (string) that the configuration lacks.*older than the lake" "$WORK/refused.err" ;;
    venue*) grep -q "column 'trade_id' is int64 in the lake but string in the configuration" "$WORK/refused.err" ;;
    *) grep -q "'venue' (string) .* 'market' (string) .*renaming" "$WORK/refused.err" ;;
  esac || { cat "$WORK/refused.err"; fail "the refusal of '$spec' does not name the column and types"; }
done

say "compaction keeps the evolved schema"
"$TICKLAKE" compact --lake "$L" --min-files 1 > "$WORK/compact.out" 2>&1 || { cat "$WORK/compact.out"; fail "compact failed"; }
grep -q "^compacted [1-9]" "$WORK/compact.out" || { cat "$WORK/compact.out"; fail "nothing compacted"; }
# hour 14's inputs were all written before the columns were added; its
# compacted file has them all the same
"$TICKLAKE" query --lake "$L" --format csv "SELECT path FROM lake_files WHERE table_name = 'ticks' AND path LIKE '%hour=14/%'" | tail -n +2 \
  | while read -r p; do
      n=$("$TICKLAKE" query --lake "$L" --format csv \
        "SELECT count(*) FROM parquet_schema('$L/ticks/$p') WHERE name IN ('venue', 'trade_id')" | sed -n 2p)
      expect_eq "added columns in $p" "$n" 2
    done
expect_eq "hour 14 files after compaction" \
  "$(q "$L" "SELECT count(*) FROM lake_files WHERE table_name = 'ticks' AND path LIKE '%hour=14/part-compact-%'")" 1

say "ticklake query: old rows NULL, new rows with values, nothing lost"
expect_eq "rows" "$(q "$L" 'SELECT count(*) FROM ticks')" $((2 * N - BAD))
expect_eq "old rows (NULL venue, NULL trade_id)" \
  "$(q "$L" "SELECT count(*) FROM ticks WHERE venue IS NULL AND trade_id IS NULL AND extra IS NULL")" $N
expect_eq "new rows with values" \
  "$(q "$L" "SELECT count(*) FROM ticks WHERE venue LIKE 'V_' AND trade_id = src_offset - 1")" $((N - BAD))
expect_eq "kept unknown fields" \
  "$(q "$L" "SELECT count(*) FROM ticks WHERE extra IS NOT NULL AND json_extract(extra, '\$.cond.codes[1]')::BIGINT = src_offset - 1")" \
  "$(python3 -c "print(len([i for i in range($N) if i % 9 == 0 and i not in (100, 2000, 3000, 4000, 5000, 6000, 7000)]))")"
expect_eq "dead letters with their reasons" \
  "$(q "$L" "SELECT string_agg(reason || '@' || src_offset, ' ' ORDER BY src_offset) FROM deadletter")" \
  "bad_type:trade_id@101 bad_type:venue@2001 bad_type:trade_id@3001 bad_type:venue@4001 bad_type:trade_id@5001 bad_type:venue@6001 bad_type:trade_id@7001"
expect_eq "records conserved (ticks + dead letters)" \
  "$(q "$L" 'SELECT (SELECT count(*) FROM ticks) + (SELECT count(*) FROM deadletter)')" $((2 * N))

say "a model reads the new columns"
P="$WORK/analytics"
cp -r "$TL_SOURCE_DIR/analytics" "$P"; rm -rf "$P/target"
cat > "$P/models/marts/by_venue.sql" << 'EOF'
{{ config(materialized='table') }}
select coalesce(venue, '(none)') as venue, count(*) as n, count(trade_id) as with_trade_id
from {{ source('lake', 'ticks') }}
group by 1
EOF
"$TICKLAKE" models run --project "$P" --lake "$L" --warehouse "$WORK/wh.duckdb" > "$WORK/run.out" \
  || { cat "$WORK/run.out"; fail "models run failed"; }
grep -q "Done: 7 ok, 0 error" "$WORK/run.out" || { cat "$WORK/run.out"; fail "not every model ran"; }
expect_eq "by_venue" "$("$TICKLAKE" query --lake "$L" --format csv \
  "ATTACH '$WORK/wh.duckdb' AS w (READ_ONLY); SELECT string_agg(venue || '=' || n || '/' || with_trade_id, ' ' ORDER BY venue) FROM w.by_venue" | sed -n 2p)" \
  "(none)=$N/0 V0=$((N / 4 - BAD))/$((N / 4 - BAD)) V1=$((N / 4))/$((N / 4)) V2=$((N / 4))/$((N / 4)) V3=$((N / 4))/$((N / 4))"

say "delta-rs reads the evolved table"
"$PY" - "$L/ticks" $N $BAD << 'EOF' || fail "delta-rs disagrees"
import sys
import pyarrow as pa
from deltalake import DeltaTable, QueryBuilder
path, n, bad = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
qb = QueryBuilder().register("ticks", DeltaTable(path))
t = pa.table(qb.execute("SELECT venue, trade_id, extra FROM ticks").read_all())
assert t.schema.field("venue").type in (pa.string(), pa.large_string(), pa.string_view()), t.schema
assert t.schema.field("trade_id").type == pa.int64(), t.schema
assert t.num_rows == 2 * n - bad, t.num_rows
assert t["venue"].null_count == n, t["venue"].null_count
assert t["trade_id"].null_count == n, t["trade_id"].null_count
kept = len([i for i in range(n) if i % 9 == 0])  # every 9th new tick had an unknown field
assert t["extra"].null_count == t.num_rows - kept, t["extra"].null_count
row = pa.table(qb.execute("SELECT count(*) AS c FROM ticks WHERE venue = 'V1' AND trade_id IS NOT NULL").read_all())
assert row["c"][0].as_py() == n // 4, row
print("ok: delta-rs reads", t.num_rows, "rows,", n, "old ones with NULL venue and trade_id", file=sys.stderr)
EOF
echo "ok: schema evolution" >&2
