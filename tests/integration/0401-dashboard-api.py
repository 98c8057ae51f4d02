"""Helpers for 0401-dashboard-api.sh (not a test by itself: no number).

gen OUT NOW_S        write ticks.jsonl: three symbols, 3 minutes starting 3 hours
                     ago and 3 minutes starting 10 minutes ago, and expect.json
                     with the statistics and bars computed here, independently
check URL EXPECT     compare the dashboard's answers with expect.json
"""
import json
import random
import sys
import urllib.error
import urllib.request
from decimal import Decimal

SYMS = ["AAA", "BBB", "CCC"]


def gen(out, now_s, seq0=1, periods=None):
    rnd = random.Random(7)
    now_s = int(now_s)
    if periods is None:
        periods = {"old": (now_s - 3 * 3600) // 60 * 60, "recent": (now_s - 600) // 60 * 60}
    price = {s: 1000 + 1000 * i for i, s in enumerate(SYMS)}  # cents
    ticks = []
    seq = seq0
    for name, start in sorted(periods.items(), key=lambda kv: kv[1]):
        for k in range(3 * 60 * 20):  # every 50 ms for 3 minutes, symbols in turn
            s = SYMS[k % 3]
            price[s] = max(1, price[s] + rnd.choice((-1, 0, 1)))
            ts_ms = start * 1000 + k * 50
            ticks.append((name, s, ts_ms, price[s], rnd.randint(1, 9) * 100, seq))
            seq += 1
    with open(out + "/ticks.jsonl", "w") as f:
        for _, s, ts, p, size, q in ticks:
            f.write(json.dumps({"symbol": s, "ts": ts, "price": float(Decimal(p) / 100),
                                "size": size, "seq": q}) + "\n")
    expect = {"periods": periods, "stats": {}, "bars": {}, "last": {}, "next_seq": seq}
    for name, start in periods.items():
        for s in SYMS:
            sel = [t for t in ticks if t[0] == name and t[1] == s]
            micro = [t[3] * 10000 for t in sel]
            vol = sum(t[4] for t in sel)
            pv = sum(t[3] * 10000 * t[4] for t in sel)
            expect["stats"][f"{name}/{s}"] = {
                "count": len(sel), "min": min(micro), "max": max(micro),
                "avg": (sum(micro) + len(sel) // 2) // len(sel),
                "vwap": pv / vol, "volume": vol}
            bars = []
            for m in range(3):
                b = [t for t in sel if (t[2] // 1000 - start) // 60 == m]
                bars.append([start + 60 * m, b[0][3] * 10000, max(t[3] for t in b) * 10000,
                             min(t[3] for t in b) * 10000, b[-1][3] * 10000, sum(t[4] for t in b)])
            expect["bars"][f"{name}/{s}"] = bars
    for s in SYMS:
        expect["last"][s] = [t for t in ticks if t[1] == s][-1][3] * 10000
    with open(out + "/expect.json", "w") as f:
        json.dump(expect, f)


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def micro(v):
    return int(Decimal(str(v)) * 1000000)


def check(base, expect_path):
    e = json.load(open(expect_path))
    bad = []

    def eq(what, got, want):
        if got != want:
            bad.append(f"{what}: got {got}, want {want}")

    for name, start in e["periods"].items():
        src = "lake" if name == "old" else "live"
        for s in SYMS:
            st, body = get(f"{base}api/stats?symbol={s}&from={start}&to={start + 180}")
            want = e["stats"][f"{name}/{s}"]
            eq(f"{name} {s} status", st, 200)
            eq(f"{name} {s} source", body["source"], src)
            for k in ("count", "volume"):
                eq(f"{name} {s} {k}", body[k], want[k])
            for k in ("min", "max", "avg"):
                eq(f"{name} {s} {k}", micro(body[k]), want[k])
            if abs(micro(body["vwap"]) - want["vwap"]) > 1:
                bad.append(f"{name} {s} vwap: got {body['vwap']}, want {want['vwap'] / 1e6}")
            st, body = get(f"{base}api/bars?symbol={s}&from={start}&to={start + 180}&interval=1m")
            eq(f"{name} {s} bars source", body["source"], src)
            got = [[b[0]] + [micro(x) for x in b[1:5]] + [b[5]] for b in body["bars"]]
            eq(f"{name} {s} bars", got, e["bars"][f"{name}/{s}"])
    # a range over both: the lake's part and the live part add up
    old, recent = e["periods"]["old"], e["periods"]["recent"]
    st, body = get(f"{base}api/stats?symbol=AAA&from={old}&to={recent + 180}")
    eq("both periods source", body["source"], "lake+live")
    eq("both periods count", body["count"],
       e["stats"]["old/AAA"]["count"] + e["stats"]["recent/AAA"]["count"])
    eq("both periods min", micro(body["min"]),
       min(e["stats"]["old/AAA"]["min"], e["stats"]["recent/AAA"]["min"]))
    st, body = get(f"{base}api/bars?symbol=AAA&from={old}&to={recent + 180}&interval=1h")
    eq("hourly bars volume", sum(b[5] for b in body["bars"]),
       e["stats"]["old/AAA"]["volume"] + e["stats"]["recent/AAA"]["volume"])
    st, body = get(f"{base}api/symbols")
    eq("symbols", [x["s"] for x in body["symbols"]], SYMS)
    for x in body["symbols"]:
        eq(f"last {x['s']}", micro(x["last"]), e["last"][x["s"]])
    if bad:
        print("\n".join(bad), file=sys.stderr)
        sys.exit(1)
    print("ok: stats, bars and symbols match the independent computation", file=sys.stderr)


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "more":  # newer ticks (recent period + 3 min), fresh seqs
        e = json.load(open(sys.argv[2] + "/expect.json"))
        gen(sys.argv[2], sys.argv[3], seq0=e["next_seq"],
            periods={"more": e["periods"]["recent"] + 180})
    else:
        check(sys.argv[2], sys.argv[3])
