#!/usr/bin/env python3
"""Independent Delta Lake log replay, written from PROTOCOL.md (Action
Reconciliation) for cross-checking ticklake's C reader. Standard library only.

    delta_replay.py TABLE_DIR [--txn]

Prints {"version": N, "files": [sorted live paths, URI-decoded]} and, with
--txn, "txn": {appId: version}. Only JSON commits are replayed: when the
commits do not go back to version 0 (the log was cleaned up behind a
checkpoint) it says a checkpoint reader is needed and exits with status 2.
"""
import json
import os
import re
import sys
from urllib.parse import unquote

COMMIT = re.compile(r"^(\d{20})\.json$")


class NeedsCheckpoint(Exception):
    pass


def replay(table_dir):
    log_dir = os.path.join(table_dir, "_delta_log")
    if not os.path.isdir(log_dir):
        return -1, {}, {}
    versions = sorted(int(m.group(1)) for m in map(COMMIT.match, os.listdir(log_dir)) if m)
    if not versions:
        return -1, {}, {}
    if versions[0] != 0:
        raise NeedsCheckpoint()
    for want, have in enumerate(versions):
        if want != have:
            raise ValueError("version %d is missing" % want)
    live, txn = {}, {}
    for v in versions:
        with open(os.path.join(log_dir, "%020d.json" % v), encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                action = json.loads(line)
                if "add" in action:
                    live[unquote(action["add"]["path"])] = action["add"]
                elif "remove" in action:
                    live.pop(unquote(action["remove"]["path"]), None)
                elif "txn" in action:
                    txn[action["txn"]["appId"]] = action["txn"]["version"]
    return versions[-1], live, txn


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 64
    try:
        version, live, txn = replay(args[0])
    except NeedsCheckpoint:
        print("delta_replay: log starts after version 0; a checkpoint reader is needed "
              "(not supported here)", file=sys.stderr)
        return 2
    out = {"version": version, "files": sorted(live)}
    if "--txn" in argv:
        out["txn"] = dict(sorted(txn.items()))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
