#!/usr/bin/env python3
"""lake_check.py — is every file a ticklake lake's snapshot references whole?

    lake_check.py LAKE           (a folder or s3://bucket/prefix)
    lake_check.py --quick LAKE   (a folder; standard library only)

Replays the log of each table (ticks, deadletter) with delta-rs (not ticklake's
reader) and, for every live file, checks that the object exists, that its size
is the size the log recorded, that its Parquet footer's row count is the log's
numRecords, and that all of its data decodes (pyarrow). Run after a crash, this
says that nothing was committed that was not fully written and that nothing
live was deleted.

Prints {"ticks": {"files": N, "rows": R, "unreferenced": U}, "deadletter": {...}}
on stdout (rows summed from the Parquet footers, for comparing with ticklake's
count; unreferenced: Parquet files in the table's folders that the snapshot does
not reference, removed by compaction or never committed, for vacuum; local lakes
only). Exits 1 naming every bad file.
S3 endpoint and keys come from MOTO_URL and AWS_* in the environment.

--quick, for a check after every kill: takes the live files from ticklake's own
reader (`ticklake query` over lake_files, $TICKLAKE) and checks only that each
exists with the log's size and ends in a Parquet footer magic; prints the
number of live files.
"""
import json
import os
import sys
from urllib.parse import unquote, urlparse

import subprocess

TABLES = ("ticks", "deadletter")


def quick(lake):
    out = subprocess.run([os.environ.get("TICKLAKE", "ticklake"), "query", "--lake", lake, "--format", "csv",
                          "SELECT table_name || '/' || path, size FROM lake_files"],
                         check=True, capture_output=True, text=True).stdout.splitlines()[1:]
    problems = []
    for row in out:
        rel, size = row.rsplit(",", 1)
        full = os.path.join(lake, unquote(rel))
        try:
            st = os.stat(full)
        except FileNotFoundError:
            problems.append(f"live file {rel} does not exist")
            continue
        if st.st_size != int(size):
            problems.append(f"{rel} is {st.st_size} bytes, the log says {size}")
            continue
        with open(full, "rb") as f:
            head = f.read(4)
            f.seek(-4, os.SEEK_END)
            if head != b"PAR1" or f.read(4) != b"PAR1":
                problems.append(f"{rel} lacks the Parquet magic at its start or end")
    for p in problems:
        print("lake_check: " + p, file=sys.stderr)
    print(len(out))
    return 1 if problems else 0


def storage(lake):
    if not lake.startswith("s3://"):
        return None, pafs.LocalFileSystem(), os.path.abspath(lake)
    url = os.environ.get("MOTO_URL") or os.environ.get("TICKLAKE_S3_ENDPOINT")
    if not url:
        sys.exit("lake_check: an s3:// lake needs MOTO_URL")
    key, secret = os.environ.get("AWS_ACCESS_KEY_ID", ""), os.environ.get("AWS_SECRET_ACCESS_KEY", "")
    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    opts = {"AWS_ENDPOINT_URL": url, "AWS_ALLOW_HTTP": "true", "AWS_ACCESS_KEY_ID": key,
            "AWS_SECRET_ACCESS_KEY": secret, "AWS_REGION": region,
            "AWS_VIRTUAL_HOSTED_STYLE_REQUEST": "false"}
    u = urlparse(url)
    fs = pafs.S3FileSystem(access_key=key, secret_key=secret, region=region,
                           endpoint_override=u.netloc, scheme=u.scheme or "http")
    return opts, fs, lake[5:].rstrip("/")


def has_log(fs, table_root):
    info = fs.get_file_info(pafs.FileSelector(table_root + "/_delta_log", allow_not_found=True))
    return any(i.path.endswith(".json") for i in info)


def check_table(name, lake, opts, fs, root, problems):
    table_root = root + "/" + name
    out = {"files": 0, "rows": 0, "unreferenced": 0, "version": -1}
    if not has_log(fs, table_root):
        return out
    t = DeltaTable(lake.rstrip("/") + "/" + name, storage_options=opts)
    out["version"] = t.version()
    adds = t.get_add_actions(flatten=True)
    adds = {c: adds.column(c).to_pylist() for c in ("path", "size_bytes", "num_records")}
    live = set()
    for path, size, nrec in zip(adds["path"], adds["size_bytes"], adds["num_records"]):
        rel = unquote(path)
        live.add(rel)
        full = table_root + "/" + rel
        info = fs.get_file_info(full)
        if info.type != pafs.FileType.File:
            problems.append(f"{name}: live file {rel} does not exist")
            continue
        if info.size != size:
            problems.append(f"{name}: {rel} is {info.size} bytes, the log says {size}")
            continue
        try:
            with fs.open_input_file(full) as f:
                pf = pq.ParquetFile(f)
                rows = pf.metadata.num_rows
                decoded = pf.read().num_rows
        except Exception as e:  # pyarrow's errors for a bad footer or page vary
            problems.append(f"{name}: {rel} is not readable Parquet: {e}")
            continue
        if nrec is not None and rows != nrec:
            problems.append(f"{name}: {rel} holds {rows} rows, the log says {nrec}")
        if decoded != rows:
            problems.append(f"{name}: {rel} decodes {decoded} rows of the footer's {rows}")
        out["files"] += 1
        out["rows"] += rows
    if lake.startswith("s3://"):
        return out
    for dirpath, dirnames, filenames in os.walk(table_root):
        dirnames[:] = [d for d in dirnames if not d.startswith(("_", "."))]
        for fn in filenames:
            rel = os.path.relpath(os.path.join(dirpath, fn), table_root)
            if fn.endswith(".parquet") and rel not in live:
                out["unreferenced"] += 1
    return out


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--quick":
        return quick(sys.argv[2])
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    global pafs, pq, DeltaTable
    import pyarrow.fs as pafs
    import pyarrow.parquet as pq
    from deltalake import DeltaTable
    lake = sys.argv[1]
    opts, fs, root = storage(lake)
    problems, res = [], {}
    for name in TABLES:
        res[name] = check_table(name, lake, opts, fs, root, problems)
    for p in problems:
        print("lake_check: " + p, file=sys.stderr)
    print(json.dumps(res))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
