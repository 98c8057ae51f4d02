#!/usr/bin/env bash
# ticklake dashboard over a lake written by the stream: every endpoint, its
# 400s, headers, path handling and the bearer token. Statistics and bars are
# checked against an independent computation (0401-dashboard-api.py) for a
# range the lake answers (3 hours ago) and one the live state answers (10
# minutes ago, loaded from the lake's newest files); then new commits must
# reach the live state.
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
PY="$HERE/0401-dashboard-api.py"
cd "$WORK"

now=$(date +%s)
python3 "$PY" gen "$WORK" "$now"
"$TICKLAKE" stream --from ticks.jsonl --lake ./lake 2>stream.err || { cat stream.err >&2; fail "stream"; }

# start_dashboard LOGFILE [env...] -> sets URL
start_dashboard() {
  local log=$1; shift
  : >"$log" # exists before sed reads it: the background shell opens it asynchronously
  env "$@" "$TICKLAKE" dashboard --lake ./lake --listen 127.0.0.1:0 >"$log" 2>"$log.err" &
  PIDS+=($!)
  URL=""
  for _ in $(seq 200); do
    URL=$(sed -n 's/^ticklake dashboard: \(http[^ ]*\).*/\1/p' "$log")
    [ -n "$URL" ] && return 0
    sleep 0.1
  done
  cat "$log.err" >&2
  fail "dashboard did not print its URL"
}
start_dashboard dash.out
python3 "$PY" check "$URL" expect.json || fail "dashboard answers differ"

# status <expected> <path> [curl args...]: checks the status and the JSON error
status() {
  local want=$1 path=$2; shift 2
  local got
  got=$(curl -s -o resp.txt -w '%{http_code}' "$@" "${URL%/}$path")
  [ "$got" = "$want" ] || fail "$path: status $got, want $want ($(head -c 200 resp.txt))"
  if [ "$want" -ge 400 ] && [ "$want" != 413 ]; then
    grep -q '"error":"' resp.txt || fail "$path: no error message: $(head -c 200 resp.txt)"
  fi
  echo "ok: $path -> $got" >&2
}
status 400 "/api/bars"
status 400 "/api/bars?symbol=AAA&interval=7m30s"
status 400 "/api/bars?symbol=AAA&interval=0"
status 400 "/api/stats?symbol=AAA&from=2000&to=1000"
status 400 "/api/stats?symbol=AAA&from=last%20week"
status 400 "/api/stats?symbol=%3Cscript%3E"
status 400 "/api/bars?symbol=AAA&from=0&to=31536000"
status 404 "/api/nope"
status 400 "/../../etc/passwd" --path-as-is
status 400 "/vendor/../../../etc/passwd" --path-as-is
status 404 "/etc/passwd"
status 405 "/api/health" -X DELETE
status 413 "/api/health" -X POST -d 'x=1'
status 200 "/api/health"
python3 -c 'import json,sys; h=json.load(open("resp.txt")); assert h["lake"]["version"] >= 1 and h["lake"]["files"] >= 1, h; assert h["stream"] is None; assert h["compaction"] is None' \
  || fail "/api/health content"
status 200 "/api/days"
grep -q "\"$(date -u +%F)\"" resp.txt || fail "/api/days lacks today: $(cat resp.txt)"
status 200 "/metrics"
grep -q '^tl_lake_version [1-9]' resp.txt || fail "/metrics: no tl_lake_version"
grep -q '^tl_live_symbols 3$' resp.txt || fail "/metrics: no tl_live_symbols 3"

# headers: content types, caching, no sniffing
hdr() { curl -s -D - -o /dev/null "${URL%/}$1" | tr -d '\r' | grep -i "^$2:" | cut -d' ' -f2-; }
expect_eq "page type" "$(hdr / content-type)" "text/html; charset=utf-8"
expect_eq "page cache" "$(hdr / cache-control)" "no-cache"
expect_eq "charts type" "$(hdr /vendor/lightweight-charts.js content-type)" "text/javascript; charset=utf-8"
expect_eq "api type" "$(hdr /api/symbols content-type)" "application/json; charset=utf-8"
expect_eq "api cache" "$(hdr /api/symbols cache-control)" "no-store"
expect_eq "events type" "$(curl -s -m 1 -D - -o /dev/null "${URL}api/events" | tr -d '\r' | grep -i '^content-type:' | cut -d' ' -f2-)" "text/event-stream; charset=utf-8"
expect_eq "metrics type" "$(hdr /metrics content-type)" "text/plain; version=0.0.4; charset=utf-8"
expect_eq "nosniff" "$(hdr /api/health x-content-type-options)" "nosniff"
etag=$(hdr /app.js etag)
expect_eq "revalidation" "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "${URL}app.js")" 304

# the live state follows new commits: three more minutes of ticks
python3 "$PY" more "$WORK" "$now"
before=$(curl -s "${URL}api/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ticks"])')
"$TICKLAKE" stream --from ticks.jsonl --source-id more --lake ./lake 2>>stream.err || fail "stream (more)"
after=$before
for _ in $(seq 100); do
  after=$(curl -s "${URL}api/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ticks"])')
  [ "$((after - before))" -ge 3600 ] && break
  sleep 0.1
done
sleep 1.5  # a follower poll more: nothing may be counted twice
after=$(curl -s "${URL}api/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ticks"])')
expect_eq "ticks the live state gained from the new commits" "$((after - before))" 3600

# a bearer token protects the API and /metrics, not the page
start_dashboard dash2.out TICKLAKE_WEB_TOKEN=s3cret
status 401 "/api/health"
status 401 "/metrics" -H "Authorization: Bearer nope"
status 200 "/api/health" -H "Authorization: Bearer s3cret"
status 200 "/api/symbols?token=s3cret"
status 200 "/"
