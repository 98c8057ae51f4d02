"""Spark Structured Streaming reads ticklake's ticks table as a Delta source.

    stream_lake.py TL_LAKE DIR

Waits for the table, starts a streaming query (Delta source -> memory sink,
a micro-batch every second) and touches DIR/started. The test then streams
ticks into the lake with `ticklake stream` and compacts it meanwhile; when it
is done it writes the table's final version into DIR/done. The query then
catches up to that version, and what it received must be every tick of the
lake exactly once: the same count, the same distinct (symbol, seq), the same
sums as `ticklake query`. Compaction's commits (dataChange=false) must add
nothing: a re-delivered file would show up as duplicates.
"""
import json
import os
import sys
import threading
import time

import tl_spark
from tl_spark import compare, expect_eq, fail, ok, tl_query


def wait_for(path, what, timeout):
    deadline = time.time() + timeout
    while not os.path.exists(path):
        if time.time() > deadline:
            fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


def read_through(q):
    """The last Delta version the query has read completely (-1: none yet).
    The source's offset is (version, index of the last file taken), or
    (version, -1) when it stands before that version."""
    p = q.lastProgress
    if not p or not p.get("sources"):
        return -1
    end = p["sources"][0].get("endOffset")
    if not end:
        return -1
    off = json.loads(end) if isinstance(end, str) else end
    v = int(off["reservoirVersion"])
    return v if int(off["index"]) >= 0 else v - 1


def main():
    lake, d = sys.argv[1], sys.argv[2]
    table = os.path.join(lake, "ticks")
    t0 = time.time()
    spark = tl_spark.session("ticklake-stream")
    ok(f"Spark {spark.version} session up in {time.time() - t0:.0f} s")
    wait_for(os.path.join(table, "_delta_log", "00000000000000000000.json"), "the ticks table", 120)
    q = (spark.readStream.format("delta").load(table)
         .select("symbol", "seq", "price", "size", "src_partition", "src_offset")
         .writeStream.format("memory").queryName("got").outputMode("append")
         .option("checkpointLocation", os.path.join(d, "spark-checkpoint"))
         .trigger(processingTime="1 second").start())
    # The first micro-batch pays for Spark's warm-up: only then is the query
    # ready to follow the table batch by batch.
    deadline = time.time() + 240
    while not q.recentProgress:
        if q.exception() is not None:
            fail(f"streaming query failed: {q.exception()}")
        if time.time() > deadline:
            fail("the streaming query ran no micro-batch in 240 s")
        time.sleep(0.2)
    open(os.path.join(d, "started"), "w").close()
    ok("streaming query started")

    # Until the test is done: DIR/progress tells it how many micro-batches
    # with rows the query has run (it keeps ticklake writing until a few
    # ran between compactions).
    done = os.path.join(d, "done")
    deadline = time.time() + 480
    seen = set()
    while not os.path.exists(done):
        if q.exception() is not None:
            fail(f"streaming query failed: {q.exception()}")
        if time.time() > deadline:
            fail("timed out after 480 s waiting for the test to finish writing")
        for p in q.recentProgress:
            if p["numInputRows"] > 0:
                seen.add(p["batchId"])
        with open(os.path.join(d, "progress.tmp"), "w") as f:
            f.write(f"{len(seen)}\n")
        os.replace(os.path.join(d, "progress.tmp"), os.path.join(d, "progress"))
        time.sleep(0.2)
    final = int(open(os.path.join(d, "done")).read().split()[0])
    # Catch up, bounded: the query must reach the table's final version.
    deadline = time.time() + 180
    while True:
        if q.exception() is not None:
            fail(f"streaming query failed: {q.exception()}")
        v = read_through(q)
        if v >= final and not q.status["isDataAvailable"]:
            break
        if time.time() > deadline:
            fail(f"streaming query stuck at version {v}, table at {final}: {q.status}")
        time.sleep(0.5)
    for p in q.recentProgress:
        if p["numInputRows"] > 0:
            seen.add(p["batchId"])
    q.stop()
    ok(f"query caught up with version {final} ({len(seen)} micro-batches with rows)")

    figures = ("SELECT count(*), sum(price), sum(size), count(DISTINCT symbol) FROM {t}")
    compare(spark, lake, "received vs lake: count, sum(price), sum(size), symbols",
            figures.format(t="ticks"), figures.format(t="got"))
    spark.sql("SELECT * FROM got").createOrReplaceTempView("g")
    dup = spark.sql("SELECT count(*) FROM (SELECT symbol, seq FROM g GROUP BY symbol, seq "
                    "HAVING count(*) > 1)").collect()[0][0]
    expect_eq("(symbol, seq) received more than once", dup, 0)
    compare(spark, lake, "per source partition: count and offsets",
            "SELECT src_partition, count(*), min(src_offset), max(src_offset), sum(src_offset) "
            "FROM ticks GROUP BY src_partition ORDER BY src_partition",
            "SELECT src_partition, count(*), min(src_offset), max(src_offset), sum(src_offset) "
            "FROM got GROUP BY src_partition ORDER BY src_partition")
    n = int(tl_query(lake, "SELECT count(*) FROM ticks")[0][0])
    if n < 1000:
        fail(f"the lake holds only {n} ticks")
    spark.stop()


if __name__ == "__main__":
    main()
