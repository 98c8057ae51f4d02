#!/usr/bin/env bash
# Crash suite, scenario 2: SIGKILL `ticklake compact` CHAOS_KILLS times while
# it rewrites a lake of many small files in 24 hour partitions (one commit per
# partition), each kill at a moment chosen by killer.py:
#   delay         a random moment within the duration of a whole compaction
#                 (measured once on a copy of the lake)
#   after-commit  a partition's OPTIMIZE commit was seen, then 0-300 ms: between
#                 partitions, or during the next one's read, sort, write or commit
#   mid-write     a new file appeared in a compaction scratch folder, then 0-30 ms
# After every kill the snapshot's rows are unchanged (count, sum(price),
# distinct (symbol, seq), sum(seq), equal to the figures computed from the
# ingested JSONL) and every live file is whole; when nothing is left to compact,
# the next chunk of small files is streamed in. A final compact succeeds and
# leaves nothing to compact.
source "$(dirname "$0")/../integration/lib.sh"
source "$TL_SOURCE_DIR/tests/chaos/chaos.sh"

L=$WORK/lake
CHUNKS=$((KILLS + 2))
say "simulate $((CHUNKS * 6000)) ticks, spread over 24 hours in $CHUNKS chunks"
"$TICKLAKE" simulate --output - --rate 0 --start 2026-01-05T00:00:00Z --count $((CHUNKS * 6000)) \
  --seed "$CHAOS_SEED" 2> "$WORK/sim.err" |
  python3 "$CHAOS_DIR/spread.py" --hours 24 --chunks "$CHUNKS" --out "$WORK/chunk" ||
  fail "cannot make the ticks: $(tail -n 3 "$WORK/sim.err")"

chunk=0
expected=""
# refill: stream the next chunk at 8000 ticks/s with a flush every 50 ms:
# ~15 small files in each of the 24 hours
refill() {
  chunk=$((chunk + 1))
  [ -f "$WORK/chunk-$chunk.jsonl" ] || fail "ran out of chunks: compaction finished $((chunk - 1)) times before $KILLS kills"
  python3 "$CHAOS_DIR/trickle.py" "$WORK/chunk-$chunk.jsonl" 8000 |
    "$TICKLAKE" stream --from - --source-id "chunk-$chunk" --lake "$L" --flush-interval 50ms 2>> "$WORK/stream.err" ||
    { tail -n 5 "$WORK/stream.err" >&2; fail "streaming chunk $chunk failed"; }
  expected=$(cat "$WORK/chunk-$chunk.figures")
  expect_eq "figures after chunk $chunk" "$(figures "$L")" "$expected"
}
refill
refill
say "lake: $(q "$L" 'SELECT count(*) FROM lake_files') live files in $(q "$L" 'SELECT count(DISTINCT hour) FROM ticks') partitions"

# the duration of one whole compaction, measured on a copy, bounds the random delays
cp -a "$L" "$WORK/calib"
t0=$(date +%s%N)
"$TICKLAKE" compact --lake "$WORK/calib" > /dev/null 2>> "$WORK/compact.err" || fail "compaction of the copy failed"
span=$((($(date +%s%N) - t0) / 1000000))
rm -rf "$WORK/calib"
say "a whole compaction takes ${span} ms here: random kills fall within that"

CHILD_ERR=$WORK/compact.err
MODES=(delay after-commit mid-write)
kills=0
tries=0
while [ "$kills" -lt "$KILLS" ]; do
  tries=$((tries + 1))
  [ "$tries" -le $((KILLS * 4)) ] || fail "$tries compactions for $kills kills: compaction ends before every chosen moment"
  todo=$("$TICKLAKE" compact --lake "$L" --dry-run --json 2>> "$WORK/compact.err" | python3 -c 'import json,sys; print(json.load(sys.stdin)["partitions"])')
  if [ "$todo" = 0 ]; then
    refill
    continue
  fi
  mode=${MODES[$((tries % 3))]}
  case $mode in delay) max=$span ;; after-commit) max=300 ;; *) max=30 ;; esac
  rc=0
  killer --mode "$mode" --log "$L/ticks/_delta_log" --tmp "$L/ticks/.tl-tmp.compact-*" \
    --seed $((CHAOS_SEED * 1000 + tries)) --max-delay-ms "$max" --timeout 120 \
    -- "$TICKLAKE" compact --lake "$L" || rc=$?
  case $rc in
    0) kills=$((kills + 1)) ;;
    3) grep -q 'status 0' <(tail -n1 "$WORK/kills.log") || { tail -n 20 "$WORK/compact.err" >&2; fail "compaction failed by itself"; } ;;
    4) fail "compaction $tries ($mode): no such moment within 120 s" ;;
    *) fail "killer.py failed ($rc)" ;;
  esac
  got=$(figures "$L")
  [ "$got" = "$expected" ] || bug "after compaction $tries ($mode) the snapshot's rows|sum(price)|pairs|sum(seq) are $got, want $expected"
  kill_check "$L" "after compaction $tries ($mode)"
done

say "a final compaction runs to the end"
"$TICKLAKE" compact --lake "$L" --json > "$WORK/final.json" 2>> "$WORK/compact.err" ||
  { tail -n 20 "$WORK/compact.err" >&2; fail "the final compaction failed"; }
cat "$WORK/final.json" >&2
expect_eq "figures after the final compaction" "$(figures "$L")" "$expected"
expect_eq "partitions left to compact" "$("$TICKLAKE" compact --lake "$L" --dry-run --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["partitions"])')" 0
expect_eq "live files (one per hour)" "$(q "$L" 'SELECT count(*) FROM lake_files WHERE table_name = '"'ticks'")" 24
lake_check "$L" "after the final compaction" >&2
say "left for vacuum: $(find "$L/ticks" -maxdepth 1 -name '.tl-tmp.compact-*' | wc -l) scratch folders, $(find "$L/ticks" -name '*.parquet' -not -path '*/.tl-tmp*' | wc -l) Parquet files on disk for 24 live"
echo "ok: $KILLS kills of compact"
