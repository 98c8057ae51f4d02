#!/usr/bin/env bash
# Readers are not blocked: while models run again and again, a reader in a
# loop (ticklake query over the lake with the warehouse attached read-only,
# as the dashboard reads it) answers every time, and sees whole builds only.
source "$(dirname "$0")/lib.sh"

P="$WORK/analytics"; L="$WORK/lake"; WH="$WORK/wh.duckdb"
cp -r "$TL_SOURCE_DIR/analytics" "$P"; rm -rf "$P/target"
"$TICKLAKE" simulate --output - --seed 7 --start 2026-11-24T14:30:00Z --rate 0 --count 50000 2> /dev/null \
  | "$TICKLAKE" stream --from - --source-id day --lake "$L" 2> /dev/null
"$TICKLAKE" models run --project "$P" --lake "$L" --warehouse "$WH" > /dev/null

# The reader: counts answers that are right (50000 ticks in bars_1m, and
# the lake itself) and answers that are not, until told to stop.
reader() {
  local good=0 bad=0
  while [ ! -e "$WORK/stop" ] || [ "$good" -lt 3 ]; do
    if out=$("$TICKLAKE" query --lake "$L" --format csv \
        "ATTACH '$WH' AS w (READ_ONLY); SELECT (SELECT sum(tick_count) FROM w.bars_1m) || '/' || (SELECT count(*) FROM ticks)" \
        2>> "$WORK/reader.err" | sed -n 2p) && [ "$out" = "50000/50000" ]; then
      good=$((good + 1))
    else
      bad=$((bad + 1)); echo "bad answer: '$out'" >> "$WORK/reader.err"
    fi
    echo "$good $bad" > "$WORK/reader.count"
  done
}
reader & PIDS+=($!); READER=$!

say "5 model runs while the reader loops"
wait_until 10 "the reader's first answer" test -s "$WORK/reader.count"
for i in 1 2 3 4 5; do
  "$TICKLAKE" models run --project "$P" --lake "$L" --warehouse "$WH" > "$WORK/run$i.out" \
    || { cat "$WORK/run$i.out"; fail "run $i failed"; }
done
touch "$WORK/stop"
wait "$READER"
read -r good bad < "$WORK/reader.count"
[ "$bad" -eq 0 ] || { cat "$WORK/reader.err"; fail "reader got $bad bad answers"; }
[ "$good" -ge 3 ] || fail "reader answered only $good times"
echo "ok: reader answered $good times, 0 failures" >&2
expect_eq "runs recorded" "$("$TICKLAKE" query --lake "$L" --format csv "ATTACH '$WH' AS w (READ_ONLY); SELECT count(DISTINCT invocation_id) FROM w.ticklake_model_runs" | sed -n 2p)" 6
expect_eq "staged copies left behind" "$(ls "$WORK" | grep -c 'wh.duckdb.tmp' || true)" 0
echo PASS >&2
