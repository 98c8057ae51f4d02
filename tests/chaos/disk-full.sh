#!/usr/bin/env bash
# Crash suite, scenario 4: the disk fills up under the stream. The lake lives
# on a small tmpfs (in a private mount namespace, so nobody else sees it and it
# goes away with the test); a JSONL file of simulated ticks with bad, late and
# duplicate ones is streamed into it, again and again:
#   grow     the stream fills the small disk by itself; then the file system
#            grows (remount, larger) and the stream runs again
#   ballast  with 8 MiB to spare, killer.py fills the disk with a ballast file at
#            a chosen moment: right after a data file was published (so the
#            commit is what fails), right after a commit, while a Parquet file
#            is written, while a commit is staged; then the ballast is deleted
#            and the stream runs again
# Each time the disk is full:
#   - the stream stops with exit status 1 and an error naming "No space left on device"
#   - nothing was committed that was not fully written: every file the log
#     references exists with the log's size and reads (delta-rs + pyarrow,
#     and ticklake's own reader), and no tick or dead letter is there twice
# At the end, with space, the stream reaches the end of the file: every tick is
# in the lake exactly once, every bad line once in the dead letter, and
# lake/_tmp is empty. The disk must have filled in every round (else the round
# tested nothing).
set -euo pipefail
if [ -z "${CHAOS_MOUNT_NS:-}" ]; then
  ns=(--mount --propagation private)
  [ "$(id -u)" = 0 ] || ns=(--user --map-root-user "${ns[@]}")
  if unshare "${ns[@]}" true 2> /dev/null; then
    CHAOS_MOUNT_NS=1 exec unshare "${ns[@]}" bash "$0" "$@"
  fi
  CHAOS_MOUNT_NS=host # no namespaces here: mount in the host's, as root only
fi
source "$(dirname "$0")/../integration/lib.sh"
source "$TL_SOURCE_DIR/tests/chaos/chaos.sh"

MNT=$WORK/small
mkdir -p "$MNT"
size_kb=1024 # the first size; it grows by a step each grow round
step_kb=$((KILLS >= 10 ? 256 : 512))
GROW=$((KILLS >= 10 ? 5 : 2))    # rounds in which the stream fills the disk by itself
BALLAST=$((KILLS >= 10 ? 12 : 3)) # rounds in which a ballast file fills it at a chosen moment
N=$((KILLS >= 10 ? 600000 : 300000))
if ! mount -t tmpfs -o "size=${size_kb}k" tmpfs "$MNT" 2> "$WORK/mount.err"; then
  fail "cannot mount a small tmpfs for the disk-full test ($(cat "$WORK/mount.err"); namespaces: $CHAOS_MOUNT_NS): it needs root or unprivileged user namespaces (unshare -rm)"
fi
trap 'rc=$?; for p in "${PIDS[@]}"; do kill "$p" 2> /dev/null || true; done; wait 2> /dev/null || true
      umount "$MNT" 2> /dev/null || umount -l "$MNT" 2> /dev/null || true; (exit $rc); cleanup' EXIT
say "a ${size_kb} KiB tmpfs at $MNT (mount namespace: $CHAOS_MOUNT_NS)"

L=$MNT/lake
say "simulate $N ticks (1% bad, 1% duplicate, 1% late) into a JSONL file outside the small disk"
"$TICKLAKE" simulate --output - --rate 0 --start 2026-01-05T00:00:00Z --count $N --seed "$CHAOS_SEED" \
  --faults bad=0.01,dup=0.01,late=0.01 --stats-json "$WORK/sim.json" > "$WORK/ticks.jsonl" 2> "$WORK/sim.err" ||
  fail "simulate failed: $(tail -n 3 "$WORK/sim.err")"
STREAM=("$TICKLAKE" stream --from "$WORK/ticks.jsonl" --lake "$L" --flush-rows 5000)

# after_full ROUND RC -> the checks of a stream that ran out of space
where=()
after_full() {
  local round=$1 rc=$2 avail rep
  cat "$WORK/round.err" >> "$WORK/stream.err"
  [ "$rc" = 1 ] || { tail -n 5 "$WORK/round.err" >&2; bug "round $round: the stream on a full disk ended with status $rc, not 1 with an error"; }
  if ! grep -q 'No space left on device' "$WORK/round.err"; then
    tail -n 5 "$WORK/round.err" >&2
    avail=$(df -k --output=avail "$MNT" | tail -n1 | tr -d ' ')
    [ "$avail" -lt 256 ] || fail "round $round: the stream failed with $avail KiB free, not for lack of space"
    bug "round $round: the disk is full ($avail KiB free) and the stream stopped, but its error does not say why: $(grep -m1 'error' "$WORK/round.err" | cut -c1-300)"
  fi
  # what was being written when the space ran out (from the error line)
  local e
  e=$(grep -m1 ' error ' "$WORK/round.err" || true)
  case $e in
    *checkpoint*) where+=(checkpoint) ;;
    *_delta_log*) where+=(commit) ;;
    */dead-[0-9]*) where+=(dead-letter-file) ;;
    *_tmp/*.parquet*) where+=(data-file) ;;
    *) where+=(other) ;;
  esac
  say "round $round: disk full while writing ${where[-1]}: $(grep -m1 'error' "$WORK/round.err" | cut -c1-200)"
  rep=$(q "$L" 'SELECT (SELECT count(*) FROM (SELECT symbol, seq FROM ticks GROUP BY ALL HAVING count(*) > 1))
                 || '"'|'"' || (SELECT count(*) - count(DISTINCT src_offset) FROM deadletter)') ||
    bug "round $round: the lake cannot be read after the disk filled up"
  [ "$rep" = "0|0" ] || bug "round $round: after the disk filled up the snapshot repeats ticks|dead letters: $rep"
  kill_check "$L" "round $round, disk full"
  lake_check "$L" "round $round, disk full" > /dev/null
}

round=0
for _ in $(seq "$GROW"); do
  round=$((round + 1))
  rc=0
  timeout 300 "${STREAM[@]}" > /dev/null 2> "$WORK/round.err" || rc=$?
  [ "$rc" != 0 ] || fail "round $round (grow): the stream reached the end of the file on a $size_kb KiB disk: make N larger"
  after_full "$round" "$rc"
  size_kb=$((size_kb + step_kb))
  mount -o "remount,size=${size_kb}k" "$MNT" || fail "cannot grow the tmpfs"
done

# room for the stream to go on until the moment, but little enough that the
# ballast fills it within milliseconds
size_kb=$(($(df -k --output=used "$MNT" | tail -n1) + 8192))
mount -o "remount,size=${size_kb}k" "$MNT" || fail "cannot grow the tmpfs"
MODES=(before-commit after-commit mid-write mid-commit)
for b in $(seq "$BALLAST"); do
  round=$((round + 1))
  mode=${MODES[$(((b - 1) % 4))]}
  rc=0
  : > "$WORK/round.err"
  CHILD_ERR=$WORK/round.err killer --mode "$mode" --log "$L/ticks/_delta_log" --log "$L/deadletter/_delta_log" --tmp "$L/_tmp/*" \
    --seed $((CHAOS_SEED * 1000 + round)) --max-delay-ms 100 --timeout 120 \
    --fill "$MNT/ballast" --status-file "$WORK/status" --child-out /dev/null \
    -- "${STREAM[@]}" || rc=$?
  case $rc in
    0) ;;
    3) fail "round $round ($mode): the stream ended before the moment: make N larger" ;;
    *) fail "round $round ($mode): killer.py status $rc" ;;
  esac
  after_full "$round" "$(cat "$WORK/status")"
  rm -f "$MNT/ballast"
  size_kb=$(($(df -k --output=used "$MNT" | tail -n1) + 8192)) # the lake grew
  mount -o "remount,size=${size_kb}k" "$MNT" || fail "cannot grow the tmpfs"
done

say "with room again: the stream runs to the end of the file"
"${STREAM[@]}" > /dev/null 2>> "$WORK/stream.err" || { tail -n 5 "$WORK/stream.err" >&2; fail "the stream failed with room on the disk"; }

sent=$(json "$WORK/sim.json" sent)
bad=$(json "$WORK/sim.json" bad)
dup=$(json "$WORK/sim.json" dup)
rows=$(q "$L" 'SELECT count(*) FROM ticks')
pairs=$(q "$L" 'SELECT count(DISTINCT (symbol, seq)) FROM ticks')
dls=$(q "$L" 'SELECT count(*) FROM deadletter')
dl_offsets=$(q "$L" 'SELECT count(DISTINCT src_offset) FROM deadletter')
[ "$pairs" = "$rows" ] || bug "$((rows - pairs)) (symbol, seq) pairs are in the lake more than once"
[ "$dl_offsets" = "$dls" ] || bug "$((dls - dl_offsets)) dead letters are in the lake more than once"
[ "$rows" = $((sent - bad - dup)) ] || bug "ticks in the lake: $rows, want $((sent - bad - dup))"
[ "$dls" = "$bad" ] || bug "dead letters in the lake: $dls, want $bad"
say "$round times disk full, while writing: ${where[*]}; then $rows ticks and $dls dead letters, each once"
expect_eq "temp folders and files left in lake/_tmp" "$(find "$L/_tmp" -mindepth 1 | wc -l)" 0
chk=$(lake_check "$L" "after the recovery")
expect_eq "ticks rows read by pyarrow" "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["ticks"]["rows"])' "$chk")" "$rows"
say "unreferenced files left for vacuum: $(python3 -c 'import json,sys; d = json.loads(sys.argv[1]); print(d["ticks"]["unreferenced"] + d["deadletter"]["unreferenced"])' "$chk"); staging files: $(find "$L" -name '.tl-tmp.*' | wc -l)"
echo "ok: the disk filled up $round times, nothing half committed, all recovered"
