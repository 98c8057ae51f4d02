#!/usr/bin/env python3
"""dbt_compare.py — the models dbt built equal the models ticklake built, table by table.

    dbt_compare.py DBT_DUCKDB TICKLAKE_WAREHOUSE MODEL...

Opens dbt-duckdb's DuckDB file (its views name it by its file stem, so it is
opened as such) and attaches ticklake's warehouse read-only. For every model:
the same columns with the same types, the same row count, and no row of one
missing from the other (EXCEPT ALL both ways: equal as multisets, doubles
included, bit for bit). Prints "ok: MODEL ROWS rows" per model on stderr;
exits 1 naming the model and the difference.
"""
import os
import sys

import duckdb


def die(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def main():
    if len(sys.argv) < 4:
        die("usage: dbt_compare.py DBT_DUCKDB TICKLAKE_WAREHOUSE MODEL...")
    dbt_db, tl_db, models = sys.argv[1], sys.argv[2], sys.argv[3:]
    cat = os.path.splitext(os.path.basename(dbt_db))[0]
    con = duckdb.connect(dbt_db, read_only=True)
    con.execute(f"ATTACH '{tl_db}' AS tl (READ_ONLY)")
    for m in models:
        a, b = f'"{cat}".main."{m}"', f'tl.main."{m}"'
        try:
            cols_a = con.execute(f"DESCRIBE {a}").fetchall()
            cols_b = con.execute(f"DESCRIBE {b}").fetchall()
        except duckdb.Error as e:
            die(f"{m}: {e}")
        ta = [(c[0], c[1]) for c in cols_a]
        tb = [(c[0], c[1]) for c in cols_b]
        if ta != tb:
            die(f"{m}: columns differ\n  dbt:      {ta}\n  ticklake: {tb}")
        na = con.execute(f"SELECT count(*) FROM {a}").fetchone()[0]
        nb = con.execute(f"SELECT count(*) FROM {b}").fetchone()[0]
        if na != nb:
            die(f"{m}: dbt has {na} rows, ticklake {nb}")
        if na == 0:
            die(f"{m}: empty in both (a comparison of nothing)")
        for x, y, who in ((a, b, "dbt"), (b, a, "ticklake")):
            extra = con.execute(f"SELECT * FROM (SELECT * FROM {x} EXCEPT ALL SELECT * FROM {y}) "
                                "LIMIT 3").fetchall()
            if extra:
                die(f"{m}: rows only in {who}'s table, e.g. {extra}")
        print(f"ok: {m} {na} rows, {len(ta)} columns, equal", file=sys.stderr)


if __name__ == "__main__":
    main()
