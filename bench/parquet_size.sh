#!/usr/bin/env bash
# Parquet bytes per tick: the lake's files against DuckDB's own zstd output
# of the same ticks and the same columns.
#   N=2000000 ticks (simulated, 500 symbols, one hour of event time)
# ticklake: `stream --from` with the default flush settings (its files as
# the stream writes them), then the same lake after `compact`.
# Peer: DuckDB `COPY (SELECT <the table's columns> FROM read_parquet(<the
# lake's files>) ORDER BY src_partition, src_offset) TO … (FORMAT parquet,
# COMPRESSION zstd)`, its defaults otherwise: one file, the ticks in the
# order they arrived (as DuckDB would have ingested them).
# Sizes are deterministic (no timing): one run.
source "$(dirname "$0")/lib.sh"
N=${N:-2000000}
L="$WORK/lake"
"$TICKLAKE" simulate --output - --count "$N" --rate 0 --symbols 500 --seed 1 \
    --start 2026-11-24T10:00:00Z 2>/dev/null \
  | "$TICKLAKE" stream --from - --source-id bench --lake "$L" 2>/dev/null

# the live files of the ticks table (compaction's inputs stay on disk until vacuum)
files() {
  "$TICKLAKE" query --lake "$L" --format csv "SELECT path FROM lake_files WHERE table_name = 'ticks' ORDER BY 1" \
    | sed 1d | tr -d '"' | sed "s|^|$L/ticks/|"
}
bytes() { "$TICKLAKE" query --lake "$L" --format csv "SELECT sum(size) FROM lake_files WHERE table_name = 'ticks'" | sed -n 2p; }
# the table's columns, without the partition columns (they live in folder names)
cols=$("$TICKLAKE" query --lake "$L" --format csv \
  "SELECT string_agg(name, ', ' ORDER BY i) FROM (SELECT name, row_number() OVER () i FROM parquet_schema('$(files | head -1)') WHERE num_children IS NULL)" | sed -n 2p | tr -d '"')
duck_bytes() {
  local list; list=$(files | sed "s/.*/'&'/" | paste -sd,)
  rm -f "$WORK/duck.parquet"
  "$TICKLAKE" query --lake "$WORK/empty" "COPY (SELECT $cols FROM read_parquet([$list], hive_partitioning=false) ORDER BY src_partition, src_offset) TO '$WORK/duck.parquet' (FORMAT parquet, COMPRESSION zstd)" >/dev/null
  stat -c %s "$WORK/duck.parquet"
}
rows=$("$TICKLAKE" query --lake "$L" --format csv "SELECT count(*) FROM ticks" | sed -n 2p)
per() { echo "scale=2; $1 / $rows" | bc -l | xargs printf '%.2f'; }

s_files=$(files | wc -l); s_bytes=$(bytes); duck=$(duck_bytes)
"$TICKLAKE" compact --lake "$L" >/dev/null
c_files=$(files | wc -l); c_bytes=$(bytes)
echo "columns: $cols"
echo "$rows ticks"
echo "DuckDB zstd, one file:     $duck bytes, $(per "$duck") B/tick"
echo "stream's files ($s_files): $s_bytes bytes, $(per "$s_bytes") B/tick"
echo "compacted ($c_files):      $c_bytes bytes, $(per "$c_bytes") B/tick"
r_s=$(ratio "$s_bytes" "$duck"); r_c=$(ratio "$c_bytes" "$duck")
result "Parquet bytes/tick, stream's $s_files files, $rows ticks" "$(per "$s_bytes")" "$(per "$duck")" "${r_s}x" "<= 1.0x" "$(verdict "$r_s" '<=' 1.0)"
result "Parquet bytes/tick, after compact ($c_files files)" "$(per "$c_bytes")" "$(per "$duck")" "${r_c}x" "<= 1.0x" "$(verdict "$r_c" '<=' 1.0)"
