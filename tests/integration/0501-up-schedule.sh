#!/usr/bin/env bash
# The scheduler inside ticklake up: with compaction and models every 5 s
# (the project folder present), /api/health shows a compaction that
# rewrote files and a models run while up runs; models run after the
# compaction of the same round; up still exits 0 and the lake holds
# exactly the ticks the stream accepted (compaction lost or doubled none).
source "$(dirname "$0")/lib.sh"
cd "$WORK"
cp -r "$TL_SOURCE_DIR/analytics" analytics; rm -rf analytics/target

start_up --duration 25 --symbols 20 --rate 500 \
  --schedule-compact '@every 5s' --schedule-models '@every 5s' --schedule-vacuum ''

# poll the health panel until it shows a compaction that rewrote files and a
# models run (each job reports its last outcome there)
jobs() {
  python3 -c 'import json,sys
h = json.load(open(sys.argv[1]))
c, m, v = h["compaction"] or {}, h["models"] or {}, h["vacuum"]
print(c.get("last_ms", 0), "|", c.get("status", ""), "|", m.get("status", ""), "|", v)' "$1"
}
compacted=""; modeled=""
for _ in $(seq 50); do
  curl -sf "${URL}api/health" >health.json || fail "/api/health did not answer"
  line=$(jobs health.json)
  case "$line" in *"| ok in "*" partition"*" -> "*" files"*) compacted=${compacted:-$line} ;; esac
  case "$line" in *"| ok in "*"models built"*) modeled=${modeled:-$line} ;; esac
  [ -n "$compacted" ] && [ -n "$modeled" ] && break
  sleep 0.5
done
[ -n "$compacted" ] || fail "no compaction in /api/health: $(jobs health.json); $(grep schedule up.err | tail -3)"
[ -n "$modeled" ] || fail "no models run in /api/health: $(jobs health.json); $(grep schedule up.err | tail -3)"
echo "ok: health showed a compaction: $compacted" >&2
echo "ok: health showed a models run: $modeled" >&2
case "$compacted" in *"| None") ;; *) fail "vacuum was disabled but reported: $compacted" ;; esac

rc=0
wait "$UP" || rc=$?
expect_eq "up exit code" "$rc" 0
grep -q "stopped cleanly" up.err || fail "no clean-stop line: $(tail -3 up.err)"
grep -q "schedule: .* failed" up.err && fail "a scheduled job failed: $(grep 'schedule: .* failed' up.err)"

# each round: compaction first, then models (same fire time); a stop right
# after a compaction ends the last round before its models run
# (the line may go on with its structured fields: job=... due=... attempt=N)
sed -n 's/.*schedule: \(compact\|models\) started (due \([^)]*\)).*/\2 \1/p' up.err > starts.txt
paste -d' ' - - < starts.txt | awk 'NF == 2 { if ($2 != "compact") bad = 1; next }
  $1 != $3 || $2 != "compact" || $4 != "models" { bad = 1 } END { exit bad }' \
  || fail "models did not follow compaction in each round: $(cat starts.txt)"
[ "$(wc -l < starts.txt)" -ge 4 ] || fail "expected at least two rounds: $(cat starts.txt)"

ticks=$(q ./lake "SELECT count(*) FROM ticks")
accepted=$(sed -n 's/^ticklake stream: received [0-9]*, accepted \([0-9]*\),.*/\1/p' up.err)
expect_eq "ticks in the lake = accepted by the stream" "$ticks" "$accepted"
expect_eq "distinct (symbol, seq)" "$(q ./lake 'SELECT count(*) FROM (SELECT DISTINCT symbol, seq FROM ticks)')" "$ticks"
[ -f lake/_ticklake/warehouse.duckdb ] || fail "models built no warehouse (default: <lake>/_ticklake/warehouse.duckdb)"
[ ! -e warehouse.duckdb ] || fail "the warehouse landed in the working folder"
