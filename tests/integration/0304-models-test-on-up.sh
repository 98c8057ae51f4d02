#!/usr/bin/env bash
# The models' tests pass on what `up` writes (issue 14): a minute of `up`
# with its demo faults (late, duplicate, out-of-order and malformed ticks),
# models built and tested by up's scheduler every few seconds (each run
# reports "N tests passed"), then `models test` on the finished lake exits 0.
# A test that fails makes the scheduled models run fail, with the count.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
cp -r "$TL_SOURCE_DIR/analytics" analytics; rm -rf analytics/target

start_up --duration 60 --symbols 20 --rate 400 \
  --schedule-compact '@every 10s' --schedule-models '@every 10s' --schedule-vacuum ''
rc=0
wait "$UP" || rc=$?
expect_eq "up exit code" "$rc" 0

say "the lake has the faults the models must cope with"
late=$(q ./lake 'SELECT count(*) FROM ticks WHERE late')
[ "$late" -gt 0 ] || fail "no late ticks in the lake"
ooo=$(q ./lake 'SELECT count(*) FROM (SELECT ts < lag(ts) OVER (PARTITION BY symbol ORDER BY seq) AS back FROM ticks) WHERE back')
[ "$ooo" -gt 0 ] || fail "no out-of-order ticks in the lake"
dups=$(sed -n 's/^ticklake stream: .* duplicates \([0-9]*\),.*/\1/p' up.err)
[ "${dups:-0}" -gt 0 ] || fail "the stream dropped no duplicates: $(grep '^ticklake stream' up.err)"
echo "ok: late $late, out of order $ooo, duplicates dropped $dups" >&2

say "up's scheduler ran the models' tests after each models run, and they passed"
grep -q "schedule: models failed" up.err && fail "a scheduled models run failed: $(grep 'schedule: models failed' up.err | head -3)"
grep -Eq "schedule: models ok in .*models built into .*, [0-9]+ tests passed" up.err \
  || fail "no models run reported its tests: $(grep 'schedule: models' up.err | tail -3)"

say "models run + models test on the finished lake"
"$TICKLAKE" models run --project analytics --lake ./lake > run.out 2>&1 || fail "models run: $(tail -5 run.out)"
"$TICKLAKE" models test --project analytics --lake ./lake > test.out 2>&1 \
  || fail "models test failed on up's data: $(grep -v '^PASS' test.out | tail -8)"
grep -q "0 failed" test.out || fail "unexpected test summary: $(tail -1 test.out)"
expect_eq "every bar's VWAP inside [low, high], exactly" \
  "$("$TICKLAKE" query --lake ./lake --format csv 'SELECT count(*) FROM bars_1m WHERE vwap < low OR vwap > high' | sed -n 2p)" 0

say "a failing test makes the scheduled models run fail, and says so"
echo "select 1 as always_fails" > analytics/tests/assert_always_fails.sql
rc=0
"$TICKLAKE" schedule --once --lake ./lake --project analytics > sched.out 2> sched.err || rc=$?
expect_eq "schedule --once exit code with a failing test" "$rc" 1
grep -q "but 1 of [0-9]* tests failed" sched.err || fail "no test failure recorded: $(grep models sched.err | tail -3)"
