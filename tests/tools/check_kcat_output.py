#!/usr/bin/env python3
"""Check what kcat read from the ticks topic (kcat -J, one JSON envelope per line).

  check_kcat_output.py FILE --expect N            no faults: every message a valid
                                                  tick keyed by its symbol, seq
                                                  strictly increasing per symbol
  check_kcat_output.py FILE --stats STATS.json    faults: counts agree with simulate's
                                                  --stats-json

Field checks follow the tick codec's rules (src/tick/tick.h); exits 1 with a
message on the first mismatch.
"""
import argparse
import json
import re
import sys

SYMBOL = re.compile(r"^[A-Z0-9.\-]{1,12}$")
TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
FIELDS = {"symbol", "ts", "price", "size", "bid", "ask", "exchange", "seq"}


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def why_invalid(payload):
    """None when the payload is a valid tick, else the reason."""
    try:
        t = json.loads(payload)
    except ValueError:
        return "not_json"
    if not isinstance(t, dict):
        return "not_object"
    for f in ("symbol", "ts", "price"):
        if f not in t:
            return "missing_field:" + f
    if not isinstance(t["symbol"], str) or not SYMBOL.match(t["symbol"]):
        return "bad_symbol"
    if not isinstance(t["ts"], str) or not TS.match(t["ts"]):
        return "bad_ts"
    for f in ("price", "bid", "ask"):
        if f in t and (not is_num(t[f]) or t[f] <= 0):
            return "bad_" + f
    for f in ("size", "seq"):
        if f in t and (not is_int(t[f]) or t[f] < 0):
            return "bad_" + f
    if "bid" in t and "ask" in t and t["bid"] > t["ask"]:
        return "crossed_quote"
    return None


def fail(msg):
    print("check_kcat_output: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--expect", type=int)
    ap.add_argument("--stats")
    a = ap.parse_args()

    msgs = []
    with open(a.file, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                env = json.loads(line)
            except ValueError:
                fail("%s:%d: kcat output is not a JSON envelope: %r" % (a.file, n, line[:200]))
            msgs.append(env)

    valid = bad = dup = 0
    seen_payloads = set()
    last_seq = {}        # symbol -> (partition, offset, seq) of its last fresh tick
    sym_partition = {}
    reasons = {}
    for env in sorted(msgs, key=lambda e: (e["partition"], e["offset"])):
        payload, key = env["payload"], env["key"]
        where = "partition %d offset %d" % (env["partition"], env["offset"])
        reason = why_invalid(payload)
        if reason:
            bad += 1
            reasons[reason] = reasons.get(reason, 0) + 1
            if a.expect is not None:
                fail("%s: invalid tick (%s): %r" % (where, reason, payload))
            continue
        valid += 1
        t = json.loads(payload)
        if key != t["symbol"]:
            fail("%s: key %r is not the symbol %r" % (where, key, t["symbol"]))
        if sym_partition.setdefault(key, env["partition"]) != env["partition"]:
            fail("%s: symbol %s also seen in partition %d" % (where, key, sym_partition[key]))
        if not FIELDS <= t.keys():
            fail("%s: simulated tick lacks %s" % (where, sorted(FIELDS - t.keys())))
        if payload in seen_payloads:
            dup += 1
            if a.expect is not None:
                fail("%s: duplicate message %r" % (where, payload))
            continue
        seen_payloads.add(payload)
        prev = last_seq.get(key)
        if a.expect is not None and t["seq"] != (prev[2] if prev else 0) + 1:
            fail("%s: %s seq %d, want %d (no faults: 1, 2, 3, ...)"
                 % (where, key, t["seq"], (prev[2] if prev else 0) + 1))
        if prev is not None and t["seq"] <= prev[2]:
            fail("%s: %s seq %d not above %d (at offset %d)" % (where, key, t["seq"], prev[2], prev[1]))
        last_seq[key] = (env["partition"], env["offset"], t["seq"])

    total = len(msgs)
    print("check_kcat_output: %d messages, %d valid (%d duplicates), %d bad %s, %d symbols"
          % (total, valid, dup, bad, json.dumps(reasons, sort_keys=True), len(last_seq)))
    if a.expect is not None and total != a.expect:
        fail("expected exactly %d messages, kcat read %d" % (a.expect, total))
    if a.stats:
        with open(a.stats, encoding="utf-8") as f:
            s = json.load(f)
        for name, got in (("sent", total), ("valid", valid), ("bad", bad), ("dup", dup)):
            if s[name] != got:
                fail("simulate reported %s=%d, kcat's messages give %d" % (name, s[name], got))
        if s["late"] or s["ooo"]:
            fail("stats report late/ooo ticks the scenario did not ask for: %r" % s)
        if bad == 0 or dup == 0 or len(reasons) < 5:
            fail("faults asked for but not seen in variety: bad=%d dup=%d reasons=%r"
                 % (bad, dup, reasons))


if __name__ == "__main__":
    main()
