#!/usr/bin/env bash
# S3 faults: a proxy between ticklake and moto_server fails ~10% of the
# requests (500, 503 SlowDown, connection resets before and after the
# request took effect): nothing is lost or duplicated. Then a persistent
# outage mid-stream: a clear error, exit 1, and no half commit; a rerun
# completes the lake exactly once.
source "$(dirname "$0")/lib.sh"
source "$TL_SOURCE_DIR/tests/tools/moto.sh"
start_moto lake

python3 "$TL_SOURCE_DIR/tests/tools/s3_fault_proxy.py" --upstream "$MOTO_URL" --rate 0.1 --seed 7 \
  --control "$WORK/ctl" --stats "$WORK/proxy.json" --port-file "$WORK/proxy.port" > /dev/null 2> "$WORK/proxy.err" &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$WORK/proxy.port" ] && break; sleep 0.1; done
[ -s "$WORK/proxy.port" ] || fail "fault proxy did not start"
PROXY=http://127.0.0.1:$(cat "$WORK/proxy.port")
# ticklake goes through the proxy; checks (q) talk to moto directly
VIA=(--s3-endpoint "$PROXY")

"$TICKLAKE" simulate --output - --count 150000 --rate 0 --seed 31 --faults bad=0.01,dup=0.01 \
  > "$WORK/f.jsonl" 2> /dev/null
"$TICKLAKE" stream --from "$WORK/f.jsonl" --lake "$WORK/local" --flush-rows 4000 2> /dev/null
ROWS="SELECT count(*) || '/' || count(DISTINCT (symbol, seq)) || '/' || sum(price) FROM ticks"
want=$(q "$WORK/local" "$ROWS")

L=s3://lake/faults
say "backfill through the faulty proxy (many small commits)"
"$TICKLAKE" stream --from "$WORK/f.jsonl" --lake "$L" --flush-rows 4000 "${VIA[@]}" \
  2> "$WORK/stream.err" || { tail "$WORK/stream.err"; fail "stream through the proxy failed"; }
for kind in 500 503 reset lost; do
  n=$(json "$WORK/proxy.json" "$kind")
  [ "$n" -gt 0 ] || fail "the proxy injected no '$kind' fault (stats: $(cat "$WORK/proxy.json"))"
done
echo "ok: faults injected: $(cat "$WORK/proxy.json")" >&2
expect_eq "rows/distinct/sum = local lake" "$(q "$L" "$ROWS")" "$want"
expect_eq "(symbol, seq) repeated" "$(q "$L" 'SELECT count(*) FROM (SELECT symbol, seq FROM ticks GROUP BY ALL HAVING count(*) > 1)')" 0
expect_eq "dead letters = local lake" "$(q "$L" 'SELECT count(*) FROM deadletter')" "$(q "$WORK/local" 'SELECT count(*) FROM deadletter')"
aws --endpoint-url "$MOTO_URL" s3 ls --recursive "$L/ticks/_delta_log/" > "$WORK/log.txt"
expect_eq "ticks commits = local lake's (none written twice)" "$(grep -c '\.json$' "$WORK/log.txt")" \
  "$(ls "$WORK/local/ticks/_delta_log/" | grep -c '\.json$')"
expect_eq "files referenced = local lake's" "$(q "$L" 'SELECT count(*) FROM lake_files')" "$(q "$WORK/local" 'SELECT count(*) FROM lake_files')"

say "persistent outage in the middle of a stream"
L2=s3://lake/outage
head -n 40000 "$WORK/f.jsonl" > "$WORK/part1.jsonl"
tail -n +40001 "$WORK/f.jsonl" > "$WORK/part2.jsonl"
mkfifo "$WORK/in"
"$TICKLAKE" stream --from "$WORK/in" --source-id outage-test --lake "$L2" --flush-rows 4000 \
  --s3-max-retry-time 2s "${VIA[@]}" 2> "$WORK/outage.err" &
spid=$!
PIDS+=($spid)
exec 3> "$WORK/in"
cat "$WORK/part1.jsonl" >&3
# Part 1 alone, streamed into a local lake, is what the S3 lake holds once the
# stream has committed all of it: a quiet FIFO's tail is flushed by the 1 s
# flush interval. Waiting for exactly that (not for "most of it") keeps the
# tail's commit from landing after the snapshot below.
"$TICKLAKE" stream --from "$WORK/part1.jsonl" --lake "$WORK/local1" --flush-rows 4000 2> /dev/null
before=$(q "$WORK/local1" "$ROWS")
for _ in $(seq 300); do
  r=$(q "$L2" "$ROWS" 2> /dev/null || echo none)
  [ "$r" = "$before" ] && break
  sleep 0.1
done
expect_eq "the stream committed all of part 1, its quiet tail included" "$r" "$before"
echo outage > "$WORK/ctl"
cat "$WORK/part2.jsonl" >&3 2> /dev/null || true # the stream may already have failed and gone
exec 3>&-
set +e
wait "$spid"
rc=$?
set -e
expect_eq "stream exit status in an outage" "$rc" 1
grep -q 'SlowDown' "$WORK/outage.err" || { tail "$WORK/outage.err"; fail "error does not say SlowDown"; }
grep -q 'gave up after' "$WORK/outage.err" || { tail "$WORK/outage.err"; fail "error does not say it gave up retrying"; }
echo "ok: clear error: $(grep -m1 'gave up after' "$WORK/outage.err")" >&2
expect_eq "lake unchanged by the failed flush (snapshot loads, same rows)" "$(q "$L2" "$ROWS")" "$before"

say "the proxy itself gone: connection refused ends the same way"
set +e
"$TICKLAKE" stream --from "$WORK/part2.jsonl" --source-id outage-test --lake "$L2" \
  --s3-max-retry-time 1s --s3-endpoint http://127.0.0.1:1 2> "$WORK/refused.err"
rc=$?
set -e
expect_eq "exit status with no server" "$rc" 1
grep -q "connect" "$WORK/refused.err" || { tail "$WORK/refused.err"; fail "error does not mention the connection"; }

say "outage over: rerunning the whole file completes the lake exactly once"
echo ok > "$WORK/ctl"
"$TICKLAKE" stream --from "$WORK/f.jsonl" --source-id outage-test --lake "$L2" --flush-rows 4000 \
  "${VIA[@]}" 2> "$WORK/rerun.err" || { tail "$WORK/rerun.err"; fail "rerun failed"; }
expect_eq "rows/distinct/sum after the rerun = local lake" "$(q "$L2" "$ROWS")" "$want"
expect_eq "dead letters after the rerun = local lake" "$(q "$L2" 'SELECT count(*) FROM deadletter')" \
  "$(q "$WORK/local" 'SELECT count(*) FROM deadletter')"
