"""Spark maintains a table that ticklake writes, and ticklake goes on with it.

    maintain_lake.py TL_LAKE MORE_JSONL

With one Spark session (Delta 4.4), on TL_LAKE/ticks (written by ticklake):
  1. Spark sets delta.checkpointInterval=3, runs OPTIMIZE and VACUUM
     (retention 0, check disabled) and appends a batch of ticks; so Spark
     writes commits and at least one checkpoint of its own.
  2. The JSON commits older than Spark's newest checkpoint are deleted (as
     Delta's log cleanup would): ticklake must start from Spark's checkpoint.
     Its snapshot (`ticklake query`) equals Spark's, row for row.
  3. ticklake streams more ticks into the same table (MORE_JSONL), compacts
     and vacuums it; Spark's snapshot then equals ticklake's again.
  4. On copies of the table, Spark turns on features ticklake cannot honour:
     deletion vectors (and deletes rows through them), v2 checkpoints, and
     in-commit timestamps. ticklake must refuse with an error naming the
     feature (reading the first two; writing all three), never misread.
"""
import json
import os
import shutil
import sys
import time

from delta.tables import DeltaTable
from pyspark.sql import functions as F

import tl_spark
from tl_spark import compare, expect_eq, fail, ok, ticklake

FIGURES = [
    ("totals", "SELECT count(*), sum(price), sum(size), epoch_us(min(ts)), epoch_us(max(ts)), "
               "sum(CASE WHEN late THEN 1 ELSE 0 END) FROM ticks"),
    ("distinct (symbol, seq)", "SELECT count(*) FROM (SELECT DISTINCT symbol, seq FROM ticks)"),
    ("per partition hour", "SELECT year, month, day, hour, count(*), sum(price) FROM ticks "
                           "GROUP BY year, month, day, hour ORDER BY year, month, day, hour"),
    ("every row", "SELECT symbol, seq, epoch_us(ts), price, size, bid, ask, exchange, late, "
                  "src_partition, src_offset, epoch_us(ingest_ts), year, month, day, hour FROM ticks "
                  "ORDER BY symbol, seq, src_offset"),
]


def snapshots_equal(spark, lake, when, figures=FIGURES):
    spark.read.format("delta").load(os.path.join(lake, "ticks")).createOrReplaceTempView("ticks")
    for name, sql in figures:
        compare(spark, lake, f"{when}: {name}", sql, sql.replace("epoch_us(", "unix_micros("))


def log_files(table):
    return sorted(os.listdir(os.path.join(table, "_delta_log")))


def versions(table, suffix):
    return sorted(int(f[:20]) for f in log_files(table) if f[:20].isdigit() and f[20:] == suffix)


def refused(args, feature, what):
    r = ticklake(*args, check=False)
    if r.returncode == 0:
        fail(f"ticklake {args[0]} accepted a table with {feature}: {r.stdout[:300]}")
    if feature not in r.stderr:
        fail(f"ticklake {args[0]} failed without naming {feature}: {r.stderr.strip()[-500:]}")
    ok(f"{what}: ticklake {args[0]} refuses, exit {r.returncode}: {r.stderr.strip().splitlines()[-1][:200]}")


def main():
    lake, more = sys.argv[1], sys.argv[2]
    table = os.path.join(lake, "ticks")
    t0 = time.time()
    spark = tl_spark.session("ticklake-maintain")
    ok(f"Spark {spark.version} session up in {time.time() - t0:.0f} s")
    before = versions(table, ".json")[-1]
    files_before = DeltaTable.forPath(spark, table).detail().collect()[0]["numFiles"]

    # 1. Spark maintains the table
    spark.sql(f"ALTER TABLE delta.`{table}` SET TBLPROPERTIES ('delta.checkpointInterval' = '3')")
    dt = DeltaTable.forPath(spark, table)
    m = dt.optimize().executeCompaction().collect()[0]["metrics"]
    if m["numFilesRemoved"] < 2:
        fail(f"OPTIMIZE removed {m['numFilesRemoved']} files of {files_before}")
    ok(f"Spark OPTIMIZE: {m['numFilesRemoved']} files -> {m['numFilesAdded']}")
    dt.vacuum(0.0)
    batch = (spark.read.format("delta").load(table).where("hour = 10").orderBy("symbol", "seq").limit(700)
             .withColumn("seq", F.col("seq") + 7_000_000_000)
             .withColumn("ts", F.col("ts") + F.expr("INTERVAL 4 HOURS"))
             .withColumn("hour", F.col("hour") + 4)
             .withColumn("src_partition", F.lit(-1))  # what ticklake writes for a non-Kafka source
             .withColumn("ingest_ts", F.current_timestamp()))
    batch.write.format("delta").mode("append").save(table)
    ops = [r["operation"] for r in dt.history().where(f"version > {before}").orderBy("version").collect()]
    expect_eq("Spark's commits", ops, ["SET TBLPROPERTIES", "OPTIMIZE", "VACUUM START", "VACUUM END", "WRITE"])
    spark_ckpts = [v for v in versions(table, ".checkpoint.parquet") if v > before]
    if not spark_ckpts:
        fail(f"Spark wrote no checkpoint: {log_files(table)}")
    ok(f"Spark wrote checkpoints at versions {spark_ckpts} (classic single-file parquet)")

    # 2. ticklake reads Spark's log from Spark's checkpoint
    newest = spark_ckpts[-1]
    for v in versions(table, ".json"):
        if v < newest:
            os.remove(os.path.join(table, "_delta_log", f"{v:020d}.json"))
    ok(f"JSON commits before Spark's checkpoint {newest} deleted")
    snapshots_equal(spark, lake, "after Spark's OPTIMIZE, VACUUM and append")

    # 3. ticklake goes on writing the same table
    # in three parts (three commits), so hour 14 holds several files, one of
    # them Spark's, for ticklake's compaction to merge
    lines = open(more).read().splitlines(keepends=True)
    for i in range(3):
        part = os.path.join(os.path.dirname(lake), f"more-{i}.jsonl")
        with open(part, "w") as f:
            f.writelines(lines[i * len(lines) // 3:(i + 1) * len(lines) // 3])
        ticklake("stream", "--from", part, "--source-id", f"more-{i}", "--lake", lake)
    c = json.loads(ticklake("compact", "--lake", lake, "--json").stdout)
    if c["partitions"] < 1:
        fail(f"ticklake compacted nothing: {c}")
    ok(f"ticklake compact: {c['files_before']} files -> {c['files_after']} in {c['partitions']} hours")
    ticklake("vacuum", "--lake", lake, "--retain", "0s")
    ops = [r["operation"] for r in dt.history().where(f"version > {before + 5}").collect()]
    for op in ("STREAMING UPDATE", "OPTIMIZE"):
        if op not in ops:
            fail(f"Spark's history after ticklake's commits lacks {op}: {ops}")
    ok(f"Spark's history shows ticklake's commits: {sorted(set(ops))}")
    conf = dt.detail().collect()[0]["properties"]
    expect_eq("table properties kept through ticklake's commits and checkpoints", conf.get("delta.checkpointInterval"), "3")
    snapshots_equal(spark, lake, "after ticklake streamed, compacted and vacuumed")

    # 4. features ticklake cannot honour: refused, naming the feature
    def copy(name):
        dst = os.path.join(os.path.dirname(lake), name)
        shutil.copytree(lake, dst)
        return dst, os.path.join(dst, "ticks")

    dv_lake, dv = copy("lake-dv")
    spark.sql(f"ALTER TABLE delta.`{dv}` SET TBLPROPERTIES ('delta.enableDeletionVectors' = 'true')")
    spark.sql(f"DELETE FROM delta.`{dv}` WHERE symbol = 'AAPL'")
    dvs = spark.sql(f"DESCRIBE HISTORY delta.`{dv}` LIMIT 1").collect()[0]["operationMetrics"]
    if int(dvs.get("numDeletionVectorsAdded", "0")) < 1:
        fail(f"Spark's DELETE wrote no deletion vector: {dvs}")
    refused(["query", "--lake", dv_lake, "SELECT count(*) FROM ticks"], "deletionVectors", "deletion vectors")
    refused(["stream", "--from", more, "--source-id", "dv", "--lake", dv_lake], "deletionVectors", "deletion vectors")

    v2_lake, v2 = copy("lake-v2")
    spark.sql(f"ALTER TABLE delta.`{v2}` SET TBLPROPERTIES ('delta.checkpointPolicy' = 'v2')")
    refused(["query", "--lake", v2_lake, "SELECT count(*) FROM ticks"], "v2Checkpoint", "v2 checkpoints")

    ict_lake, ict = copy("lake-ict")
    spark.sql(f"ALTER TABLE delta.`{ict}` SET TBLPROPERTIES ('delta.enableInCommitTimestamps' = 'true')")
    # reading is fine (a writer-only feature) ...
    snapshots_equal(spark, ict_lake, "with in-commit timestamps", FIGURES[:1])
    # ... writing is not: ticklake's commits carry no inCommitTimestamp
    refused(["stream", "--from", more, "--source-id", "ict", "--lake", ict_lake], "inCommitTimestamp",
            "in-commit timestamps")
    refused(["compact", "--lake", ict_lake], "inCommitTimestamp", "in-commit timestamps")
    spark.stop()


if __name__ == "__main__":
    main()
