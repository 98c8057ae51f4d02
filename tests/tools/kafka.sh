# kafka.sh — a real Apache Kafka cluster for an integration test (sourced
# after lib.sh; one cluster per test script).
#
#   start_kafka ARGS...   scripts/kafka start --dir $WORK/kafka ARGS (e.g.
#                         --brokers 3 --partitions 12, --sasl USER:PASSWORD);
#                         sets BROKERS (the client bootstrap) and KAFKA_DIR.
#                         The cluster is SIGKILLed when the test exits (an
#                         EXIT trap that then runs lib.sh's cleanup) and, should
#                         the test itself be killed, by scripts/kafka's
#                         watchdog on the test's pid: no JVM outlives a test.
#   kafka ARGS...         scripts/kafka ARGS --dir $KAFKA_DIR (kill-broker,
#                         start-broker, create-topic, tool, ...)
#   topic_count TOPIC     messages in TOPIC (sum of its partitions' high
#                         watermarks, read by kcat from the beginning)
KAFKA_SCRIPT=$TL_SOURCE_DIR/scripts/kafka

kafka() {
  local cmd=$1
  shift
  "$KAFKA_SCRIPT" "$cmd" --dir "$KAFKA_DIR" "$@"
}

kafka_exit() {
  local rc=$?
  set +e # under set -e the (exit) below would end the trap before lib.sh's cleanup
  [ -z "${KAFKA_DIR:-}" ] || "$KAFKA_SCRIPT" stop --dir "$KAFKA_DIR" --now > /dev/null 2>&1 || true
  (exit "$rc")
  cleanup
}

start_kafka() {
  KAFKA_DIR=$WORK/kafka
  trap kafka_exit EXIT
  local out
  out=$("$KAFKA_SCRIPT" start --dir "$KAFKA_DIR" --owner $$ "$@" 2> "$WORK/kafka-start.err") \
    || { cat "$WORK/kafka-start.err" >&2; fail "cannot start Kafka (scripts/kafka start $*)"; }
  BROKERS=$(echo "$out" | head -n1)
  [ -n "$BROKERS" ] || fail "scripts/kafka start printed no bootstrap address"
  say "Kafka $* at $BROKERS"
}

topic_count() {
  kcat -C -b "$BROKERS" -t "$1" -e -q -f "\n" | wc -l
}
