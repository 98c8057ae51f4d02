#!/usr/bin/env bash
# A broker of a real 3-broker Kafka cluster is SIGKILLed mid-stream and
# started again (topic: 12 partitions, replication factor 3,
# min.insync.replicas 2). The idempotent simulator and the stream go on
# through the leader changes, and at the end every tick is in the lake once:
# 0 lost, 0 duplicated.
source "$(dirname "$0")/lib.sh"
source "$TL_SOURCE_DIR/tests/tools/kafka.sh"
L=$WORK/lake
rows() { q "$L" 'SELECT count(*) FROM ticks'; }

start_kafka --brokers 3
kafka create-topic --topic ticks --partitions 12 --replication-factor 3 --config min.insync.replicas=2

say "the simulator produces for ~20 s; one stream reads"
"$TICKLAKE" simulate --brokers "$BROKERS" --topic ticks --count 60000 --rate 3000 --seed 12 \
  --faults bad=0.005,dup=0.005 --stats-json "$WORK/sim.json" 2> "$WORK/sim.err" &
SIMPID=$!
PIDS+=($SIMPID)
"$TICKLAKE" stream --brokers "$BROKERS" --topic ticks --lake "$L" --flush-interval 500ms \
  2> "$WORK/stream.err" &
SPID=$!
PIDS+=($SPID)
for _ in $(seq 600); do [ -d "$L/ticks/_delta_log" ] && [ "$(rows)" -gt 0 ] && break; sleep 0.1; done
[ "$(rows)" -gt 0 ] || fail "nothing reached the lake before the broker kill"

say "SIGKILL broker 2 mid-stream"
kill -0 "$SIMPID" 2> /dev/null || fail "the simulator finished before the kill: not mid-stream"
kafka kill-broker --id 2
before=$(rows)
for _ in $(seq 200); do [ "$(rows)" -gt "$before" ] && break; sleep 0.1; done
[ "$(rows)" -gt "$before" ] || fail "the stream made no progress with broker 2 down"
echo "ok: the lake grew with broker 2 down ($before -> $(rows) rows)" >&2
under_replicated() {
  kafka topics --describe --under-replicated-partitions --topic ticks 2> /dev/null | grep -c 'Partition:' || true
}
# the controller fences the dead broker after its session (9 s) times out
for _ in $(seq 30); do
  under=$(under_replicated)
  [ "$under" -gt 0 ] && break
  sleep 1
done
[ "$under" -gt 0 ] || fail "no under-replicated partition with a broker down: was it killed?"
echo "ok: $under partitions under-replicated with broker 2 down" >&2

say "start broker 2 again"
kafka start-broker --id 2 > /dev/null
kill -0 "$SPID" 2> /dev/null || fail "the stream died during the broker outage: $(tail -3 "$WORK/stream.err")"
rc=0
wait "$SIMPID" || rc=$?
expect_eq "simulator exit code" "$rc" 0
sent=$(json "$WORK/sim.json" sent); bad=$(json "$WORK/sim.json" bad); dup=$(json "$WORK/sim.json" dup)
expect_eq "acknowledged by the brokers" "$(json "$WORK/sim.json" delivered)" "$sent"
want=$((sent - bad - dup))
for _ in $(seq 300); do [ "$(rows)" -ge "$want" ] && break; sleep 0.5; done
kill -INT "$SPID"
rc=0
wait "$SPID" || rc=$?
expect_eq "stream exit code after SIGINT" "$rc" 0

expect_eq "rows in ticks (0 lost)" "$(rows)" "$want"
expect_eq "(symbol, seq) repeated (0 duplicated)" \
  "$(q "$L" 'SELECT count(*) FROM (SELECT symbol, seq FROM ticks GROUP BY ALL HAVING count(*) > 1)')" 0
expect_eq "dead letters" "$(q "$L" 'SELECT count(*) FROM deadletter')" "$bad"
expect_eq "messages in the topic" "$(topic_count ticks)" "$sent"
for _ in $(seq 60); do
  under=$(under_replicated)
  [ "$under" = 0 ] && break
  sleep 1
done
expect_eq "under-replicated partitions after the restart" "$under" 0
