#!/usr/bin/env python3
"""spread.py — the simulator's ticks spread over many hour partitions, in chunks.

    ticklake simulate --output - --rate 0 --start 2026-01-05T00:00:00Z --count N |
        spread.py --hours H --chunks K --out PREFIX

Tick i (in the simulator's order) gets the event time START + (i mod H) hours
+ a step inside its hour, so consecutive ticks fall in different hours and
every flush of a stream writes one small file per hour: a lake with many small
files in many partitions, for compaction and vacuum. Chunk k (1..K) is lines
[(k-1)N/K, kN/K) in PREFIX-k.jsonl; every chunk covers all H hours.

PREFIX-k.figures holds the figures of chunks 1..k together, as the crash
suite's `figures` prints them from the lake:
    rows|sum(price)|distinct (symbol, seq)|sum(seq)
Only valid ticks are expected (run the simulator without --faults).
"""
import argparse
import datetime as dt
import json
import re
import sys
from decimal import Decimal

TS = re.compile(r'"ts":"[^"]*"')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hours", type=int, required=True)
    ap.add_argument("--chunks", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--start", default="2026-01-05T00:00:00+00:00")
    a = ap.parse_args()
    lines = sys.stdin.read().splitlines()
    n = len(lines)
    if n < a.hours * a.chunks:
        sys.exit("spread.py: too few ticks")
    t0 = dt.datetime.fromisoformat(a.start)
    per_hour = -(-n // a.hours)
    step_us = 3600 * 1000000 // per_hour
    rows, total, seqsum, pairs = 0, Decimal(0), 0, set()
    for k in range(a.chunks):
        lo, hi = k * n // a.chunks, (k + 1) * n // a.chunks
        with open(f"{a.out}-{k + 1}.jsonl", "w") as f:
            for i in range(lo, hi):
                o = json.loads(lines[i], parse_float=Decimal)
                t = t0 + dt.timedelta(hours=i % a.hours, microseconds=(i // a.hours) * step_us)
                ts = t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                rows += 1
                total += Decimal(str(o["price"]))
                seqsum += int(o["seq"])
                pairs.add((o["symbol"], o["seq"]))
                # only the time changes: the rest stays byte for byte the simulator's
                line, k_ = TS.subn('"ts":"%s"' % ts, lines[i], count=1)
                if k_ != 1:
                    sys.exit("spread.py: no ts in " + lines[i])
                f.write(line + "\n")
        with open(f"{a.out}-{k + 1}.figures", "w") as f:
            f.write(f"{rows}|{total:.6f}|{len(pairs)}|{seqsum}\n")


if __name__ == "__main__":
    main()
