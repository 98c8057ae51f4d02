#!/usr/bin/env bash
# Peak RSS of `ticklake stream` over a Kafka run: N ticks (default 5M) of
# 1,000 symbols whose event times span 48 hours, 1% of them late by 1 to 47
# hours (bench/gen_hours.py), so buffers are open in up to 48 hourly
# partitions at once. The topic is filled first (kcat -P, zstd), then the
# stream reads it in its default group mode with --until-end: a catch-up
# run, the stream's worst case for buffering. Peak RSS from /usr/bin/time.
#   N=5000000 SYMBOLS=1000 HOURS=48 PARTS=64 (the dev broker keeps ~5 MiB of
#   compressed batches per partition: 5M ticks need ~48)
#   STREAM_ARGS="-X queued.min.messages=10000"   more stream arguments
source "$(dirname "$0")/lib.sh"
N=${N:-5000000}
SYMBOLS=${SYMBOLS:-1000}
HOURS=${HOURS:-48}
PARTS=${PARTS:-64}
command -v kcat >/dev/null || { echo "kcat missing: scripts/bootstrap installs it" >&2; exit 2; }
"$TICKLAKE" broker --partitions "$PARTS" > "$WORK/broker.out" 2>/dev/null &
PIDS+=($!)
B=$(wait_line "$WORK/broker.out")
start=$(( $(date +%s) - (HOURS + 1) * 3600 ))
python3 "$ROOT/bench/gen_hours.py" "$N" "$SYMBOLS" "$HOURS" "$start" \
  | kcat -P -b "$B" -t ticks -K $'\t' -z zstd -X linger.ms=50 -X batch.num.messages=10000
/usr/bin/time -f '%M %e' -o "$WORK/time" "$TICKLAKE" stream --brokers "$B" --topic ticks \
    --group rss --lake "$WORK/lake" --until-end ${STREAM_ARGS:-} 2> "$WORK/stream.err" \
  || { cat "$WORK/stream.err" >&2; exit 1; }
read -r kb secs < "$WORK/time"
read -r rows late hours < <("$TICKLAKE" query --lake "$WORK/lake" --format csv \
  "SELECT count(*), count(*) FILTER (WHERE late), count(DISTINCT (year, month, day, hour)) FROM ticks" \
  | sed -n 2p | tr ',' ' ')
[ "$rows" = "$N" ] || { echo "the lake holds $rows ticks, $N were sent" >&2; exit 1; }
mb=$((kb / 1024))
echo "stream: $N ticks ($late late) in $hours hour partitions from $PARTS Kafka partitions in $secs s; peak RSS $mb MB"
result "peak RSS of stream, $N ticks, $SYMBOLS symbols, $hours hours (MB)" "$mb" "-" "$mb MB" "<= 256 MB" "$(verdict "$mb" '<=' 256)"
