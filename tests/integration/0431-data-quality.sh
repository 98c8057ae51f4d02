#!/usr/bin/env bash
# Data-quality signals (issue 15). Ticks of the last 40 minutes for four
# symbols: AAA's feed stops 30 minutes ago (an outage), BBB skips 50 seq
# numbers (a gap), CCC jumps 25% once (flagged, never dropped), DDD is clean.
# The dashboard's /metrics and /api/health show the outage, the gap and the
# jump; `models test` fails the freshness and seq-gap tests naming AAA and
# BBB, and passes them all on the same feed without the faults.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
cp -r "$TL_SOURCE_DIR/analytics" analytics; rm -rf analytics/target

gen() { # FAULTS(0|1) > JSONL: one tick per symbol per second, oldest first
  python3 - "$1" <<'EOF'
import json, sys, time, random
faults = sys.argv[1] == "1"
rng = random.Random(7)
now = time.time()
start = now - 40 * 60
price = {"AAA": 100.0, "BBB": 50.0, "CCC": 20.0, "DDD": 10.0}
seq = {s: 0 for s in price}
for i in range(40 * 60 - 5):
    t = start + i
    for s in price:
        if faults and s == "AAA" and t > now - 30 * 60:
            continue                       # the outage
        seq[s] += 1
        if faults and s == "BBB" and seq[s] == 1001:
            seq[s] += 50                   # 1001..1050 never sent
        price[s] = round(price[s] * (1 + rng.gauss(0, 0.0005)), 2)
        p = price[s]
        if faults and s == "CCC" and i == 1800:
            p = round(p * 1.25, 2)         # one jump, then back
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)
        print(json.dumps({"symbol": s, "ts": ts, "price": p, "size": 100, "bid": round(p - 0.01, 2),
                          "ask": round(p + 0.01, 2), "exchange": "XNAS", "seq": seq[s]}))
EOF
}

gen 1 > bad.jsonl
gen 0 > good.jsonl
for l in bad good; do
  "$TICKLAKE" stream --from "$l.jsonl" --lake "./$l" --source-id s 2> "$l.err" \
    || { cat "$l.err"; fail "stream $l"; }
done
expect_eq "CCC's jump is in the lake (flagged, not dropped)" \
  "$(q ./bad "SELECT count(*) FROM ticks WHERE symbol = 'CCC'")" "$(grep -c '"CCC"' bad.jsonl)"

say "the dashboard on the lake with the faults"
"$TICKLAKE" dashboard --lake ./bad --listen 127.0.0.1:0 > dash.out 2> dash.err &
PIDS+=($!)
url() { URL=$(sed -n 's/^ticklake dashboard: \(http[^ ]*\).*/\1/p' dash.out); [ -n "$URL" ]; }
wait_until 20 "the dashboard's address" url
loaded() { curl -sf "${URL}metrics" > metrics.txt && grep -q 'tl_quality_seq_missing{symbol="DDD"}' metrics.txt; }
wait_until 30 "quality metrics for every symbol" loaded
metric() { sed -n "s/^$1{symbol=\"$2\"} //p" metrics.txt; }
fresh_min() { python3 -c "print(int(float('$1') // 60))"; }
expect_eq "AAA's freshness, minutes" "$(fresh_min "$(metric tl_quality_freshness_seconds AAA)")" 30
expect_eq "DDD's freshness, minutes" "$(fresh_min "$(metric tl_quality_freshness_seconds DDD)")" 0
expect_eq "BBB's missing seqs" "$(metric tl_quality_seq_missing BBB)" 50
expect_eq "BBB's seq gaps" "$(metric tl_quality_seq_gaps_total BBB)" 1
expect_eq "DDD's missing seqs" "$(metric tl_quality_seq_missing DDD)" 0
[ "$(metric tl_quality_price_jumps_total CCC)" -ge 1 ] || fail "CCC's jump not flagged: $(grep CCC metrics.txt)"
expect_eq "DDD's price jumps" "$(metric tl_quality_price_jumps_total DDD)" 0
expect_eq "stale symbols" "$(sed -n 's/^tl_quality_stale_symbols //p' metrics.txt)" 1

curl -sf "${URL}api/health" > health.json || fail "/api/health"
python3 - health.json <<'EOF' || fail "/api/health's quality: $(cat health.json)"
import json, sys
q = json.load(open(sys.argv[1]))["quality"]
assert q["stale"] == ["AAA"], q["stale"]
assert q["seq_missing"] == 50 and q["seq_gaps"] == 1, q
by = {s["s"]: s for s in q["symbols"]}
assert by["AAA"]["stale"] and by["AAA"]["freshness_s"] >= 1790, by["AAA"]
assert by["BBB"]["seq_missing"] == 50 and not by["BBB"]["stale"], by["BBB"]
assert by["CCC"]["jumps"] >= 1 and by["DDD"]["jumps"] == 0, (by["CCC"], by["DDD"])
EOF
echo "ok: /api/health names AAA stale and BBB's 50 missing seqs" >&2

say "models test fails on the faults, passes without them"
"$TICKLAKE" models run --project analytics --lake ./bad --warehouse bad.duckdb > run-bad.out 2>&1 \
  || fail "models run: $(tail -5 run-bad.out)"
rc=0
"$TICKLAKE" models test --project analytics --lake ./bad --warehouse bad.duckdb > test-bad.out 2>&1 || rc=$?
expect_eq "models test exit code on the faults" "$rc" 1
grep -q "FAIL   assert_symbols_fresh: 1 failing row" test-bad.out || { cat test-bad.out; fail "freshness not failed"; }
grep -q "FAIL   assert_no_seq_gaps: 1 failing row" test-bad.out || { cat test-bad.out; fail "seq gap not failed"; }
expect_eq "tests failed" "$(grep -c '^FAIL' test-bad.out)" 2
"$TICKLAKE" models run --project analytics --lake ./good --warehouse good.duckdb > run-good.out 2>&1 \
  || fail "models run: $(tail -5 run-good.out)"
"$TICKLAKE" models test --project analytics --lake ./good --warehouse good.duckdb > test-good.out 2>&1 \
  || { cat test-good.out; fail "models test failed on the clean feed"; }
grep -q "PASS   assert_symbols_fresh" test-good.out || { cat test-good.out; fail "freshness test did not run"; }
grep -q "PASS   assert_no_seq_gaps" test-good.out || fail "seq-gap test did not run"
echo PASS >&2
