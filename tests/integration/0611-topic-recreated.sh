#!/usr/bin/env bash
# A topic deleted and recreated under a lake, on a real Kafka (scripts/kafka).
# With MORE messages than the lake's offsets, resuming at the lake's offsets
# would silently skip the new topic's first messages: the stream compares
# the messages before its position with the lake's rows there, refuses with
# a clear error (exit 1, the lake untouched), and with --reset-topic reads
# the new topic from its beginning: every new message lands, once. A run
# after that resumes without complaint. The same for a topic recreated with
# FEWER messages (its offsets went back).
source "$(dirname "$0")/lib.sh"
source "$TL_SOURCE_DIR/tests/tools/kafka.sh"
L=$WORK/lake
rows() { q "$L" 'SELECT count(*) FROM ticks'; }
dead() { q "$L" 'SELECT count(*) FROM deadletter'; }
stream() { "$TICKLAKE" stream --brokers "$BROKERS" --topic ticks --lake "$L" --until-end "$@"; }

start_kafka --brokers 1
# kafka.sh's EXIT trap stops at its `(exit "$rc")` under set -e when a test
# fails, before lib.sh's cleanup: kill what this test started first
trap 'rc=$?; set +e; for p in "${PIDS[@]}"; do kill "$p" 2> /dev/null; done; (exit $rc); kafka_exit' EXIT

recreate() { # delete topic ticks, wait until it is gone, create it again (2 partitions)
  kafka topics --delete --topic ticks > /dev/null 2>&1
  for _ in $(seq 100); do
    kafka topics --list 2> /dev/null | grep -qx ticks || break
    sleep 0.3
  done
  for _ in $(seq 30); do # "marked for deletion" for a moment after the list forgets it
    kafka create-topic --topic ticks --partitions 2 --replication-factor 1 > /dev/null 2>&1 && return 0
    sleep 0.5
  done
  fail "cannot create topic ticks again"
}

# produce N SEED PREFIX: N simulated ticks through kcat, their seqs made
# new (PREFIX written before each) so that dedupe keeps them
produce() {
  "$TICKLAKE" simulate --output - --count "$1" --seed "$2" 2> /dev/null \
    | sed -E "s/\"seq\":([0-9]+)/\"seq\":$3\\1/" | kcat -P -b "$BROKERS" -t ticks
}

kafka create-topic --topic ticks --partitions 2 --replication-factor 1
say "the first topic: 3000 ticks with faults, streamed to the end"
"$TICKLAKE" simulate --brokers "$BROKERS" --topic ticks --count 3000 --rate 0 --seed 5 \
  --faults bad=0.02 --stats-json "$WORK/sim.json" 2> "$WORK/sim.err" \
  || { tail -3 "$WORK/sim.err" >&2; fail "simulate failed"; }
# each partition ends with a record the codec rejects: the check then
# compares a dead letter's bytes at the lake's last offset
for p in 0 1; do echo "not a tick $p" | kcat -P -b "$BROKERS" -t ticks -p "$p"; done
bad=$(($(json "$WORK/sim.json" bad) + 2))
stream 2> "$WORK/s1.err" || { tail -5 "$WORK/s1.err" >&2; fail "first stream failed"; }
rows1=$(rows)
expect_eq "rows after the first topic" "$rows1" $((3000 - bad + 2))
expect_eq "dead letters after the first topic" "$(dead)" "$bad"
expect_eq "dead letters at the end of each partition" \
  "$(q "$L" "SELECT count(*) FROM deadletter WHERE raw LIKE 'not a tick %'")" 2
stream --stats-json "$WORK/s1b.json" --log-level debug 2> "$WORK/s1b.err" \
  || { tail -5 "$WORK/s1b.err" >&2; fail "a second run on the same topic was refused"; }
expect_eq "received by a second run on the same topic" "$(json "$WORK/s1b.json" received)" 0
expect_eq "partitions checked, a dead letter among what agreed" "$(grep -c \
  'partition [01], offsets [0-9]*\.\.[0-9]*: the lake holds [0-9]* ticks and [1-9][0-9]* dead letters there; [1-9][0-9]* offsets compared, they agree' \
  "$WORK/s1b.err")" 2

say "delete the topic, recreate it with MORE messages (8000) than the lake's offsets"
recreate
produce 8000 6 100000
expect_eq "messages in the new topic" "$(topic_count ticks)" 8000
log_before=$(ls "$L/ticks/_delta_log" | wc -l)
rc=0
stream 2> "$WORK/s2.err" || rc=$?
expect_eq "exit code on the recreated topic" "$rc" 1
grep "ticklake stream:" "$WORK/s2.err" | head -1 >&2
grep -q "ticklake stream: topic ticks, partition [01] is not what the lake read: at offset [0-9]* the lake holds .* but the topic holds .*Was the topic deleted and recreated? Nothing was read from it.*--reset-topic" \
  "$WORK/s2.err" || fail "no clear error: $(grep 'ticklake stream:' "$WORK/s2.err" | head -2)"
expect_eq "rows (lake untouched)" "$(rows)" "$rows1"
expect_eq "commits (lake untouched)" "$(ls "$L/ticks/_delta_log" | wc -l)" "$log_before"

say "--reset-topic: the new topic from its beginning, every message once"
stream --reset-topic --stats-json "$WORK/s3.json" 2> "$WORK/s3.err" \
  || { tail -5 "$WORK/s3.err" >&2; fail "stream --reset-topic failed"; }
expect_eq "partitions reset, loudly" "$(grep -c 'RESET (--reset-topic): topic ticks, partition [01] was recreated' "$WORK/s3.err")" 2
expect_eq "received" "$(json "$WORK/s3.json" received)" 8000
expect_eq "rows from the new topic" "$(q "$L" 'SELECT count(*) FROM ticks WHERE seq > 1000000')" 8000
expect_eq "rows in all" "$(rows)" $((rows1 + 8000))
expect_eq "(symbol, seq) repeated" \
  "$(q "$L" 'SELECT count(*) FROM (SELECT symbol, seq FROM ticks GROUP BY ALL HAVING count(*) > 1)')" 0
expect_eq "dead letters (the old ones)" "$(dead)" "$bad"

say "a later run: the topic is what the lake read, nothing new"
stream --stats-json "$WORK/s4.json" 2> "$WORK/s4.err" || { tail -5 "$WORK/s4.err" >&2; fail "stream after the reset failed"; }
expect_eq "received after the reset" "$(json "$WORK/s4.json" received)" 0
grep -q "RESET" "$WORK/s4.err" && fail "a reset without --reset-topic"

say "recreated with FEWER messages (its offsets went back): refused, then reset"
recreate
produce 300 7 200000
rc=0
stream 2> "$WORK/s5.err" || rc=$?
expect_eq "exit code on the shorter topic" "$rc" 1
grep -q "ticklake stream: topic ticks, partition [01] is not what the lake read: the lake holds up to offset [0-9]* but the topic ends at [0-9]*: its offsets went back" \
  "$WORK/s5.err" || fail "no clear error: $(grep 'ticklake stream:' "$WORK/s5.err" | head -2)"
stream --reset-topic --stats-json "$WORK/s6.json" 2> "$WORK/s6.err" \
  || { tail -5 "$WORK/s6.err" >&2; fail "second --reset-topic failed"; }
expect_eq "received after the second reset" "$(json "$WORK/s6.json" received)" 300
expect_eq "rows from the third topic" "$(q "$L" "SELECT count(*) FROM ticks WHERE seq::VARCHAR LIKE '200000%'")" 300
expect_eq "rows in all at the end" "$(rows)" $((rows1 + 8000 + 300))
