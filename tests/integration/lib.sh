# Shared helpers for the integration tests (sourced, not run).
# Every test gets a temp dir, and everything it starts is killed on exit.
set -euo pipefail

: "${TICKLAKE:?set TICKLAKE to the ticklake binary (ctest does)}"
TL_SOURCE_DIR=${TL_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tl-it.XXXXXX")
PIDS=()

cleanup() {
  local rc=$?
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$rc" -eq 0 ] && [ -z "${KEEP_WORK:-}" ]; then rm -rf "$WORK"; else echo "work dir kept: $WORK" >&2; fi
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
say() { echo "--- $*" >&2; }

# poll_until SECONDS CMD [ARG...]: run CMD every 0.1 s until it succeeds;
# returns 1 if it has not after SECONDS. CMD may be a function.
poll_until() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# wait_until SECONDS WHAT CMD [ARG...]: poll_until, failing the test with
# "timed out waiting for WHAT" when CMD has not succeeded after SECONDS.
wait_until() {
  local secs=$1 what=$2; shift 2
  poll_until "$secs" "$@" || fail "timed out after ${secs} s waiting for $what"
}

# The storage backend a test runs on. A script whose header has the line
# "# backends: fs s3" is registered once per backend by CMake, with
# TL_BACKEND set; use_backend starts what that backend needs (a moto S3
# server for s3) and lake_url NAME gives the lake's address on it.
BACKEND=${TL_BACKEND:-fs}
use_backend() {
  case "$BACKEND" in
    fs) ;;
    s3) source "$TL_SOURCE_DIR/tests/tools/moto.sh"; start_moto lake ;;
    *) fail "unknown TL_BACKEND '$BACKEND' (fs or s3)" ;;
  esac
}
lake_url() { if [ "$BACKEND" = s3 ]; then echo "s3://lake/$1"; else echo "$WORK/$1"; fi; }

# start_broker PARTITIONS -> sets BROKERS (its address) and BROKER_PID
start_broker() {
  rm -f "$WORK/broker.out" # a second broker of the test must not read the first one's address
  "$TICKLAKE" broker --partitions "$1" --topic ticks > "$WORK/broker.out" 2> "$WORK/broker.err" &
  BROKER_PID=$!
  PIDS+=($BROKER_PID)
  broker_printed() {
    BROKERS=$(head -n1 "$WORK/broker.out" 2>/dev/null || true)
    [ -n "$BROKERS" ] || ! kill -0 "$BROKER_PID" 2>/dev/null
  }
  poll_until 10 broker_printed && [ -n "$BROKERS" ] \
    || { cat "$WORK/broker.err" >&2; fail "broker did not print its address"; }
}

# q LAKE SQL -> the single value the query returns
q() { "$TICKLAKE" query --lake "$1" --format csv "$2" | sed -n 2p; }

# expect_unique_ticks NAME LAKE: no (symbol, seq) twice in LAKE's ticks. A
# failure names the repeats (up to 20): symbol, seq and each copy's
# partition/offset, which tell a resend the dedupe missed (offsets apart)
# from a position written twice (the same offset).
expect_unique_ticks() {
  local n
  n=$(q "$2" 'SELECT count(*) FROM (SELECT symbol, seq FROM ticks GROUP BY ALL HAVING count(*) > 1)')
  [ "$n" = 0 ] || fail "$1: got $n, want 0: $("$TICKLAKE" query --lake "$2" --format csv \
    "SELECT symbol || ' seq ' || seq || ' at ' || string_agg(src_partition || '/' || src_offset, ' '
       ORDER BY src_partition, src_offset) FROM ticks GROUP BY symbol, seq HAVING count(*) > 1
     ORDER BY symbol, seq LIMIT 20" | tail -n +2 | paste -sd ';' -)"
  echo "ok: $1 = 0" >&2
}

# json FILE KEY -> a top-level number from a JSON file
json() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

expect_eq() { # name got want
  [ "$2" = "$3" ] || fail "$1: got $2, want $3"
  echo "ok: $1 = $2" >&2
}

# start_up ARGS... -> runs `ticklake up --listen 127.0.0.1:0 ARGS` in the
# background in the current folder (output in up.out / up.err); sets UP (its
# pid) and URL (the dashboard's address, checked to be on loopback)
start_up() {
  : >up.out # exist before sed reads them: the background shell opens them asynchronously
  : >up.err
  "$TICKLAKE" up --listen 127.0.0.1:0 "$@" >up.out 2>up.err &
  UP=$!
  PIDS+=($UP)
  URL=""
  up_printed() { URL=$(sed -n 's/^ticklake up: dashboard at //p' up.out); [ -n "$URL" ]; }
  poll_until 10 up_printed || { cat up.err >&2; fail "up did not print the dashboard URL"; }
  case "$URL" in http://127.0.0.1:*) ;; *) fail "dashboard not on loopback: $URL" ;; esac
}
