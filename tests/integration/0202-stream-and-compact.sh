#!/usr/bin/env bash
# stream keeps committing to an hour while compaction rewrites it, over and
# over (a compaction after each of 6 chunks the running stream committed): at the end every (symbol, seq) is in the lake exactly once, and the
# hour ends up in one file.
source "$(dirname "$0")/lib.sh"
L="$WORK/lake"
N=30000
chunk_committed() { [ -d "$L/ticks/_delta_log" ] && [ "$(q "$L" 'SELECT coalesce(max(src_offset), 0) FROM ticks')" -ge "$1" ]; }
say "stream fed in 6 chunks through a FIFO, a compaction after each chunk lands"
# The stream runs the whole time (the FIFO stays open), so every compaction
# races its commits; chunks make that certain however slow the machine is.
"$TICKLAKE" simulate --output - --count $N --rate 0 --start 2026-11-24T10:00:00Z 2> /dev/null > "$WORK/all.jsonl"
mkfifo "$WORK/feed"
"$TICKLAKE" stream --from - --source-id slow --flush-interval 100ms --lake "$L" < "$WORK/feed" 2> "$WORK/stream.err" &
stream=$!
PIDS+=("$stream")
exec 3> "$WORK/feed"
rounds=0 committed=0 conflicts=0 chunk=$((N / 6))
for i in 1 2 3 4 5 6; do
  sed -n "$(((i - 1) * chunk + 1)),$((i * chunk))p" "$WORK/all.jsonl" >&3
  wait_until 60 "the stream to commit chunk $i" chunk_committed $((i * chunk))
  "$TICKLAKE" compact --lake "$L" --min-files 2 --json > "$WORK/c.json" 2>> "$WORK/c.err" \
    || { cat "$WORK/c.err"; fail "compact failed while the stream ran"; }
  rounds=$((rounds + 1))
  committed=$((committed + $(json "$WORK/c.json" partitions)))
  conflicts=$((conflicts + $(json "$WORK/c.json" conflicts)))
  kill -0 "$stream" 2> /dev/null || { cat "$WORK/stream.err"; fail "the stream ended early"; }
done
exec 3>&-
wait "$stream" || { cat "$WORK/stream.err"; fail "stream failed"; }
echo "ok: $rounds compaction runs, $committed partition commits, $conflicts conflicts retried" >&2
[ "$committed" -ge 3 ] || fail "compaction only committed $committed times while the stream ran"
"$TICKLAKE" compact --lake "$L" --json > "$WORK/final.json"

expect_eq "rows" "$(q "$L" 'SELECT count(*) FROM ticks')" $N
expect_eq "distinct (symbol, seq)" "$(q "$L" 'SELECT count(*) FROM (SELECT DISTINCT symbol, seq FROM ticks)')" $N
expect_eq "(symbol, seq) seen more than once" "$(q "$L" 'SELECT count(*) FROM (SELECT symbol, seq FROM ticks GROUP BY ALL HAVING count(*) > 1)')" 0
expect_eq "live files" "$(q "$L" "SELECT count(*) FROM lake_files WHERE table_name = 'ticks'")" 1
expect_eq "stream's position recorded" "$(q "$L" 'SELECT max(src_offset) FROM ticks')" $N
