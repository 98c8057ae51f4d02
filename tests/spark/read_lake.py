"""Spark reads lakes that ticklake wrote, and agrees with `ticklake query`.

    read_lake.py --lake NAME TL_LAKE SPARK_PATH [--lake ...]

For each lake (TL_LAKE as ticklake names it: a folder or s3://bucket/prefix;
SPARK_PATH as Spark names it: the folder or s3a://bucket/prefix), with one
Spark session for all of them:
  - the Delta schema Spark sees has the documented types (exact decimals,
    timestamps as instants, integer hour partitions, string date partitions);
  - ticks and deadletter: row counts, distinct (symbol, seq), sums, min/max
    event time, per-hour and per-symbol figures, and every row, equal to
    ticklake's figures over the same lake;
  - filters on partition columns prune: the scan reads exactly the files of
    that hour (the scan's numFiles metric), and the plan shows PartitionFilters;
    filters on data columns (which Delta skips files on by ticklake's
    per-file statistics) give ticklake's counts.
"""
import argparse
import time

from pyspark.sql import functions as F

import tl_spark
from tl_spark import compare, expect_eq, fail, ok, scanned_files, tl_query

TICKS_TYPES = {
    "symbol": "string", "ts": "timestamp", "price": "decimal(18,6)", "size": "bigint",
    "bid": "decimal(18,6)", "ask": "decimal(18,6)", "exchange": "string", "seq": "bigint",
    "late": "boolean", "src_partition": "int", "src_offset": "bigint", "ingest_ts": "timestamp",
    "year": "int", "month": "int", "day": "int", "hour": "int",
}
DEADLETTER_TYPES = {
    "reason": "string", "message": "string", "raw": "string", "raw_base64": "string",
    "source": "string", "src_partition": "int", "src_offset": "bigint",
    "received_ts": "timestamp", "date": "string",
}


def duck_spark(sql):
    """One query text for both engines: DuckDB's epoch_us is Spark's unix_micros."""
    return sql, sql.replace("epoch_us(", "unix_micros(")


def check_schema(df, want, table):
    got = {f.name: f.dataType.simpleString() for f in df.schema.fields}
    expect_eq(f"{table} schema as Spark reads it", got, want)


def check_ticks(spark, name, lake):
    c = lambda what, sql: compare(spark, lake, f"{name} ticks {what}", *duck_spark(sql))
    c("totals", "SELECT count(*), sum(price), sum(size), min(price), max(price), sum(bid), "
      "sum(ask), epoch_us(min(ts)), epoch_us(max(ts)), sum(CASE WHEN late THEN 1 ELSE 0 END), "
      "count(DISTINCT symbol) FROM ticks")
    c("distinct (symbol, seq)", "SELECT count(*) FROM (SELECT DISTINCT symbol, seq FROM ticks)")
    c("per partition hour", "SELECT year, month, day, hour, count(*), sum(price) FROM ticks "
      "GROUP BY year, month, day, hour ORDER BY year, month, day, hour")
    compare(spark, lake, f"{name} ticks per event hour (UTC)",
            "SELECT epoch_us(date_trunc('hour', ts)) AS h, count(*) FROM ticks GROUP BY h ORDER BY h",
            "SELECT unix_micros(date_trunc('HOUR', ts)) AS h, count(*) FROM ticks GROUP BY h ORDER BY h")
    c("per symbol", "SELECT symbol, count(*), sum(price), min(price), max(price), sum(size), "
      "min(seq), max(seq), count(DISTINCT exchange) FROM ticks GROUP BY symbol ORDER BY symbol")
    c("every row", "SELECT symbol, seq, epoch_us(ts), price, size, bid, ask, exchange, late, "
      "src_partition, src_offset, epoch_us(ingest_ts), year, month, day, hour FROM ticks "
      "ORDER BY symbol, seq, src_offset")


def check_filters(spark, name, lake):
    c = lambda what, sql: compare(spark, lake, f"{name} ticks {what}", *duck_spark(sql))
    # Filters on data columns: Delta skips files by ticklake's statistics
    # (minValues/maxValues/nullCount); wrong statistics would lose rows here.
    lo, hi = (int(v) for v in tl_query(lake, "SELECT epoch_us(min(ts)), epoch_us(max(ts)) FROM ticks")[0])
    mid = lo + (hi - lo) // 2
    compare(spark, lake, f"{name} ticks filtered on ts",
            f"SELECT count(*), sum(price) FROM ticks WHERE ts >= make_timestamp({mid}::BIGINT) "
            f"AND ts < make_timestamp({mid + 60_000_000}::BIGINT)",
            f"SELECT count(*), sum(price) FROM ticks WHERE ts >= timestamp_micros({mid}) "
            f"AND ts < timestamp_micros({mid + 60_000_000})")
    c("filtered on symbol and price", "SELECT count(*), sum(size) FROM ticks "
      "WHERE symbol = 'AAPL' OR price > 500")


def check_pruning(spark, name, lake, df):
    files = tl_query(lake, "SELECT path FROM lake_files WHERE table_name = 'ticks'")
    by_hour = {}
    for (path,) in files:
        parts = dict(kv.split("=", 1) for kv in path.split("/")[:4])
        key = tuple(int(parts[k]) for k in ("year", "month", "day", "hour"))
        by_hour[key] = by_hour.get(key, 0) + 1
    if len(by_hour) < 2:
        fail(f"{name}: pruning needs at least two hour partitions, the lake has {len(by_hour)}")
    # sum(size) besides count(*): Delta answers a bare count(*) from the
    # statistics' numRecords without scanning anything
    agg = lambda d: d.agg(F.count(F.lit(1)), F.sum("size"))
    expect_eq(f"{name}: files Spark scans without a filter", scanned_files(agg(df))[1], len(files))
    for (y, mo, d, h), n in sorted(by_hour.items()):
        q = agg(df.where(f"year = {y} AND month = {mo} AND day = {d} AND hour = {h}"))
        rows, got = scanned_files(q)
        plan = q._jdf.queryExecution().executedPlan().toString()
        filters = plan.split("PartitionFilters: [", 1)[1].split("]", 1)[0] if "PartitionFilters: [" in plan else ""
        if "hour#" not in filters:
            fail(f"{name}: no partition filter on hour in the plan: {plan}")
        expect_eq(f"{name}: files Spark scans for hour {y}-{mo:02d}-{d:02d} {h:02d}", got, n)
        want = tl_query(lake, f"SELECT count(*), sum(size) FROM ticks WHERE year = {y} AND month = {mo} "
                              f"AND day = {d} AND hour = {h}")
        expect_eq(f"{name}: rows and sum(size) in that hour", [[str(v) for v in rows[0]]], want)


def check_deadletter(spark, name, lake):
    c = lambda what, sql: compare(spark, lake, f"{name} deadletter {what}", *duck_spark(sql))
    c("totals", "SELECT count(*), count(DISTINCT raw_base64), sum(length(raw_base64)), "
      "epoch_us(min(received_ts)), epoch_us(max(received_ts)), min(src_offset), max(src_offset) "
      "FROM deadletter")
    c("per reason and date", "SELECT reason, date, count(*) FROM deadletter GROUP BY reason, date "
      "ORDER BY reason, date")
    c("every row", "SELECT reason, message, raw_base64, source, src_partition, src_offset, "
      "epoch_us(received_ts), date FROM deadletter ORDER BY source, src_offset, reason")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lake", nargs=3, action="append", required=True,
                    metavar=("NAME", "TL_LAKE", "SPARK_PATH"))
    args = ap.parse_args()
    t0 = time.time()
    spark = tl_spark.session("ticklake-read")
    ok(f"Spark {spark.version} session up in {time.time() - t0:.0f} s")
    for name, lake, path in args.lake:
        t = time.time()
        ticks = spark.read.format("delta").load(path + "/ticks")
        dl = spark.read.format("delta").load(path + "/deadletter")
        check_schema(ticks, TICKS_TYPES, f"{name} ticks")
        check_schema(dl, DEADLETTER_TYPES, f"{name} deadletter")
        # first straight from the table: partition pruning and data skipping
        ticks.createOrReplaceTempView("ticks")
        check_filters(spark, name, lake)
        check_pruning(spark, name, lake, ticks)
        # then the whole-table figures from one read of it (kept in memory:
        # on S3 every query would fetch every file again)
        ticks.cache().createOrReplaceTempView("ticks")
        dl.cache().createOrReplaceTempView("deadletter")
        check_ticks(spark, name, lake)
        check_deadletter(spark, name, lake)
        ticks.unpersist()
        dl.unpersist()
        ok(f"{name}: Spark and ticklake agree ({time.time() - t:.0f} s)")
    spark.stop()


if __name__ == "__main__":
    main()
