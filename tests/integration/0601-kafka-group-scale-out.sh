#!/usr/bin/env bash
# Consumer-group scale-out on a real 3-broker Kafka cluster: a 12-partition
# topic (replication factor 3), two `ticklake stream` processes in one group
# share it while the simulator produces; one is SIGKILLed mid-run, after both
# have committed to the lake; the survivor takes its partitions and resumes
# them where the lake says. At the end every tick is in the lake once: 0
# lost, 0 duplicated.
source "$(dirname "$0")/lib.sh"
source "$TL_SOURCE_DIR/tests/tools/kafka.sh"
L=$WORK/lake
KX=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500)

start_kafka --brokers 3
kafka create-topic --topic ticks --partitions 12 --replication-factor 3 --config min.insync.replicas=2

say "the simulator produces for ~20 s; streams A and B share the group"
"$TICKLAKE" simulate --brokers "$BROKERS" --topic ticks --count 60000 --rate 3000 --seed 11 \
  --faults bad=0.005,dup=0.005 --stats-json "$WORK/sim.json" 2> "$WORK/sim.err" &
SIMPID=$!
PIDS+=($SIMPID)
stream() { # NAME [ARG...]
  local name=$1
  shift
  "$TICKLAKE" stream --brokers "$BROKERS" --topic ticks --lake "$L" --flush-interval 500ms "${KX[@]}" \
    "$@" 2> "$WORK/$name.err" &
  PIDS+=($!)
}
stream A --log-level debug; PA=$! # its commits show in its log
stream B; PB=$!

say "wait until A and B share the group"
# B can commit all 12 partitions before A's join lands (A's first JoinGroup
# may miss the group's first generation on a loaded machine; the group
# then rebalances): the kill below needs both to have held partitions
both_assigned() { grep -q "assigned" "$WORK/A.err" && grep -q "assigned" "$WORK/B.err"; }
poll_until 60 both_assigned || true # the checks below name who never got one
a_committed() { grep -q "committed epoch" "$WORK/A.err"; }
poll_until 60 a_committed || true

say "wait until every one of the 12 partitions has a commit in the lake"
committed() { # distinct partitions with a txn in the Delta log
  cat "$L"/ticks/_delta_log/*.json 2> /dev/null | grep -o '"appId":"ticklake/ticks/[0-9]*"' | sort -u | wc -l
}
all_committed() { [ "$(committed)" -ge 12 ]; }
poll_until 60 all_committed || true # the expect_eq below names the shortfall
expect_eq "partitions with a commit" "$(committed)" 12
grep -q "assigned" "$WORK/A.err" || fail "A was never assigned a partition"
grep -q "assigned" "$WORK/B.err" || fail "B was never assigned a partition"
a_committed || fail "A never committed to the lake"
kill -0 "$SIMPID" 2> /dev/null || fail "the simulator finished before the kill: not mid-run"

say "SIGKILL A mid-run"
kill -KILL "$PA"
wait "$PA" 2> /dev/null || true
b_lines=$(wc -l < "$WORK/B.err")
rc=0
wait "$SIMPID" || rc=$?
expect_eq "simulator exit code" "$rc" 0
sent=$(json "$WORK/sim.json" sent); bad=$(json "$WORK/sim.json" bad); dup=$(json "$WORK/sim.json" dup)
expect_eq "acknowledged by the brokers" "$(json "$WORK/sim.json" delivered)" "$sent"
want=$((sent - bad - dup))

say "B takes A's partitions and catches up"
rows=0
has_all() { rows=$(q "$L" 'SELECT count(*) FROM ticks'); [ "$rows" -ge "$want" ]; }
poll_until 150 has_all || true # the checks below name what is missing
expect_eq "partitions assigned to B after the kill" \
  "$(tail -n +"$((b_lines + 1))" "$WORK/B.err" | sed -n 's/.*source: partition \([0-9]*\) assigned.*/\1/p' | sort -u | wc -l)" 12
kill -INT "$PB"
rc=0
wait "$PB" || rc=$?
expect_eq "B's exit code after SIGINT" "$rc" 0

# repeats first: a duplicate would fail the row count without naming itself
expect_unique_ticks "(symbol, seq) repeated (0 duplicated)" "$L"
expect_eq "rows in ticks (0 lost)" "$(q "$L" 'SELECT count(*) FROM ticks')" "$want"
expect_eq "dead letters" "$(q "$L" 'SELECT count(*) FROM deadletter')" "$bad"
expect_eq "messages in the topic" "$(topic_count ticks)" "$sent"
