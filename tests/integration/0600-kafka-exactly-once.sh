#!/usr/bin/env bash
# A real Apache Kafka broker (KRaft, scripts/kafka): simulate (an idempotent
# producer) -> Kafka -> stream --until-end -> lake. Every (symbol, seq) once,
# dead letters with their reasons, and the counts of the simulator, the
# broker, the stream and the lake agree. Then `up --brokers` runs the whole
# pipeline against the same broker instead of the dev broker.
source "$(dirname "$0")/lib.sh"
source "$TL_SOURCE_DIR/tests/tools/kafka.sh"
L=$WORK/lake

start_kafka --brokers 1 --partitions 4

say "simulate 100000 ticks with faults into Kafka"
SIM=(--count 100000 --rate 0 --seed 7 --faults bad=0.01,dup=0.01,late=0.01)
"$TICKLAKE" simulate --brokers "$BROKERS" --topic ticks "${SIM[@]}" --stats-json "$WORK/sim.json" 2> "$WORK/sim.err" \
  || { tail -5 "$WORK/sim.err" >&2; fail "simulate failed"; }
sent=$(json "$WORK/sim.json" sent); bad=$(json "$WORK/sim.json" bad)
dup=$(json "$WORK/sim.json" dup); late=$(json "$WORK/sim.json" late)
expect_eq "simulator sent" "$sent" 100000
expect_eq "acknowledged by the broker" "$(json "$WORK/sim.json" delivered)" "$sent"
expect_eq "messages in the topic (kcat)" "$(topic_count ticks)" "$sent"

say "the broker's log: every batch carries a producer id (the producer was idempotent)"
for p in 0 1 2 3; do
  kafka tool org.apache.kafka.tools.DumpLogSegments --files "$KAFKA_DIR/node-1/data/ticks-$p/00000000000000000000.log"
done > "$WORK/dump.txt" 2> "$WORK/dump.err" || { cat "$WORK/dump.err" >&2; fail "DumpLogSegments failed"; }
batches=$(grep -c '^baseOffset:' "$WORK/dump.txt" || true)
[ "$batches" -gt 0 ] || fail "no batches in the dump"
expect_eq "batches without a producer id" "$(grep '^baseOffset:' "$WORK/dump.txt" | grep -vc ' producerId: [0-9]' || true)" 0
expect_eq "messages in the dumped batches" \
  "$(grep -o ' count: [0-9]*' "$WORK/dump.txt" | awk '{s += $2} END {print s}')" "$sent"

say "stream until the end"
"$TICKLAKE" stream --brokers "$BROKERS" --topic ticks --lake "$L" --until-end \
  --stats-json "$WORK/stream.json" 2> "$WORK/stream.err" || { tail -5 "$WORK/stream.err" >&2; fail "stream failed"; }
expect_eq "received by the stream" "$(json "$WORK/stream.json" received)" "$sent"
expect_eq "accepted" "$(json "$WORK/stream.json" accepted)" $((sent - bad - dup))
expect_eq "rejected" "$(json "$WORK/stream.json" rejected)" "$bad"
expect_eq "duplicates" "$(json "$WORK/stream.json" duplicates)" "$dup"
expect_eq "rows in ticks" "$(q "$L" 'SELECT count(*) FROM ticks')" $((sent - bad - dup))
expect_eq "(symbol, seq) repeated" "$(q "$L" 'SELECT count(*) FROM (SELECT symbol, seq FROM ticks GROUP BY ALL HAVING count(*) > 1)')" 0
expect_eq "late rows" "$(q "$L" 'SELECT count(*) FROM ticks WHERE late')" "$late"
expect_eq "dead letters with a reason, their bytes and offset" \
  "$(q "$L" "SELECT count(*) FROM deadletter WHERE reason <> '' AND raw_base64 <> '' AND src_offset >= 0")" "$bad"
expect_eq "dead letters in all" "$(q "$L" 'SELECT count(*) FROM deadletter')" "$bad"

say "the same ticks as a file, streamed without Kafka, give the same lake"
"$TICKLAKE" simulate --output - "${SIM[@]}" > "$WORK/ticks.jsonl" 2> /dev/null
"$TICKLAKE" stream --from "$WORK/ticks.jsonl" --lake "$WORK/lake-file" 2> "$WORK/file.err" \
  || { tail -5 "$WORK/file.err" >&2; fail "stream --from failed"; }
# (the simulated clock is the wall clock, so ts differs between the runs)
for sql in 'SELECT count(*), count(DISTINCT (symbol, seq)), sum(seq), sum(hash(symbol, seq, price, size)) FROM ticks' \
  'SELECT count(*) FILTER (WHERE late), sum(price)::VARCHAR FROM ticks' \
  "SELECT string_agg(reason || '=' || n, ',' ORDER BY reason) FROM (SELECT reason, count(*) n FROM deadletter GROUP BY reason)"; do
  expect_eq "$sql (Kafka = file)" "$("$TICKLAKE" query --lake "$L" --format csv "$sql" | sed -n 2p)" \
    "$("$TICKLAKE" query --lake "$WORK/lake-file" --format csv "$sql" | sed -n 2p)"
done

say "a second run finds nothing new"
"$TICKLAKE" stream --brokers "$BROKERS" --topic ticks --lake "$L" --until-end 2> "$WORK/stream2.err" \
  || { tail -5 "$WORK/stream2.err" >&2; fail "second stream failed"; }
expect_eq "rows after the second run" "$(q "$L" 'SELECT count(*) FROM ticks')" $((sent - bad - dup))

say "up --brokers: the whole pipeline on the external Kafka"
mkdir "$WORK/up" && cd "$WORK/up"
start_up --brokers "$BROKERS" --topic up-ticks --duration 4 --symbols 20 --rate 2000 --lake ./lake
grep -q "broker $BROKERS, topic up-ticks" up.out || fail "up does not use the external Kafka: $(cat up.out)"
rc=0
wait "$UP" || rc=$?
expect_eq "up exit code" "$rc" 0
delivered=$(sed -n 's/^ticklake up: stopped cleanly; \([0-9]*\) ticks delivered$/\1/p' up.err)
[ "${delivered:-0}" -gt 1000 ] || fail "up delivered only '${delivered}' ticks: $(tail -3 up.err)"
expect_eq "messages in the external topic = delivered by up" "$(topic_count up-ticks)" "$delivered"
read -r received accepted dups < <(sed -n 's/^ticklake stream: received \([0-9]*\), accepted \([0-9]*\),.* duplicates \([0-9]*\),.*/\1 \2 \3/p' up.err)
expect_eq "received by up's stream" "$received" "$delivered"
expect_eq "ticks + dead letters + duplicates = delivered" \
  $(($(q ./lake 'SELECT count(*) FROM ticks') + $(q ./lake 'SELECT count(*) FROM deadletter') + dups)) "$delivered"
expect_eq "lake ticks = accepted" "$(q ./lake 'SELECT count(*) FROM ticks')" "$accepted"
expect_eq "(symbol, seq) repeated in up's lake" "$(q ./lake 'SELECT count(*) FROM (SELECT symbol, seq FROM ticks GROUP BY ALL HAVING count(*) > 1)')" 0
