#!/usr/bin/env bash
# Exact money in the models (issue 14): VWAP, the average price and the mid
# are DECIMAL(38,6) from integer micro-unit sums, rounded once to 6 decimals,
# half up. Crafted ticks whose DOUBLE quotient is off (750.44 * n / n gives
# 750.4399999999999) or sits exactly on a half micro-unit, and a sum that
# overflows a double's 53 bits of integer precision.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
cp -r "$TL_SOURCE_DIR/analytics" analytics; rm -rf analytics/target

minute="2026-11-24T10:15"
tick() { # SYMBOL SECOND PRICE SIZE SEQ
  printf '{"symbol":"%s","ts":"%s:%02d.000000Z","price":%s,"size":%s,"bid":%s,"ask":%s,"exchange":"XNAS","seq":%s}\n' \
    "$1" "$minute" "$2" "$3" "$4" "$3" "$3" "$5"
}
{
  # A: one price, three ticks: exactly 750.44 (DOUBLE: 750.4399999999999)
  tick A 1 750.44 3 1; tick A 2 750.44 7 2; tick A 3 750.44 11 3
  # B: (100.000001*1 + 100.000002*1) / 2 = 100.0000015 -> 100.000002 (half up)
  tick B 1 100.000001 1 1; tick B 2 100.000002 1 2
  # C: (10*1 + 10.000001*2) / 3 = 10.00000066.. -> 10.000001
  tick C 1 10 1 1; tick C 2 10.000001 2 2
  # D: huge notional: 999999.999999 * 9e12 is beyond 2^53 micro-units
  tick D 1 999999.999999 9000000000000 1; tick D 2 0.000001 1 2
  # E: bid/ask mid on a half micro-unit: (1.000001 + 1.000002) / 2 -> 1.000002
  printf '{"symbol":"E","ts":"%s:01.000000Z","price":1.000001,"size":1,"bid":1.000001,"ask":1.000002,"exchange":"XNAS","seq":1}\n' "$minute"
} > ticks.jsonl
"$TICKLAKE" stream --from ticks.jsonl --lake lake 2> stream.err || fail "stream: $(cat stream.err)"
expect_eq "crafted ticks in the lake" "$(q lake 'SELECT count(*) FROM ticks')" 10

"$TICKLAKE" models run --project analytics --lake lake > run.out 2>&1 || fail "models run: $(tail -5 run.out)"
"$TICKLAKE" models test --project analytics --lake lake > test.out 2>&1 || fail "models test: $(grep -v PASS test.out | tail -5)"

v() { q lake "SELECT $1::VARCHAR FROM $2 WHERE symbol = '$3'"; }
for m in bars_1m bars_5m bars_1h daily_summary; do
  expect_eq "$m vwap type" "$(q lake "SELECT DISTINCT typeof(vwap) FROM $m" | tr -d \")" "DECIMAL(38,6)"
  expect_eq "$m A vwap (one price)" "$(v vwap $m A)" 750.440000
  expect_eq "$m B vwap (half a micro-unit rounds up)" "$(v vwap $m B)" 100.000002
  expect_eq "$m C vwap" "$(v vwap $m C)" 10.000001
  expect_eq "$m D vwap (sums beyond a double's precision)" "$(v vwap $m D)" 999999.999999
done
# D exactly: (999999.999999 * 9e12 + 0.000001) / (9e12 + 1) = 999999.99999888...
expect_eq "D vwap against exact integer arithmetic" \
  "$(python3 -c 'n = 999999999999 * 9000000000000 + 1; d = 9000000000001; q, r = divmod(n, d); q += 2 * r >= d; print(f"{q // 10**6}.{q % 10**6:06d}")')" 999999.999999
expect_eq "daily avg_price C: (10 + 10.000001) / 2 half up" "$(v avg_price daily_summary C)" 10.000001
expect_eq "daily avg_price type" "$(q lake "SELECT DISTINCT typeof(avg_price) FROM daily_summary" | tr -d \")" "DECIMAL(38,6)"
expect_eq "latest_quotes mid E (half up)" "$(v mid latest_quotes E)" 1.000002
expect_eq "a DOUBLE would have said" "$(q lake "SELECT (sum(price * size) / sum(size))::VARCHAR FROM ticks WHERE symbol = 'A'")" 750.4399999999999
