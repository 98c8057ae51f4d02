#!/usr/bin/env bash
# s3rver.sh — a throwaway S3 server that checks SigV4 signatures (npm
# @20minutes/s3rver, pinned in tests/tools/package.json, installed by
# scripts/bootstrap's `npm ci`), for the tests.
#
#   s3rver.sh start DIR KEY_ID SECRET   start it on a free loopback port (the
#                              kernel picks it); prints S3RVER_URL=http://127.0.0.1:PORT
#                              and S3RVER_PID=PID (eval-able), also kept in
#                              DIR/s3rver.url, DIR/s3rver.pid; objects under
#                              DIR/data, its request log in DIR/s3rver.log
#   s3rver.sh stop DIR         stop the server started with DIR
#   s3rver.sh mb URL BUCKET    create a bucket (a request signed with
#                              $AWS_ACCESS_KEY_ID / $AWS_SECRET_ACCESS_KEY)
#
# Sourced by an integration test (after lib.sh), it defines start_s3rver
# [BUCKET]: starts it in $WORK/s3rver (killed by lib.sh's cleanup) with a key
# pair made up for this run, creates BUCKET (default "lake") and exports
# S3RVER_URL, the key pair as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
# TICKLAKE_S3_ENDPOINT and TICKLAKE_CACHE_DIR.
#
# What it does not do (found with @20minutes/s3rver 4.0.4): it ignores
# If-None-Match on PUT (a put-if-absent overwrites), does not verify the
# payload hash, and lets unsigned requests through as anonymous.
set -euo pipefail
S3RVER_SH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/s3rver.sh

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  start_s3rver() {
    local out
    export AWS_ACCESS_KEY_ID="TL$RANDOM$RANDOM" AWS_SECRET_ACCESS_KEY="tl-secret-$RANDOM-$RANDOM-$RANDOM"
    out=$("$S3RVER_SH" start "$WORK/s3rver" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY") \
      || fail "cannot start s3rver (scripts/bootstrap installs it with npm ci in tests/tools)"
    eval "$out"
    PIDS+=("$S3RVER_PID")
    "$S3RVER_SH" mb "$S3RVER_URL" "${1:-lake}"
    export S3RVER_URL AWS_DEFAULT_REGION=us-east-1 TICKLAKE_S3_ENDPOINT=$S3RVER_URL
    export TICKLAKE_CACHE_DIR=$WORK/cache
    unset AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3
  }
  return 0
fi

start() {
  local dir=$1 key=$2 secret=$3 pid url=""
  local tools
  tools=$(dirname "$S3RVER_SH")
  command -v node > /dev/null || { echo "s3rver.sh: node is not installed" >&2; exit 127; }
  [ -d "$tools/node_modules/@20minutes/s3rver" ] \
    || { echo "s3rver.sh: @20minutes/s3rver missing in $tools/node_modules (run scripts/bootstrap)" >&2; exit 127; }
  mkdir -p "$dir/data"
  : > "$dir/s3rver.log"
  # --openssl-legacy-provider: s3rver makes ListObjectsV2 continuation tokens
  # with DES, which OpenSSL 3 keeps in its legacy provider
  node --openssl-legacy-provider "$tools/s3rver.mjs" "$dir/data" "$key" "$secret" > "$dir/s3rver.log" 2>&1 < /dev/null &
  pid=$!
  for _ in $(seq 300); do
    url=$(sed -n 's/^S3RVER_URL=//p' "$dir/s3rver.log")
    [ -n "$url" ] && break
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
  done
  if [ -z "$url" ]; then
    kill "$pid" 2> /dev/null || true
    echo "s3rver.sh: s3rver did not start; its log:" >&2
    cat "$dir/s3rver.log" >&2
    exit 1
  fi
  echo "$url" > "$dir/s3rver.url"
  echo "$pid" > "$dir/s3rver.pid"
  echo "S3RVER_URL=$url"
  echo "S3RVER_PID=$pid"
}

stop() {
  local dir=$1 pid
  [ -f "$dir/s3rver.pid" ] || return 0
  pid=$(cat "$dir/s3rver.pid")
  kill "$pid" 2> /dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2> /dev/null || true
  rm -f "$dir/s3rver.pid"
}

mb() {
  : "${AWS_ACCESS_KEY_ID:?}" "${AWS_SECRET_ACCESS_KEY:?}"
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" \
    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$1/$2")
  [ "$code" = 200 ] || { echo "s3rver.sh: cannot create bucket $2 at $1 (HTTP $code)" >&2; exit 1; }
}

case "${1:-}" in
  start) start "$2" "$3" "$4" ;;
  stop) stop "$2" ;;
  mb) mb "$2" "$3" ;;
  *)
    echo "usage: s3rver.sh start DIR KEY_ID SECRET | stop DIR | mb URL BUCKET" >&2
    exit 2
    ;;
esac
