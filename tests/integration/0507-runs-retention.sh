#!/usr/bin/env bash
# The run history is trimmed (issue 15): the scheduler deletes run records
# older than schedule.runs_retention (default 30 days; 0 keeps all), and
# `ticklake runs` lists the rest as before. Old records are planted as a
# scheduler 40 and 2 days ago would have written them.
source "$(dirname "$0")/lib.sh"
L="$WORK/lake"

# plant DAYS_AGO JOB: a run record that started DAYS_AGO days ago
plant() {
  python3 - "$L" "$1" "$2" <<'PY'
import json, os, sys, time
lake, days, job = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ms = int(time.time() * 1000) - days * 86400000
t = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)
stamp = t.replace("-", "").replace(":", "").replace(".", "")
run_id = "%s-%s-1-0ld0ld%02d" % (stamp, job, days)
rec = {"run_id": run_id, "job": job, "scheduled": t, "scheduled_ms": ms, "start": t,
       "start_ms": ms, "end": t, "end_ms": ms + 1000, "duration_ms": 1000, "attempt": 1,
       "status": "success", "error": None, "detail": "planted", "summary": {"files_in": 2,
       "files_out": 1, "rows": 10, "models": None, "tests_failed": None}, "owner": "old-host"}
d = os.path.join(lake, "_ticklake", "runs", t[:10])
os.makedirs(d, exist_ok=True)
open(os.path.join(d, run_id + ".json"), "w").write(json.dumps(rec) + "\n")
PY
}
count() { "$TICKLAKE" runs --lake "$L" --limit 0 --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
planted() { "$TICKLAKE" runs --lake "$L" --limit 0 --format json | python3 -c 'import json,sys; print(" ".join(sorted(str(round((r["start_ms"]) / 86400000)) for r in json.load(sys.stdin) if r["owner"] == "old-host")))'; }

say "a small lake and two old run records"
"$TICKLAKE" simulate --output - --count 2000 --rate 0 --start 2026-11-24T10:00:00Z 2> /dev/null \
  | "$TICKLAKE" stream --from - --source-id s --lake "$L" 2> "$WORK/stream.err" \
  || { cat "$WORK/stream.err"; fail "simulate | stream failed"; }
plant 40 compact
plant 2 compact
expect_eq "records before any scheduler ran" "$(count)" 2

say "--runs-retention 0 keeps them all"
"$TICKLAKE" schedule --once --lake "$L" --schedule-models '' --schedule-vacuum '' --runs-retention 0 \
  2> "$WORK/keep.err" || { cat "$WORK/keep.err"; fail "schedule --once failed"; }
expect_eq "records after a run that keeps all" "$(count)" 3
grep -q "run records older" "$WORK/keep.err" && fail "deleted records with retention 0"

say "the default (720h) deletes the 40-day-old record, and only it"
"$TICKLAKE" schedule --once --lake "$L" --schedule-models '' --schedule-vacuum '' \
  2> "$WORK/trim.err" || { cat "$WORK/trim.err"; fail "schedule --once failed"; }
grep -q "schedule: deleted 1 run records older than 720 h (schedule.runs_retention)" "$WORK/trim.err" \
  || fail "no trim line: $(cat "$WORK/trim.err")"
expect_eq "records after trimming" "$(count)" 3
[ -z "$(find "$L/_ticklake/runs" -name '*-0ld0ld40.json')" ] || fail "the 40-day-old record is still there"
[ -n "$(find "$L/_ticklake/runs" -name '*-0ld0ld02.json')" ] || fail "the 2-day-old record was deleted"
expect_eq "jobs listed by ticklake runs" "$("$TICKLAKE" runs --lake "$L" --format csv | tail -n +2 | cut -d, -f2 | tr '\n' ' ')" "compact compact compact "

say "TICKLAKE_SCHEDULE_RUNS_RETENTION=1h: the 2-day-old one goes too"
TICKLAKE_SCHEDULE_RUNS_RETENTION=1h "$TICKLAKE" schedule --once --lake "$L" --schedule-models '' \
  --schedule-vacuum '' 2> "$WORK/env.err" || { cat "$WORK/env.err"; fail "schedule --once failed"; }
grep -q "deleted 1 run records older than 1 h" "$WORK/env.err" || fail "no trim line: $(cat "$WORK/env.err")"
expect_eq "records left: this run's and the two before" "$(count)" 3
