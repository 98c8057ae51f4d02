#!/usr/bin/env bash
# While compaction runs, a reader querying in a loop only ever sees the
# committed row count. SIGKILL at random points leaves the data as it was
# (each partition's commit is all or nothing); a rerun completes the job,
# and vacuum later removes what the killed runs left behind.
source "$(dirname "$0")/lib.sh"
L="$WORK/lake"
AGG='SELECT symbol, count(*), min(price), max(price), sum(price), sum(size) FROM ticks GROUP BY 1 ORDER BY 1'
N=0
say "six hours of small files"
for h in 10 11 12 13 14 15; do
  # seq made unique per hour (the stream drops repeated (symbol, seq) pairs)
  "$TICKLAKE" simulate --output - --count 6000 --rate 0 --seed $h --start 2026-11-24T$h:00:00Z 2> /dev/null \
    | sed "s/\"seq\":/\"seq\":$h/" \
    | "$TICKLAKE" stream --from - --source-id sim$h --flush-rows 200 --lake "$L" 2> /dev/null
  N=$((N + 6000))
done
expect_eq "rows" "$(q "$L" 'SELECT count(*) FROM ticks')" $N
"$TICKLAKE" query --lake "$L" --format csv "$AGG" > "$WORK/before.csv"

say "SIGKILL compaction at random points"
for i in 1 2 3 4 5 6; do
  "$TICKLAKE" compact --lake "$L" > /dev/null 2>&1 &
  pid=$!
  sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
  kill -9 "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  "$TICKLAKE" query --lake "$L" --format csv "$AGG" > "$WORK/k$i.csv" || fail "lake unreadable after kill $i"
  cmp -s "$WORK/before.csv" "$WORK/k$i.csv" || fail "aggregates changed after kill $i"
done
echo "ok: aggregates unchanged after 6 kills" >&2

say "a reader in a loop while compaction runs"
( while :; do q "$L" 'SELECT count(*) FROM ticks' >> "$WORK/counts.txt" || echo ERR >> "$WORK/counts.txt"; done ) &
reader=$!
PIDS+=("$reader")
sleep 0.3
"$TICKLAKE" compact --lake "$L" --json > "$WORK/c.json" 2> "$WORK/c.err" || { cat "$WORK/c.err"; fail "compact failed"; }
sleep 0.3
kill "$reader"; wait "$reader" 2> /dev/null || true
seen=$(sort -u "$WORK/counts.txt" | tr '\n' ' ')
expect_eq "counts the reader saw ($(wc -l < "$WORK/counts.txt") queries)" "$seen" "$N "
expect_eq "one file per hour" "$(q "$L" "SELECT count(*) FROM lake_files WHERE table_name = 'ticks'")" 6
"$TICKLAKE" query --lake "$L" --format csv "$AGG" > "$WORK/after.csv"
cmp -s "$WORK/before.csv" "$WORK/after.csv" || fail "aggregates changed by compaction"
echo "ok: aggregates identical after the rerun" >&2

say "vacuum removes the killed runs' orphans once old enough, never a live file"
live=$("$TICKLAKE" query --lake "$L" --format csv "SELECT path FROM lake_files WHERE table_name = 'ticks'" | tail -n +2 | sort)
find "$L/ticks" -mindepth 1 -not -path '*_delta_log*' -exec touch -d '3 hours ago' {} +
"$TICKLAKE" vacuum --lake "$L" --retain 0s > "$WORK/v.out"
echo "$live" | while read -r p; do [ -f "$L/ticks/$p" ] || fail "vacuum deleted live file $p"; done
on_disk=$(cd "$L/ticks" && find . -name '*.parquet' -not -path '*_delta_log*' | sed 's|^\./||' | sort)
expect_eq "files on disk = live files" "$on_disk" "$live"
expect_eq "rows after vacuum" "$(q "$L" 'SELECT count(*) FROM ticks')" $N
