#!/usr/bin/env bash
# backends: fs s3
# Manual `ticklake compact` and `ticklake vacuum` take the scheduled job's
# lease in the lake (issue 15), so a manual compaction never overlaps a
# scheduled one. While another process holds the lease they say who and
# until when, change nothing and exit 1; with --wait they wait for it to be
# given back, then run; a lease left by a process that ended on this
# machine is taken at once, one of a live process is not; a dry run takes
# none. Lease objects are written here as a scheduler on another host
# would write them (_ticklake/leases/<job>/<generation>.json).
source "$(dirname "$0")/lib.sh"
use_backend
cd "$WORK"
L=$(lake_url lake)
live_files() { q "$L" "SELECT count(*) FROM lake_files WHERE table_name = 'ticks'"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
MACHINE="$(cat /proc/sys/kernel/random/boot_id)/$(readlink /proc/self/ns/pid)"

# put_lease JOB GENERATION OWNER STATE EXPIRES_MS [PID MACHINE]
put_lease() {
  local key body now
  key=$(printf '_ticklake/leases/%s/%020d.json' "$1" "$2")
  now=$(now_ms)
  body=$(printf '{"job":"%s","generation":%d,"owner":"%s","state":"%s","due_ms":%s,"renewed_ms":%s,"expires_ms":%s,"last_due_ms":%s,"last_success_ms":-1,"last_status":"success","runs":7,"failures":2,"timeouts":0,"pid":%s,"machine":"%s"}' \
    "$1" "$2" "$3" "$4" "$now" "$now" "$5" "$now" "${6:--1}" "${7:-}")
  if [ "$BACKEND" = s3 ]; then
    "$PYTHON" - "$key" "$body" <<'PY'
import os, sys, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["MOTO_URL"], region_name="us-east-1")
s3.put_object(Bucket="lake", Key="lake/" + sys.argv[1], Body=sys.argv[2].encode())
PY
  else
    mkdir -p "$(dirname "$L/$key")"
    printf '%s' "$body" > "$L/$key"
  fi
}
[ "$BACKEND" = s3 ] && PYTHON="$("$TL_SOURCE_DIR/scripts/pyenv" tools)/bin/python"

say "a lake of small files"
"$TICKLAKE" simulate --output - --count 6000 --rate 0 --start 2026-11-24T10:00:00Z 2> /dev/null \
  | "$TICKLAKE" stream --from - --source-id s --flush-rows 300 --lake "$L" 2> stream.err \
  || { cat stream.err; fail "simulate | stream failed"; }
files=$(live_files)
[ "$files" -ge 10 ] || fail "expected many small files, got $files"

say "a scheduler on another host holds compact's lease: compact says so and changes nothing"
put_lease compact 0 otherhost:4242:abcd1234 held $(($(now_ms) + 600000))
rc=0; "$TICKLAKE" compact --lake "$L" > held.out 2> held.err || rc=$?
cat held.err >&2
expect_eq "compact exit code while the lease is held" "$rc" 1
grep -Eq "job 'compact' is running elsewhere: held by otherhost:4242:abcd1234 until [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z" held.err \
  || fail "the message does not say who holds the lease and until when"
grep -q -- "--wait" held.err || fail "the message does not mention --wait"
expect_eq "live files after a refused compaction" "$(live_files)" "$files"
"$TICKLAKE" compact --lake "$L" --dry-run > dry.out 2> dry.err || fail "a dry run needs no lease: $(cat dry.err)"
grep -q "would compact 1 partitions" dry.out || fail "dry run: $(cat dry.out)"

say "--wait: waits until the holder gives the lease back, then compacts"
"$TICKLAKE" compact --lake "$L" --wait 120s > wait.out 2> wait.err &
CPID=$!; PIDS+=($CPID)
wait_until 60 "compact to report that it waits" grep -q "compact: held by otherhost:4242:abcd1234 .*waiting for it up to 120 s" wait.err
kill -0 "$CPID" || fail "compact did not wait: $(cat wait.err)"
put_lease compact 1 otherhost:4242:abcd1234 released "$(now_ms)"
rc=0; wait "$CPID" || rc=$?
cat wait.err >&2
expect_eq "compact --wait exit code" "$rc" 0
expect_eq "live files after the compaction" "$(live_files)" 1
grep -q "^compacted 1 partitions: $files files" wait.out || fail "summary: $(cat wait.out)"

say "--wait gives up after its time"
put_lease compact 3 otherhost:4242:abcd1234 held $(($(now_ms) + 600000))
rc=0; "$TICKLAKE" compact --lake "$L" --wait 1s > gaveup.out 2> gaveup.err || rc=$?
expect_eq "compact --wait 1s exit code" "$rc" 1
grep -q "held by otherhost:4242:abcd1234 .*gave up after waiting 1 s" gaveup.err \
  || fail "no give-up message: $(cat gaveup.err)"

say "a lease held by a live process on this machine is respected"
sleep 600 & HOLDER=$!; PIDS+=($HOLDER)
put_lease compact 4 "$(hostname):$HOLDER:live0000" held $(($(now_ms) + 600000)) "$HOLDER" "$MACHINE"
rc=0; "$TICKLAKE" compact --lake "$L" > live.out 2> live.err || rc=$?
expect_eq "compact exit code while a live local process holds the lease" "$rc" 1
grep -q "held by $(hostname):$HOLDER:live0000" live.err || fail "$(cat live.err)"

say "a lease left by a process that ended on this machine is taken at once"
kill "$HOLDER"; wait "$HOLDER" 2> /dev/null || true
"$TICKLAKE" compact --lake "$L" > dead.out 2> dead.err || fail "compact after its holder died: $(cat dead.err)"
grep -q "took over the lease of $(hostname):$HOLDER:live0000, whose process $HOLDER ended" dead.err \
  || fail "no take-over message: $(cat dead.err)"

say "vacuum takes the vacuum job's lease likewise"
put_lease vacuum 0 otherhost:4242:abcd1234 held $(($(now_ms) + 600000))
rc=0; TICKLAKE_VACUUM_RETAIN=0s "$TICKLAKE" vacuum --lake "$L" > vheld.out 2> vheld.err || rc=$?
expect_eq "vacuum exit code while the lease is held" "$rc" 1
grep -q "job 'vacuum' is running elsewhere: held by otherhost:4242:abcd1234 until" vheld.err \
  || fail "vacuum's message: $(cat vheld.err)"
"$TICKLAKE" vacuum --lake "$L" --dry-run > vdry.out 2> vdry.err || fail "vacuum --dry-run needs no lease: $(cat vdry.err)"
put_lease vacuum 1 otherhost:4242:abcd1234 released "$(now_ms)"
TICKLAKE_VACUUM_RETAIN=0s "$TICKLAKE" vacuum --lake "$L" > vok.out 2> vok.err || fail "vacuum: $(cat vok.err)"
grep -q "^deleted $files files" vok.out || fail "vacuum did not delete the $files compacted-away files: $(cat vok.out)"
expect_eq "ticks after it all" "$(q "$L" 'SELECT count(*) FROM ticks')" 6000
