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

# start_broker PARTITIONS -> sets BROKERS
start_broker() {
  "$TICKLAKE" broker --partitions "$1" --topic ticks > "$WORK/broker.out" 2> "$WORK/broker.err" &
  PIDS+=($!)
  for _ in $(seq 100); do
    BROKERS=$(head -n1 "$WORK/broker.out" 2>/dev/null || true)
    [ -n "$BROKERS" ] && return 0
    sleep 0.1
  done
  cat "$WORK/broker.err" >&2
  fail "broker did not print its address"
}

# q LAKE SQL -> the single value the query returns
q() { "$TICKLAKE" query --lake "$1" --format csv "$2" | sed -n 2p; }

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
  for _ in $(seq 100); do
    URL=$(sed -n 's/^ticklake up: dashboard at //p' up.out)
    [ -n "$URL" ] && break
    sleep 0.1
  done
  [ -n "$URL" ] || { cat up.err >&2; fail "up did not print the dashboard URL"; }
  case "$URL" in http://127.0.0.1:*) ;; *) fail "dashboard not on loopback: $URL" ;; esac
}
