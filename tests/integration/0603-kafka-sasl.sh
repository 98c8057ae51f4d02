#!/usr/bin/env bash
# A real Kafka broker whose client listener requires SASL: librdkafka's SASL
# settings pass through ticklake.yml's kafka: section (named by
# TICKLAKE_CONFIG or --config) and -X; the right password streams, a wrong
# one ends simulate and stream at once with exit code 1 and an error naming
# the broker and the mechanism, never a hang. SCRAM works with a librdkafka
# of 2.6.1 or newer; older ones (Debian 12 ships 2.0.2) compute proofs that
# Kafka 4 rejects, and the error says so.
source "$(dirname "$0")/lib.sh"
source "$TL_SOURCE_DIR/tests/tools/kafka.sh"
L=$WORK/lake

start_kafka --brokers 1 --partitions 2 --sasl alice:alice-secret
cat > "$WORK/ticklake.yml" << EOF
kafka:
  brokers: $BROKERS
  topic: ticks
  security.protocol: SASL_PLAINTEXT
  sasl.mechanisms: PLAIN
  sasl.username: alice
  sasl.password: alice-secret
EOF
export TICKLAKE_CONFIG=$WORK/ticklake.yml

say "the right password, from ticklake.yml"
"$TICKLAKE" simulate --count 5000 --rate 0 --seed 5 --stats-json "$WORK/sim.json" 2> "$WORK/sim.err" \
  || { tail -5 "$WORK/sim.err" >&2; fail "simulate with SASL/PLAIN failed"; }
expect_eq "acknowledged by the broker" "$(json "$WORK/sim.json" delivered)" 5000
"$TICKLAKE" stream --lake "$L" --until-end 2> "$WORK/stream.err" \
  || { tail -5 "$WORK/stream.err" >&2; fail "stream with SASL/PLAIN failed"; }
expect_eq "rows in ticks" "$(q "$L" 'SELECT count(*) FROM ticks')" 5000

# a bounded run: a hang is exit code 124, not 1
expect_auth_error() { # NAME MECHANISM FILE COMMAND... -> exit 1 and a clear error
  local name=$1 mech=$2 err=$3 rc=0
  shift 3
  timeout 60 "$@" 2> "$err" || rc=$?
  expect_eq "$name: exit code" "$rc" 1
  grep -q "authentication failed (SASL mechanism $mech, user 'alice'" "$err" \
    || { tail -5 "$err" >&2; fail "$name: the error does not name the mechanism $mech"; }
  grep -q "${BROKERS}" "$err" || { tail -5 "$err" >&2; fail "$name: the error does not name the broker $BROKERS"; }
  echo "ok: $name: $(grep -m1 -o 'Kafka authentication failed.*' "$err" | cut -c1-160)..." >&2
}

say "a wrong password (-X overrides the file): exit 1 with a clear error"
expect_auth_error "stream, wrong password" PLAIN "$WORK/wrong-stream.err" \
  "$TICKLAKE" stream --lake "$L" --until-end -X sasl.password=wrong
expect_auth_error "simulate, wrong password" PLAIN "$WORK/wrong-sim.err" \
  "$TICKLAKE" simulate --count 100 --rate 0 -X sasl.password=wrong
expect_eq "rows after the failed runs" "$(q "$L" 'SELECT count(*) FROM ticks')" 5000

say "everything from the command line instead (--config /dev/null), a wrong user"
rc=0
timeout 60 "$TICKLAKE" stream --config /dev/null --brokers "$BROKERS" --topic ticks --lake "$L" --until-end \
  -X security.protocol=SASL_PLAINTEXT -X sasl.mechanisms=PLAIN -X sasl.username=mallory \
  -X sasl.password=alice-secret 2> "$WORK/user.err" || rc=$?
expect_eq "stream, unknown user: exit code" "$rc" 1
grep -q "user 'mallory'" "$WORK/user.err" || { tail -5 "$WORK/user.err" >&2; fail "the error does not name the user"; }

say "SCRAM-SHA-256 with the right password"
rdk=$(pkg-config --modversion rdkafka)
echo "librdkafka $rdk" >&2
if printf '2.6.1\n%s\n' "$rdk" | sort -V -C; then # rdk >= 2.6.1
  "$TICKLAKE" simulate --count 1000 --rate 0 --seed 6 -X sasl.mechanisms=SCRAM-SHA-256 2> "$WORK/scram.err" \
    || { tail -5 "$WORK/scram.err" >&2; fail "simulate with SCRAM-SHA-256 failed"; }
  "$TICKLAKE" stream --lake "$L" --until-end -X sasl.mechanisms=SCRAM-SHA-256 2> "$WORK/scram-stream.err" \
    || { tail -5 "$WORK/scram-stream.err" >&2; fail "stream with SCRAM-SHA-256 failed"; }
  expect_eq "rows after SCRAM" "$(q "$L" 'SELECT count(*) FROM ticks')" 6000
else
  expect_auth_error "stream, SCRAM on librdkafka $rdk" SCRAM-SHA-256 "$WORK/scram.err" \
    "$TICKLAKE" stream --lake "$L" --until-end -X sasl.mechanisms=SCRAM-SHA-256
  grep -q "librdkafka $rdk (before 2.6.1) cannot use SCRAM with Kafka 4 brokers" "$WORK/scram.err" \
    || fail "the SCRAM error does not name the librdkafka limitation"
  # the broker itself accepts the SCRAM login: Kafka's own Java client, same user and password
  printf '%s\n' security.protocol=SASL_PLAINTEXT sasl.mechanism=SCRAM-SHA-256 \
    'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="alice-secret";' \
    > "$WORK/java-client.properties"
  kafka tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BROKERS" \
    --command-config "$WORK/java-client.properties" --list > "$WORK/java-topics.txt" 2> "$WORK/java.err" \
    || { tail -5 "$WORK/java.err" >&2; fail "Kafka's Java client could not log in with SCRAM"; }
  grep -qx ticks "$WORK/java-topics.txt" || fail "Kafka's Java client did not list the topic over SCRAM"
  echo "ok: Kafka's Java client logs in with SCRAM-SHA-256 and lists the topic" >&2
fi
