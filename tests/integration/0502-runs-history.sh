#!/usr/bin/env bash
# The run history: after `ticklake up --duration 60` (compaction and models
# every 10 s), `ticklake runs` shows successful compaction and models runs
# from the lake, as a table, JSON and CSV, filtered by job and time; every
# record parses and no two runs of one job overlap.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
cp -r "$TL_SOURCE_DIR/analytics" analytics; rm -rf analytics/target

start_up --duration 60 --symbols 20 --rate 500 \
  --schedule-compact '@every 10s' --schedule-models '@every 10s' --schedule-vacuum ''
rc=0
wait "$UP" || rc=$?
expect_eq "up exit code" "$rc" 0

"$TICKLAKE" runs --lake ./lake --format json > runs.json || fail "ticklake runs --format json failed"
python3 - runs.json <<'PY' || fail "the history does not show compaction and models runs"
import json, sys
runs = json.load(open(sys.argv[1]))
by = {}
for r in runs:
    by.setdefault(r["job"], []).append(r)
    assert r["status"] in ("success", "failed", "skipped", "timed_out"), r
    assert r["end_ms"] >= r["start_ms"] and r["attempt"] >= 1, r
ok = {j: [r for r in rs if r["status"] == "success"] for j, rs in by.items()}
assert len(ok.get("compact", [])) >= 3, by.keys()
assert len(ok.get("models", [])) >= 3, by.keys()
assert any((r["summary"]["files_in"] or 0) > 1 for r in ok["compact"]), "no compaction rewrote files"
assert all(r["summary"]["models"] >= 1 for r in ok["models"])
for rs in by.values():
    rs.sort(key=lambda r: r["start_ms"])
    for a, b in zip(rs, rs[1:]):
        assert b["start_ms"] >= a["end_ms"], (a, b)
print("ok:", {j: len(v) for j, v in ok.items()}, file=sys.stderr)
PY
"$TICKLAKE" runs --lake ./lake > runs.txt || fail "ticklake runs failed"
grep -Eq '^JOB +SCHEDULED +START' runs.txt || fail "no table header: $(head -2 runs.txt)"
grep -Eq '^compact +[0-9T:.Z-]+ +[0-9T:.Z-]+ +[0-9.]+ +1 success' runs.txt || fail "no compaction row: $(cat runs.txt)"
"$TICKLAKE" runs --lake ./lake --format csv --job models > runs.csv || fail "ticklake runs --format csv failed"
python3 -c 'import csv,sys; rows = list(csv.DictReader(open(sys.argv[1]))); assert rows and all(r["job"] == "models" for r in rows), rows' runs.csv \
  || fail "csv of models runs: $(head -3 runs.csv)"
expect_eq "runs in the future" "$("$TICKLAKE" runs --lake ./lake --since 2999-01-01T00:00:00Z --format json)" "[]"
n=$("$TICKLAKE" runs --lake ./lake --since 1h --limit 2 --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
expect_eq "--limit 2" "$n" 2
rc=0; "$TICKLAKE" runs --lake ./lake --since yesterday 2> bad.err || rc=$?
expect_eq "exit code for a bad --since" "$rc" 2
