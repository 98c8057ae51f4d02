#!/usr/bin/env bash
# ticklake up: the whole pipeline in one process. Runs for 20 s in a temp
# folder; /api/health must answer while it runs (with the stream's counters
# moving), it must exit 0 on its own, and the lake must hold every tick the
# stream accepted.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

start_up --duration 20 --symbols 20 --rate 500

# /api/health while it runs: answered, and the stream's counters move
seen=""
for _ in $(seq 60); do
  curl -sf "${URL}api/health" >health.json || fail "/api/health did not answer"
  acc=$(python3 -c 'import json; h=json.load(open("health.json")); print((h["stream"] or {}).get("accepted", 0))')
  if [ "$acc" -gt 0 ] && [ -n "$seen" ] && [ "$acc" -gt "$seen" ]; then break; fi
  [ "$acc" -gt 0 ] && seen=${seen:-$acc}
  sleep 0.5
done
[ -n "$seen" ] && [ "$acc" -gt "$seen" ] || fail "accepted did not grow while up ran (last $acc)"
echo "ok: /api/health answered; accepted grew $seen -> $acc" >&2
# to a file first: under pipefail, grep -q closing the pipe early failed curl
curl -sf "${URL}metrics" >metrics.txt || fail "/metrics did not answer"
grep -q '^tl_stream_accepted_total [1-9]' metrics.txt || fail "/metrics lacks the stream's counters"

rc=0
wait "$UP" || rc=$?
expect_eq "up exit code" "$rc" 0
grep -q "stopped cleanly" up.err || fail "no clean-stop line: $(tail -3 up.err)"
# On the dev broker the stream takes every partition itself instead of
# joining a group (whose join held the first ticks back ~3 s while the
# simulator produced): a group member gives its partitions up at the stop.
grep -q "rebalance: .* loses" up.err && fail "up's stream joined a group on the dev broker"

ticks=$(q ./lake "SELECT count(*) FROM ticks")
accepted=$(sed -n 's/^ticklake stream: received [0-9]*, accepted \([0-9]*\),.*/\1/p' up.err)
[ "$ticks" -gt 1000 ] || fail "lake has only $ticks ticks"
expect_eq "ticks in the lake = accepted by the stream" "$ticks" "$accepted"
expect_eq "symbols in the lake" "$(q ./lake "SELECT count(DISTINCT symbol) FROM ticks")" 20

say "a second up on the same lake adds its own ticks and keeps the first run's"
"$TICKLAKE" up --duration 8 --listen 127.0.0.1:0 --symbols 20 --rate 500 >up2.out 2>up2.err \
  || { tail -5 up2.err >&2; fail "second up failed"; }
accepted2=$(sed -n 's/^ticklake stream: received [0-9]*, accepted \([0-9]*\),.*/\1/p' up2.err)
expect_eq "ticks after two runs" "$(q ./lake "SELECT count(*) FROM ticks")" $((accepted + accepted2))
expect_eq "files written twice under one name" \
  "$(q ./lake "SELECT count(*) - count(DISTINCT path) FROM lake_files WHERE table_name = 'ticks'")" 0
