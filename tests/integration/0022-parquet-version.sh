#!/usr/bin/env bash
# lake.parquet_version: the data files (ticks, dead letters, compaction
# outputs) are Parquet format 1 by default, which every reader reads, and
# format 2 when asked (V2 encodings: delta-packed integers and timestamps,
# smaller). Both hold the same rows, pyarrow reads format 2, and a bad value
# is refused by name.
source "$(dirname "$0")/lib.sh"

"$TICKLAKE" simulate --output - --count 50000 --rate 0 --seed 22 --faults bad=0.01 \
  --start 2026-01-05T14:00:00Z > "$WORK/f.jsonl" 2> /dev/null
V2="$WORK/v2" V1="$WORK/v1"

# encodings LAKE GLOB: the distinct Parquet encodings of LAKE's files under GLOB
encodings() {
  q "$1" "SELECT list(DISTINCT e ORDER BY e) FROM (SELECT unnest(string_split(encodings, ', ')) e
          FROM parquet_metadata('$1/$2'))"
}
has_delta() { case "$1" in *DELTA_BINARY_PACKED*) echo yes ;; *) echo no ;; esac; }

say "stream: format 1 by default, 2 with --parquet-version 2"
"$TICKLAKE" stream --from "$WORK/f.jsonl" --lake "$V1" --flush-rows 5000 2> "$WORK/s1.err" \
  || { tail "$WORK/s1.err"; fail "stream (default) failed"; }
"$TICKLAKE" stream --from "$WORK/f.jsonl" --lake "$V2" --flush-rows 5000 --parquet-version 2 \
  2> "$WORK/s2.err" || { tail "$WORK/s2.err"; fail "stream --parquet-version 2 failed"; }
TICKS='ticks/*/*/*/*/part-*.parquet' DEAD='deadletter/*/*.parquet'
expect_eq "ticks files, format 2: delta-packed columns" "$(has_delta "$(encodings "$V2" "$TICKS")")" yes
expect_eq "dead-letter files, format 2: delta-packed columns" "$(has_delta "$(encodings "$V2" "$DEAD")")" yes
expect_eq "ticks files, default (format 1): none" "$(has_delta "$(encodings "$V1" "$TICKS")")" no
expect_eq "dead-letter files, default (format 1): none" "$(has_delta "$(encodings "$V1" "$DEAD")")" no
ROWS="SELECT count(*) || '/' || sum(price) || '/' || sum(seq) || '/' || max(ts) FROM ticks"
expect_eq "the same ticks in both formats" "$(q "$V2" "$ROWS")" "$(q "$V1" "$ROWS")"
expect_eq "the same dead letters in both formats" "$(q "$V2" 'SELECT count(*) FROM deadletter')" \
  "$(q "$V1" 'SELECT count(*) FROM deadletter')"
n2=$(du -cb "$V2"/ticks/*/*/*/*/part-*.parquet | tail -1 | cut -f1)
n1=$(du -cb "$V1"/ticks/*/*/*/*/part-*.parquet | tail -1 | cut -f1)
echo "ok: ticks files hold $n2 bytes in format 2, $n1 in format 1" >&2

say "compaction writes the format it is given (the environment here)"
"$TICKLAKE" compact --lake "$V1" > /dev/null 2> "$WORK/c1.err" || { tail "$WORK/c1.err"; fail "compact failed"; }
TICKLAKE_LAKE_PARQUET_VERSION=2 "$TICKLAKE" compact --lake "$V2" > /dev/null 2> "$WORK/c2.err" \
  || { tail "$WORK/c2.err"; fail "compact with TICKLAKE_LAKE_PARQUET_VERSION=2 failed"; }
COMPACTED='ticks/*/*/*/*/part-compact-*.parquet'
expect_eq "compacted files, format 2: delta-packed columns" "$(has_delta "$(encodings "$V2" "$COMPACTED")")" yes
expect_eq "compacted files, default (format 1): none" "$(has_delta "$(encodings "$V1" "$COMPACTED")")" no
expect_eq "the same ticks after compaction" "$(q "$V2" "$ROWS")" "$(q "$V1" "$ROWS")"
LIVE="SELECT count(*) || ' of ' || sum(size) || ' bytes' FROM lake_files WHERE table_name = 'ticks'"
echo "ok: live ticks files after compaction: $(q "$V2" "$LIVE") in format 2, $(q "$V1" "$LIVE") in format 1" >&2
expect_eq "one live ticks file each after compaction" \
  "$(q "$V2" "SELECT count(*) FROM lake_files WHERE table_name = 'ticks'")/$(q "$V1" "SELECT count(*) FROM lake_files WHERE table_name = 'ticks'")" "1/1"

say "pyarrow reads the format-2 files (an independent reader)"
VENV=$("$TL_SOURCE_DIR/scripts/pyenv" interop) || fail "cannot set up the 'interop' Python venv"
got=$("$VENV/bin/python" - "$V2" <<'EOF'
import glob, sys, pyarrow.compute as pc, pyarrow.parquet as pq
t = pq.read_table(glob.glob(sys.argv[1] + "/ticks/*/*/*/*/part-compact-*.parquet"))
print(f"{t.num_rows}/{pc.sum(t['seq']).as_py()}")
EOF
)
expect_eq "pyarrow: rows/sum(seq) of the compacted format-2 file" "$got" "$(q "$V2" "SELECT count(*) || '/' || sum(seq) FROM ticks")"

say "a bad value is refused, naming the setting"
set +e
"$TICKLAKE" stream --from "$WORK/f.jsonl" --lake "$WORK/bad" --parquet-version 3 2> "$WORK/bad.err"
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "--parquet-version 3 was accepted"
grep -q "invalid value '3' for lake.parquet_version" "$WORK/bad.err" \
  || { cat "$WORK/bad.err"; fail "the error does not name lake.parquet_version"; }
[ ! -e "$WORK/bad" ] || fail "a refused setting still made a lake"
say "ok"
