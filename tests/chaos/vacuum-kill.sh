#!/usr/bin/env bash
# Crash suite, scenario 3: SIGKILL `ticklake vacuum --retain 0s` CHAOS_KILLS
# times while it deletes the files compaction removed: at a random moment
# between its VACUUM START commit and 1.5 times as long as a whole deletion
# takes (measured once on a copy), in turn with
#   quiet        nothing else running
#   +compact     a compaction at the same time (its outputs written and
#                published before their commit, its inputs removed while
#                vacuum deletes)
#   +stream      a stream writing at the same time (its files published before
#                their commit)
# After every kill, and once the concurrent writer is done: every file the
# snapshot references exists, with the log's size, and reads (delta-rs +
# pyarrow); the snapshot's rows equal the figures of the ingested JSONL. At the
# end a clean vacuum leaves no unreferenced data file.
source "$(dirname "$0")/../integration/lib.sh"
source "$TL_SOURCE_DIR/tests/chaos/chaos.sh"

L=$WORK/lake
CHUNKS=$((KILLS + 2))
say "simulate $((CHUNKS * 4000)) ticks, spread over 24 hours in $CHUNKS chunks"
"$TICKLAKE" simulate --output - --rate 0 --start 2026-01-05T00:00:00Z --count $((CHUNKS * 4000)) \
  --seed "$CHAOS_SEED" 2> "$WORK/sim.err" |
  python3 "$CHAOS_DIR/spread.py" --hours 24 --chunks "$CHUNKS" --out "$WORK/chunk" ||
  fail "cannot make the ticks: $(tail -n 3 "$WORK/sim.err")"

ingest() { # ingest N: chunk N at 8000 ticks/s, a flush every 50 ms: ~10 small files per hour
  [ -f "$WORK/chunk-$1.jsonl" ] || fail "ran out of chunks"
  python3 "$CHAOS_DIR/trickle.py" "$WORK/chunk-$1.jsonl" 8000 |
    "$TICKLAKE" stream --from - --source-id "chunk-$1" --lake "$L" --flush-interval 50ms 2>> "$WORK/stream.err"
}
chunk=1
ingest $chunk || fail "streaming chunk 1 failed"
expected=$(cat "$WORK/chunk-$chunk.figures")
"$TICKLAKE" compact --lake "$L" > /dev/null 2>> "$WORK/compact.err" || fail "compaction failed"
expect_eq "figures before the kills" "$(figures "$L")" "$expected"
todel() { "$TICKLAKE" vacuum --lake "$L" --retain 0s --dry-run | sed -n 's/^would delete \([0-9]*\) files.*/\1/p'; }
say "vacuum would delete $(todel) files"

# how long a vacuum takes from its VACUUM START commit to its VACUUM END
# (the deleting), measured on a copy, bounds the random delays
cp -a "$L" "$WORK/calib"
"$TICKLAKE" vacuum --lake "$WORK/calib" --retain 0s > /dev/null 2>> "$WORK/vacuum.err" || fail "vacuum of the copy failed"
span=$(python3 - "$WORK/calib/ticks/_delta_log" << 'EOF'
import glob, json, os, sys
t = {}
for p in glob.glob(sys.argv[1] + "/*.json"):
    for line in open(p):
        if '"commitInfo"' in line:
            t[json.loads(line)["commitInfo"]["operation"]] = os.stat(p).st_mtime_ns
print(max(1, (t["VACUUM END"] - t["VACUUM START"]) // 1000000))
EOF
)
rm -rf "$WORK/calib"
say "a vacuum deletes for ${span} ms here: kills fall within $((span * 3 / 2)) ms after its VACUUM START"

CHILD_ERR=$WORK/vacuum.err
VARIANTS=(quiet +compact +stream)
kills=0
tries=0
while [ "$kills" -lt "$KILLS" ]; do
  tries=$((tries + 1))
  [ "$tries" -le $((KILLS * 4)) ] || fail "$tries vacuum runs for $kills kills: vacuum ends before every chosen moment"
  variant=${VARIANTS[$((tries % 3))]}
  n0=$(todel)
  if [ "$n0" = 0 ]; then # something to delete: a chunk, compacted
    chunk=$((chunk + 1))
    ingest $chunk || fail "streaming chunk $chunk failed"
    expected=$(cat "$WORK/chunk-$chunk.figures")
    "$TICKLAKE" compact --lake "$L" > /dev/null 2>> "$WORK/compact.err" || fail "compaction failed"
    n0=$(todel)
  fi
  bg=""
  case $variant in
    +compact)
      chunk=$((chunk + 1))
      ingest $chunk || fail "streaming chunk $chunk failed"
      expected=$(cat "$WORK/chunk-$chunk.figures")
      "$TICKLAKE" compact --lake "$L" --json > "$WORK/bg.out" 2>> "$WORK/compact.err" &
      bg=$!
      ;;
    +stream)
      chunk=$((chunk + 1))
      ingest $chunk &
      bg=$!
      ;;
  esac
  args=(--mode after-commit --log "$L/ticks/_delta_log" --op "VACUUM START" --max-delay-ms $((span * 3 / 2)))
  [ -n "$bg" ] && PIDS+=("$bg")
  rc=0
  killer "${args[@]}" --seed $((CHAOS_SEED * 1000 + tries)) --timeout 120 --child-out "$WORK/vacuum.out" \
    -- "$TICKLAKE" vacuum --lake "$L" --retain 0s || rc=$?
  case $rc in
    0) kills=$((kills + 1)) ;;
    3) grep -q 'status 0' <(tail -n1 "$WORK/kills.log") || { tail -n 20 "$WORK/vacuum.err" >&2; fail "vacuum failed by itself"; } ;;
    4) fail "vacuum $tries ($variant): no such moment within 120 s" ;;
    *) fail "killer.py failed ($rc)" ;;
  esac
  if [ -n "$bg" ]; then
    wait "$bg" || { tail -n 20 "$WORK/compact.err" "$WORK/stream.err" >&2; bug "the $variant writer failed while vacuum ran (try $tries)"; }
    [ "$variant" = +stream ] && expected=$(cat "$WORK/chunk-$chunk.figures")
  fi
  say "vacuum $tries ($variant): removed files to delete: $n0 before, $(todel) after"
  got=$(figures "$L")
  [ "$got" = "$expected" ] || bug "after vacuum $tries ($variant) the snapshot's rows|sum(price)|pairs|sum(seq) are $got, want $expected"
  kill_check "$L" "after vacuum $tries ($variant)"
done

say "a final vacuum runs to the end"
"$TICKLAKE" vacuum --lake "$L" --retain 0s > "$WORK/final.out" 2>> "$WORK/vacuum.err" ||
  { tail -n 20 "$WORK/vacuum.err" >&2; fail "the final vacuum failed"; }
tail -n1 "$WORK/final.out" >&2
expect_eq "figures after the final vacuum" "$(figures "$L")" "$expected"
chk=$(lake_check "$L" "after the final vacuum")
expect_eq "unreferenced data files left" "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["ticks"]["unreferenced"])' "$chk")" 0
echo "ok: $KILLS kills of vacuum"
