#!/usr/bin/env bash
# RSS of `ticklake up` over a long run: flat, not growing. `up` (dev broker,
# simulator at RATE, stream, dashboard, scheduler) runs MINUTES minutes; its
# RSS (VmRSS) is sampled every SAMPLE seconds. One SSE client stays
# connected throughout, as a dashboard page would.
#
# What "flat" means here. The scheduled jobs (compaction, models on DuckDB)
# take hundreds of MB while they run and give it back after, so RSS is a
# saw-tooth whose mean follows whether a job round falls in a window; a mean
# per quarter said "growing" whenever the last quarter held a round. So the
# run is cut at its job rounds (from the scheduler's "started" / "ok in"
# lines in up's log; jobs within 10 s of each other are one round):
#   floor: the lowest sample between two rounds (what stays when no job
#          runs), from intervals of 30 s or more
#   peak:  the highest sample of a round
# and bench/up_rss.py fits a line (least squares) through the floors, and one
# through the peaks, from the end of the FIRST job round on (before it is
# warm-up: buffers and the live state fill, and the first job maps DuckDB's
# library and makes its arenas, a one-time step of ~50 MB). Verdict "flat"
# when the floors' slope is at most TOL_MB_MIN (default 0.5 MB/min, i.e.
# 5 MB over 10 minutes: a floor moves by 2-5 MB from one quiet moment to the
# next with the stream's batches in flight, which over the ~8 minutes of
# the fit is up to ~0.5 MB/min of slope from noise alone). "n/a" with fewer
# than 3 floors: that is why the jobs run every JOBS_EVERY (default 120s,
# 4-5 rounds in 10 minutes) unless TICKLAKE_SCHEDULE_COMPACT / _MODELS are
# set. The raw series (RSS every SAMPLE s, floors, peaks) are printed. A
# benchmark, not a test: the figure depends on the machine's load (a loaded
# machine stretches the rounds, leaving fewer floors).
#   MINUTES=10 RATE=10000 SYMBOLS=1000 SAMPLE=2 JOBS_EVERY=120s TOL_MB_MIN=0.5
#   (MINUTES=1 for a quick look: no round, no verdict)
#   any setting through its environment variable, e.g. TICKLAKE_SCHEDULE_VACUUM='@every 300s'
source "$(dirname "$0")/lib.sh"
MINUTES=${MINUTES:-10}
RATE=${RATE:-10000}
SYMBOLS=${SYMBOLS:-1000}
SAMPLE=${SAMPLE:-2}
TOL_MB_MIN=${TOL_MB_MIN:-0.5}
export TICKLAKE_SCHEDULE_COMPACT=${TICKLAKE_SCHEDULE_COMPACT:-@every ${JOBS_EVERY:-120s}}
export TICKLAKE_SCHEDULE_MODELS=${TICKLAKE_SCHEDULE_MODELS:-@every ${JOBS_EVERY:-120s}}
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
  [ -n "$kb" ] && echo "$(date +%s.%N) $kb" >> "$WORK/rss"
  sleep "$SAMPLE"
done
wait "$up" || { cat "$WORK/up.err" >&2; exit 1; }
# the scheduled jobs' outcomes: a round that failed (a models run out of
# memory) makes a lower RSS that is no result
jobs=$(awk '/ schedule: [a-z]+ ok in / {ok[$4]++} / schedule: [a-z]+ failed/ {bad[$4]++; f++}
    END {for (j in ok) printf "%s ok %d, ", j, ok[j]; for (j in bad) printf "%s FAILED %d, ", j, bad[j]; if (!f) printf "none failed"}' "$WORK/up.err")
echo "scheduled jobs: $jobs"
grep ' schedule: [a-z]* failed' "$WORK/up.err" | cut -c1-300 >&2 || true
[ -n "${KEEP:-}" ] && cp "$WORK/rss" "$KEEP.rss" && cp "$WORK/up.err" "$KEEP.log"
echo "up for $MINUTES min at $RATE ticks/s, $SYMBOLS symbols, jobs: compact '$TICKLAKE_SCHEDULE_COMPACT', models '$TICKLAKE_SCHEDULE_MODELS'"
awk '{r[NR] = $2} END {printf "mean / lowest per quarter (MB, context only):"
    for (q = 0; q < 4; q++) { s = n = 0; m = 1e18
      for (i = 1; i <= NR; i++) if (i > q * NR / 4 && i <= (q + 1) * NR / 4) { s += r[i]; n++; if (r[i] < m) m = r[i] }
      if (n) printf " Q%d %d / %d;", q + 1, s / n / 1024, m / 1024 }
    print "" }' "$WORK/rss"
awk -v s="$SAMPLE" '{printf "%s%d", (NR > 1 ? " " : "RSS MB every " s " s: "), $2 / 1024} END {print ""}' "$WORK/rss"
python3 "$ROOT/bench/up_rss.py" "$WORK/rss" "$WORK/up.err" "$TOL_MB_MIN" | tee "$WORK/verdict"
read -r _ fs fr ps nf v < <(grep '^VERDICT' "$WORK/verdict")
peak=$(awk '$2 > m {m = $2} END {printf "%d", m / 1024}' "$WORK/rss")
result "RSS of up over $MINUTES min at ${RATE}/s: floor between job rounds, slope after the 1st round (MB/min; MB/round)" \
    "$fs; $fr" "-" "$fs MB/min over $nf floors" "flat (<= +$TOL_MB_MIN MB/min)" "$v"
result "  the same, peak of each round, slope (MB/min); peak of the run (MB)" "$ps; $peak" "-" "-" "-" "-"
