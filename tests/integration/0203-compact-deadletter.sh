#!/usr/bin/env bash
# Dead letters are compacted like ticks (issue 14): many malformed records
# over many flushes of two sources leave many tiny dead-letter files;
# `ticklake compact` merges each day into one file with an OPTIMIZE commit
# in the dead-letter table's log; every dead letter (reason, message, raw
# bytes, source, offset, receive time, date) is still there exactly once
# and `ticklake query` over them answers the same; a stream replaying its
# input after the compaction adds none twice; vacuum leaves only the live
# files; the scheduled compaction job compacts them too.
# backends: fs s3
source "$(dirname "$0")/lib.sh"
use_backend
L=$(lake_url lake)
DL_FILES="SELECT count(*) FROM lake_files WHERE table_name = 'deadletter'"
DL_ALL="SELECT reason, message, raw, raw_base64, source, src_partition, src_offset, received_ts, date
        FROM deadletter ORDER BY source, src_partition, src_offset"
DL_BY_REASON="SELECT reason, count(*) FROM deadletter GROUP BY 1 ORDER BY 1"

say "two sources of ticks with 3% malformed records, streamed in many flushes"
"$TICKLAKE" simulate --output - --count 72000 --rate 0 --seed 1 --faults bad=0.03 \
  --stats-json "$WORK/sim.json" > "$WORK/all.jsonl" 2> /dev/null
sed -n 1,40000p "$WORK/all.jsonl" > "$WORK/a.jsonl"
sed -n 40001,60000p "$WORK/all.jsonl" > "$WORK/b.jsonl"
sed -n 60001,72000p "$WORK/all.jsonl" > "$WORK/c.jsonl" # for the scheduled job, later
bad=0 ticks=0
for name in a b; do
  # the file source reads 4096 lines at a time: a flush after each
  "$TICKLAKE" stream --from "$WORK/$name.jsonl" --source-id "src-$name" --flush-rows 1000 \
    --stats-json "$WORK/stream-$name.json" --lake "$L" 2> "$WORK/stream-$name.err" \
    || { cat "$WORK/stream-$name.err"; fail "stream $name failed"; }
  bad=$((bad + $(json "$WORK/stream-$name.json" rejected)))
  ticks=$((ticks + $(json "$WORK/stream-$name.json" accepted)))
done
[ "$bad" -gt 1000 ] || fail "only $bad records rejected"
expect_eq "dead letters in the lake" "$(q "$L" 'SELECT count(*) FROM deadletter')" "$bad"
files=$(q "$L" "$DL_FILES")
[ "$files" -ge 10 ] || fail "expected many small dead-letter files, got $files"
days=$(q "$L" 'SELECT count(DISTINCT date) FROM deadletter') # 2 only across midnight UTC
"$TICKLAKE" query --lake "$L" --format csv "$DL_ALL" > "$WORK/before.csv"
"$TICKLAKE" query --lake "$L" "$DL_BY_REASON" > "$WORK/reasons-before.txt"

say "a dry run plans the dead letters and changes nothing"
"$TICKLAKE" compact --lake "$L" --dry-run --min-files 2 --json > "$WORK/dry.json"
python3 - "$WORK/dry.json" "$files" "$bad" <<'PY' || fail "dry run: $(cat "$WORK/dry.json")"
import json, sys
c = json.load(open(sys.argv[1]))["deadletter"]
assert c["files_before"] == int(sys.argv[2]) and c["rows"] == int(sys.argv[3]), c
assert c["partitions"] >= 1 and c["version"] == -1, c
PY
expect_eq "dead-letter files after the dry run" "$(q "$L" "$DL_FILES")" "$files"

say "compact"
"$TICKLAKE" compact --lake "$L" --min-files 2 --json > "$WORK/c.json" 2> "$WORK/c.err" \
  || { cat "$WORK/c.err"; fail "compact failed"; }
python3 - "$WORK/c.json" "$files" "$bad" "$days" <<'PY' || fail "summary: $(cat "$WORK/c.json")"
import json, sys
c = json.load(open(sys.argv[1]))
d = c["deadletter"]
files, bad, days = map(int, sys.argv[2:])
assert d["files_before"] == files and d["rows"] == bad, d
assert d["files_after"] == days and d["partitions"] == days and d["version"] >= 1, d
assert c["files_before"] > 0 and c["rows"] > 0, c  # the top level: the ticks table, as before
PY
expect_eq "dead-letter files after compaction (one per day)" "$(q "$L" "$DL_FILES")" "$days"
"$TICKLAKE" query --lake "$L" --format csv "$DL_ALL" > "$WORK/after.csv"
cmp -s "$WORK/before.csv" "$WORK/after.csv" \
  || { diff "$WORK/before.csv" "$WORK/after.csv" | head -5 >&2; fail "dead letters changed"; }
echo "ok: every dead letter identical, every column" >&2
"$TICKLAKE" query --lake "$L" "$DL_BY_REASON" > "$WORK/reasons-after.txt"
cmp -s "$WORK/reasons-before.txt" "$WORK/reasons-after.txt" || fail "query by reason changed"
expect_eq "each (source, offset) once" \
  "$(q "$L" 'SELECT count(DISTINCT (source, src_partition, src_offset)) FROM deadletter')" "$bad"
expect_eq "lake_files' records" \
  "$(q "$L" "SELECT sum(num_records) FROM lake_files WHERE table_name = 'deadletter'")" "$bad"
expect_eq "ticks" "$(q "$L" 'SELECT count(*) FROM ticks')" "$ticks"

if [ "$BACKEND" = fs ]; then
  say "the dead-letter table's log holds the OPTIMIZE commit"
  optimize=$(grep -l '"operation":"OPTIMIZE"' "$L"/deadletter/_delta_log/*.json | wc -l)
  expect_eq "OPTIMIZE commits in deadletter/_delta_log" "$optimize" "$days"
  grep -h '"remove"' "$L"/deadletter/_delta_log/*.json | grep -vq '"dataChange":false' \
    && fail "a compaction remove with dataChange true"
  grep -h '"add"' $(grep -l '"operation":"OPTIMIZE"' "$L"/deadletter/_delta_log/*.json) \
    | grep -q '"dataChange":false.*\\"src_offset\\"' || fail "outputs lack dataChange=false or offset stats"
fi

say "re-running is a no-op"
"$TICKLAKE" compact --lake "$L" --min-files 2 --json > "$WORK/c2.json"
expect_eq "dead-letter partitions on re-run" \
  "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["deadletter"]["partitions"])' "$WORK/c2.json")" 0

say "replaying a source after the compaction writes none of its dead letters again"
"$TICKLAKE" stream --from "$WORK/a.jsonl" --source-id src-a --flush-rows 1000 --lake "$L" 2> "$WORK/replay.err" \
  || { cat "$WORK/replay.err"; fail "replay failed"; }
expect_eq "dead letters after the replay" "$(q "$L" 'SELECT count(*) FROM deadletter')" "$bad"

say "vacuum removes the inputs, the answers stay"
"$TICKLAKE" vacuum --lake "$L" --retain 0s > "$WORK/v.out" 2> "$WORK/v.err" \
  || { cat "$WORK/v.err"; fail "vacuum failed"; }
expect_eq "dead-letter files vacuumed" "$(grep -c '^deleted deadletter/.*removed)$' "$WORK/v.out")" "$files"
"$TICKLAKE" query --lake "$L" --format csv "$DL_ALL" > "$WORK/after-vacuum.csv"
cmp -s "$WORK/before.csv" "$WORK/after-vacuum.csv" || fail "dead letters changed after vacuum"
if [ "$BACKEND" = fs ]; then
  expect_eq "dead-letter parquet files on disk" \
    "$(find "$L/deadletter" -name '*.parquet' -not -path '*_delta_log*' | wc -l)" "$days"
fi

say "the scheduled compaction job compacts dead letters too"
"$TICKLAKE" stream --from "$WORK/c.jsonl" --source-id src-c --flush-rows 1000 --lake "$L" 2> "$WORK/stream-c.err" \
  || { cat "$WORK/stream-c.err"; fail "stream c failed"; }
bad=$(json "$WORK/sim.json" bad) # every malformed record the simulator sent
files=$(q "$L" "$DL_FILES")
[ "$files" -gt "$days" ] || fail "the third source added no dead-letter files"
"$TICKLAKE" query --lake "$L" --format csv "$DL_ALL" > "$WORK/before-job.csv"
TICKLAKE_COMPACT_MIN_FILES=2 "$TICKLAKE" schedule --once --lake "$L" --schedule-models '' \
  --schedule-vacuum '' > "$WORK/once.out" 2> "$WORK/once.err" \
  || { cat "$WORK/once.err"; fail "schedule --once failed"; }
grep -q "dead letters: $files -> " "$WORK/once.err" \
  || fail "the job's outcome does not report the dead letters: $(grep compact "$WORK/once.err")"
days=$(q "$L" 'SELECT count(DISTINCT date) FROM deadletter')
expect_eq "dead-letter files after the job" "$(q "$L" "$DL_FILES")" "$days"
expect_eq "dead letters after the job" "$(q "$L" 'SELECT count(*) FROM deadletter')" "$bad"
"$TICKLAKE" query --lake "$L" --format csv "$DL_ALL" > "$WORK/after-job.csv"
cmp -s "$WORK/before-job.csv" "$WORK/after-job.csv" || fail "the job changed the dead letters"
echo "ok: the job compacted $files dead-letter files into $days" >&2
