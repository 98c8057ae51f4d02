#!/usr/bin/env bash
# Tick -> queryable latency with the default flush settings: `ticklake
# simulate` produces RATE ticks/s to the dev broker, each stamped with the
# wall clock when it is produced (its event time); `ticklake stream` (group
# mode, default flush: every 1 s or 100,000 rows) writes them to a lake.
# A tick becomes queryable when the Delta commit that adds its file exists
# (a query's snapshot is the log's files): latency = the commit file's
# mtime (ns, taken when it is linked into place) - the tick's event time, for
# every tick produced in the measured window. p50/p99/max in ms.
#   RATE=10000 SECONDS_RUN=60 (after a 5 s warm-up)
# A final `ticklake query` checks that the lake holds every produced tick.
source "$(dirname "$0")/lib.sh"
RATE=${RATE:-10000}
SECONDS_RUN=${SECONDS_RUN:-60}
WARM=5
L="$WORK/lake"
"$TICKLAKE" broker --partitions 4 > "$WORK/broker.out" 2>/dev/null &
PIDS+=($!)
B=$(wait_line "$WORK/broker.out")
"$TICKLAKE" stream --brokers "$B" --topic ticks --group qbench --lake "$L" 2> "$WORK/stream.err" &
PIDS+=($!)
stream=$!
sleep 4 # the group join (the dev broker's initial rebalance delay is 3 s)
t0=$(date +%s%N)
"$TICKLAKE" simulate --brokers "$B" --topic ticks --rate "$RATE" --seed 1 \
    --duration "$((WARM + SECONDS_RUN + 3))s" 2>/dev/null
sleep 3
kill -INT "$stream"; wait "$stream" || { cat "$WORK/stream.err" >&2; exit 1; }

# every commit's adds, with the commit file's mtime
python3 - "$L/ticks" > "$WORK/commits.csv" <<'EOF'
import json, os, sys, urllib.parse
root = sys.argv[1]
log = os.path.join(root, "_delta_log")
print("path,commit_us")
for f in sorted(os.listdir(log)):
    if not f.endswith(".json"):
        continue
    t_us = os.stat(os.path.join(log, f)).st_mtime_ns // 1000
    for line in open(os.path.join(log, f)):
        a = json.loads(line).get("add")
        if a:
            print("%s,%d" % (os.path.join(root, urllib.parse.unquote(a["path"])), t_us))
EOF
lo=$((t0 / 1000 + WARM * 1000000)); hi=$((lo + SECONDS_RUN * 1000000))
read -r n p50 p99 max < <("$TICKLAKE" query --lake "$WORK/empty" --format csv "
  SELECT count(*), round(quantile_cont(lat, 0.5) / 1000, 1), round(quantile_cont(lat, 0.99) / 1000, 1),
         round(max(lat) / 1000, 1)
  FROM (SELECT c.commit_us - epoch_us(t.ts) AS lat
        FROM read_parquet('$L/ticks/year=*/*/*/*/*.parquet', filename = true, hive_partitioning = false) t
        JOIN read_csv('$WORK/commits.csv', header = true) c ON t.filename = c.path
        WHERE epoch_us(t.ts) BETWEEN $lo AND $hi)" | sed -n 2p | tr ',' ' ')
total=$("$TICKLAKE" query --lake "$L" --format csv "SELECT count(*) FROM ticks" | sed -n 2p)
commits=$(grep -c . "$WORK/commits.csv")
echo "stream (default flush) at $RATE ticks/s: $total ticks in the lake, $((commits - 1)) files"
echo "tick -> queryable over $n ticks: p50 $p50 ms, p99 $p99 ms, max $max ms"
result "tick -> queryable p50 / max at ${RATE}/s (ms)" "$p50 / $max" "-" "$p50 / $max" "-" "-"
result "tick -> queryable p99 at ${RATE}/s (ms)" "$p99" "-" "$p99 ms" "<= 2000 ms" "$(verdict "$p99" '<=' 2000)"
