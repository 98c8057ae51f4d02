#!/usr/bin/env bash
# RSS of `ticklake up` over a long run: flat, not growing. `up` (dev broker,
# simulator at RATE, stream, dashboard, scheduler) runs MINUTES minutes; its
# RSS (VmRSS) is sampled every 5 s. Flat means: the mean of the last quarter
# of the run is at most 10% above the mean of the second quarter (the first
# quarter is warm-up: buffers, DuckDB's caches and the live state fill).
# The floor of each quarter (its lowest sample) is reported too: the mean
# moves with whether a scheduled job (compaction, models) ran in it.
#   MINUTES=10 RATE=10000 SYMBOLS=1000     (MINUTES=1 for a quick look)
#   TICKLAKE_SCHEDULE_COMPACT='@every 60s' TICKLAKE_SCHEDULE_MODELS='@every 60s'
#     (any setting through its environment variable) runs the jobs more often
# One SSE client stays connected throughout, as a dashboard page would.
source "$(dirname "$0")/lib.sh"
MINUTES=${MINUTES:-10}
RATE=${RATE:-10000}
SYMBOLS=${SYMBOLS:-1000}
secs=$((MINUTES * 60))
"$TICKLAKE" up --lake "$WORK/lake" --listen 127.0.0.1:0 --rate "$RATE" --symbols "$SYMBOLS" \
    --duration "${secs}s" > "$WORK/up.out" 2> "$WORK/up.err" &
PIDS+=($!)
up=$!
url=$(wait_line "$WORK/up.out" | sed -n 's/^ticklake up: dashboard at //p')
curl -sN "$url/api/events" > /dev/null 2>&1 &
PIDS+=($!)
: > "$WORK/rss"
while kill -0 "$up" 2>/dev/null; do
  kb=$(awk '/^VmRSS/ {print $2}' "/proc/$up/status" 2>/dev/null || true)
  [ -n "$kb" ] && echo "$SECONDS $kb" >> "$WORK/rss"
  sleep 5
done
wait "$up" || { cat "$WORK/up.err" >&2; exit 1; }
# the scheduled jobs' outcomes: a round that failed (a models run out of
# memory) makes a lower RSS that is no result
jobs=$(awk '/ schedule: [a-z]+ ok in / {ok[$4]++} / schedule: [a-z]+ failed/ {bad[$4]++; f++}
    END {for (j in ok) printf "%s ok %d, ", j, ok[j]; for (j in bad) printf "%s FAILED %d, ", j, bad[j]; if (!f) printf "none failed"}' "$WORK/up.err")
echo "scheduled jobs: $jobs"
grep ' schedule: [a-z]* failed' "$WORK/up.err" | cut -c1-300 >&2 || true
# the mean of each quarter, and its floor (the lowest sample: what stays
# between the scheduled jobs, whose runs come and go)
read -r q2 q4 f2 f4 peak n < <(awk '{t[NR] = $1; r[NR] = $2} END {
    m2 = m4 = 1e18
    for (i = 1; i <= NR; i++) { if (r[i] > pk) pk = r[i]
      if (i > NR / 4 && i <= NR / 2) { a += r[i]; na++; if (r[i] < m2) m2 = r[i] }
      if (i > 3 * NR / 4) { b += r[i]; nb++; if (r[i] < m4) m4 = r[i] } }
    printf "%d %d %d %d %d %d\n", a / na / 1024, b / nb / 1024, m2 / 1024, m4 / 1024, pk / 1024, NR }' "$WORK/rss")
growth=$(echo "scale=4; ($q4 - $q2) * 100 / $q2" | bc -l | xargs printf '%.1f')
fgrowth=$(echo "scale=4; ($f4 - $f2) * 100 / $f2" | bc -l | xargs printf '%.1f')
echo "up for $MINUTES min at $RATE ticks/s, $SYMBOLS symbols: $n RSS samples; mean $q2 MB in the 2nd quarter, $q4 MB in the last; floor $f2 -> $f4 MB; peak $peak MB"
awk '{r[NR] = $2} END {printf "mean / floor per quarter (MB):"
    for (q = 0; q < 4; q++) { s = n = 0; m = 1e18
      for (i = 1; i <= NR; i++) if (i > q * NR / 4 && i <= (q + 1) * NR / 4) { s += r[i]; n++; if (r[i] < m) m = r[i] }
      printf " Q%d %d / %d;", q + 1, s / n / 1024, m / 1024 }
    print "" }' "$WORK/rss"
awk '{printf "%s%d", (NR > 1 ? " " : "RSS MB every 5 s: "), $2 / 1024} END {print ""}' "$WORK/rss"
result "RSS of up over $MINUTES min at ${RATE}/s: 2nd quarter -> last quarter (MB)" "$q2 -> $q4" "-" "${growth}%" "flat (<= +10%)" "$(verdict "$growth" '<=' 10)"
result "  the same, floor (lowest sample) of each quarter; peak (MB)" "$f2 -> $f4; peak $peak" "-" "${fgrowth}%" "flat (<= +10%)" "$(verdict "$fgrowth" '<=' 10)"
