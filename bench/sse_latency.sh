#!/usr/bin/env bash
# Tick -> dashboard SSE latency at 100k ticks/s: `ticklake up` (dev broker,
# simulator, stream, dashboard in one process) with its simulator at RATE;
# bench/sse_latency.py reads /api/events and takes, for every symbol in
# every update, arrival time minus the tick's event time (the simulator
# stamps the wall clock when it produces the tick). p50/p99/max in ms.
#   RATE=100000 SYMBOLS=50 SECONDS_RUN=30 (after a 5 s warm-up); UP_ARGS: more flags for up
# No peer: the target is absolute (p99 <= 50 ms). The dashboard sends at
# most one update per client every 150 ms (coalesced), so the figure is the
# age of the newest tick when its update arrives, not a wait for the pump.
source "$(dirname "$0")/lib.sh"
RATE=${RATE:-100000}
SYMBOLS=${SYMBOLS:-50}
SECONDS_RUN=${SECONDS_RUN:-30}
WARM=5
"$TICKLAKE" up ${UP_ARGS:-} --lake "$WORK/lake" --listen 127.0.0.1:0 --rate "$RATE" --symbols "$SYMBOLS" \
    --duration "$((SECONDS_RUN + WARM + 5))s" > "$WORK/up.out" 2> "$WORK/up.err" &
PIDS+=($!)
up=$!
url=$(wait_line "$WORK/up.out" | sed -n 's/^ticklake up: dashboard at //p')
[ -n "$url" ] || { cat "$WORK/up.out" "$WORK/up.err" >&2; exit 1; }
read -r n p50 p99 max < <(python3 "$ROOT/bench/sse_latency.py" "$url" "$WARM" "$SECONDS_RUN")
wait "$up" || { cat "$WORK/up.err" >&2; exit 1; }
delivered=$(sed -n 's/.*; \([0-9]*\) ticks delivered.*/\1/p' "$WORK/up.err")
echo "up at $RATE ticks/s target, $SYMBOLS symbols: $delivered ticks delivered in ~$((SECONDS_RUN + WARM + 5)) s"
echo "tick -> SSE latency over $n samples: p50 $p50 ms, p99 $p99 ms, max $max ms"
result "tick -> SSE p50 / max at ${RATE}/s (ms)" "$p50 / $max" "-" "$p50 / $max" "-" "-"
result "tick -> SSE p99 at ${RATE}/s (ms)" "$p99" "-" "$p99 ms" "<= 50 ms" "$(verdict "$p99" '<=' 50)"
