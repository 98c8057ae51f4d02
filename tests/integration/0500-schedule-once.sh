#!/usr/bin/env bash
# ticklake schedule: --list shows the jobs and their next fire times; a bad
# schedule is a usage error naming the setting; --once on a lake of many
# small files compacts it (no row lost), builds the models after the
# compaction, and vacuums the removed files but never a live one; a failed
# compaction skips that round's models run (and says why), exit 1; the
# loop runs on its schedule and exits 0 on SIGTERM.
source "$(dirname "$0")/lib.sh"
L="$WORK/lake"; P="$WORK/analytics"; WH="$WORK/wh.duckdb"
cp -r "$TL_SOURCE_DIR/analytics" "$P"; rm -rf "$P/target"
AGG='SELECT symbol, count(*), min(price), max(price), sum(price), sum(size) FROM ticks GROUP BY 1 ORDER BY 1'
live_files() { q "$L" "SELECT count(*) FROM lake_files WHERE table_name = 'ticks'"; }

say "a lake of small files"
"$TICKLAKE" simulate --output - --count 20000 --rate 0 --start 2026-11-24T10:00:00Z 2> /dev/null \
  | "$TICKLAKE" stream --from - --source-id s --flush-rows 500 --lake "$L" 2> "$WORK/stream.err" \
  || { cat "$WORK/stream.err"; fail "simulate | stream failed"; }
files=$(live_files)
[ "$files" -ge 20 ] || fail "expected many small files, got $files"
"$TICKLAKE" query --lake "$L" --format csv "$AGG" > "$WORK/before.csv"

say "--list"
"$TICKLAKE" schedule --list --lake "$L" --schedule-compact '*/10 * * * *' --schedule-models '' \
  > "$WORK/list.out" || fail "--list failed"
cat "$WORK/list.out" >&2
grep -Eq '^compact +\*/10 \* \* \* \* +- +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-5]0:00Z$' "$WORK/list.out" \
  || fail "compact's line lacks its schedule or a next fire time on a 10-minute mark"
grep -Eq '^models +\(disabled\) +compact +-$' "$WORK/list.out" || fail "models not shown disabled"
grep -Eq '^vacuum +@daily +- +[0-9-]{10}T00:00:00Z$' "$WORK/list.out" || fail "vacuum's default"

say "a bad schedule is a usage error"
rc=0
"$TICKLAKE" schedule --list --lake "$L" --schedule-vacuum '0 25 * * *' 2> "$WORK/bad.err" || rc=$?
expect_eq "exit code for a bad schedule" "$rc" 2
grep -q "schedule.vacuum.*\"0 25 \* \* \*\": hour: '25' is out of range 0-23" "$WORK/bad.err" \
  || fail "message does not name the setting and field: $(cat "$WORK/bad.err")"

say "--once: compact, then models, then vacuum"
TICKLAKE_VACUUM_RETAIN=0s "$TICKLAKE" schedule --once --lake "$L" --project "$P" --warehouse "$WH" \
  > "$WORK/once.out" 2> "$WORK/once.err" || { cat "$WORK/once.err"; fail "schedule --once failed"; }
cat "$WORK/once.err" >&2
expect_eq "live files after compaction" "$(live_files)" 1
"$TICKLAKE" query --lake "$L" --format csv "$AGG" > "$WORK/after.csv"
cmp -s "$WORK/before.csv" "$WORK/after.csv" || fail "per-symbol aggregates changed"
expect_eq "ticks" "$(q "$L" 'SELECT count(*) FROM ticks')" 20000
# order: compact ended before models started; models before vacuum
order=$(sed -n 's/.*schedule: \([a-z]*\) \(started\|ok\).*/\1 \2/p' "$WORK/once.err" | tr '\n' ,)
expect_eq "run order" "$order" "compact started,compact ok,models started,models ok,vacuum started,vacuum ok,"
grep -q "compact ok in [0-9.]* s: 1 partition: $files -> 1 files, 20000 rows" "$WORK/once.err" \
  || fail "compaction summary missing"
grep -q "Done: 6 ok, 0 error, 0 skipped" "$WORK/once.out" || fail "models did not all build"
bars=$("$TICKLAKE" query --lake "$L" --format csv "ATTACH '$WH' AS w (READ_ONLY);
  SELECT count(*) FROM w.bars_1m" | sed -n 2p)
ref=$(q "$L" "SELECT count(*) FROM (SELECT DISTINCT symbol, date_trunc('minute', ts) FROM ticks)")
expect_eq "bars_1m rows = (symbol, minute) pairs in the lake" "$bars" "$ref"
# vacuum (retain 0s): the removed small files are gone, the live one stays
grep -q "vacuum ok in [0-9.]* s: deleted $files files" "$WORK/once.err" || fail "vacuum did not delete the $files removed files"
"$TICKLAKE" query --lake "$L" --format csv "SELECT path FROM lake_files WHERE table_name = 'ticks'" \
  | tail -n +2 | while read -r p; do [ -f "$L/ticks/$p" ] || fail "live file $p was deleted"; done
expect_eq "parquet files left in ticks/ (data only)" \
  "$(find "$L/ticks" -name '*.parquet' -not -path '*/_delta_log/*' | wc -l)" 1

say "a failed compaction skips the models run"
B="$WORK/broken"; cp -r "$L" "$B"
last=$(ls "$B/ticks/_delta_log" | grep -E '^[0-9]{20}\.json$' | sort | tail -1)
next=$(printf '%020d.json' $((10#${last%.json} + 1)))
echo '{"add": not json' > "$B/ticks/_delta_log/$next"
rc=0
"$TICKLAKE" schedule --once --lake "$B" --project "$P" --warehouse "$WORK/wh2.duckdb" \
  --schedule-vacuum '' > "$WORK/fail.out" 2> "$WORK/fail.err" || rc=$?
cat "$WORK/fail.err" >&2
expect_eq "exit code when a job failed" "$rc" 1
grep -q "schedule: compact failed after [0-9.]* s: .*$next" "$WORK/fail.err" \
  || fail "the compaction error does not name the bad log entry"
grep -q "schedule: models skipped: upstream job 'compact' failed in this round" "$WORK/fail.err" \
  || fail "models not skipped with a reason"
grep -q "vacuum" "$WORK/fail.err" && fail "the disabled vacuum ran"
[ ! -e "$WORK/wh2.duckdb" ] || fail "models built a warehouse after a failed compaction"
say "the loop: runs on schedule, SIGTERM stops it, exit 0"
: > "$WORK/loop.err"
"$TICKLAKE" schedule --lake "$L" --project "$P" --warehouse "$WH" --schedule-compact '@every 1s' \
  --schedule-models '' --schedule-vacuum '' > /dev/null 2> "$WORK/loop.err" &
S=$!
PIDS+=($S)
for _ in $(seq 100); do
  [ "$(grep -c 'schedule: compact ok' "$WORK/loop.err")" -ge 2 ] && break
  sleep 0.1
done
[ "$(grep -c 'schedule: compact ok' "$WORK/loop.err")" -ge 2 ] || fail "no two compaction runs: $(cat "$WORK/loop.err")"
grep -q "compact ok in [0-9.]* s: nothing to compact" "$WORK/loop.err" || fail "re-run was not a no-op"
kill -TERM "$S"
rc=0
wait "$S" || rc=$?
expect_eq "exit code after SIGTERM" "$rc" 0
grep -q "schedule: stopped" "$WORK/loop.err" || fail "no stop line"
echo "ok: schedule --once and the loop" >&2
