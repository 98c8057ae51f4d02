#!/usr/bin/env bash
# Dedupe holds for stream.dedupe_horizon (default 1 h of event time), not just
# the allowed lateness (issue 10, item 3): a producer that resends ticks
# minutes later — in the same run, or after a restart and a compaction — gets
# each (symbol, seq) into the lake once. Before, pairs were forgotten 10 s
# behind the watermark and recovery reloaded only those, so both resends
# landed twice.
source "$(dirname "$0")/lib.sh"
L=$WORK/lake

gen() { # file first last [resend_first resend_last]: 3 symbols, 10 ticks/s of event time
  python3 - "$@" <<'PY'
import sys, time
path, a, b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
start = int(time.time() * 1000) - 700_000          # ~12 minutes ago
rows = [(s, q) for q in range(a, b + 1) for s in ("AA", "BB", "CC")]
if len(sys.argv) > 4:
    rows += [(s, q) for q in range(int(sys.argv[4]), int(sys.argv[5]) + 1) for s in ("AA", "BB", "CC")]
with open(path, "w") as f:
    for s, q in rows:
        f.write('{"symbol":"%s","ts":%d,"price":%d.%03d,"seq":%d}\n' % (s, start + q * 100, 1 + q // 1000, q % 1000, q))
PY
}

say "one run: 6000 seqs per symbol, then seqs 1-500 again, 9+ minutes of event time later"
gen "$WORK/a.jsonl" 1 6000 1 500
"$TICKLAKE" stream --from "$WORK/a.jsonl" --lake "$L" --source-id a --flush-rows 2000 \
  --stats-json "$WORK/a.json" 2> "$WORK/a.err" || { cat "$WORK/a.err"; fail "stream a"; }
expect_eq "rows after one run" "$(q "$L" 'SELECT count(*) FROM ticks')" 18000
expect_eq "duplicates dropped in the run" "$(json "$WORK/a.json" duplicates)" 1500

say "compact, then restart with a producer that replays seqs 1000-1999 from its checkpoint"
"$TICKLAKE" compact --lake "$L" 2> "$WORK/compact.err" || { cat "$WORK/compact.err"; fail "compact"; }
gen "$WORK/b.jsonl" 1000 1999
"$TICKLAKE" stream --from "$WORK/b.jsonl" --lake "$L" --source-id b \
  --stats-json "$WORK/b.json" 2> "$WORK/b.err" || { cat "$WORK/b.err"; fail "stream b"; }
expect_eq "rows after the replay" "$(q "$L" 'SELECT count(*) FROM ticks')" 18000
expect_eq "duplicates dropped after the restart" "$(json "$WORK/b.json" duplicates)" 3000
grep -q "recovered from the lake" "$WORK/b.err" || { cat "$WORK/b.err"; fail "no recovery message"; }

say "a horizon shorter than the gap lets the old pairs through again, as documented"
gen "$WORK/c.jsonl" 1 10
"$TICKLAKE" stream --from "$WORK/c.jsonl" --lake "$WORK/lake2" --source-id c 2> /dev/null
gen "$WORK/d.jsonl" 1000 6000 1 10
"$TICKLAKE" stream --from "$WORK/d.jsonl" --lake "$WORK/lake2" --source-id d --dedupe-horizon 30s \
  --flush-rows 500 --stats-json "$WORK/d.json" 2> "$WORK/d.err" || { cat "$WORK/d.err"; fail "stream d"; }
expect_eq "unseen-since-horizon pairs admitted" "$(q "$WORK/lake2" 'SELECT count(*) FROM ticks WHERE seq <= 10')" 60
