"""Spark reads a lake whose ticks table grew columns (schema evolution):
the added columns have Delta's types, rows written before them read NULL,
rows written after read their values, as `ticklake query` reads them.

Usage: read_evolved.py LAKE OLD_ROWS NEW_ROWS"""
import sys

from tl_spark import expect_eq, ok, session, tl_query

lake, old_rows, new_rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
spark = session("ticklake-schema-evolution")
df = spark.read.format("delta").load(f"{lake}/ticks")
types = {f.name: f.dataType.simpleString() for f in df.schema.fields}
expect_eq("added column types", {k: types.get(k) for k in ("venue", "trade_id", "conds", "extra")},
          {"venue": "string", "trade_id": "bigint", "conds": "array<string>", "extra": "string"})
df.createOrReplaceTempView("ticks")
got = spark.sql("SELECT count(*), count(venue), count(trade_id), count(conds), "
                "sum(CASE WHEN conds IS NOT NULL THEN size(conds) END), count(extra) FROM ticks").collect()[0]
want = tl_query(lake, "SELECT count(*), count(venue), count(trade_id), count(conds), "
                      "sum(len(conds)), count(extra) FROM ticks")[0]
expect_eq("figures (Spark vs ticklake query)", [str(v) for v in got], want)
expect_eq("rows", got[0], old_rows + new_rows)
expect_eq("old rows read NULL", spark.sql(
    "SELECT count(*) FROM ticks WHERE venue IS NULL AND trade_id IS NULL AND conds IS NULL").collect()[0][0],
    old_rows)
ok("Spark reads the evolved ticks table")
spark.stop()
