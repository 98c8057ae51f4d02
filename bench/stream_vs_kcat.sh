#!/usr/bin/env bash
# Kafka consume throughput: `ticklake stream --until-end` (consume, parse,
# validate, dedupe, Parquet, Delta commits) against `kcat -C -e` to
# /dev/null, on the same topic in the dev broker, side by side in one run.
# Prints the ratio (>= 0.8 is the target). N=1000000 ticks by default.
source "$(dirname "$0")/lib.sh"
N=${N:-1000000}
PARTS=${PARTS:-4}
command -v kcat >/dev/null || { echo "kcat missing: scripts/bootstrap installs it" >&2; exit 2; }

"$TICKLAKE" broker --partitions "$PARTS" > "$WORK/broker.out" 2>/dev/null &
PIDS+=($!)
for _ in $(seq 100); do B=$(head -n1 "$WORK/broker.out" 2>/dev/null || true); [ -n "$B" ] && break; sleep 0.1; done
"$TICKLAKE" simulate --brokers "$B" --topic ticks --count "$N" --rate 0 --seed 1 2>/dev/null
echo "topic: $N ticks in $PARTS partitions; best of $RUNS runs each"

g=0
run_ticklake() {
  g=$((g + 1)); rm -rf "$WORK/lake"
  "$TICKLAKE" stream --brokers "$B" --topic ticks --group "bench-$g-$$" --lake "$WORK/lake" --until-end 2>/dev/null
}
run_kcat() {
  kcat -C -b "$B" -t ticks -e -o beginning -q -f '%s\n' > /dev/null
}
t_tl=$(best_of "$RUNS" run_ticklake)
t_kc=$(best_of "$RUNS" run_kcat)
echo "ticklake stream --until-end : ${t_tl} s  ($(echo "$N / $t_tl" | bc) msgs/s)"
echo "kcat -C -e > /dev/null      : ${t_kc} s  ($(echo "$N / $t_kc" | bc) msgs/s)"
echo "ratio (kcat time / ticklake time): $(echo "scale=2; $t_kc / $t_tl" | bc)x   target >= 0.8x"
