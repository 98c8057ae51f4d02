#!/usr/bin/env bash
# Spark (Delta 4.4) maintains a table that ticklake writes: OPTIMIZE, VACUUM,
# an append and its own checkpoints; ticklake reads all of it (from Spark's
# checkpoint), keeps streaming into the same table, and both snapshots stay
# equal. Features ticklake cannot honour (deletion vectors, v2 checkpoints,
# in-commit timestamps) are refused with an error naming them.
# The steps and checks are in tests/spark/maintain_lake.py (one Spark session).
source "$(dirname "$0")/lib.sh"
source "$TL_SOURCE_DIR/tests/spark/spark.sh"
spark_env
L=$WORK/lake

say "a lake of many small files over four hours"
for h in 09 10 11; do
  "$TICKLAKE" simulate --output - --count 4000 --rate 0 --seed "2$h" --start "2026-11-24T$h:59:58Z" \
    --faults bad=0.02,late=0.02,dup=0.02 2> /dev/null \
    | sed "s/\"seq\":/\"seq\":1$h/" \
    | "$TICKLAKE" stream --from - --source-id "sim$h" --flush-rows 400 --lake "$L" 2>> "$WORK/stream.err" \
    || { tail "$WORK/stream.err" >&2; fail "stream failed"; }
done
expect_eq "hours" "$(q "$L" 'SELECT count(DISTINCT hour) FROM ticks')" 4
# what ticklake streams after Spark's maintenance
"$TICKLAKE" simulate --output - --count 3000 --rate 0 --seed 214 --start 2026-11-24T14:59:59Z 2> /dev/null \
  | sed 's/"seq":/"seq":114/' > "$WORK/more.jsonl"

say "Spark maintains, ticklake goes on"
"$SPARK_PY" "$TL_SOURCE_DIR/tests/spark/maintain_lake.py" "$L" "$WORK/more.jsonl" \
  || fail "Spark and ticklake do not share the table"
