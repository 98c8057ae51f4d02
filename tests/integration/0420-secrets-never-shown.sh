#!/usr/bin/env bash
# Secrets never show (issue 10, security): the S3 secret key, a SASL password
# and the dashboard token, each unique to this run, are used by stream, query,
# compact, vacuum, the dashboard (page, /api/health, /metrics, a 401) and a
# failing S3 call, with debug logging (text, and JSON lines with --log-format
# json, which must parse); then every byte any of them printed or
# served is searched for the secrets. None may appear.
source "$(dirname "$0")/lib.sh"
source "$TL_SOURCE_DIR/tests/tools/moto.sh"
cd "$WORK"
OUT=$WORK/out # everything the commands print or serve
mkdir -p "$OUT"
S3_SECRET="s3sec-$RANDOM$RANDOM-x"
SASL_SECRET="saslpw-$RANDOM$RANDOM-y"
TOKEN="tok-$RANDOM$RANDOM-z"

start_moto lake
export AWS_SECRET_ACCESS_KEY=$S3_SECRET # moto takes any key pair
"$TICKLAKE" simulate --output - --count 20000 --rate 0 --faults bad=0.01 > ticks.jsonl 2> "$OUT/sim.err"

say "S3: stream, query, compact, vacuum with debug logging"
run() { # name cmd...: records stdout and stderr, whatever the exit code
  local name=$1; shift
  "$@" > "$OUT/$name.out" 2> "$OUT/$name.err" || echo "($name exited $?)" >> "$OUT/$name.err"
}
run s3-stream "$TICKLAKE" stream --from ticks.jsonl --lake s3://lake/l --log-level debug
expect_eq "the stream wrote the S3 lake" "$(q s3://lake/l 'SELECT count(*) > 19000 FROM ticks')" true
run s3-query "$TICKLAKE" query --lake s3://lake/l --log-level debug 'SELECT count(*) FROM ticks'
run s3-compact "$TICKLAKE" compact --lake s3://lake/l --log-level debug
run s3-vacuum "$TICKLAKE" vacuum --lake s3://lake/l --log-level debug
run s3-bad-endpoint env TICKLAKE_S3_ENDPOINT=http://127.0.0.1:1 "$TICKLAKE" query --lake s3://lake/l \
  --log-level debug 'SELECT 1'
grep -q "exited" "$OUT/s3-bad-endpoint.err" || fail "a query against a dead endpoint succeeded"
run s3-compact-json "$TICKLAKE" compact --lake s3://lake/l --log-level debug --log-format json
run s3-bad-endpoint-json env TICKLAKE_S3_ENDPOINT=http://127.0.0.1:1 "$TICKLAKE" query \
  --lake s3://lake/l --log-level debug --log-format json 'SELECT 1'
grep -q "exited" "$OUT/s3-bad-endpoint-json.err" || fail "a query against a dead endpoint succeeded"

say "Kafka: a SASL password in ticklake.yml and on -X, debug logging"
start_broker 1
printf 'kafka:\n  sasl.username: u\n  sasl.password: %s\n' "$SASL_SECRET" > ticklake.yml
"$TICKLAKE" simulate --brokers "$BROKERS" --count 2000 --rate 0 > "$OUT/ksim.out" 2> "$OUT/ksim.err" || true
run k-stream "$TICKLAKE" stream --brokers "$BROKERS" --lake ./lake --until-end --assign-all \
  --log-level debug -X "sasl.password=$SASL_SECRET"
run k-help "$TICKLAKE" stream --help
run k-stream-json "$TICKLAKE" stream --brokers "$BROKERS" --lake ./lake-json --until-end \
  --assign-all --log-level debug --log-format json -X "sasl.password=$SASL_SECRET"
rm ticklake.yml

say "dashboard with a token"
: > "$OUT/dash.out"
TICKLAKE_WEB_TOKEN=$TOKEN "$TICKLAKE" dashboard --lake ./lake --listen 127.0.0.1:0 --log-level debug \
  > "$OUT/dash.out" 2> "$OUT/dash.err" &
PIDS+=($!)
URL=""
for _ in $(seq 200); do
  URL=$(sed -n 's/^ticklake dashboard: \(http[^ ]*\).*/\1/p' "$OUT/dash.out")
  [ -n "$URL" ] && break
  sleep 0.1
done
[ -n "$URL" ] || { cat "$OUT/dash.err"; fail "dashboard did not start"; }
curl -s "$URL" > "$OUT/page.html"
for p in app.js app.css; do curl -s "$URL$p" > "$OUT/$p"; done
curl -s -H "Authorization: Bearer $TOKEN" "${URL}api/health" > "$OUT/health.json"
curl -s -H "Authorization: Bearer $TOKEN" "${URL}metrics" > "$OUT/metrics.txt"
curl -s "${URL}api/health" > "$OUT/health-401.json"
curl -s -H "Authorization: Bearer wrong-$TOKEN" "${URL}metrics" > "$OUT/metrics-401.txt"
grep -q '"stream"\|"lake"' "$OUT/health.json" || { cat "$OUT/health.json"; fail "no health with the token"; }
grep -q '^tl_' "$OUT/metrics.txt" || fail "no metrics with the token"

say "the JSON logs are JSON"
for f in s3-compact-json s3-bad-endpoint-json k-stream-json; do
  grep -v '^(.* exited [0-9]*)$' "$OUT/$f.err" | python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' \
    || fail "$f.err is not JSON lines"
done

say "no secret anywhere in what was printed or served"
for s in "$S3_SECRET" "$SASL_SECRET" "$TOKEN"; do
  if grep -rl -- "$s" "$OUT" | grep -v 'metrics-401.txt'; then
    fail "a secret ($s) shows in the files above"
  fi
done
expect_eq "files searched" "$(find "$OUT" -type f | wc -l | awk '$1 >= 15 {print "15+"}')" "15+"
