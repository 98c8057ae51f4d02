#!/usr/bin/env bash
# Kafka consume throughput: `ticklake stream --until-end` (consume, parse,
# validate, dedupe, Parquet, Delta commits) against `kcat -C -e` to
# /dev/null, on the same topic in the dev broker, side by side in one run.
# Prints the ratio (>= 0.8 is the target). N=1000000 ticks by default.
source "$(dirname "$0")/lib.sh"
N=${N:-1000000}
PARTS=${PARTS:-8}  # the dev broker keeps ~5 MiB per partition: 1M ticks need 8
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
run_ticklake_assign() {
  g=$((g + 1)); rm -rf "$WORK/lake"
  "$TICKLAKE" stream --brokers "$B" --topic ticks --group "bench-$g-$$" --lake "$WORK/lake" --until-end --assign-all 2>/dev/null
}
run_kcat() {
  kcat -C -b "$B" -t ticks -e -o beginning -q -f '%s\n' > /dev/null
}
# the same client in a consumer group, as ticklake runs: it pays the same
# group join (the broker's 3 s initial rebalance delay) and group fetch path
run_kcat_group() {
  g=$((g + 1))
  kcat -b "$B" -G "kbench-$g-$$" -X queued.min.messages=1000000 -o beginning -e -q -f '%s\n' ticks > /dev/null
}
t_tl=$(best_of "$RUNS" run_ticklake)
t_ta=$(best_of "$RUNS" run_ticklake_assign)
t_kc=$(best_of "$RUNS" run_kcat)
t_kg=$(best_of "$RUNS" run_kcat_group)
echo "ticklake stream --until-end : ${t_tl} s  ($(echo "$N / $t_tl" | bc) msgs/s)  consume+parse+Parquet+Delta"
echo "ticklake ... --assign-all   : ${t_ta} s  ($(echo "$N / $t_ta" | bc) msgs/s)  same, partitions assigned directly (no group join)"
echo "kcat -C -e > /dev/null      : ${t_kc} s  ($(echo "$N / $t_kc" | bc) msgs/s)  no group, no processing"
echo "kcat -G (group) > /dev/null : ${t_kg} s  ($(echo "$N / $t_kg" | bc) msgs/s)  group consumer, no processing"
echo "ratio vs kcat -C: $(echo "scale=2; $t_kc / $t_tl" | bc)x (target >= 0.8x); vs kcat -G: $(echo "scale=2; $t_kg / $t_tl" | bc)x"
echo "ratio --assign-all vs kcat -C: $(echo "scale=2; $t_kc / $t_ta" | bc)x"
