#!/usr/bin/env bash
# Apache Spark (pyspark 4.2 + Delta Lake 4.4, spark.read.format("delta")) reads
# lakes that ticklake wrote and gets ticklake's figures: a local lake after
# compaction, vacuum and log cleanup (so Spark must start from ticklake's
# checkpoint), and an S3 lake (moto) through s3a with its many small files.
# The comparisons are in tests/spark/read_lake.py (one Spark session).
source "$(dirname "$0")/lib.sh"
source "$TL_SOURCE_DIR/tests/tools/moto.sh"
source "$TL_SOURCE_DIR/tests/spark/spark.sh"
spark_env

# make_lake LAKE COUNT: four hour partitions of ticks with bad, late, duplicate and
# out-of-order messages, flushed in small commits (so checkpoints get written)
make_lake() {
  for h in 09 10 11; do
    # one simulator run per hour, seq made unique per run (the stream drops
    # repeated (symbol, seq) pairs)
    "$TICKLAKE" simulate --output - --count "$2" --rate 0 --seed "1$h" --start "2026-11-24T$h:59:57Z" \
      --faults bad=0.02,late=0.02,dup=0.02,ooo=0.02 2> /dev/null \
      | sed "s/\"seq\":/\"seq\":1$h/" \
      | "$TICKLAKE" stream --from - --source-id "sim$h" --flush-rows 500 --lake "$1" 2>> "$WORK/stream.err" \
      || { tail "$WORK/stream.err" >&2; fail "stream into $1 failed"; }
  done
}

L=$WORK/lake
say "a local lake, compacted, vacuumed, its log cleaned up behind ticklake's checkpoint"
make_lake "$L" 5000
"$TICKLAKE" compact --lake "$L" --json > "$WORK/compact.json" 2> "$WORK/compact.err" \
  || { cat "$WORK/compact.err" >&2; fail "compact failed"; }
[ "$(json "$WORK/compact.json" partitions)" -ge 4 ] || fail "expected four compacted hours: $(cat "$WORK/compact.json")"
"$TICKLAKE" vacuum --lake "$L" --retain 0s --log-retention 0s > "$WORK/vacuum.out" 2>&1 \
  || { cat "$WORK/vacuum.out" >&2; fail "vacuum failed"; }
for t in ticks deadletter; do
  ls "$L/$t/_delta_log" | grep -q '\.checkpoint\.parquet$' || fail "$t: no checkpoint"
  [ ! -e "$L/$t/_delta_log/00000000000000000000.json" ] || fail "$t: version 0 was not cleaned up"
done
echo "ok: checkpoints $(ls "$L/ticks/_delta_log" | grep -c checkpoint) (ticks), version 0 expired" >&2
expect_eq "dead letters" "$(q "$L" 'SELECT count(*) > 100 FROM deadletter')" true
expect_eq "late ticks" "$(q "$L" 'SELECT count(*) > 50 FROM ticks WHERE late')" true

say "an S3 lake (moto), read by Spark through s3a"
start_moto lake
make_lake s3://lake/l1 3000

say "Spark reads both"
"$SPARK_PY" "$TL_SOURCE_DIR/tests/spark/read_lake.py" \
  --lake local "$L" "$L" \
  --lake s3 s3://lake/l1 s3a://lake/l1 \
  || fail "Spark and ticklake disagree"
