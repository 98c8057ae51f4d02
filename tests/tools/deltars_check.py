#!/usr/bin/env python3
"""deltars_check.py — read a ticklake lake with delta-rs and compare it with ticklake.

    deltars_check.py LAKE [--history-out FILE | --no-history] [--txn APP_ID=VERSION ...]

LAKE is a folder or s3://bucket/prefix (S3 endpoint and keys from MOTO_URL and
AWS_* in the environment). For each of the tables ticks and deadletter it opens
deltalake.DeltaTable (delta-rs: log replay, checkpoints, file statistics and
DataFusion SQL, none of it ticklake's or DuckDB's) and checks:

  - the schema's types are the documented ones (exact decimals, UTC timestamps,
    integer partition columns for ticks);
  - the live files are the ones `ticklake query` lists in lake_files;
  - the figures (row count, distinct (symbol, seq), sums, min/max timestamps,
    per-hour, per-partition, per-symbol, per-reason counts, a pruned query)
    computed by delta-rs's own SQL engine equal those of `ticklake query`;
  - the file statistics in the log (num_records, min/max ts) agree with the
    data, and partition values agree with each row's event hour;
  - the txn versions given with --txn (the stream's progress) read back;
  - history() names every commit's operation as the commit file does (local
    lakes); --history-out writes "table version operation" lines for the
    caller to compare (an S3 lake against a local one made the same way).

Exits 1 with a message naming the table and the figure on any difference;
prints one "ok:" line per check group on stderr.
"""
import argparse
import datetime as dt
import glob
import json
import os
import subprocess
import sys
from decimal import Decimal

import pyarrow as pa
from deltalake import DeltaTable, QueryBuilder

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
TICKLAKE = os.environ.get("TICKLAKE", "ticklake")

# The documented column types (docs/ARCHITECTURE.md, "The lake").
TICKS_TYPES = {
    "symbol": pa.string(), "ts": pa.timestamp("us", tz="UTC"), "price": pa.decimal128(18, 6),
    "size": pa.int64(), "bid": pa.decimal128(18, 6), "ask": pa.decimal128(18, 6),
    "exchange": pa.string(), "seq": pa.int64(), "late": pa.bool_(), "src_partition": pa.int32(),
    "src_offset": pa.int64(), "ingest_ts": pa.timestamp("us", tz="UTC"), "year": pa.int32(),
    "month": pa.int32(), "day": pa.int32(), "hour": pa.int32(),
}
DEADLETTER_TYPES = {
    "reason": pa.string(), "message": pa.string(), "raw": pa.string(), "raw_base64": pa.string(),
    "source": pa.string(), "src_partition": pa.int32(), "src_offset": pa.int64(),
    "received_ts": pa.timestamp("us", tz="UTC"), "date": pa.string(),
}
PARTITIONS = {"ticks": ["year", "month", "day", "hour"], "deadletter": ["date"]}

# Figures: (name, SQL) with {T} the table and {us(x)} a timestamp as epoch
# microseconds (DuckDB) or as is (delta-rs; converted here). Both engines
# accept the rest as written. Every query orders its rows.
FIGURES = {
    "ticks": [
        ("totals", "SELECT count(*), count(DISTINCT (symbol, seq)), sum(price), sum(size), "
                   "sum(CASE WHEN late THEN 1 ELSE 0 END), {us(min(ts))}, {us(max(ts))}, "
                   "count(DISTINCT symbol), sum(bid), sum(ask), count(bid) FROM {T}"),
        ("per hour", "SELECT {us(date_trunc('hour', ts))} AS h, count(*), sum(price), sum(size) "
                     "FROM {T} GROUP BY 1 ORDER BY 1"),
        ("per partition", "SELECT year, month, day, hour, count(*), {us(min(ts))}, {us(max(ts))} "
                          "FROM {T} GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"),
        ("per symbol", "SELECT symbol, count(*), sum(price), sum(size), min(price), max(price), "
                       "{us(min(ts))}, {us(max(ts))}, max(seq) FROM {T} GROUP BY 1 ORDER BY 1"),
        ("rows outside their partition's hour",
         "SELECT count(*) FROM {T} WHERE hour <> extract(hour FROM ts) "
         "OR day <> extract(day FROM ts) OR month <> extract(month FROM ts) "
         "OR year <> extract(year FROM ts)"),
        ("pruned: one hour, one symbol",
         "SELECT count(*), sum(price) FROM {T} WHERE hour = 15 AND symbol = 'AAPL'"),
        ("pruned: a ts range across two partitions",
         "SELECT count(*), sum(size) FROM {T} "
         "WHERE ts >= '2026-11-24T15:55:00Z' AND ts < '2026-11-24T16:00:02Z'"),
    ],
    "deadletter": [
        ("totals", "SELECT count(*), count(DISTINCT (source, src_partition, src_offset)), "
                   "{us(min(received_ts))}, {us(max(received_ts))}, count(DISTINCT raw_base64) "
                   "FROM {T}"),
        ("per reason", "SELECT reason, count(*) FROM {T} GROUP BY 1 ORDER BY 1"),
        ("per hour", "SELECT {us(date_trunc('hour', received_ts))} AS h, count(*) FROM {T} "
                     "GROUP BY 1 ORDER BY 1"),
        ("per partition", "SELECT date, count(*), min(src_offset), max(src_offset) FROM {T} "
                          "GROUP BY 1 ORDER BY 1"),
    ],
}


def die(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def norm(v):
    if isinstance(v, dt.datetime):
        if v.tzinfo is None:
            die(f"a timestamp without time zone: {v}")
        return (v - EPOCH) // dt.timedelta(microseconds=1)
    if isinstance(v, float):
        die(f"a binary float where an exact value was expected: {v!r}")
    return v


def ticklake_rows(lake, sql):
    p = subprocess.run([TICKLAKE, "query", "--lake", lake, "--format", "json", sql],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        die(f"ticklake query failed ({p.returncode}): {p.stderr.strip()}\n  {sql}")
    rows = json.loads(p.stdout, parse_float=Decimal) if p.stdout.strip() else []
    return [tuple(norm(v) for v in r.values()) for r in rows]


def deltars_rows(qb, sql):
    try:
        table = pa.table(qb.execute(sql).read_all())
    except Exception as e:  # delta-rs reports its errors as plain Exceptions
        die(f"delta-rs cannot run {sql!r}: {e}")
    return [tuple(norm(v) for v in r.values()) for r in table.to_pylist()]


def storage_options(lake):
    if not lake.startswith("s3://"):
        return None
    url = os.environ.get("MOTO_URL") or os.environ.get("TICKLAKE_S3_ENDPOINT")
    if not url:
        die("an s3:// lake needs MOTO_URL (or TICKLAKE_S3_ENDPOINT)")
    return {
        "AWS_ENDPOINT_URL": url,
        "AWS_ALLOW_HTTP": "true",
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", ""),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", ""),
        "AWS_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        "AWS_VIRTUAL_HOSTED_STYLE_REQUEST": "false",  # path style, as moto serves it
    }


def check_schema(name, t):
    want = TICKS_TYPES if name == "ticks" else DEADLETTER_TYPES
    schema = pa.schema(t.schema().to_arrow())
    got = {f.name: f.type for f in schema}
    if list(got) != list(want):
        die(f"{name}: columns {list(got)}, want {list(want)}")
    for col, typ in want.items():
        if got[col] != typ:
            die(f"{name}.{col}: delta-rs reads type {got[col]}, documented {typ}")
    if t.metadata().partition_columns != PARTITIONS[name]:
        die(f"{name}: partition columns {t.metadata().partition_columns}, want {PARTITIONS[name]}")
    print(f"ok: {name}: schema types and partition columns as documented", file=sys.stderr)


def check_files(name, t, lake):
    adds = pa.table(t.get_add_actions(flatten=True))
    mine = sorted(adds.column("path").to_pylist())
    theirs = sorted(r[0] for r in ticklake_rows(
        lake, f"SELECT path FROM lake_files WHERE table_name = '{name}' ORDER BY 1"))
    if mine != theirs:
        die(f"{name}: live files differ: delta-rs only {sorted(set(mine) - set(theirs))[:5]}, "
            f"ticklake only {sorted(set(theirs) - set(mine))[:5]}")
    print(f"ok: {name}: the same {len(mine)} live files as ticklake's lake_files", file=sys.stderr)
    return adds


def check_stats(name, adds, qb):
    """The log's per-file statistics against the data, per partition."""
    if name != "ticks":
        return
    per_part = {}
    for r in adds.to_pylist():
        key = tuple(r[f"partition.{c}"] for c in PARTITIONS[name])
        n, lo, hi = per_part.get(key, (0, None, None))
        mn, mx = norm(r["min.ts"]), norm(r["max.ts"])
        per_part[key] = (n + r["num_records"], mn if lo is None else min(lo, mn),
                         mx if hi is None else max(hi, mx))
    data = {tuple(r[:4]): tuple(r[4:]) for r in deltars_rows(
        qb, "SELECT year, month, day, hour, count(*), min(ts), max(ts) FROM ticks "
            "GROUP BY 1, 2, 3, 4")}
    if per_part != data:
        die(f"{name}: file statistics (num_records, min/max ts) per partition {per_part} "
            f"disagree with the data {data}")
    print(f"ok: {name}: file statistics agree with the data in all {len(data)} partitions",
          file=sys.stderr)


def render(sql, name, duckdb):
    """{T} -> the table; {us(x)} -> epoch_us(x) for DuckDB, (x) for delta-rs."""
    return (sql.replace("{T}", name).replace("{us(", "epoch_us(" if duckdb else "(")
            .replace(")}", ")"))


def ticklake_figures(lake, name):
    """Every figure of a table from one `ticklake query` (one process, one
    snapshot): each figure's rows as a JSON list of objects."""
    cols = [f"(SELECT to_json(list(x)) FROM ({render(sql, name, True)}) AS x) AS f{i}"
            for i, (_, sql) in enumerate(FIGURES[name])]
    (row,) = ticklake_rows(lake, "SELECT " + ", ".join(cols))
    return [[tuple(norm(v) for v in r.values()) for r in json.loads(f or "[]", parse_float=Decimal)]
            for f in row]


def sort_rows(rows):
    return sorted(rows, key=lambda r: tuple(repr(v) for v in r))


def check_figures(name, qb, lake):
    rows = None
    for (fig, sql), theirs in zip(FIGURES[name], ticklake_figures(lake, name)):
        ours = deltars_rows(qb, render(sql, name, False))
        if sort_rows(ours) != sort_rows(theirs):
            die(f"{name}: '{fig}' differs\n  delta-rs: {ours[:10]}\n  ticklake: {theirs[:10]}")
        if fig == "totals":
            rows = ours[0][0]
            if not rows:
                die(f"{name}: empty table (a test of nothing)")
    print(f"ok: {name}: {len(FIGURES[name])} figures equal ticklake query's ({rows} rows)",
          file=sys.stderr)


def check_history(name, t, lake, out):
    hist = sorted(t.history(), key=lambda h: h["version"])
    if [h["version"] for h in hist] != list(range(t.version() + 1)):
        die(f"{name}: history() versions {[h['version'] for h in hist]} are not 0..{t.version()}")
    if not lake.startswith("s3://"):
        for h in hist:
            path = os.path.join(lake, name, "_delta_log", "%020d.json" % h["version"])
            if not os.path.exists(path):
                continue  # behind a checkpoint and cleaned up
            with open(path) as f:
                info = next(json.loads(line)["commitInfo"] for line in f if '"commitInfo"' in line)
            if info["operation"] != h["operation"]:
                die(f"{name} v{h['version']}: history() says {h['operation']}, "
                    f"the commit {info['operation']}")
    for h in hist:
        if h.get("engineInfo", "").split("/")[0] != "ticklake":
            die(f"{name} v{h['version']}: engineInfo {h.get('engineInfo')!r}")
        out.append(f"{name} {h['version']} {h['operation']}")
    ops = {}
    for h in hist:
        ops[h["operation"]] = ops.get(h["operation"], 0) + 1
    print(f"ok: {name}: history() {dict(sorted(ops.items()))}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lake")
    ap.add_argument("--history-out")
    ap.add_argument("--txn", action="append", default=[], help="APP_ID=VERSION (ticks table)")
    ap.add_argument("--no-history", action="store_true",
                    help="skip history() (a copy whose early commits were removed)")
    a = ap.parse_args()
    lake = a.lake.rstrip("/")
    opts = storage_options(lake)
    history = []
    for name in ("ticks", "deadletter"):
        t = DeltaTable(f"{lake}/{name}", storage_options=opts)
        p = t.protocol()
        if (p.min_reader_version, p.min_writer_version) != (1, 2):
            die(f"{name}: protocol {p}, ticklake writes reader 1 / writer 2")
        check_schema(name, t)
        adds = check_files(name, t, lake)
        qb = QueryBuilder().register(name, t)
        check_figures(name, qb, lake)
        check_stats(name, adds, qb)
        if not a.no_history:
            check_history(name, t, lake, history)
        if name == "ticks":
            for spec in a.txn:
                app, _, want = spec.rpartition("=")
                got = t.transaction_version(app)
                if got != int(want):
                    die(f"ticks: txn '{app}' reads {got} in delta-rs, want {want}")
            if a.txn:
                print(f"ok: ticks: {len(a.txn)} txn versions (the stream's progress) read back",
                      file=sys.stderr)
    if a.history_out:
        with open(a.history_out, "w") as f:
            f.write("\n".join(history) + "\n")


if __name__ == "__main__":
    main()
