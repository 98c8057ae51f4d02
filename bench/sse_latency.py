"""Reads the dashboard's SSE stream (/api/events) and measures, for every
symbol in every update event, arrival time minus the tick's event time.

The ticks come from `ticklake up`'s simulator, whose event time is the wall
clock when it produces the tick (the produce stamp); the dashboard sends a
symbol's newest tick, so each (update, symbol) pair is one sample of
produce -> SSE latency. The event time travels in ms ("ts"), so samples
are rounded down to the ms (a bias of < 1 ms).

usage: sse_latency.py URL WARMUP_S SECONDS -> prints "n p50 p99 max" (ms)
"""
import http.client
import json
import sys
import time
import urllib.parse


def main():
    url = urllib.parse.urlsplit(sys.argv[1])
    warm, secs = float(sys.argv[2]), float(sys.argv[3])
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.request("GET", "/api/events")
    resp = conn.getresponse()
    if resp.status != 200:
        sys.exit("GET /api/events: %d" % resp.status)
    t0 = time.time()
    samples = []
    event = None
    while time.time() - t0 < warm + secs:
        line = resp.fp.readline()
        if not line:
            break
        now_ms = time.time() * 1000.0
        line = line.decode().rstrip("\n")
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: ") and event == "update":
            msg = json.loads(line[6:])
            if msg.get("full") or time.time() - t0 < warm:
                continue
            for s in msg.get("symbols", []):
                if s.get("ts"):
                    samples.append(now_ms - s["ts"])
    conn.close()
    if not samples:
        sys.exit("no update events")
    samples.sort()
    q = lambda p: samples[min(len(samples) - 1, int(p * len(samples)))]
    print("%d %.1f %.1f %.1f" % (len(samples), q(0.50), q(0.99), samples[-1]))


main()
