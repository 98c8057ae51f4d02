#!/usr/bin/env bash
# /metrics of a dashboard on the lake exports each scheduled job's last
# success time and counters from its lease, whichever process ran it.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
"$TICKLAKE" simulate --count 2000 --output - > t.jsonl 2> /dev/null
"$TICKLAKE" stream --from t.jsonl --lake ./lake --flush-rows 200 2> stream.err || fail "stream: $(tail -3 stream.err)"
"$TICKLAKE" schedule --once --lake ./lake --schedule-models '' 2> sched.err || fail "schedule --once: $(tail -3 sched.err)"
"$TICKLAKE" dashboard --lake ./lake --listen 127.0.0.1:0 > dash.out 2> dash.err &
PIDS+=($!)
url() { URL=$(grep -o 'http://127.0.0.1:[0-9]*/' dash.out dash.err | head -1 | cut -d: -f2-); [ -n "$URL" ]; }
poll_until 10 url || fail "dashboard did not print its URL: $(cat dash.out dash.err)"
curl -sf "${URL}metrics" > metrics.txt || fail "/metrics did not answer"
grep -Eq '^tl_job_last_success_seconds\{job="compact"\} 1[0-9]{9}\.[0-9]{3}$' metrics.txt || fail "no compact success time: $(grep tl_job metrics.txt)"
grep -q '^tl_job_runs_total{job="vacuum"} 1$' metrics.txt || fail "vacuum runs: $(grep tl_job metrics.txt)"
grep -q '^tl_job_failures_total{job="compact"} 0$' metrics.txt || fail "compact failures: $(grep tl_job metrics.txt)"
grep -q '^tl_job_runs_total{job="models"} 0$' metrics.txt || fail "models never ran: $(grep tl_job metrics.txt)"
