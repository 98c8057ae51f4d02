"""Writes N tick messages as 'KEY<TAB>JSON' lines (for `kcat -P -K '\\t'`):
SYMBOLS symbols, event times rising evenly over HOURS hours from START
(epoch seconds), and 1% late ticks whose event time is 1 to HOURS-1 hours
behind, so the stream keeps buffers open in every hour partition at once.
seq rises per symbol (no duplicates); prices are a deterministic walk.

usage: gen_hours.py N SYMBOLS HOURS START_EPOCH_S
"""
import random
import sys
import time


def main():
    n, nsym, hours, start = (int(a) for a in sys.argv[1:5])
    rng = random.Random(1)
    names = ["S%04d" % i for i in range(nsym)]
    price = [10000 + 37 * i for i in range(nsym)]  # cents
    seq = [0] * nsym
    span_us = hours * 3600 * 1000000
    out = sys.stdout
    secs = {}
    buf = []
    for i in range(n):
        k = i % nsym
        seq[k] += 1
        ts = start * 1000000 + i * span_us // n
        if rng.random() < 0.01:
            ts = max(start * 1000000, ts - rng.randint(1, hours - 1) * 3600 * 1000000)
        s, us = divmod(ts, 1000000)
        day = secs.get(s)
        if day is None:
            day = secs[s] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s))
        price[k] += rng.choice((-1, 0, 1))
        p = price[k]
        buf.append('%s\t{"symbol":"%s","ts":"%s.%06dZ","price":%d.%02d,"size":100,'
                   '"bid":%d.%02d,"ask":%d.%02d,"exchange":"XNAS","seq":%d}\n'
                   % (names[k], names[k], day, us, p // 100, p % 100, (p - 1) // 100,
                      (p - 1) % 100, (p + 1) // 100, (p + 1) % 100, seq[k]))
        if len(buf) == 10000:
            out.write("".join(buf))
            buf.clear()
    out.write("".join(buf))


main()
