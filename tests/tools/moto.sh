#!/usr/bin/env bash
# moto.sh — a throwaway S3 server (moto's server mode) for the tests.
#
#   moto.sh start DIR          start moto_server on a free loopback port; prints
#                              MOTO_URL=http://127.0.0.1:PORT and MOTO_PID=PID
#                              (eval-able), also kept in DIR/moto.url, DIR/moto.pid;
#                              its log goes to DIR/moto.log
#   moto.sh stop DIR           stop the server started with DIR
#   moto.sh mb URL BUCKET      create a bucket
#
# Sourced by an integration test (after lib.sh), it defines start_moto
# [BUCKET]: starts moto in $WORK/moto (killed by lib.sh's cleanup), creates
# BUCKET (default "lake") and exports MOTO_URL, dummy AWS credentials,
# TICKLAKE_S3_ENDPOINT and TICKLAKE_CACHE_DIR for ticklake and the AWS CLI.
#
# S3_UPLOAD_PART_MIN_SIZE in the environment lowers moto's minimum multipart
# part size (5 MiB, as on AWS), so tests can upload in small parts.
#
# MOTO_SERIAL=1 serves one request at a time. A threaded moto (5.1) checks
# If-None-Match: * and then writes without a lock, so two concurrent
# put-if-absent of one key can both succeed; S3 does them atomically. Tests
# that race processes for one key (tests/unit/test_sched_lake.c) set it.
set -euo pipefail
MOTO_SH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/moto.sh

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  start_moto() {
    local out
    out=$("$MOTO_SH" start "$WORK/moto") || fail "cannot start moto_server (scripts/pyenv tools installs it)"
    eval "$out"
    PIDS+=("$MOTO_PID")
    "$MOTO_SH" mb "$MOTO_URL" "${1:-lake}"
    export MOTO_URL AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
    export AWS_DEFAULT_REGION=us-east-1 TICKLAKE_S3_ENDPOINT=$MOTO_URL
    export TICKLAKE_CACHE_DIR=$WORK/cache
    unset AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3
  }
  return 0
fi

# moto_server comes from the project's pinned 'tools' venv (scripts/pyenv,
# which scripts/bootstrap fills); MOTO_SERVER overrides it.
need_moto() {
  if [ -z "${MOTO_SERVER:-}" ]; then
    MOTO_SERVER=$("$(dirname "$MOTO_SH")/../../scripts/pyenv" tools)/bin/moto_server \
      || { echo "moto.sh: cannot set up the pinned Python tools (scripts/pyenv tools)" >&2; exit 127; }
  fi
  [ -x "$MOTO_SERVER" ] || { echo "moto.sh: $MOTO_SERVER is not executable" >&2; exit 127; }
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  local dir=$1 port pid
  need_moto
  mkdir -p "$dir"
  for _ in 1 2 3; do # a free port can be taken between the probe and the bind
    port=$(free_port)
    if [ "${MOTO_SERIAL:-0}" = 1 ]; then
      "$(dirname "$MOTO_SERVER")/python" -c 'import sys, moto.server as m
r = m.run_simple
m.run_simple = lambda *a, **k: r(*a, **{**k, "threaded": False})
m.main(sys.argv[1:])' -H 127.0.0.1 -p "$port" > "$dir/moto.log" 2>&1 < /dev/null &
    else
      "$MOTO_SERVER" -H 127.0.0.1 -p "$port" > "$dir/moto.log" 2>&1 < /dev/null &
    fi
    pid=$!
    for _ in $(seq 300); do
      if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"; then
        echo "http://127.0.0.1:$port" > "$dir/moto.url"
        echo "$pid" > "$dir/moto.pid"
        echo "MOTO_URL=http://127.0.0.1:$port"
        echo "MOTO_PID=$pid"
        return 0
      fi
      kill -0 "$pid" 2> /dev/null || break
      sleep 0.1
    done
    kill "$pid" 2> /dev/null || true
  done
  echo "moto.sh: moto_server did not start; its log:" >&2
  cat "$dir/moto.log" >&2
  exit 1
}

stop() {
  local dir=$1 pid
  [ -f "$dir/moto.pid" ] || return 0
  pid=$(cat "$dir/moto.pid")
  kill "$pid" 2> /dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2> /dev/null || true
  rm -f "$dir/moto.pid"
}

mb() {
  curl -sf -X PUT -o /dev/null "$1/$2" || { echo "moto.sh: cannot create bucket $2 at $1" >&2; exit 1; }
}

case "${1:-}" in
  start) start "$2" ;;
  stop) stop "$2" ;;
  mb) mb "$2" "$3" ;;
  *)
    echo "usage: moto.sh start DIR | stop DIR | mb URL BUCKET" >&2
    exit 2
    ;;
esac
