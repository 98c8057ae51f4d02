#!/usr/bin/env bash
# Backfill into s3:// (moto_server) gives the same lake as into a local
# folder; the AWS CLI lists and downloads what ticklake wrote, and the
# downloaded copy reads back as a local lake; secrets never show.
source "$(dirname "$0")/lib.sh"
source "$TL_SOURCE_DIR/tests/tools/moto.sh"
start_moto lake

S3=s3://lake/backfill
say "backfill 200000 ticks (with faults) into $S3 and into a local folder"
"$TICKLAKE" simulate --output - --count 200000 --rate 0 --seed 21 --faults bad=0.01,dup=0.01 \
  > "$WORK/f.jsonl" 2> /dev/null
for L in "$S3" "$WORK/local"; do
  "$TICKLAKE" stream --from "$WORK/f.jsonl" --lake "$L" --flush-rows 30000 \
    --stats-json "$WORK/s.json" 2> "$WORK/stream.err" || { cat "$WORK/stream.err"; fail "stream into $L failed"; }
done
bad=$(json "$WORK/s.json" rejected)
SUMQ="SELECT count(*) || '/' || count(DISTINCT (symbol, seq)) || '/' || sum(price) || '/' || min(ts) || '/' || max(ts) FROM ticks"
got=$(q "$S3" "$SUMQ"); want=$(q "$WORK/local" "$SUMQ")
expect_eq "s3 lake = local lake (rows/distinct/sum/min/max)" "$got" "$want"
expect_eq "rows" "$(q "$S3" 'SELECT count(*) FROM ticks')" "$(q "$WORK/local" 'SELECT count(*) FROM ticks')"
expect_eq "(symbol, seq) repeated" "$(q "$S3" 'SELECT count(*) FROM (SELECT symbol, seq FROM ticks GROUP BY ALL HAVING count(*) > 1)')" 0
expect_eq "dead letters" "$(q "$S3" 'SELECT count(*) FROM deadletter')" "$bad"
expect_eq "live files (s3 = local)" "$(q "$S3" 'SELECT count(*) FROM lake_files')" "$(q "$WORK/local" 'SELECT count(*) FROM lake_files')"

say "re-running the same file adds nothing"
"$TICKLAKE" stream --from "$WORK/f.jsonl" --lake "$S3" --stats-json "$WORK/s2.json" 2> "$WORK/stream2.err"
expect_eq "skipped on re-run" "$(json "$WORK/s2.json" skipped)" 200000
expect_eq "rows after re-run" "$(q "$S3" "$SUMQ")" "$want"

say "a second query is served from the ETag-keyed cache"
n_cached=$(find "$WORK/cache" -name '*.parquet' | wc -l)
expect_eq "cached parquet files = live files" "$n_cached" "$(q "$S3" 'SELECT count(*) FROM lake_files')"
expect_eq "every cached file has its ETag" "$(find "$WORK/cache" -name '*.parquet.etag' | wc -l)" "$n_cached"

say "the AWS CLI lists and downloads what ticklake wrote"
aws --endpoint-url "$MOTO_URL" s3 ls --recursive "$S3/" > "$WORK/ls.txt"
expect_eq "parquet objects listed by aws" "$(grep -c '\.parquet$' "$WORK/ls.txt")" "$(q "$S3" 'SELECT count(*) FROM lake_files')"
expect_eq "ticks log commits listed by aws (= local lake's)" "$(grep -c 'ticks/_delta_log/.*\.json$' "$WORK/ls.txt")" \
  "$(ls "$WORK/local/ticks/_delta_log/" | grep -c '\.json$')"
aws --endpoint-url "$MOTO_URL" s3 sync --only-show-errors "$S3" "$WORK/copy"
expect_eq "downloaded copy read as a local lake" "$(q "$WORK/copy" "$SUMQ")" "$want"
expect_eq "DuckDB reads the downloaded Parquet files directly" \
  "$(q "$WORK/copy" "SELECT count(*) FROM read_parquet('$WORK/copy/ticks/**/*.parquet')")" "$(q "$WORK/local" 'SELECT count(*) FROM ticks')"

say "secrets never show"
secret="sEcReT-$RANDOM-never-shown"
out=$(TICKLAKE_S3_SECRET_ACCESS_KEY=$secret "$TICKLAKE" query --help 2>&1)
grep -q 's3.secret_access_key' <<< "$out" || fail "--help does not document s3.secret_access_key"
grep -q "$secret" <<< "$out" && fail "--help printed the secret"
set +e
out=$(AWS_SECRET_ACCESS_KEY=$secret TICKLAKE_LOG_LEVEL=debug "$TICKLAKE" query --lake s3://no-such-bucket/x 'SELECT 1' 2>&1)
rc=$?
set -e
expect_eq "query on a missing bucket exits" "$rc" 1
grep -q NoSuchBucket <<< "$out" || { echo "$out" >&2; fail "error does not name NoSuchBucket"; }
grep -q "$secret" <<< "$out" && fail "an error or debug log printed the secret"
echo "ok: secret absent from --help, errors and debug logs" >&2
