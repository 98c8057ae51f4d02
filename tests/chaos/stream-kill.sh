#!/usr/bin/env bash
# Crash suite, scenario 1: SIGKILL `ticklake stream` CHAOS_KILLS times while
# the simulator sends bad, late, duplicate and out-of-order ticks into the dev
# broker, each kill at a moment chosen by watching the lake (killer.py):
#   after-commit     a ticks commit of this run was seen, then 0-400 ms
#   between-commits  the dead-letter commit of a flush was seen, before its ticks commit
#   mid-write        a new Parquet (or dead-letter JSONL) file appeared in the temp folder
#   before-commit    that file left the temp folder (published), its commit not yet made
#   mid-commit       (local lake) a commit's staging file appeared in a _delta_log:
#                    the commit is being written and fsynced, not yet linked into place
# After every kill the snapshot holds no (symbol, seq) twice and no dead letter
# twice; after a final clean run: every tick the simulator sent exactly once,
# every bad one once in the dead letter, no temp folder left, and every live
# file whole (delta-rs + pyarrow read them; their count equals ticklake's).
#
#   stream-kill.sh local|s3
source "$(dirname "$0")/../integration/lib.sh"
source "$TL_SOURCE_DIR/tests/chaos/chaos.sh"

KIND=${1:-local}
case "$KIND" in
  local)
    L=$WORK/lake
    LOG=$L
    TMPBASE=$L/_tmp
    ;;
  s3)
    source "$TL_SOURCE_DIR/tests/tools/moto.sh"
    start_moto lake
    L=s3://lake/chaos
    LOG=$L
    # on S3 the stream writes its Parquet files in $TMPDIR/ticklake-tmp first
    mkdir -p "$WORK/tmp"
    export TMPDIR=$WORK/tmp
    TMPBASE=$WORK/tmp/ticklake-tmp
    ;;
  *) fail "usage: stream-kill.sh local|s3" ;;
esac

start_broker 4
RATE=3000
[ "$KIND" = s3 ] && RATE=1500 # moto takes longer per commit: less to catch up on at the end
say "simulate ticks with faults (2% bad, 2% duplicate, 2% late, 1% out of order) at $RATE/s until the kills are done"
"$TICKLAKE" simulate --brokers "$BROKERS" --topic ticks --rate "$RATE" --seed "$CHAOS_SEED" \
  --faults bad=0.02,dup=0.02,late=0.02,ooo=0.01 --stats-json "$WORK/sim.json" 2> "$WORK/sim.err" &
SIM=$!
PIDS+=($SIM)

CHILD_ERR=$WORK/stream.err
if [ "$KIND" = local ]; then
  MODES=(after-commit mid-commit between-commits before-commit mid-write)
else # an S3 PUT in flight cannot be seen from outside
  MODES=(after-commit between-commits before-commit mid-write)
fi
STREAM=("$TICKLAKE" stream --brokers "$BROKERS" --topic ticks --lake "$L" --assign-all
  --flush-interval 200ms)
for i in $(seq "$KILLS"); do
  mode=${MODES[$(((i - 1) % ${#MODES[@]}))]}
  rc=0
  killer --mode "$mode" --log "$LOG/ticks/_delta_log" --log "$LOG/deadletter/_delta_log" \
    --tmp "$TMPBASE/*" --seed $((CHAOS_SEED * 1000 + i)) --max-delay-ms 400 --timeout 60 \
    -- "${STREAM[@]}" || rc=$?
  case $rc in
    0) ;;
    3) tail -n 20 "$WORK/stream.err" >&2; fail "kill $i ($mode): the stream exited by itself" ;;
    4) tail -n 20 "$WORK/stream.err" >&2; fail "kill $i ($mode): no such moment within 60 s while ticks flowed" ;;
    *) fail "kill $i: killer.py failed ($rc)" ;;
  esac
  kill -0 "$SIM" 2> /dev/null || fail "the simulator stopped before kill $i"
  # nothing committed twice, at any moment
  rep=$(q "$L" 'SELECT (SELECT count(*) FROM (SELECT symbol, seq FROM ticks GROUP BY ALL HAVING count(*) > 1))
                 || '"'|'"' || (SELECT count(*) - count(DISTINCT (src_partition, src_offset)) FROM deadletter)')
  [ "$rep" = "0|0" ] || bug "after kill $i ($mode) the snapshot repeats ticks|dead letters: $rep"
done

say "stop the simulator, then a final clean run to the end of every partition"
kill -TERM "$SIM"
wait "$SIM" || fail "simulator failed: $(tail -n 5 "$WORK/sim.err")"
"${STREAM[@]}" --until-end --stats-json "$WORK/final.json" 2>> "$WORK/stream.err" ||
  { tail -n 20 "$WORK/stream.err" >&2; fail "final stream failed"; }

sent=$(json "$WORK/sim.json" sent)
bad=$(json "$WORK/sim.json" bad)
dup=$(json "$WORK/sim.json" dup)
late=$(json "$WORK/sim.json" late)
delivered=$(json "$WORK/sim.json" delivered)
expect_eq "messages delivered to the broker" "$delivered" "$sent"
say "simulator: sent $sent, bad $bad, duplicate $dup, late $late"
# one query (on S3 every query reads the whole lake)
IFS='|' read -r rows pairs dls dl_offsets both late_rows <<< "$(q "$L" "SELECT
  (SELECT count(*) FROM ticks) || '|' || (SELECT count(DISTINCT (symbol, seq)) FROM ticks) || '|' ||
  (SELECT count(*) FROM deadletter) || '|' || (SELECT count(DISTINCT (src_partition, src_offset)) FROM deadletter) || '|' ||
  (SELECT count(*) FROM ticks t JOIN deadletter d USING (src_partition, src_offset)) || '|' ||
  (SELECT count(*) FROM ticks WHERE late)")"
[ "$pairs" = "$rows" ] || bug "$((rows - pairs)) (symbol, seq) pairs are in the lake more than once"
[ "$dl_offsets" = "$dls" ] || bug "$((dls - dl_offsets)) dead letters are in the lake more than once"
[ "$rows" = $((sent - bad - dup)) ] ||
  bug "ticks in the lake: $rows, the simulator sent $((sent - bad - dup)) distinct valid ones ($((sent - bad - dup - rows)) lost)"
[ "$dls" = "$bad" ] || bug "dead letters in the lake: $dls, the simulator sent $bad bad messages"
expect_eq "ticks + dead letters + dropped duplicates = messages sent" $((rows + dls + dup)) "$sent"
# every Kafka offset the simulator wrote is in exactly one table, once
# (duplicates are resends: their offsets are in neither)
expect_eq "offsets in both tables" "$both" 0
say "late rows in the lake: $late_rows (the simulator sent $late late ticks; after restarts lateness is judged per partition from the lake, so not compared)"

expect_eq "temp folders left in $TMPBASE" "$(find "$TMPBASE" -mindepth 1 | wc -l)" 0
chk=$(lake_check "$L" "after the final run")
expect_eq "ticks rows read by pyarrow from the files delta-rs lists" \
  "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["ticks"]["rows"])' "$chk")" "$rows"
expect_eq "dead-letter rows read by pyarrow" \
  "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["deadletter"]["rows"])' "$chk")" "$dls"
[ "$KIND" = local ] && say "uncommitted files left for vacuum: $(find "$L/ticks" "$L/deadletter" -name '*.parquet' | wc -l) on disk, $(q "$L" 'SELECT count(*) FROM lake_files') live; staging files: $(find "$L" -name '.tl-tmp.*' | wc -l)"
say "kills: $(grep -c SIGKILL "$WORK/kills.log") at chosen moments"
echo "ok: $KILLS kills of stream on a $KIND lake"
