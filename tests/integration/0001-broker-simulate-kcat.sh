#!/usr/bin/env bash
# ticklake broker + ticklake simulate, checked with a Kafka client we did not
# write (kcat): every message arrives once, keyed by symbol, valid, in seq
# order per symbol; with faults, kcat's counts match simulate's --stats-json.
source "$(dirname "$0")/lib.sh"
CHECK="python3 $TL_SOURCE_DIR/tests/tools/check_kcat_output.py"
command -v kcat >/dev/null || fail "kcat is not installed"
tmp=$WORK

# lib.sh's start_broker (4 partitions), checked to print a loopback address
start_broker4() {
    start_broker 4
    BROKER=$BROKERS
    [[ $BROKER =~ ^127\.0\.0\.1:[0-9]+$ ]] || fail "broker's first line is not 127.0.0.1:PORT: '$BROKER'"
}

stop_broker() {
    kill -TERM "$BROKER_PID"
    local rc=0
    wait "$BROKER_PID" || rc=$?
    [[ $rc -eq 0 ]] || fail "broker exited with $rc on SIGTERM, want 0"
}

consume() { # topic file
    timeout 120 kcat -C -b "$BROKER" -t "$1" -e -o beginning -q -J >"$2" \
        || fail "kcat failed to read topic $1"
}

echo "== scenario 1: 100000 ticks, no faults"
start_broker4
"$TICKLAKE" simulate --brokers "$BROKER" --topic ticks --count 100000 --seed 1 --rate 0 \
    --stats-json "$tmp/s1.json" 2>"$tmp/sim1.err" || fail "simulate failed: $(cat "$tmp/sim1.err")"
grep -q '"sent":100000,"valid":100000,"bad":0' "$tmp/s1.json" || fail "stats: $(cat "$tmp/s1.json")"
consume ticks "$tmp/k1.jsonl"
$CHECK "$tmp/k1.jsonl" --expect 100000
# every payload kcat read is accepted by ticklake's own codec
kcat -C -b "$BROKER" -t ticks -e -o beginning -q -f '%s\n' \
    | "$TICKLAKE" stream --from - --source-id kcat --lake "$tmp/codec-lake" \
        --stats-json "$tmp/codec.json" 2>"$tmp/codec.err" || fail "stream --from -: $(cat "$tmp/codec.err")"
grep -q '"received":100000,"accepted":100000,"rejected":0' "$tmp/codec.json" \
    || fail "the codec did not accept every message: $(cat "$tmp/codec.json")"
stop_broker

echo "== scenario 2: faults bad=0.05,dup=0.02"
start_broker4
"$TICKLAKE" simulate --brokers "$BROKER" --topic ticks --count 100000 --seed 2 --rate 0 \
    --faults bad=0.05,dup=0.02 --stats-json "$tmp/s2.json" 2>"$tmp/sim2.err" \
    || fail "simulate failed: $(cat "$tmp/sim2.err")"
consume ticks "$tmp/k2.jsonl"
$CHECK "$tmp/k2.jsonl" --stats "$tmp/s2.json"
stop_broker

echo "== same seed and start, same bytes (JSONL to stdout)"
"$TICKLAKE" simulate --output - --count 5000 --seed 7 --start 2026-11-24T14:30:00Z \
    --faults bad=0.01,late=0.01,dup=0.01,ooo=0.01 >"$tmp/a.jsonl" 2>/dev/null
"$TICKLAKE" simulate --output - --count 5000 --seed 7 --start 2026-11-24T14:30:00Z \
    --faults bad=0.01,late=0.01,dup=0.01,ooo=0.01 >"$tmp/b.jsonl" 2>/dev/null
[[ $(wc -l <"$tmp/a.jsonl") -eq 5000 ]] || fail "--output - wrote $(wc -l <"$tmp/a.jsonl") lines, want 5000"
cmp -s "$tmp/a.jsonl" "$tmp/b.jsonl" || fail "two runs with the same --seed and --start differ"
head -n1 "$tmp/a.jsonl" | grep -q '"ts":"2026-11-24T14:30:00.000000Z"' \
    || fail "first tick is not at --start: $(head -n1 "$tmp/a.jsonl")"

echo "== usage errors exit 2 with a message"
rc=0; "$TICKLAKE" broker --listen 127.0.0.1:9092 2>"$tmp/e1" || rc=$?
[[ $rc -eq 2 ]] && grep -q "127.0.0.1:0" "$tmp/e1" || fail "broker --listen with a fixed port: rc=$rc $(cat "$tmp/e1")"
rc=0; "$TICKLAKE" simulate --count 1 2>"$tmp/e2" || rc=$?
[[ $rc -eq 2 ]] && grep -q -- "--brokers" "$tmp/e2" || fail "simulate without --brokers: rc=$rc $(cat "$tmp/e2")"
rc=0; "$TICKLAKE" simulate --output - --faults bad=2 2>"$tmp/e3" || rc=$?
[[ $rc -eq 2 ]] && grep -q "bad=2" "$tmp/e3" || fail "simulate --faults bad=2: rc=$rc $(cat "$tmp/e3")"

echo "PASS"
