#!/usr/bin/env bash
# One message must never halt ingestion (issue 10, item 1): ticks whose
# strings are not strict UTF-8 (the JSON escape "\udc00", raw overlong bytes)
# or whose price is beyond DECIMAL(18,6) used to pass the parser and make the
# Parquet writer refuse the whole batch, fatally, on every restart. Now each
# is dead-lettered with its reason and every other tick lands, from a file
# and from Kafka.
source "$(dirname "$0")/lib.sh"

python3 - "$WORK/in.jsonl" <<'PY'
import json, sys, time
now = int(time.time() * 1000)
with open(sys.argv[1], "wb") as f:
    for i in range(1, 5001):
        line = json.dumps({"symbol": "PP", "ts": now, "price": 10, "seq": i, "exchange": "XNAS"}).encode()
        if i == 1000:   # a lone low surrogate, written as a pure-ASCII JSON escape
            line = line.replace(b'"XNAS"', b'"\\udc00x"')
        if i == 2500:   # an overlong encoding of '/', raw bytes
            line = line.replace(b'"XNAS"', b'"\xc0\xafX"')
        if i == 4000:   # within int64 micro-units but not DECIMAL(18,6)
            line = line.replace(b'"price": 10', b'"price": 9223372036854.775807')
        f.write(line + b"\n")
PY

check() { # lake label
  expect_eq "$2: rows" "$(q "$1" 'SELECT count(*) FROM ticks')" 4997
  expect_eq "$2: distinct seq" "$(q "$1" 'SELECT count(DISTINCT seq) FROM ticks')" 4997
  expect_eq "$2: dead letters" \
    "$(q "$1" "SELECT string_agg(reason || '@' || src_offset, ' ' ORDER BY src_offset) FROM deadletter")" \
    "$3"
}

say "from a file"
"$TICKLAKE" stream --from "$WORK/in.jsonl" --lake "$WORK/flake" --source-id pp \
  --stats-json "$WORK/f.json" 2> "$WORK/f.err" || { cat "$WORK/f.err"; fail "stream --from failed"; }
check "$WORK/flake" file "bad_utf8:exchange@1000 bad_utf8:exchange@2500 bad_price@4000" # line numbers

say "from Kafka"
start_broker 1
kcat -P -b "$BROKERS" -t ticks -p 0 < "$WORK/in.jsonl"
"$TICKLAKE" stream --brokers "$BROKERS" --topic ticks --lake "$WORK/klake" --until-end --assign-all \
  2> "$WORK/k.err" || { cat "$WORK/k.err"; fail "stream from Kafka failed"; }
check "$WORK/klake" kafka "bad_utf8:exchange@999 bad_utf8:exchange@2499 bad_price@3999" # offsets from 0
expect_eq "the message names the field" \
  "$(q "$WORK/klake" "SELECT count(*) FROM deadletter WHERE message LIKE '%exchange%not valid UTF-8%'")" 2
