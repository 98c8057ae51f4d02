#!/usr/bin/env python3
"""trickle.py FILE RATE — copy FILE's lines to stdout at about RATE lines per
second (in small batches), so that a `stream --from -` reading them flushes
many times: a lake of many small files for compaction and vacuum to work on."""
import sys
import time


def main():
    path, rate = sys.argv[1], float(sys.argv[2])
    batch = max(1, int(rate / 100))  # 100 batches a second
    t0 = time.monotonic()
    sent = 0
    with open(path, "rb") as f:
        lines = f.readlines()
    for i in range(0, len(lines), batch):
        sys.stdout.buffer.writelines(lines[i:i + batch])
        sys.stdout.flush()
        sent += len(lines[i:i + batch])
        ahead = sent / rate - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)


if __name__ == "__main__":
    main()
