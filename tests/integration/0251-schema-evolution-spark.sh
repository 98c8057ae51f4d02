#!/usr/bin/env bash
# Spark (pyspark + Delta Lake, as 0800 starts it) reads a ticks table that
# schema evolution grew: columns added through schema.extra_columns (string,
# int64, list<string>) and the kept-unknown-fields column 'extra'; rows from
# before read NULL, rows from after their values, the same figures as
# `ticklake query`. Separate from 0250: Spark takes minutes to start here.
source "$(dirname "$0")/lib.sh"
source "$TL_SOURCE_DIR/tests/spark/spark.sh"
spark_env
L=$WORK/lake
N=5000
"$TICKLAKE" simulate --output - --count $N --rate 0 --seed 5 --start 2026-11-24T10:00:00Z 2> /dev/null \
  | "$TICKLAKE" stream --from - --source-id old --lake "$L" 2> "$WORK/old.err" \
  || { cat "$WORK/old.err"; fail "stream old failed"; }
"$TICKLAKE" simulate --output - --count $N --rate 0 --seed 6 --start 2026-11-24T11:00:00Z 2> /dev/null \
  | python3 -c '
import json, sys
for i, line in enumerate(sys.stdin):
    d = json.loads(line)
    d["seq"] += 10**9
    d.update(venue="V%d" % (i % 3), trade_id=i, conds=["@", "F%d" % (i % 2)], note={"i": i})
    print(json.dumps(d))
' | "$TICKLAKE" stream --from - --source-id new --lake "$L" \
      --extra-columns 'venue:string,trade_id:int64,conds:list<string>' 2> "$WORK/new.err" \
  || { cat "$WORK/new.err"; fail "stream new failed"; }
expect_eq "rows in the lake" "$(q "$L" 'SELECT count(*) FROM ticks')" $((2 * N))
"$SPARK_PY" "$TL_SOURCE_DIR/tests/spark/read_evolved.py" "$L" $N $N || fail "Spark disagrees"
echo "ok: Spark reads the evolved table" >&2
