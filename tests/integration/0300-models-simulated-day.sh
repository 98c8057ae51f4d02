#!/usr/bin/env bash
# The shipped analytics project on a deterministic simulated day: every
# model matches SQL written independently against the lake's ticks view
# (and bars_1m also matches a plain Python pass over the simulator's JSONL),
# and the project's own tests pass.
source "$(dirname "$0")/lib.sh"

P="$WORK/analytics"; L="$WORK/lake"; WH="$WORK/wh.duckdb"
cp -r "$TL_SOURCE_DIR/analytics" "$P"; rm -rf "$P/target"

say "a simulated day into the lake"
"$TICKLAKE" simulate --output - --seed 7 --start 2026-11-24T14:30:00Z --rate 0 --count 50000 \
  2> "$WORK/sim.err" | tee "$WORK/day.jsonl" \
  | "$TICKLAKE" stream --from - --source-id day --lake "$L" --stats-json "$WORK/stream.json" 2> "$WORK/stream.err" \
  || { cat "$WORK/sim.err" "$WORK/stream.err"; fail "simulate | stream failed"; }
expect_eq "ticks in the lake" "$(q "$L" 'SELECT count(*) FROM ticks')" 50000

say "models run, models test"
"$TICKLAKE" models run --project "$P" --lake "$L" --warehouse "$WH" > "$WORK/run.out" \
  || { cat "$WORK/run.out"; fail "models run failed"; }
grep -q "Done: 6 ok, 0 error, 0 skipped" "$WORK/run.out" || { cat "$WORK/run.out"; fail "not all models ran"; }
"$TICKLAKE" models test --project "$P" --lake "$L" --warehouse "$WH" > "$WORK/test.out" \
  || { cat "$WORK/test.out"; fail "models test failed"; }
grep -q "Done: [0-9]* passed, 0 failed" "$WORK/test.out" || fail "tests did not all pass"

# wq SQL -> the single value of SQL run with the warehouse attached as w
wq() { "$TICKLAKE" query --lake "$L" --format csv "ATTACH '$WH' AS w (READ_ONLY); $1" | sed -n 2p; }

# Reference bars straight from ticks: window functions for open/close
# (the models use arg_min/arg_max), exact decimal sums for VWAP. The models
# round VWAP and the average once to 6 decimals (analytics/README.md, "Exact
# money"), so they sit within half a micro-unit of the DOUBLE quotient here.
ref_bars() { # $1 = SQL expression of the bucket start (TIMESTAMPTZ) from ts
  cat <<SQL
WITH k AS (SELECT symbol, $1 AS bucket, ts, seq, price, size FROM ticks),
w AS (SELECT *, first_value(price) OVER (PARTITION BY symbol, bucket ORDER BY ts, seq
                 ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS o,
                last_value(price) OVER (PARTITION BY symbol, bucket ORDER BY ts, seq
                 ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS c FROM k)
SELECT symbol, bucket, any_value(o) AS o, max(price) AS h, min(price) AS l, any_value(c) AS c,
       sum(size) AS v, sum(price * size)::DOUBLE / sum(size) AS vwap, count(*) AS n
FROM w GROUP BY symbol, bucket
SQL
}
compare_bars() { # model, bucket expression
  local diff
  diff=$(wq "WITH r AS ($(ref_bars "$2")) SELECT count(*) FROM r FULL JOIN w.$1 b
    ON b.symbol = r.symbol AND b.bar_start = r.bucket
    WHERE b.symbol IS NULL OR r.symbol IS NULL OR b.open <> r.o OR b.high <> r.h OR b.low <> r.l
       OR b.close <> r.c OR b.volume <> r.v OR b.tick_count <> r.n
       OR abs(b.vwap - r.vwap) > 0.0000005 + 1e-9 * r.vwap")
  expect_eq "$1 rows that differ from the reference" "$diff" 0
  expect_eq "$1 row count" "$(wq "SELECT count(*) FROM w.$1")" \
    "$(wq "SELECT count(*) FROM ($(ref_bars "$2"))")"
}
say "bars against SQL over ticks"
compare_bars bars_1m "date_trunc('minute', ts)"
compare_bars bars_5m "to_timestamp(floor(epoch(ts) / 300) * 300)"
compare_bars bars_1h "date_trunc('hour', ts)"
[ "$(wq 'SELECT count(*) FROM w.bars_1m')" -ge 50 ] || fail "expected at least one bar per symbol"

say "daily_summary against SQL over ticks"
diff=$(wq "WITH r AS (SELECT symbol, CAST(ts AS DATE) AS d, min(price) AS mn, max(price) AS mx,
      avg(price) AS av, sum(size) AS v, sum(price * size)::DOUBLE / sum(size) AS vwap,
      min_by(price, epoch_us(ts)::HUGEINT * 1000000 + seq) AS o, max_by(price, epoch_us(ts)::HUGEINT * 1000000 + seq) AS c,
      count(*) AS n FROM ticks GROUP BY ALL)
  SELECT count(*) FROM r FULL JOIN w.daily_summary s ON s.symbol = r.symbol AND s.trade_date = r.d
  WHERE s.symbol IS NULL OR r.symbol IS NULL OR s.min_price <> r.mn OR s.max_price <> r.mx
     OR abs(s.avg_price - r.av) > 0.0000005 + 1e-9 * r.av OR s.volume <> r.v
     OR abs(s.vwap - r.vwap) > 0.0000005 + 1e-9 * r.vwap
     OR s.open <> r.o OR s.close <> r.c OR s.tick_count <> r.n
     OR abs(s.day_return - (r.c::DOUBLE / r.o::DOUBLE - 1)) > 1e-12")
expect_eq "daily_summary rows that differ" "$diff" 0
expect_eq "daily_summary rows" "$(wq 'SELECT count(*) FROM w.daily_summary')" 50

say "latest_quotes against SQL over ticks"
diff=$(wq "WITH r AS (SELECT symbol, max(ts) AS t FROM ticks GROUP BY symbol)
  SELECT count(*) FROM r FULL JOIN w.latest_quotes q USING (symbol) WHERE q.ts IS DISTINCT FROM r.t")
expect_eq "latest_quotes rows that differ" "$diff" 0

say "bars_1m against a Python pass over the simulator's JSONL"
"$TICKLAKE" query --lake "$L" --format csv "ATTACH '$WH' AS w (READ_ONLY);
  SELECT symbol, strftime(bar_start, '%Y-%m-%dT%H:%M'), open::VARCHAR, high::VARCHAR, low::VARCHAR,
         close::VARCHAR, volume, vwap, tick_count FROM w.bars_1m ORDER BY 1, 2" > "$WORK/bars.csv"
python3 - "$WORK/day.jsonl" "$WORK/bars.csv" <<'PY' || fail "bars_1m differs from the Python reference"
import csv, json, sys
from decimal import ROUND_HALF_UP, Decimal
bars = {}
for line in open(sys.argv[1]):
    t = json.loads(line, parse_float=Decimal)
    key = (t["symbol"], t["ts"][:16])
    order = (t["ts"], t["seq"])
    p, s = Decimal(t["price"]), int(t["size"])
    b = bars.get(key)
    if b is None:
        bars[key] = b = {"o": (order, p), "c": (order, p), "h": p, "l": p, "v": 0, "pv": Decimal(0), "n": 0}
    b["o"] = min(b["o"], (order, p)); b["c"] = max(b["c"], (order, p))
    b["h"] = max(b["h"], p); b["l"] = min(b["l"], p)
    b["v"] += s; b["pv"] += p * s; b["n"] += 1
rows = list(csv.reader(open(sys.argv[2])))[1:]
assert len(rows) == len(bars), (len(rows), len(bars))
for sym, minute, o, h, l, c, v, vwap, n in rows:
    b = bars[(sym, minute)]
    assert Decimal(o) == b["o"][1] and Decimal(c) == b["c"][1], (sym, minute, "open/close")
    assert Decimal(h) == b["h"] and Decimal(l) == b["l"], (sym, minute, "high/low")
    assert int(v) == b["v"] and int(n) == b["n"], (sym, minute, "volume/count")
    # exact: the quotient rounded once to 6 decimals, half up (analytics/README.md)
    ref = (b["pv"] / b["v"]).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    assert Decimal(vwap) == ref, (sym, minute, vwap, ref)
print("python reference: %d bars match" % len(rows), file=sys.stderr)
PY

say "results: run_results.json and lineage"
python3 - "$P/target/run_results.json" <<'PY' || fail "run_results.json"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["command"] == "test" and all(n["status"] == "pass" for n in r["results"]), "test results"
PY
# the version the stream left (one commit, or more when a flush timer fired
# on a loaded machine)
V=$(json "$WORK/stream.json" lake_version)
expect_eq "models that recorded lake version $V" \
  "$(wq "SELECT count(*) FROM w.ticklake_model_runs WHERE status = 'success' AND lake_ticks_version = $V")" 6

say "a failing test makes models test exit 1 and lists it"
cat > "$P/tests/assert_no_ticks.sql" <<'SQL'
select * from {{ ref('stg_ticks') }} where price > 0
SQL
set +e
"$TICKLAKE" models test --project "$P" --lake "$L" --warehouse "$WH" > "$WORK/test2.out"
rc=$?
set -e
expect_eq "models test exit code" "$rc" 1
grep -q "FAIL   assert_no_ticks: 50000 failing rows" "$WORK/test2.out" || { cat "$WORK/test2.out"; fail "failure not listed"; }
say "ticklake query --warehouse sees the models next to the lake"
expect_eq "bars_1m ticks through query --warehouse" \
  "$("$TICKLAKE" query --lake "$L" --warehouse "$WH" --format csv 'SELECT (SELECT sum(tick_count) FROM bars_1m) - (SELECT count(*) FROM ticks)' | sed -n 2p)" 0
echo "PASS" >&2
