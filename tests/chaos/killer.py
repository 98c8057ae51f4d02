#!/usr/bin/env python3
"""killer.py — run a command and SIGKILL it at a moment chosen by watching the lake.

    killer.py --mode MODE [--log LOG ...] [--tmp GLOB] [--op OPERATION] [--seed N]
              [--max-delay-ms D] [--timeout S] [--child-out FILE]
              [--fill PATH [--status-file FILE]] -- COMMAND ARGS...

The command starts after the watched state is recorded, so only what this run
does counts. MODE is when to kill:

  after-commit     a new commit (NNN.json) appears in the first --log, then a
                   random delay in [0, D] ms: between commits, or during the next
                   flush, upload or commit, or a checkpoint (--op OPERATION:
                   only a commit of that operation counts, e.g. "VACUUM START")
  between-commits  a new commit appears in the second --log (the dead-letter
                   table, which a flush commits first): kill at once, before the
                   same flush's ticks commit
  mid-write        a new file appears in a folder matching --tmp: kill after a
                   random delay in [0, min(D, 30)] ms, while Parquet is written
  before-commit    a new file appears in --tmp and then goes away (moved into
                   the table, or uploaded to S3 and removed): kill at once,
                   between the data file's publication and its commit
  mid-commit       a staging file (.tl-tmp.*) appears in a local --log: a commit
                   (past the table's creation) or a checkpoint is being written
                   (fsynced) and not yet linked or renamed into place: kill
                   at once; if none is caught while 10 commits pass (they can be
                   quicker than the polling), kill right after the 10th and say so
  delay            a random delay in [0, D] ms after the start

A --log is a local _delta_log folder or s3://bucket/prefix/_delta_log (listed
through $MOTO_URL without signing: moto does not check signatures).

--fill PATH does not kill: at the moment it fills the file system with a
ballast file PATH and waits for the command to end (--status-file gets its
exit status), for disk-full tests at chosen moments.

Prints one line saying what it saw and when it killed. Exit status: 0 killed
(or filled) at the chosen moment; 3 the command exited by itself first (its status is
printed); 4 the moment did not come within --timeout seconds (the command is
killed all the same).
"""
import argparse
import glob
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

COMMIT = re.compile(r"(\d{20})\.json$")
STAGED_COMMIT = re.compile(r"\.tl-tmp\.(\d{20})\.json")


class LogWatch:
    """The highest commit version in a local or S3 _delta_log."""

    def __init__(self, where):
        self.where = where.rstrip("/")
        self.s3 = self.where.startswith("s3://")
        if self.s3:
            bucket, _, prefix = self.where[5:].partition("/")
            self.url = os.environ["MOTO_URL"].rstrip("/") + "/" + bucket
            self.prefix = prefix + "/"
            self.after = self.prefix
        self.top = -1
        self.poll()

    def operation(self, version):
        """The commitInfo operation of a commit ("" if it has none)."""
        name = "%020d.json" % version
        if self.s3:
            with urllib.request.urlopen(self.url + "/" + urllib.parse.quote(self.prefix + name), timeout=10) as r:
                text = r.read().decode()
        else:
            with open(os.path.join(self.where, name), encoding="utf-8") as f:
                text = f.read()
        for line in text.splitlines():
            if '"commitInfo"' in line:
                return json.loads(line)["commitInfo"].get("operation", "")
        return ""

    def poll(self):
        if not self.s3:
            try:
                names = os.listdir(self.where)
            except FileNotFoundError:
                return self.top
            for n in names:
                m = COMMIT.match(n)
                if m and int(m.group(1)) > self.top:
                    self.top = int(m.group(1))
            return self.top
        while True:  # list only what came after the last key seen
            q = urllib.parse.urlencode({"list-type": "2", "prefix": self.prefix, "start-after": self.after})
            with urllib.request.urlopen(self.url + "?" + q, timeout=10) as r:
                root = ET.fromstring(r.read())
            ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
            keys = [k.text for k in root.iter(ns + "Key")]
            for k in keys:
                m = COMMIT.search(k)
                if m and int(m.group(1)) > self.top:
                    self.top = int(m.group(1))
            # commit names sort before _last_checkpoint: remember the newest commit
            commits = [k for k in keys if COMMIT.search(k)]
            if commits:
                self.after = max(self.after, commits[-1])
            trunc = root.find(ns + "IsTruncated")
            if trunc is None or trunc.text != "true":
                return self.top


def fill(path):
    """Write a ballast file at path until the file system is full; its size."""
    n = 0
    with open(path, "ab", buffering=0) as f:
        for chunk in (1 << 20, 1 << 12, 1):
            buf = b"\0" * chunk
            while True:
                try:
                    w = f.write(buf)
                except OSError:
                    break
                if not w:
                    break
                n += w
    return n


def tmp_files(pattern):
    out = set()
    for d in glob.glob(pattern):
        try:
            for e in os.scandir(d):
                if e.is_file(follow_symlinks=False):
                    out.add(e.path)
        except (FileNotFoundError, NotADirectoryError):
            pass
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", required=True,
                    choices=["after-commit", "between-commits", "mid-write", "before-commit", "mid-commit", "delay"])
    ap.add_argument("--log", action="append", default=[])
    ap.add_argument("--tmp")
    ap.add_argument("--op", help="after-commit: only a commit whose commitInfo operation is this counts")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-delay-ms", type=float, default=300)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--child-out", help="the command's stdout goes to this file (default: killer's)")
    ap.add_argument("--fill", metavar="PATH",
                    help="instead of killing, fill the disk at the moment (a ballast file PATH "
                         "written until it is full), then wait for the command to end")
    ap.add_argument("--status-file", help="with --fill: the command's exit status goes here")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("no command")
    rng = random.Random(a.seed)
    logs = [LogWatch(x) for x in a.log]
    if a.mode in ("after-commit", "mid-commit") and not logs:
        ap.error("--mode after-commit needs --log")
    if a.mode == "between-commits" and len(logs) < 2:
        ap.error("--mode between-commits needs two --log (ticks, then deadletter)")
    if a.mode in ("mid-write", "before-commit") and not a.tmp:
        ap.error("--mode %s needs --tmp" % a.mode)
    if a.mode == "mid-commit" and any(w.s3 for w in logs):
        ap.error("--mode mid-commit watches local logs only")
    before = tmp_files(a.tmp) if a.tmp else set()
    staging_before = set()
    if a.mode == "mid-commit":
        staging_before = {os.path.join(x, n) for x in a.log if os.path.isdir(x) for n in os.listdir(x)}
    # version 0 creates a table: a commit of this run is a later one
    base = [max(w.top, 0) for w in logs]

    out = open(a.child_out, "ab") if a.child_out else None
    proc = subprocess.Popen(cmd, stdout=out)
    t0 = time.monotonic()
    deadline = t0 + a.timeout
    seen = None  # what we saw, for the report
    delay_ms = 0.0
    step = 0.02 if any(w.s3 for w in logs) else 0.002
    watched = None
    checked = base[0] if base else -1
    while True:
        if proc.poll() is not None:
            print("killer: %s exited by itself with status %d after %.0f ms (mode %s, nothing killed)"
                  % (os.path.basename(cmd[0]), proc.returncode, (time.monotonic() - t0) * 1000, a.mode))
            return 3
        now = time.monotonic()
        if now > deadline:
            proc.kill()
            proc.wait()
            print("killer: the moment for mode %s did not come in %.0f s; killed anyway" % (a.mode, a.timeout))
            return 4
        if a.mode == "delay":
            delay_ms = rng.uniform(0, a.max_delay_ms)
            seen = "start"
            break
        if a.mode == "after-commit":
            top = logs[0].poll()
            if top > checked:
                for v in range(checked + 1, top + 1):
                    if not a.op or logs[0].operation(v) == a.op:
                        seen = "commit %d%s of %s" % (v, " (%s)" % a.op if a.op else "", a.log[0])
                        break
                checked = top
                if seen:
                    delay_ms = rng.uniform(0, a.max_delay_ms)
                    break
        elif a.mode == "mid-commit":
            found = None
            for x, b in zip(a.log, base):
                try:
                    names = os.listdir(x)
                except FileNotFoundError:
                    continue
                for n in names:
                    if not n.startswith(".tl-tmp.") or os.path.join(x, n) in staging_before:
                        continue
                    m = STAGED_COMMIT.match(n)
                    if m and int(m.group(1)) <= b:
                        continue  # a table's creation (version 0), not a flush's commit
                    found = os.path.join(x, n)
                    break
                if found:
                    break
            if found:
                seen = "staging file %s of a commit" % found
                break
            if logs[0].poll() >= base[0] + 10:
                seen = "10 commits (no staging file caught: fallback, after commit %d)" % logs[0].top
                break
        elif a.mode == "between-commits":
            if logs[1].poll() > base[1]:
                seen = "commit %d of %s" % (logs[1].top, a.log[1])
                break
        else:
            new = tmp_files(a.tmp) - before
            if a.mode == "mid-write" and new:
                seen = "new temp file %s" % sorted(new)[0]
                delay_ms = rng.uniform(0, min(a.max_delay_ms, 30))
                break
            if a.mode == "before-commit":
                if watched is None and new:
                    watched = sorted(new)[0]
                elif watched is not None and not os.path.exists(watched):
                    seen = "temp file %s published" % watched
                    break
        time.sleep(step)
    if delay_ms:
        time.sleep(delay_ms / 1000)
    rc = proc.poll()
    if rc is not None:
        print("killer: %s exited by itself with status %d during the %.0f ms delay after %s"
              % (os.path.basename(cmd[0]), rc, delay_ms, seen))
        return 3
    if a.fill:
        filled = fill(a.fill)
        at = (time.monotonic() - t0) * 1000
        if proc.poll() is not None:
            print("killer: %s exited by itself with status %d before the disk was full (%.0f ms after %s)"
                  % (os.path.basename(cmd[0]), proc.returncode, at, seen))
            return 3
        try:
            rc = proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            print("killer: filled the disk (%d bytes) %.0f ms after %s, and %s did not exit within 120 s"
                  % (filled, delay_ms, seen, os.path.basename(cmd[0])))
            return 4
        print("killer: filled the disk with %d bytes %.0f ms after start, %.0f ms after %s (mode %s); "
              "the command exited with status %d" % (filled, at, delay_ms, seen, a.mode, rc))
        if a.status_file:
            with open(a.status_file, "w") as f:
                f.write("%d\n" % rc)
        return 0
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    after = [w.poll() for w in logs]
    print("killer: SIGKILL %.0f ms after start, %.0f ms after %s (mode %s); log versions %s -> %s"
          % ((time.monotonic() - t0) * 1000 - 0, delay_ms, seen, a.mode, base, after))
    return 0


if __name__ == "__main__":
    sys.exit(main())
