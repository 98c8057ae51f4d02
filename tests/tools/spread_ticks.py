#!/usr/bin/env python3
"""Spreads the ticks of a JSONL file (as `ticklake simulate --output -` writes
them, in time order) evenly over a span: `spread_ticks.py START SECONDS < in >
out` gives tick i of N the time START + i * SECONDS / N, keeping the order and
everything else (seq too: one simulated run cut into days with head/tail
keeps every symbol's seq counting up across them, so no day's ticks are
duplicates of another's). `simulate --start --rate 0` packs its ticks 1 ms apart, and
throttles to --rate otherwise; the browser test wants a backfilled trading
session of hours without waiting for it."""
import datetime
import json
import sys


def main():
    start = datetime.datetime.fromisoformat(sys.argv[1].replace('Z', '+00:00'))
    seconds = float(sys.argv[2])
    lines = sys.stdin.read().splitlines()
    n = max(len(lines), 1)
    out = []
    for i, line in enumerate(lines):
        tick = json.loads(line)
        t = start + datetime.timedelta(microseconds=int(i * seconds * 1e6 / n))
        tick['ts'] = t.strftime('%Y-%m-%dT%H:%M:%S.%fZ')
        out.append(json.dumps(tick, separators=(',', ':')))
    sys.stdout.write('\n'.join(out) + '\n')


if __name__ == '__main__':
    main()
