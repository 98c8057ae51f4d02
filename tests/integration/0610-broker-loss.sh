#!/usr/bin/env bash
# The only broker of a real Kafka (scripts/kafka) is SIGKILLed mid-stream.
# The stream goes on flushing to the lake (its Kafka offset commits are
# asynchronous: nothing waits for the broker), SIGTERM ends it within a
# bounded wait with exit 0 and every tick it read in the lake; with the
# broker back, a restart reads the rest and nothing lands twice. Then
# `--until-end` with the broker down exits 1 once --broker-timeout passes,
# naming the brokers and librdkafka's last error.
source "$(dirname "$0")/lib.sh"
source "$TL_SOURCE_DIR/tests/tools/kafka.sh"
L=$WORK/lake
rows() { q "$L" 'SELECT count(*) FROM ticks'; }
version() { ls "$L/ticks/_delta_log" | grep -c '\.json$'; }

# wait_exit PID SECONDS -> sets RC (its exit code); fails when it is still running after SECONDS
wait_exit() {
  local pid=$1 i
  for i in $(seq $(($2 * 10))); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2> /dev/null; then
    kill -KILL "$pid" 2> /dev/null || true
    fail "pid $pid still running ${2} s later"
  fi
  RC=0
  wait "$pid" || RC=$?
}

start_kafka --brokers 1
# kafka.sh's EXIT trap stops at its `(exit "$rc")` under set -e when a test
# fails, before lib.sh's cleanup: kill what this test started first
trap 'rc=$?; set +e; for p in "${PIDS[@]}"; do kill "$p" 2> /dev/null; done; (exit $rc); kafka_exit' EXIT
kafka create-topic --topic ticks --partitions 2 --replication-factor 1

say "the simulator produces, one stream reads (flushes every 4 s)"
"$TICKLAKE" simulate --brokers "$BROKERS" --topic ticks --count 400000 --rate 3000 --seed 21 \
  2> "$WORK/sim.err" &
SIMPID=$!
PIDS+=($SIMPID)
"$TICKLAKE" stream --brokers "$BROKERS" --topic ticks --lake "$L" --flush-interval 4s \
  --stats-json "$WORK/stream.json" 2> "$WORK/stream.err" &
SPID=$!
PIDS+=($SPID)
some_rows() { [ -d "$L/ticks/_delta_log" ] && [ "$(rows)" -gt 0 ]; }
wait_until 60 "ticks in the lake before the broker kill" some_rows

say "SIGKILL the only broker mid-stream, just after a flush"
v0=$(version)
newer_than() { [ "$(version)" -gt "$1" ]; }
wait_until 10 "a second flush" newer_than "$v0"
sleep 1 # ticks read now wait in the stream's buffers for the next flush
kill -0 "$SIMPID" 2> /dev/null || fail "the simulator finished before the kill: not mid-stream"
v1=$(version)
kafka kill-broker --id 1
# what was read before the kill is flushed after it: a lake commit, then an
# offset commit to a broker that is away
wait_until 15 "a lake commit after the broker kill" newer_than "$v1"
kill -0 "$SPID" 2> /dev/null || fail "the stream died with the broker: $(tail -3 "$WORK/stream.err")"
sleep 2

say "SIGTERM the stream with the broker down: it ends within a bounded wait"
t0=$(date +%s%N)
kill -TERM "$SPID"
wait_exit "$SPID" 20
echo "(the stream exited $((($(date +%s%N) - t0) / 1000000)) ms after SIGTERM)" >&2
expect_eq "stream exit code after SIGTERM, broker down" "$RC" 0
kill -KILL "$SIMPID" 2> /dev/null || true # its producer waits for the broker
wait "$SIMPID" 2> /dev/null || true
read_by_stream=$(json "$WORK/stream.json" received)
[ "$read_by_stream" -gt 0 ] || fail "the stream read nothing"
expect_eq "rows in the lake = ticks the stream read" "$(rows)" "$(json "$WORK/stream.json" accepted)"
expect_eq "accepted = read (no faults sent)" "$(json "$WORK/stream.json" accepted)" "$read_by_stream"
grep -q "committing offsets of ticks to the group failed\|were not committed to the group\|could not leave group\|without leaving its group" \
  "$WORK/stream.err" || fail "no word of the broker being away in the stream's log: $(tail -5 "$WORK/stream.err")"

say "the broker back, 5000 more ticks: a restart reads the rest, nothing twice"
kafka start-broker --id 1 > /dev/null
# new seqs (prefix 100000), so that dedupe keeps them
"$TICKLAKE" simulate --output - --count 5000 --seed 22 2> /dev/null \
  | sed -E 's/"seq":([0-9]+)/"seq":100000\1/' | kcat -P -b "$BROKERS" -t ticks
"$TICKLAKE" stream --brokers "$BROKERS" --topic ticks --lake "$L" --until-end \
  --stats-json "$WORK/stream2.json" 2> "$WORK/stream2.err" \
  || { tail -5 "$WORK/stream2.err" >&2; fail "stream --until-end after the restart failed"; }
in_topic=$(topic_count ticks)
[ "$in_topic" -ge "$read_by_stream" ] || fail "the topic holds $in_topic < $read_by_stream read"
expect_eq "rows in the lake = messages in the topic" "$(rows)" "$in_topic"
[ "$in_topic" -ge $((read_by_stream + 5000)) ] || fail "the topic holds $in_topic < $read_by_stream + 5000"
expect_eq "second run read the rest only" "$(json "$WORK/stream2.json" received)" $((in_topic - read_by_stream))
expect_eq "(symbol, seq) repeated" \
  "$(q "$L" 'SELECT count(*) FROM (SELECT symbol, seq FROM ticks GROUP BY ALL HAVING count(*) > 1)')" 0
# the asynchronous offset commits reached the group (lag monitoring): Kafka's
# own tool sees each partition's committed offset at its end
kafka tool org.apache.kafka.tools.consumer.group.ConsumerGroupCommand --bootstrap-server "$BROKERS" \
  --describe --group ticklake > "$WORK/group.txt" 2> "$WORK/group.err" \
  || { cat "$WORK/group.err" >&2; fail "ConsumerGroupCommand failed"; }
expect_eq "partitions with a committed offset at the end (lag 0)" \
  "$(awk '$2 == "ticks" && $4 == $5 && $6 == 0' "$WORK/group.txt" | wc -l)" 2

say "--until-end with the broker down: exit 1 after --broker-timeout, naming brokers and error"
kafka kill-broker --id 1
"$TICKLAKE" stream --brokers "$BROKERS" --topic ticks --lake "$L" --until-end --broker-timeout 3s \
  2> "$WORK/stream3.err" &
S3=$!
PIDS+=($S3)
t0=$(date +%s%N)
wait_exit "$S3" 60
echo "(it exited $((($(date +%s%N) - t0) / 1000000)) ms after it started)" >&2
expect_eq "stream --until-end exit code, broker down" "$RC" 1
grep "ticklake stream:" "$WORK/stream3.err" | tail -1 >&2
grep -q "ticklake stream: the Kafka brokers ($BROKERS) have been unreachable for [0-9]* s (stream.broker_timeout 3 s); last librdkafka error: ." \
  "$WORK/stream3.err" || fail "no clear error: $(tail -3 "$WORK/stream3.err")"
expect_eq "rows unchanged" "$(rows)" "$in_topic"
