#!/usr/bin/env python3
"""Judge bench/up_rss.sh's run: is up's RSS flat between its job rounds?

  up_rss.py RSS_FILE UP_LOG TOLERANCE_MB_PER_MIN

RSS_FILE: lines "<epoch seconds> <VmRSS kB>". UP_LOG: up's stderr, whose
scheduler lines ("schedule: compact started", "... ok in", "... failed")
give when each job ran. Jobs whose runs overlap or follow within GAP_S make
one round. For each round: its peak (highest sample while it ran, and
SETTLE_S after). For each interval between rounds (and after the last): its
floor, the lowest sample (what stays when no job holds memory). The slopes
are least-squares fits of floors (and peaks) against time over the second
half of the run (the first half is warm-up: the live state, the buffers and
DuckDB's caches fill). Prints the series, then one line for bench/up_rss.sh:
  VERDICT <floor MB/min> <floor MB/round> <peak MB/min> <n floors> <flat|growing|n/a>
"""
import re
import sys
from datetime import datetime, timezone

GAP_S = 10     # jobs closer than this are one round (compact, then models after it)
SETTLE_S = 10  # a round's memory is still going back this long after its last job
MIN_GAP_S = 30  # a floor from a shorter interval between rounds is not used

LINE = re.compile(r'^(\S+Z) \S+\s+schedule: ([a-z]+) (started|ok in|failed|cancelled|timed out|[a-z]+ after)')


def epoch(ts):
    return datetime.strptime(ts, '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=timezone.utc).timestamp()


def job_spans(log):
    """[start, end] of every job run in the log (a run still going at exit
    ends at +inf)."""
    open_, spans = {}, []
    for line in log:
        m = LINE.match(line)
        if not m:
            continue
        t, job, what = epoch(m.group(1)), m.group(2), m.group(3)
        if what == 'started':
            open_[job] = t
        elif job in open_:
            spans.append([open_.pop(job), t])
    spans += [[t, float('inf')] for t in open_.values()]
    return sorted(spans)


def rounds_of(spans):
    out = []
    for s, e in spans:
        if out and s <= out[-1][1] + GAP_S:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return out


def slope(pts):
    """Least-squares slope of [(x, y)], or None under 2 points."""
    if len(pts) < 2:
        return None
    n = len(pts)
    mx = sum(x for x, _ in pts) / n
    my = sum(y for _, y in pts) / n
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx else None


def main():
    rss = [(float(t), int(kb) / 1024) for t, kb in (l.split() for l in open(sys.argv[1]) if l.strip())]
    tol = float(sys.argv[3])
    with open(sys.argv[2], errors='replace') as f:
        rounds = rounds_of(job_spans(f))
    t0, t1 = rss[0][0], rss[-1][0]
    fit_from = rounds[0][1] if rounds else t1 + 1  # the fits start after the first round
    m = lambda t: (t - t0) / 60  # minutes since the first sample

    # the intervals with no job: before the first round, between rounds, after the last
    edges = [t0] + [x for r in rounds for x in (r[0], r[1] + SETTLE_S)] + [t1 + 1]
    floors = []  # (fit_from-time of the interval, floor MB, time of the floor)
    for i in range(0, len(edges), 2):
        a, b = edges[i], edges[i + 1]
        inside = [(r, t) for t, r in rss if a <= t < b]
        if inside and min(b, t1) - a >= MIN_GAP_S:
            lo = min(inside)
            floors.append(((a + min(b, t1)) / 2, lo[0], lo[1]))
    peaks = []
    for s, e in rounds:
        inside = [r for t, r in rss if s <= t <= e + SETTLE_S]
        if inside:
            peaks.append((s, max(inside), e))

    print('job rounds (min since start: start-end, peak MB):',
          '; '.join(f'{m(s):.1f}-{m(e):.1f} {p:.0f}' for s, p, e in peaks) or 'none')
    print('floors between rounds (min at which the lowest sample was taken: MB):',
          ' '.join(f'{m(ft):.1f}:{v:.0f}' for _, v, ft in floors))
    late_f = [(m(x), v) for x, v, _ in floors if x >= fit_from]
    late_p = [(m(s), p) for s, p, _ in peaks if s >= fit_from]
    fs, ps = slope(late_f), slope(late_p)
    period = None
    if len(rounds) >= 2:
        period = (rounds[-1][0] - rounds[0][0]) / (len(rounds) - 1) / 60
    fmt = lambda v: 'n/a' if v is None else f'{v:+.2f}'
    per_round = None if fs is None or period is None else fs * period
    print(f'after the first round ({m(fit_from):.1f}-{m(t1):.1f} min): floor slope {fmt(fs)} MB/min'
          f' ({fmt(per_round)} MB/round, rounds every {period or 0:.1f} min) over {len(late_f)} floors;'
          f' peak slope {fmt(ps)} MB/min over {len(late_p)} rounds')
    verdict = 'n/a' if fs is None or len(late_f) < 3 else ('flat' if fs <= tol else 'growing')
    print('VERDICT', fmt(fs), fmt(per_round), fmt(ps), len(late_f), verdict)


if __name__ == '__main__':
    main()
