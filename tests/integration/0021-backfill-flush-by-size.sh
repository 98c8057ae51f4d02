#!/usr/bin/env bash
# A backfill from a regular file flushes on the row cap, not on the clock: its
# files hold --flush-rows rows each however loaded the machine is. stdin and an
# explicit --flush-interval keep the time-based flush.
source "$(dirname "$0")/lib.sh"

say "1,000,000 ticks from a file, --flush-rows 200000"
"$TICKLAKE" simulate --output - --count 1000000 --rate 0 --seed 21 \
  --start 2026-01-05T14:00:00Z > "$WORK/f.jsonl" 2> "$WORK/sim.err"
L="$WORK/lake"
"$TICKLAKE" stream --from "$WORK/f.jsonl" --lake "$L" --flush-rows 200000 \
  --stats-json "$WORK/s.json" 2> "$WORK/stream.err" || { cat "$WORK/stream.err"; fail "stream --from failed"; }
expect_eq "rows" "$(q "$L" 'SELECT count(*) FROM ticks')" 1000000
# one hour partition, so the row cap alone decides the files: five of 200k (the
# time-based flush made more: as many as the machine's load allowed). 200k rows
# fit the default 48 MiB memory cap (262,144-row arrays of 112 bytes); 400k
# rows would not, and the memory cap would cut the files first.
expect_eq "hour partitions" "$(q "$L" "SELECT count(DISTINCT date_trunc('hour', ts)) FROM ticks")" 1
expect_eq "files written" "$(json "$WORK/s.json" files_written)" 5
expect_eq "parquet files in the table" "$(find "$L/ticks" -name '*.parquet' | wc -l)" 5
expect_eq "commits" "$(json "$WORK/s.json" commits)" 5

say "an explicit --flush-interval is honoured for a file too"
# 100,000 ticks are one file by the row cap; they take far longer than 1 ms
head -n 100000 "$WORK/f.jsonl" > "$WORK/g.jsonl"
"$TICKLAKE" stream --from "$WORK/g.jsonl" --lake "$WORK/lake2" --flush-rows 400000 \
  --flush-interval 1ms --stats-json "$WORK/s2.json" 2> "$WORK/stream2.err" \
  || { cat "$WORK/stream2.err"; fail "stream --from --flush-interval failed"; }
expect_eq "rows with an explicit interval" "$(q "$WORK/lake2" 'SELECT count(*) FROM ticks')" 100000
c2=$(json "$WORK/s2.json" commits)
[ "$c2" -gt 1 ] || fail "an explicit 1ms flush interval made only $c2 commit(s)"

say "stdin keeps the time-based flush"
# a pipe that stays open: ticks arrive, then nothing for a while; the flush
# interval must commit them before the input ends
mkfifo "$WORK/feed"
"$TICKLAKE" stream --from - --source-id live --flush-interval 100ms --lake "$WORK/lake3" \
  < "$WORK/feed" 2> "$WORK/stream3.err" &
PIDS+=($!)
spid=$!
exec 7> "$WORK/feed"
head -n 1000 "$WORK/f.jsonl" >&7
seen=0
for _ in $(seq 300); do
  seen=$(q "$WORK/lake3" 'SELECT count(*) FROM ticks' 2> /dev/null || echo 0)
  [ "$seen" = 1000 ] && break
  sleep 0.1
done
exec 7>&-
wait "$spid" || { cat "$WORK/stream3.err"; fail "stream --from - failed"; }
expect_eq "rows committed while stdin was still open" "$seen" 1000
say "ok"
