#!/usr/bin/env bash
# Spark Structured Streaming (Delta source) downstream of a lake that ticklake
# keeps: while `ticklake stream` appends ticks from the dev broker and
# `ticklake compact` rewrites the open hour (dataChange=false commits), a
# Spark streaming query receives every tick of the lake exactly once.
# The query and its checks are in tests/spark/stream_lake.py.
source "$(dirname "$0")/lib.sh"
source "$TL_SOURCE_DIR/tests/spark/spark.sh"
spark_env
L=$WORK/lake
D=$WORK/spark
mkdir -p "$D"

say "Spark starts (one session) while ticklake creates the table"
"$SPARK_PY" "$TL_SOURCE_DIR/tests/spark/stream_lake.py" "$L" "$D" > "$WORK/spark.out" 2> "$WORK/spark.err" &
SPARK_PID=$!
PIDS+=("$SPARK_PID")
start_broker 4
"$TICKLAKE" stream --brokers "$BROKERS" --lake "$L" --flush-interval 1s > "$WORK/stream.out" 2> "$WORK/stream.err" &
STREAM=$!
PIDS+=("$STREAM")
for _ in $(seq 1500); do
  [ -e "$D/started" ] && break
  kill -0 "$SPARK_PID" 2> /dev/null || { cat "$WORK/spark.err" >&2; fail "Spark exited early"; }
  sleep 0.2
done
[ -e "$D/started" ] || { tail -20 "$WORK/spark.err" >&2; fail "Spark's streaming query did not start"; }

say "simulate -> broker -> stream, compacting the open hour meanwhile"
# The simulator runs until Spark has taken at least three micro-batches with
# rows after the first compaction commit (or its --count runs out: fail).
"$TICKLAKE" simulate --brokers "$BROKERS" --rate 1000 --count 150000 --seed 801 \
  --faults bad=0.01,late=0.01,dup=0.01,ooo=0.01 > /dev/null 2> "$WORK/sim.err" &
SIM=$!
PIDS+=("$SIM")
compactions=0
b0=""
batches() { cat "$D/progress" 2> /dev/null || echo 0; }
while kill -0 "$SIM" 2> /dev/null; do
  sleep 2
  "$TICKLAKE" compact --lake "$L" --min-files 2 --json > "$WORK/c.json" 2>> "$WORK/compact.err" \
    || { cat "$WORK/compact.err" >&2; fail "compact failed"; }
  compactions=$((compactions + $(json "$WORK/c.json" partitions)))
  [ -z "$b0" ] && [ "$compactions" -gt 0 ] && b0=$(batches)
  if [ -n "$b0" ] && [ "$compactions" -ge 2 ] && [ "$(batches)" -ge $((b0 + 3)) ]; then
    kill -INT "$SIM"
    break
  fi
done
[ -n "$b0" ] && [ "$(batches)" -ge $((b0 + 3)) ] \
  || fail "Spark ran $(batches) micro-batches with rows (${b0:-none} at the first compaction) while ticklake streamed"
wait "$SIM" || true # stopped by SIGINT
sleep 2
kill -INT "$STREAM"
wait "$STREAM" || { tail "$WORK/stream.err" >&2; fail "stream did not stop cleanly"; }
# whatever the first stream had not read yet
"$TICKLAKE" stream --brokers "$BROKERS" --lake "$L" --until-end --assign-all 2>> "$WORK/stream.err" \
  || { tail "$WORK/stream.err" >&2; fail "catch-up stream failed"; }
"$TICKLAKE" compact --lake "$L" --min-files 2 --json > "$WORK/c.json" 2>> "$WORK/compact.err"
compactions=$((compactions + $(json "$WORK/c.json" partitions)))
[ "$compactions" -ge 2 ] || fail "only $compactions compaction commits happened while Spark streamed"
# end on an append, so the last version carries data for the query to reach
"$TICKLAKE" simulate --output - --count 200 --rate 0 --seed 802 2> /dev/null \
  | sed 's/"seq":/"seq":802000/' \
  | "$TICKLAKE" stream --from - --source-id tail --lake "$L" 2>> "$WORK/stream.err" \
  || fail "the last append failed"
got=$(q "$L" 'SELECT count(*) FROM ticks')
echo "ok: $compactions compaction commits, Spark ran $(batches) micro-batches with rows ($b0 at the first compaction), $got ticks in the lake" >&2
v=$(ls "$L/ticks/_delta_log" | grep -E '^[0-9]{20}\.json$' | tail -n1 | cut -c1-20)
grep -l '"operation":"OPTIMIZE"' "$L"/ticks/_delta_log/*.json > /dev/null || fail "no OPTIMIZE commit in the log"
echo "$((10#$v))" > "$D/done"

say "the streaming query catches up and compares"
wait "$SPARK_PID" || { grep -v '^\s*at ' "$WORK/spark.err" | tail -40 >&2; fail "Spark's streaming query did not receive the lake exactly once"; }
grep -E '^(ok|FAIL)' "$WORK/spark.err" >&2
