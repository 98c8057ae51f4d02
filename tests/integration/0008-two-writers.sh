#!/usr/bin/env bash
# Two writers of the same source range never overwrite each other's files
# (issue 10, item 2). Two `stream --from` of one file into one lake race:
# before, the loser (fenced at commit) had already renamed its Parquet file
# over the winner's committed file of the same name, so the size in the log
# no longer matched the bytes and readers found no footer. Now every file
# name carries the writer attempt: each round, every live file's size equals
# the log's, every row is there once, and the fenced writer took back its
# own files (no orphan Parquet beside the live ones).
source "$(dirname "$0")/lib.sh"

"$TICKLAKE" simulate --output - --count 300000 --rate 0 --seed 11 --symbols 20 \
  > "$WORK/day.jsonl" 2> /dev/null
N=$(wc -l < "$WORK/day.jsonl")

check_log_matches_disk() { # lake
  python3 - "$1/ticks" <<'PY'
import glob, json, os, sys
root = sys.argv[1]
live = {}
for f in sorted(glob.glob(os.path.join(root, "_delta_log", "*.json"))):
    for line in open(f):
        a = json.loads(line)
        if "add" in a:
            live[a["add"]["path"]] = a["add"]["size"]
        elif "remove" in a:
            live.pop(a["remove"]["path"], None)
bad = []
for p, size in live.items():
    full = os.path.join(root, p)
    with open(full, "rb") as fh:
        data = fh.read()
    if len(data) != size or data[-4:] != b"PAR1":
        bad.append("%s: log %d, disk %d, footer %r" % (p, size, len(data), data[-4:]))
on_disk = {os.path.relpath(p, root) for p in glob.glob(os.path.join(root, "year=*/**/*.parquet"), recursive=True)}
orphans = sorted(on_disk - set(live))
if bad or orphans:
    print("\n".join(bad + ["orphan: " + o for o in orphans]))
    sys.exit(1)
print(len(live))
PY
}

for round in 1 2 3 4; do
  L=$WORK/lake$round
  say "round $round: two streams of the same file race into $L"
  for w in a b; do
    "$TICKLAKE" stream --from "$WORK/day.jsonl" --lake "$L" --source-id day --flush-rows 20000 \
      > /dev/null 2> "$WORK/$w$round.err" &
    eval "P$w=\$!"
  done
  rca=0; rcb=0
  wait "$Pa" || rca=$?
  wait "$Pb" || rcb=$?
  [ $rca -eq 0 ] || [ $rcb -eq 0 ] || { cat "$WORK/a$round.err" "$WORK/b$round.err"; fail "both writers failed"; }
  for w in a b; do # a writer that lost says so: it was fenced, it crashed on nothing else
    if [ "$(eval echo "\$rc$w")" -ne 0 ]; then
      grep -q "another writer" "$WORK/$w$round.err" \
        || { cat "$WORK/$w$round.err"; fail "writer $w failed for another reason"; }
    fi
  done
  files=$(check_log_matches_disk "$L") || { echo "$files"; fail "round $round: log and files disagree"; }
  echo "ok: round $round: $files live files match the log (rc a=$rca b=$rcb)" >&2
  expect_eq "round $round: rows" "$(q "$L" 'SELECT count(*) FROM ticks')" "$N"
  expect_eq "round $round: distinct (symbol, seq)" \
    "$(q "$L" 'SELECT count(*) FROM (SELECT DISTINCT symbol, seq FROM ticks)')" "$N"
done
