#!/usr/bin/env bash
# The S3 lake against a server that checks SigV4 signatures (s3rver, see
# tests/tools/s3rver.sh), with a key pair made up for this run, so that a
# signing bug cannot pass as it can with moto (which checks none):
#   - the server rejects a request signed with a wrong secret (checked with
#     curl, before ticklake);
#   - backfill (put, put-if-absent commits), query (ListObjectsV2, get),
#     compact (multipart upload) and vacuum (DeleteObjects, a listing of more
#     than one page) work and give the same figures as a local lake;
#   - a wrong secret key or an unknown key id fails at once with exit 1 and
#     S3's error code (SignatureDoesNotMatch / InvalidAccessKeyId) in the
#     message, and changes nothing.
# s3rver ignores If-None-Match on PUT, so the race of two writers for a
# commit is tested against moto only (unit/test_store_s3, 0003-s3).
source "$(dirname "$0")/lib.sh"
source "$TL_SOURCE_DIR/tests/tools/s3rver.sh"
start_s3rver lake
LOG=$WORK/s3rver/s3rver.log
signed() { # SECRET CURL-ARGS... -> HTTP status; body in $WORK/curl.out
  local secret=$1
  shift
  curl -s -o "$WORK/curl.out" -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" \
    --user "$AWS_ACCESS_KEY_ID:$secret" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}

say "the server checks signatures"
expect_eq "list signed with the right secret" "$(signed "$AWS_SECRET_ACCESS_KEY" "$S3RVER_URL/lake?list-type=2")" 200
expect_eq "list signed with a wrong secret" "$(signed "wrong-$AWS_SECRET_ACCESS_KEY" "$S3RVER_URL/lake?list-type=2")" 403
grep -q "<Code>SignatureDoesNotMatch</Code>" "$WORK/curl.out" || fail "no SignatureDoesNotMatch: $(cat "$WORK/curl.out")"

S3=s3://lake/sig
SUMQ="SELECT count(*) || '/' || count(DISTINCT (symbol, seq)) || '/' || sum(price) || '/' || min(ts) || '/' || max(ts) FROM ticks"
say "backfill 60000 ticks (with faults) into $S3 and into a local folder"
"$TICKLAKE" simulate --output - --count 60000 --rate 0 --seed 104 --start 2026-11-24T10:00:00Z \
  --faults bad=0.01,dup=0.01 > "$WORK/f.jsonl" 2> /dev/null
for L in "$S3" "$WORK/local"; do
  "$TICKLAKE" stream --from "$WORK/f.jsonl" --lake "$L" --flush-rows 3000 --stats-json "$WORK/s.json" \
    2> "$WORK/stream.err" || { cat "$WORK/stream.err"; fail "stream into $L failed"; }
done
want=$(q "$WORK/local" "$SUMQ")
expect_eq "s3 lake = local lake (rows/distinct/sum/min/max)" "$(q "$S3" "$SUMQ")" "$want"
expect_eq "dead letters" "$(q "$S3" 'SELECT count(*) FROM deadletter')" "$(json "$WORK/s.json" rejected)"
files=$(q "$S3" "SELECT count(*) FROM lake_files WHERE table_name = 'ticks'")
expect_eq "live files (s3 = local)" "$files" "$(q "$WORK/local" "SELECT count(*) FROM lake_files WHERE table_name = 'ticks'")"
[ "$files" -ge 10 ] || fail "expected many small files, got $files"
# dead letters are compacted too (issue 14): their inputs are vacuumed with the ticks'
dl_files=$(q "$S3" "SELECT count(*) FROM lake_files WHERE table_name = 'deadletter'")
objects() { find "$WORK/s3rver/data/lake/sig" -name '*._S3rver_object' | wc -l; }
nobj=$(objects)

say "a wrong secret key: exit 1 with S3's error, nothing changes"
wrong_secret() { # COMMAND ARGS...
  local rc=0
  AWS_SECRET_ACCESS_KEY="not-$AWS_SECRET_ACCESS_KEY" "$TICKLAKE" "$@" > /dev/null 2> "$WORK/wrong.err" || rc=$?
  expect_eq "exit code of $1 with a wrong secret" "$rc" 1
  grep -q "HTTP 403 SignatureDoesNotMatch: The request signature we calculated does not match" "$WORK/wrong.err" \
    || fail "$1: the error does not name SignatureDoesNotMatch: $(cat "$WORK/wrong.err")"
  grep -qF "$AWS_SECRET_ACCESS_KEY" "$WORK/wrong.err" && fail "$1 printed the secret"
  return 0
}
wrong_secret stream --from "$WORK/f.jsonl" --source-id other --lake "$S3"
wrong_secret query --lake "$S3" 'SELECT count(*) FROM ticks'
wrong_secret compact --lake "$S3"
wrong_secret vacuum --lake "$S3" --retain 0s
rc=0
AWS_ACCESS_KEY_ID=AKIDUNKNOWN "$TICKLAKE" query --lake "$S3" 'SELECT 1' > /dev/null 2> "$WORK/wrong.err" || rc=$?
expect_eq "exit code with an unknown key id" "$rc" 1
grep -q "HTTP 403 InvalidAccessKeyId" "$WORK/wrong.err" || fail "the error does not name InvalidAccessKeyId: $(cat "$WORK/wrong.err")"
expect_eq "lake unchanged (rows/...)" "$(q "$S3" "$SUMQ")" "$want"
expect_eq "objects on the server unchanged" "$(objects)" "$nobj"

say "compact: the merged files upload in parts (multipart, signed)"
parts0=$(grep -c 'Stored part' "$LOG" || true)
"$TICKLAKE" compact --lake "$S3" --json --s3-multipart-threshold 128KiB --s3-part-size 64KiB \
  > "$WORK/c.json" 2> "$WORK/c.err" || { cat "$WORK/c.err"; fail "compact on s3 failed"; }
"$TICKLAKE" compact --lake "$WORK/local" --json > "$WORK/cl.json" 2> /dev/null
for k in partitions files_before files_after rows; do
  expect_eq "compact $k (s3 = local)" "$(json "$WORK/c.json" $k)" "$(json "$WORK/cl.json" $k)"
done
expect_eq "files before compaction" "$(json "$WORK/c.json" files_before)" "$files"
parts=$(($(grep -c 'Stored part' "$LOG") - parts0))
[ "$parts" -ge 2 ] || fail "compaction uploaded no multipart parts ($parts)"
echo "ok: $parts parts uploaded" >&2
expect_eq "s3 lake after compaction" "$(q "$S3" "$SUMQ")" "$want"

say "vacuum: DeleteObjects, and a listing of more than one page (1000 keys)"
# 1100 stray objects in the table's folder, newer than vacuum's minimum age
# for files the log never named: listed, kept
echo pad > "$WORK/pad.txt"
code=$(signed "$AWS_SECRET_ACCESS_KEY" -T "$WORK/pad.txt" "$S3RVER_URL/lake/sig/ticks/pad/[1-1100].txt")
[ "${code//200/}" = "" ] || fail "uploading the padding objects: HTTP $code"
lists0=$(grep -c 'Fetched bucket "lake"' "$LOG")
TICKLAKE_VACUUM_RETAIN=0s "$TICKLAKE" vacuum --lake "$S3" > "$WORK/v.out" 2> "$WORK/v.err" \
  || { cat "$WORK/v.err"; fail "vacuum on s3 failed"; }
tail -1 "$WORK/v.out" >&2
grep -q "deleted $((files + dl_files)) files .*kept 1100 unreferenced files inside the retention" "$WORK/v.out" \
  || fail "vacuum did not delete the $files + $dl_files compacted files and keep the 1100 new ones: $(tail -1 "$WORK/v.out")"
lists=$(($(grep -c 'Fetched bucket "lake"' "$LOG") - lists0))
[ "$lists" -ge 3 ] || fail "expected paged listings (2 pages for ticks/ alone), got $lists list requests"
on_disk=$(find "$WORK/s3rver/data/lake/sig/ticks" -name '*.parquet._S3rver_object' -not -path '*/_delta_log/*' | wc -l)
expect_eq "parquet objects left on the server = live files" "$on_disk" \
  "$(q "$S3" "SELECT count(*) FROM lake_files WHERE table_name = 'ticks'")"
expect_eq "s3 lake after vacuum" "$(q "$S3" "$SUMQ")" "$want"
grep -q " 403 " "$LOG" || fail "the server log shows no rejected request (the wrong-secret runs)"
echo "ok: ticklake's SigV4 requests pass a server that checks them" >&2
