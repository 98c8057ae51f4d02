#!/usr/bin/env bash
# delta-rs (the `deltalake` Python package, pinned in scripts/python/interop.lock)
# reads lakes that ticklake wrote, in a local folder and on S3 (moto), with the
# same figures as `ticklake query`: a stream with malformed, late, duplicate and
# out-of-order ticks, then compaction, vacuum, more streaming and checkpoints.
# tests/tools/deltars_check.py compares schema types, live files, figures, file
# statistics, txn versions and history(); here: the history is the one ticklake
# wrote (STREAMING UPDATE, OPTIMIZE, VACUUM START/END), the S3 lake reads like
# the local one, and a copy that keeps only the checkpoint and what follows it
# (as after log cleanup) reads the same in delta-rs as in ticklake.
source "$(dirname "$0")/lib.sh"
source "$TL_SOURCE_DIR/tests/tools/moto.sh"
VENV=$("$TL_SOURCE_DIR/scripts/pyenv" interop) || fail "cannot set up the 'interop' Python venv (scripts/pyenv interop)"
PY=$VENV/bin/python
CHECK="$TL_SOURCE_DIR/tests/tools/deltars_check.py"
"$PY" -c 'import deltalake; assert deltalake.__version__ == "1.6.6", deltalake.__version__' \
  || fail "deltalake 1.6.6 is not in the interop venv"
start_moto lake

# ticks at 1000/s from 14:00, 15:00 (input A) and 16:00 (input B), seq made
# unique per run (the stream drops repeated (symbol, seq) pairs); late ticks
# land 2-10 minutes back, in the previous hour. Each input is streamed in
# chunks of 2000 lines, one `stream` run and source id each (a run over a
# file commits every few thousand lines): enough commits for a checkpoint
# (version 10, written by compaction) with commits after it, and every run
# rebuilds its dedupe state and watermark from the lake.
sim() { # HOUR
  "$TICKLAKE" simulate --output - --count 8000 --rate 0 --seed "$1" --start "2026-11-24T$1:00:00Z" \
    --faults bad=0.01,late=0.02,dup=0.01,ooo=0.01 2> /dev/null | sed "s/\"seq\":/\"seq\":$1/"
}
mkdir "$WORK/in"
{ sim 14; sim 15; } | split -l 2000 -d - "$WORK/in/a"
sim 16 | split -l 2000 -d - "$WORK/in/b"
TXNS=()
for f in "$WORK"/in/*; do TXNS+=(--txn "file/$(basename "$f")=$(wc -l < "$f")"); done
NLINES=$(cat "$WORK"/in/* | wc -l)

stream_chunks() { # LAKE NAME a|b
  for f in "$WORK/in/$3"*; do
    "$TICKLAKE" stream --from "$f" --source-id "$(basename "$f")" --lake "$1" \
      --stats-json "$WORK/stats/$2-$(basename "$f").json" 2>> "$WORK/$2.err" \
      || { cat "$WORK/$2.err"; fail "stream $f into $1"; }
  done
}
build() { # LAKE NAME: stream A, compact, vacuum, stream B
  local L=$1 n=$2
  stream_chunks "$L" "$n" a
  "$TICKLAKE" compact --lake "$L" --json > "$WORK/$n-compact.json" 2>> "$WORK/$n.err" \
    || { cat "$WORK/$n.err"; fail "compact $L"; }
  "$TICKLAKE" vacuum --lake "$L" --retain 0s > "$WORK/$n-vacuum.out" 2>> "$WORK/$n.err" \
    || { cat "$WORK/$n.err"; fail "vacuum $L"; }
  stream_chunks "$L" "$n" b
}
mkdir "$WORK/stats"
L=$WORK/lake
S3=s3://lake/t
say "the same lake twice: $L and $S3"
build "$L" local
build "$S3" s3

say "counts conserved (the figures below are checked against these rows)"
stat() { "$PY" -c 'import json, sys; print(sum(json.load(open(f))[sys.argv[1]] for f in sys.argv[2:]))' "$1" "$WORK"/stats/local-*.json; }
acc=$(stat accepted) rej=$(stat rejected) dup=$(stat duplicates) late=$(stat late)
expect_eq "accepted + rejected + duplicates = lines" $((acc + rej + dup)) "$NLINES"
[ "$rej" -gt 0 ] && [ "$dup" -gt 0 ] && [ "$late" -gt 0 ] || fail "faults missing: rejected $rej, duplicates $dup, late $late"
expect_eq "ticks rows" "$(q "$L" 'SELECT count(*) FROM ticks')" "$acc"
expect_eq "late rows" "$(q "$L" 'SELECT count(*) FROM ticks WHERE late')" "$late"
expect_eq "dead letters" "$(q "$L" 'SELECT count(*) FROM deadletter')" "$rej"
parts=$(json "$WORK/local-compact.json" partitions)
[ "$parts" -ge 3 ] || fail "compaction touched $parts partitions"
grep -q "^deleted [1-9][0-9]* files" "$WORK/local-vacuum.out" || { cat "$WORK/local-vacuum.out"; fail "vacuum deleted nothing"; }
cp=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["version"])' "$L/ticks/_delta_log/_last_checkpoint")
[ "$cp" -ge 10 ] || fail "no checkpoint (_last_checkpoint names version $cp)"
[ "$(ls "$L/ticks/_delta_log" | grep -c '\.json$')" -gt $((cp + 3)) ] || fail "fewer than 3 commits after checkpoint $cp"

say "delta-rs reads the local lake"
"$PY" "$CHECK" "$L" "${TXNS[@]}" --history-out "$WORK/h-local.txt"
ops() { awk -v t="$1" -v op="$2" '$1 == t && substr($0, index($0, $3)) == op' "$WORK/h-local.txt" | wc -l; }
expect_eq "ticks: CREATE TABLE commits" "$(ops ticks 'CREATE TABLE')" 1
expect_eq "ticks: OPTIMIZE commits (one per compacted partition)" "$(ops ticks OPTIMIZE)" "$parts"
expect_eq "ticks: VACUUM START commits" "$(ops ticks 'VACUUM START')" 1
expect_eq "ticks: VACUUM END commits" "$(ops ticks 'VACUUM END')" 1
expect_eq "ticks: STREAMING UPDATE commits" "$(ops ticks 'STREAMING UPDATE')" \
  "$(($(wc -l < "$WORK/h-local.txt") - $(grep -c '^deadletter ' "$WORK/h-local.txt") - parts - 3))"
grep -q '^ticks [0-9]* VACUUM START$' <(grep -A1 "^ticks [0-9]* OPTIMIZE$" "$WORK/h-local.txt" | tail -1) \
  || fail "VACUUM START does not follow the last OPTIMIZE"
# dead letters are compacted (by day) and vacuumed like ticks (issue 14)
dl_parts=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["deadletter"]["partitions"])' "$WORK/local-compact.json")
[ "$dl_parts" -ge 1 ] || fail "the dead letters of input A were not compacted"
expect_eq "deadletter: operations" "$(awk '$1 == "deadletter" {$1 = $2 = ""; print}' "$WORK/h-local.txt" | sort -u | tr -s ' ' | tr '\n' ,)" \
  " CREATE TABLE, OPTIMIZE, STREAMING UPDATE, VACUUM END, VACUUM START,"

say "delta-rs reads the S3 lake (same figures, same history)"
"$PY" "$CHECK" "$S3" "${TXNS[@]}" --history-out "$WORK/h-s3.txt"
SUMQ="SELECT count(*) || '/' || count(DISTINCT (symbol, seq)) || '/' || sum(price) || '/' || min(ts) || '/' || max(ts) FROM ticks"
expect_eq "s3 lake = local lake" "$(q "$S3" "$SUMQ")" "$(q "$L" "$SUMQ")"
cmp -s "$WORK/h-local.txt" "$WORK/h-s3.txt" || { diff "$WORK/h-local.txt" "$WORK/h-s3.txt" >&2; fail "S3 history differs from the local one"; }
echo "ok: S3 history = local history ($(wc -l < "$WORK/h-s3.txt") commits)" >&2

say "a copy with only checkpoint $cp and later commits reads the same"
C=$WORK/cp-only
cp -r "$L" "$C"
for ((v = 0; v <= cp; v++)); do rm -f "$C/ticks/_delta_log/$(printf %020d $v).json"; done
[ ! -e "$C/ticks/_delta_log/00000000000000000000.json" ] || fail "commit 0 still in the copy"
"$PY" "$CHECK" "$C" --no-history "${TXNS[@]}"
expect_eq "checkpoint-only copy = lake (ticklake)" "$(q "$C" "$SUMQ")" "$(q "$L" "$SUMQ")"

say "a checkpoint cut off before its _last_checkpoint (a crash of the stream's checkpoint thread)"
# The checkpoint Parquet lands whole (rename / one PUT), _last_checkpoint last:
# a crash between the two leaves a checkpoint no pointer names.
X=$WORK/cut-off
cp -r "$L" "$X"
rm "$X/ticks/_delta_log/_last_checkpoint"
"$PY" "$CHECK" "$X" --no-history "${TXNS[@]}"
expect_eq "cut-off copy = lake (ticklake)" "$(q "$X" "$SUMQ")" "$(q "$L" "$SUMQ")"

say "a changed row is noticed (the checker can fail)"
victim=$(cd "$C/ticks" && find . -name 'part-*.parquet' -path '*hour=16*' | sed 's|^\./||' | head -1)
[ -n "$victim" ] || fail "no hour-16 file in the copy"
"$PY" - "$C/ticks/$victim" << 'EOF'
import sys, pyarrow as pa, pyarrow.parquet as pq
t = pq.read_table(sys.argv[1])
t = t.slice(1)  # one row fewer than the log's numRecords says
pq.write_table(t, sys.argv[1])
EOF
if "$PY" "$CHECK" "$C" --no-history > /dev/null 2> "$WORK/broken.err"; then
  fail "the checker accepted a file whose rows disagree with the log"
fi
# delta-rs trusts the log's file size to find the footer: it refuses the file
grep -q "FAIL: delta-rs cannot run .*$(basename "$victim")" "$WORK/broken.err" \
  || { cat "$WORK/broken.err" >&2; fail "unexpected checker failure"; }
echo "ok: the checker rejects a file that lost a row" >&2
