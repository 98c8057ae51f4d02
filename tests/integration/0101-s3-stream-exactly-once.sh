#!/usr/bin/env bash
# 0003 on s3://: broker + simulator with faults + stream --until-end into an
# S3 lake (moto_server): every tick lands once, and the S3 lake holds the
# same data as a local lake streamed from the same topic.
source "$(dirname "$0")/lib.sh"
source "$TL_SOURCE_DIR/tests/tools/moto.sh"
start_moto lake
start_broker 4

say "simulate 100000 ticks with faults"
"$TICKLAKE" simulate --brokers "$BROKERS" --topic ticks --count 100000 --rate 0 --seed 3 \
  --faults bad=0.01,dup=0.01,late=0.01 --stats-json "$WORK/sim.json" 2> "$WORK/sim.err"
sent=$(json "$WORK/sim.json" sent); bad=$(json "$WORK/sim.json" bad)
dup=$(json "$WORK/sim.json" dup); late=$(json "$WORK/sim.json" late)

L=s3://lake/kafka
say "stream until the end into $L and into a local folder"
"$TICKLAKE" stream --brokers "$BROKERS" --topic ticks --group g-s3 --lake "$L" --until-end \
  --stats-json "$WORK/stream.json" 2> "$WORK/stream.err" || { cat "$WORK/stream.err"; fail "stream failed"; }
"$TICKLAKE" stream --brokers "$BROKERS" --topic ticks --group g-local --lake "$WORK/local" --until-end \
  2> "$WORK/stream-local.err" || { cat "$WORK/stream-local.err"; fail "local stream failed"; }

expect_eq "rows in ticks" "$(q "$L" 'SELECT count(*) FROM ticks')" $((sent - bad - dup))
expect_eq "(symbol, seq) repeated" "$(q "$L" 'SELECT count(*) FROM (SELECT symbol, seq FROM ticks GROUP BY ALL HAVING count(*) > 1)')" 0
expect_eq "dead letters" "$(q "$L" 'SELECT count(*) FROM deadletter')" "$bad"
expect_eq "late rows" "$(q "$L" 'SELECT count(*) FROM ticks WHERE late')" "$late"
expect_eq "duplicates counted" "$(json "$WORK/stream.json" duplicates)" "$dup"
ROWS="SELECT md5(string_agg(concat_ws('|', symbol, seq, price, src_partition, src_offset, late), ',' ORDER BY src_partition, src_offset)) FROM ticks"
expect_eq "same rows as the local lake (digest)" "$(q "$L" "$ROWS")" "$(q "$WORK/local" "$ROWS")"
DL="SELECT md5(string_agg(concat_ws('|', src_partition, src_offset, reason), ',' ORDER BY src_partition, src_offset)) FROM deadletter"
expect_eq "same dead letters as the local lake (digest)" "$(q "$L" "$DL")" "$(q "$WORK/local" "$DL")"

say "a second run finds nothing new and changes nothing"
v1=$(json "$WORK/stream.json" lake_version)
"$TICKLAKE" stream --brokers "$BROKERS" --topic ticks --group g-s3 --lake "$L" --until-end \
  --stats-json "$WORK/stream2.json" 2> "$WORK/stream2.err"
expect_eq "rows after second run" "$(q "$L" 'SELECT count(*) FROM ticks')" $((sent - bad - dup))
expect_eq "lake version after second run" "$(json "$WORK/stream2.json" lake_version)" "$v1"
