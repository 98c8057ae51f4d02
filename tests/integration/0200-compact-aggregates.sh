#!/usr/bin/env bash
# Compaction keeps every row (same per-symbol aggregates), leaves about one
# file per hour, is a no-op when re-run; vacuum then deletes exactly the
# removed inputs and never a live file.
source "$(dirname "$0")/lib.sh"
L="$WORK/lake"
AGG='SELECT symbol, count(*), min(price), max(price), sum(price), sum(size) FROM ticks GROUP BY 1 ORDER BY 1'

# every live file of the snapshot must exist on disk
check_live() {
  "$TICKLAKE" query --lake "$L" --format csv "SELECT path FROM lake_files WHERE table_name = 'ticks'" \
    | tail -n +2 | while read -r p; do [ -f "$L/ticks/$p" ] || fail "live file $p is missing"; done
}

say "a lake of many small files over two hours"
"$TICKLAKE" simulate --output - --count 60000 --rate 0 --start 2026-11-24T10:59:30Z 2> /dev/null \
  | "$TICKLAKE" stream --from - --source-id sim --flush-rows 500 --lake "$L" 2> "$WORK/stream.err"
"$TICKLAKE" query --lake "$L" --format csv "$AGG" > "$WORK/before.csv"
hours=$(q "$L" 'SELECT count(DISTINCT (year, month, day, hour)) FROM ticks')
expect_eq "hours" "$hours" 2
files=$(q "$L" "SELECT count(*) FROM lake_files WHERE table_name = 'ticks'")
[ "$files" -gt 50 ] || fail "expected many small files, got $files"

say "dry run changes nothing"
"$TICKLAKE" compact --lake "$L" --dry-run --json > "$WORK/dry.json"
expect_eq "dry-run partitions" "$(json "$WORK/dry.json" partitions)" 2
expect_eq "files after dry run" "$(q "$L" "SELECT count(*) FROM lake_files WHERE table_name = 'ticks'")" "$files"

say "compact"
"$TICKLAKE" compact --lake "$L" --json > "$WORK/c.json" 2> "$WORK/c.err" || { cat "$WORK/c.err"; fail "compact failed"; }
expect_eq "partitions compacted" "$(json "$WORK/c.json" partitions)" 2
expect_eq "files before" "$(json "$WORK/c.json" files_before)" "$files"
expect_eq "files after" "$(json "$WORK/c.json" files_after)" 2
expect_eq "rows rewritten" "$(json "$WORK/c.json" rows)" 60000
"$TICKLAKE" query --lake "$L" --format csv "$AGG" > "$WORK/after.csv"
cmp -s "$WORK/before.csv" "$WORK/after.csv" || { diff "$WORK/before.csv" "$WORK/after.csv" | head >&2; fail "aggregates changed"; }
echo "ok: per-symbol count/min/max/sum identical" >&2
expect_eq "live files" "$(q "$L" "SELECT count(*) FROM lake_files WHERE table_name = 'ticks'")" 2
expect_eq "distinct (symbol, seq)" "$(q "$L" 'SELECT count(*) FROM (SELECT DISTINCT symbol, seq FROM ticks)')" 60000

say "re-running is a no-op"
v1=$(ls "$L/ticks/_delta_log" | grep -c '\.json$')
"$TICKLAKE" compact --lake "$L" --json > "$WORK/c2.json"
expect_eq "partitions on re-run" "$(json "$WORK/c2.json" partitions)" 0
expect_eq "log unchanged" "$(ls "$L/ticks/_delta_log" | grep -c '\.json$')" "$v1"

say "checkpoints were written along the way, and replay from them agrees"
ls "$L/ticks/_delta_log" | grep -q 'checkpoint.parquet$' || fail "no checkpoint written"
grep -q '"version"' "$L/ticks/_delta_log/_last_checkpoint" || fail "no _last_checkpoint"

say "vacuum: 1h retention deletes nothing yet; --retain 0s deletes the removed inputs"
"$TICKLAKE" vacuum --lake "$L" --retain 1h > "$WORK/v0.out"
grep -q '^deleted 0 files' "$WORK/v0.out" || { cat "$WORK/v0.out"; fail "vacuum deleted inside the retention"; }
"$TICKLAKE" vacuum --lake "$L" --retain 0s --dry-run > "$WORK/v1.out"
expect_eq "would delete" "$(grep -c '^would delete ticks/' "$WORK/v1.out")" "$files"
check_live
"$TICKLAKE" vacuum --lake "$L" --retain 0s > "$WORK/v2.out"
expect_eq "deleted" "$(grep -c '^deleted ticks/.*removed)$' "$WORK/v2.out")" "$files"
check_live
expect_eq "parquet files on disk" "$(find "$L/ticks" -name '*.parquet' -not -path '*_delta_log*' | wc -l)" 2
"$TICKLAKE" query --lake "$L" --format csv "$AGG" > "$WORK/after-vacuum.csv"
cmp -s "$WORK/before.csv" "$WORK/after-vacuum.csv" || fail "aggregates changed after vacuum"
echo "ok: aggregates identical after vacuum" >&2

say "a lake path that does not exist is an error, not an empty lake (nor created)"
for cmd in compact vacuum query; do
  sql=(); [ $cmd = query ] && sql=("SELECT 1")
  if "$TICKLAKE" $cmd --lake "$WORK/no-such-lake" "${sql[@]}" > "$WORK/nl.out" 2> "$WORK/nl.err"; then
    fail "$cmd on a missing lake exited 0"
  fi
  grep -q "no lake at $WORK/no-such-lake" "$WORK/nl.err" || { cat "$WORK/nl.err"; fail "$cmd: unclear error"; }
  [ ! -e "$WORK/no-such-lake" ] || fail "$cmd created the missing lake"
done
