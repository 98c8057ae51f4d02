#!/usr/bin/env bash
# Kafka consume throughput: `ticklake stream --until-end` (consume, parse,
# validate, dedupe, Parquet, Delta commits) against `kcat -C -e` to
# /dev/null, on the same topic, side by side in one run (runs alternate).
# Prints the ratios (>= 0.8 is the target), assign mode and group mode.
#   N=1000000 ticks by default
#   BROKER=dev   ticklake's dev broker (librdkafka's mock cluster; default)
#   BROKER=real  a real Kafka broker (scripts/kafka, needs Java; it sets
#                group.initial.rebalance.delay.ms=0, so a join takes a few
#                round trips, not Kafka's default 3 s)
#   BEFORE=/path/to/other/ticklake adds that build (assign and group mode) to
#                the same alternating loop (before/after figures of a change)
source "$(dirname "$0")/lib.sh"
N=${N:-1000000}
PARTS=${PARTS:-8}  # the dev broker keeps ~5 MiB per partition: 1M ticks need 8
BROKER=${BROKER:-dev}
command -v kcat >/dev/null || { echo "kcat missing: scripts/bootstrap installs it" >&2; exit 2; }

if [ "$BROKER" = real ]; then
  "$ROOT/scripts/kafka" start --dir "$WORK/kafka" --partitions "$PARTS" --owner $$ > "$WORK/broker.out"
  trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; "$ROOT/scripts/kafka" stop --dir "$WORK/kafka" --now >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
else
  "$TICKLAKE" broker --partitions "$PARTS" > "$WORK/broker.out" 2>/dev/null &
  PIDS+=($!)
fi
B=$(wait_line "$WORK/broker.out")
"$TICKLAKE" simulate --brokers "$B" --topic ticks --count "$N" --rate 0 --seed 1 2>/dev/null
# One untimed group member first: a new broker creates its __consumer_offsets
# topic on the first FindCoordinator and answers COORDINATOR_NOT_AVAILABLE
# meanwhile, which librdkafka retries after 1 s; without this, whichever run
# came first (ticklake's) paid that second.
kcat -b "$B" -G "warmup-$$" -o beginning -c 1 -q -f '%s\n' ticks > /dev/null
echo "topic: $N ticks in $PARTS partitions ($BROKER broker); median of $RUNS runs each, alternating"

g=0
run_ticklake() {
  g=$((g + 1)); rm -rf "$WORK/lake"
  "$TICKLAKE" stream --brokers "$B" --topic ticks --group "bench-$g-$$" --lake "$WORK/lake" --until-end 2>/dev/null
}
run_ticklake_assign() {
  g=$((g + 1)); rm -rf "$WORK/lake"
  "$TICKLAKE" stream --brokers "$B" --topic ticks --group "bench-$g-$$" --lake "$WORK/lake" --until-end --assign-all 2>/dev/null
}
run_before() {
  g=$((g + 1)); rm -rf "$WORK/lake"
  "$BEFORE" stream --brokers "$B" --topic ticks --group "bench-$g-$$" --lake "$WORK/lake" --until-end 2>/dev/null
}
run_before_assign() {
  g=$((g + 1)); rm -rf "$WORK/lake"
  "$BEFORE" stream --brokers "$B" --topic ticks --group "bench-$g-$$" --lake "$WORK/lake" --until-end --assign-all 2>/dev/null
}
run_kcat() {
  kcat -C -b "$B" -t ticks -e -o beginning -q -f '%s\n' > /dev/null
}
# the same client in a consumer group, as ticklake runs: it pays the same
# group join (the dev broker's 3 s initial rebalance delay; a few round trips
# on scripts/kafka's broker) and group fetch path
run_kcat_group() {
  g=$((g + 1))
  kcat -b "$B" -G "kbench-$g-$$" -X queued.min.messages=1000000 -o beginning -e -q -f '%s\n' ticks > /dev/null
}
# what the join alone costs: a group consumer that stops after one message
run_kcat_join() {
  g=$((g + 1))
  kcat -b "$B" -G "kjoin-$g-$$" -o beginning -c 1 -q -f '%s\n' ticks > /dev/null
}
for _ in $(seq "$RUNS"); do
  [ -z "${BEFORE:-}" ] || { timed bg run_before; timed ba run_before_assign; }
  timed tl run_ticklake; timed ta run_ticklake_assign; timed kc run_kcat; timed kg run_kcat_group
  timed kj run_kcat_join
done
t_tl=$(median_of tl); t_ta=$(median_of ta); t_kc=$(median_of kc); t_kg=$(median_of kg)
t_kj=$(median_of kj)
if [ -n "${BEFORE:-}" ]; then
  t_bg=$(median_of bg); t_ba=$(median_of ba)
  echo "BEFORE group mode           : ${t_bg} s, ratio to kcat -C $(ratio "$t_kc" "$t_bg")x"
  echo "BEFORE --assign-all         : ${t_ba} s, ratio to kcat -C $(ratio "$t_kc" "$t_ba")x"
fi
echo "ticklake stream --until-end : ${t_tl} s  ($(echo "$N / $t_tl" | bc) msgs/s)  consume+parse+Parquet+Delta"
echo "ticklake ... --assign-all   : ${t_ta} s  ($(echo "$N / $t_ta" | bc) msgs/s)  same, partitions assigned directly (no group join)"
echo "kcat -C -e > /dev/null      : ${t_kc} s  ($(echo "$N / $t_kc" | bc) msgs/s)  no group, no processing"
echo "kcat -G (group) > /dev/null : ${t_kg} s  ($(echo "$N / $t_kg" | bc) msgs/s)  group consumer, no processing"
r_a=$(ratio "$t_kc" "$t_ta"); r_g=$(ratio "$t_kc" "$t_tl"); r_gg=$(ratio "$t_kg" "$t_tl")
echo "group join + first message (kcat -G -c 1): ${t_kj} s"
t_after=$(echo "$t_tl - $t_kj" | bc -l | xargs printf '%.3f')
r_after=$(ratio "$t_kc" "$t_after")
echo "ratio --assign-all vs kcat -C: ${r_a}x (target >= 0.8x)"
echo "ratio group mode vs kcat -C: ${r_g}x (target >= 0.8x); vs kcat -G: ${r_gg}x"
result "Kafka -> lake, assign mode, $BROKER broker, $N ticks (s)" "$t_ta" "$t_kc" "${r_a}x" ">= 0.8x" "$(verdict "$r_a" '>=' 0.8)"
result "Kafka -> lake, group mode, $BROKER broker, $N ticks (s)" "$t_tl" "$t_kc" "${r_g}x" ">= 0.8x" "$(verdict "$r_g" '>=' 0.8)"
result "  group mode vs kcat -G (same join) (s)" "$t_tl" "$t_kg" "${r_gg}x" "-" "-"
# Informative only, no verdict: ticklake's own start-up (its DuckDB databases,
# the lake's first commits) runs during the join, so subtracting kcat's join
# can credit it with more than the fetch path earned (2.27x in one quiet run).
result "  group join (kcat -G -c 1) / group mode after the join (s)" "$t_after" "$t_kc" "${r_after}x (join ${t_kj} s)" "-" "-"
