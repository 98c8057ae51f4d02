// ticklake dashboard: the ticker table, the chart of the selected ticker and
// the pipeline health, fed by /api/* once and by Server-Sent Events after.
'use strict';
(function () {
  const LC = window.LightweightCharts;
  const params = new URLSearchParams(location.search);
  const token = params.get('token') || '';
  const $ = (id) => document.getElementById(id);

  const state = {
    rows: new Map(), // symbol -> {data, tr, cells}
    order: [], // symbols as shown
    selected: params.get('symbol') || '',
    range: '1h',
    day: '',
    custom: null, // {from, to} Unix seconds, a custom range
    kind: 'candles', // 'line' (tick-level, short ranges) or 'candles'
    step: 60, // seconds per point or bar of the chart
    times: [], // the times of the chart's data points (the browser test reads them)
    points: 0, // data points (not gaps) in the chart
    lakeStatus: 'unknown', // live | stale | finished, from the last commit and tick
    latencies: [], // recent tick -> screen latencies, ms
    compare: [], // symbols of the compare view
    from: 0, to: 0, // the chart's range, Unix seconds
    live: true, // the range follows the clock
    lastLine: null, // {time, value} last point given to the line series
    stats: null, // the last /api/stats answer the overlays show
  };
  window.__tl = state; // for the browser test and for curious users

  // ---- formatting ------------------------------------------------------------
  const fmtPrice = (v) => v == null ? '—' : Number(v).toFixed(Math.abs(v) < 1 ? 4 : 2);
  const fmtVol = (v) => v == null ? '—' : v >= 1e9 ? (v / 1e9).toFixed(2) + 'B'
    : v >= 1e6 ? (v / 1e6).toFixed(2) + 'M' : v >= 1e4 ? (v / 1e3).toFixed(1) + 'k' : String(v);
  const fmtChg = (v) => {
    if (v == null) return '—';
    const r = Math.round(v * 100) / 100 || 0; // -0 -> 0: never "-0.00"
    return (r > 0 ? '+' : '') + r.toFixed(2) + '%';
  };
  const ago = (ms) => {
    if (!ms) return 'never';
    const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    return s < 60 ? s + ' s ago' : s < 3600 ? Math.round(s / 60) + ' min ago' : new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  };

  async function api(path) {
    const r = await fetch(path, { headers: token ? { Authorization: 'Bearer ' + token } : {} });
    const body = await r.json();
    if (!r.ok) throw new Error(body.error || r.statusText);
    return body;
  }

  // ---- ticker table ------------------------------------------------------------
  const tbody = $('tickers').tBodies[0];
  const SVGNS = 'http://www.w3.org/2000/svg';

  function sparkline(svg, pts) {
    let pl = svg.firstChild;
    if (!pl) { pl = document.createElementNS(SVGNS, 'polyline'); svg.appendChild(pl); }
    if (!pts || pts.length < 2) { pl.setAttribute('points', ''); return; }
    const lo = Math.min(...pts), hi = Math.max(...pts), span = hi - lo || 1;
    pl.setAttribute('points', pts.map((p, i) =>
      (i * 80 / (pts.length - 1)).toFixed(1) + ',' + (17 - (p - lo) * 16 / span).toFixed(1)).join(' '));
    pl.setAttribute('stroke', pts[pts.length - 1] >= pts[0] ? '#3fb950' : '#f85149');
  }

  function makeRow(sym) {
    const tr = document.createElement('tr');
    tr.dataset.symbol = sym;
    tr.setAttribute('aria-selected', 'false');
    const cells = {};
    for (const [k, cls] of [['s', ''], ['last', 'num'], ['chg', 'num'], ['min', 'num hide-narrow'],
      ['max', 'num hide-narrow'], ['avg', 'num hide-narrow'], ['vol', 'num'], ['spark', '']]) {
      const td = document.createElement('td');
      if (cls) td.className = cls;
      tr.appendChild(td);
      cells[k] = td;
    }
    cells.s.textContent = sym;
    const svg = document.createElementNS(SVGNS, 'svg');
    svg.setAttribute('class', 'spark');
    svg.setAttribute('viewBox', '0 0 80 18');
    svg.setAttribute('aria-hidden', 'true');
    cells.spark.appendChild(svg);
    tr.addEventListener('click', () => select(sym));
    return { tr, cells, data: { s: sym, spark: [] }, svg };
  }

  function renderRow(row, flash) {
    const d = row.data, c = row.cells;
    const text = fmtPrice(d.last);
    if (flash && row.shown !== undefined && text !== c.last.textContent) {
      c.last.className = 'num ' + (d.last > row.shown ? 'tick-up' : 'tick-down');
      clearTimeout(row.flashTimer);
      row.flashTimer = setTimeout(() => { c.last.className = 'num'; }, 700);
    }
    row.shown = d.last;
    c.last.textContent = text;
    c.chg.textContent = fmtChg(d.chg);
    c.chg.className = 'num ' + (d.chg > 0 ? 'up' : d.chg < 0 ? 'down' : '');
    c.min.textContent = fmtPrice(d.min);
    c.max.textContent = fmtPrice(d.max);
    c.avg.textContent = fmtPrice(d.avg);
    c.vol.textContent = fmtVol(d.vol);
  }

  function applySymbols(list, full, fromEvent) {
    if (fromEvent && !state.live) return; // a past range: the live state is not what is shown
    let added = false;
    const now = Date.now();
    for (const u of list) {
      let row = state.rows.get(u.s);
      if (!row) { row = makeRow(u.s); state.rows.set(u.s, row); added = true; }
      const spark = u.spark;
      Object.assign(row.data, u);
      if (spark) row.data.spark = spark;
      else if (row.data.spark.length) row.data.spark[row.data.spark.length - 1] = u.last;
      renderRow(row, !full);
      sparkline(row.svg, row.data.spark);
      if (fromEvent && u.ts) {
        state.latencies.push(now - u.ts);
        if (state.latencies.length > 200) state.latencies.shift();
      }
      markStale(row, now);
      if (u.s === state.selected) onSelectedUpdate(u);
    }
    if (added) relayout();
    $('summary').textContent = state.rows.size + ' symbols';
    if (!state.selected && state.order.length) select(state.order[0]);
  }

  // a symbol silent for a minute while the lake is live: its numbers are old
  const STALE_MS = 60000;
  function markStale(row, now) {
    const stale = state.live && state.lakeStatus === 'live' && row.data.ts && now - row.data.ts > STALE_MS;
    row.tr.classList.toggle('stale', !!stale);
    row.tr.title = stale ? `no trade for ${Math.round((now - row.data.ts) / 1000)} s` : '';
  }

  function clearRows() {
    for (const row of state.rows.values()) row.tr.remove();
    state.rows.clear();
    state.order = [];
  }

  function relayout() {
    const f = $('filter').value.trim().toUpperCase();
    const syms = [...state.rows.keys()].sort();
    state.order = syms.filter((s) => !f || s.includes(f));
    const frag = document.createDocumentFragment();
    for (const s of syms) {
      const row = state.rows.get(s);
      row.tr.hidden = !!f && !s.includes(f);
      frag.appendChild(row.tr);
    }
    tbody.appendChild(frag);
    $('empty').hidden = state.rows.size > 0;
    $('count').textContent = f ? state.order.length + ' / ' + state.rows.size : '';
  }

  function select(sym, focusRow) {
    if (!sym) return;
    const prev = state.rows.get(state.selected);
    if (prev) prev.tr.setAttribute('aria-selected', 'false');
    const row = state.rows.get(sym);
    state.selected = sym;
    if (row) {
      row.tr.setAttribute('aria-selected', 'true');
      if (focusRow) row.tr.scrollIntoView({ block: 'nearest' });
    }
    loadChart();
  }

  function move(delta) {
    const i = state.order.indexOf(state.selected);
    const j = Math.max(0, Math.min(state.order.length - 1, (i < 0 ? 0 : i + delta)));
    if (state.order[j] && state.order[j] !== state.selected) select(state.order[j], true);
  }

  $('table-wrap').addEventListener('keydown', (e) => {
    const page = 15;
    const keys = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page, j: 1, k: -1 };
    if (e.key in keys) { move(keys[e.key]); e.preventDefault(); }
    else if (e.key === 'Home') { move(-1e9); e.preventDefault(); }
    else if (e.key === 'End') { move(1e9); e.preventDefault(); }
  });
  $('filter').addEventListener('input', relayout);
  $('filter').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && state.order.length) { select(state.order[0], true); $('table-wrap').focus(); }
    if (e.key === 'ArrowDown') { $('table-wrap').focus(); move(0); e.preventDefault(); }
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === '/' && document.activeElement !== $('filter')) { $('filter').focus(); e.preventDefault(); }
  });

  // ---- chart ---------------------------------------------------------------------
  // The time axis is linear: lightweight-charts spaces data points evenly, so
  // every step of the range without a trade gets a whitespace point (a gap).
  const chartOpts = {
    autoSize: true,
    layout: { background: { color: '#161b22' }, textColor: '#c9d1d9' },
    grid: { vertLines: { color: '#21262d' }, horzLines: { color: '#21262d' } },
    timeScale: { timeVisible: true, secondsVisible: true, borderColor: '#30363d', rightOffset: 2 },
    rightPriceScale: { borderColor: '#30363d', scaleMargins: { top: 0.08, bottom: 0.28 } },
    crosshair: { mode: LC.CrosshairMode.Normal },
  };
  const chart = LC.createChart($('chart'), chartOpts);
  const candles = chart.addCandlestickSeries({
    upColor: '#3fb950', downColor: '#f85149', borderVisible: false,
    wickUpColor: '#3fb950', wickDownColor: '#f85149', priceLineVisible: false, lastValueVisible: false,
  });
  const line = chart.addLineSeries({ color: '#58a6ff', lineWidth: 2, priceLineVisible: true, lastValueVisible: true });
  const volume = chart.addHistogramSeries({ priceScaleId: 'vol', priceFormat: { type: 'volume' }, lastValueVisible: false, priceLineVisible: false });
  chart.priceScale('vol').applyOptions({ scaleMargins: { top: 0.78, bottom: 0 } });
  state.series = { candles, line, volume };
  const overlay = {};
  for (const [k, color] of [['max', '#3fb950'], ['avg', '#d29922'], ['min', '#f85149']]) {
    overlay[k] = line.createPriceLine({ price: 0, color, lineWidth: 1, lineStyle: LC.LineStyle.Dashed, axisLabelVisible: false, title: '' });
  }

  const SHORT = { '1m': 60, '5m': 300, '15m': 900 };
  function rangeBounds() {
    const now = Math.floor(Date.now() / 1000);
    if (state.custom) return { ...state.custom, live: false };
    if (state.day) {
      const from = Date.parse(state.day + 'T00:00:00Z') / 1000;
      return { from, to: from + 86400, live: false };
    }
    if (SHORT[state.range]) return { from: now - SHORT[state.range], to: now + 1, live: true };
    if (state.range === 'today') return { from: now - now % 86400, to: now + 1, live: true };
    return { from: now - 3600, to: now + 1, live: true };
  }
  // candles: the smallest interval giving at most 300 bars (60-300 on screen)
  const INTERVALS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400];
  const pickInterval = (span) => INTERVALS.find((i) => span / i <= 300) || 86400;

  // data (sorted by time) with whitespace for every step from..end without one
  function withGaps(data, from, end, step) {
    const out = [];
    let k = 0;
    for (let t = Math.floor(from / step) * step; t < end; t += step) {
      if (k < data.length && data[k].time === t) out.push(data[k++]);
      else out.push({ time: t });
    }
    while (k < data.length) out.push(data[k++]);
    return out;
  }

  let chartSeq = 0;
  async function loadChart() {
    const sym = state.selected;
    if (!sym) return;
    const seq = ++chartSeq;
    const b = rangeBounds();
    const span = b.to - b.from;
    const short = span <= 900;
    Object.assign(state, { from: b.from, to: b.to, live: b.live, kind: short ? 'line' : 'candles', step: short ? 1 : pickInterval(span) });
    $('chart-symbol').textContent = sym;
    const row = state.rows.get(sym);
    showLast(row ? row.data : null);
    const end = Math.min(b.to, Math.floor(Date.now() / 1000) + 1);
    let pts, bars = [];
    try {
      if (short) {
        const res = await api(`/api/line?symbol=${encodeURIComponent(sym)}&from=${b.from}&to=${b.to}&step=1`);
        pts = res.points.map(([t, p]) => ({ time: t, value: p }));
      } else {
        const res = await api(`/api/bars?symbol=${encodeURIComponent(sym)}&from=${b.from}&to=${b.to}&interval=${state.step}`);
        bars = res.bars;
        pts = bars.map(([t, , , , c]) => ({ time: t, value: c }));
      }
    } catch (e) { $('ov-src').textContent = 'chart: ' + e.message; return; }
    if (seq !== chartSeq) return; // a newer selection won
    // the live tail: the newest trade the events brought, in its own step
    if (b.live && row && row.data.ts) {
      const t = Math.floor(row.data.ts / 1000 / state.step) * state.step;
      if (t >= b.from && (!pts.length || t > pts[pts.length - 1].time)) pts.push({ time: t, value: row.data.last });
    }
    const lastT = pts.length ? pts[pts.length - 1].time + 1 : end;
    const stop = Math.max(end, lastT);
    candles.setData(short ? [] : withGaps(bars.map(([t, o, h, l, c]) => ({ time: t, open: o, high: h, low: l, close: c })), b.from, stop, state.step));
    volume.setData(short ? [] : withGaps(bars.map(([t, o, , , c, v]) => ({ time: t, value: v, color: c >= o ? '#3fb95055' : '#f8514955' })), b.from, stop, state.step));
    line.applyOptions({ visible: true, lineWidth: short ? 2 : 1, color: short ? '#58a6ff' : '#58a6ff88' });
    const lineData = withGaps(pts.map((p) => ({ ...p })), b.from, stop, state.step);
    line.setData(lineData);
    state.times = pts.map((p) => p.time);
    state.points = pts.length;
    state.lastLine = pts.length ? { ...pts[pts.length - 1] } : null;
    chart.timeScale().fitContent();
    $('chart').dataset.symbol = sym;
    $('chart').dataset.kind = state.kind;
    $('chart').dataset.step = String(state.step);
    $('chart').dataset.points = String(pts.length);
    $('chart').dataset.bars = String(bars.length);
    await loadStats(seq);
  }

  async function loadStats(seq) {
    const sym = state.selected;
    const to = state.live ? Math.floor(Date.now() / 1000) + 1 : state.to;
    let s;
    try {
      s = await api(`/api/stats?symbol=${encodeURIComponent(sym)}&from=${state.from}&to=${to}`);
    } catch (e) { $('ov-src').textContent = 'stats: ' + e.message; return; }
    if (seq !== chartSeq) return;
    state.stats = s;
    for (const k of ['max', 'avg', 'min']) {
      const el = $('ov-' + k);
      el.textContent = fmtPrice(s[k]);
      el.dataset.value = s[k] == null ? '' : String(s[k]);
      overlay[k].applyOptions(s[k] == null ? { price: 0, lineVisible: false, axisLabelVisible: false }
        : { price: s[k], lineVisible: true, axisLabelVisible: true, title: k });
    }
    $('ov-vwap').textContent = fmtPrice(s.vwap);
    $('ov-vol').textContent = fmtVol(s.volume);
    $('ov-src').textContent = `${s.count} trades · from ${s.source}`;
  }
  setInterval(() => { if (state.live && state.selected) loadStats(chartSeq); }, 5000);

  function showLast(d) {
    $('chart-last').textContent = d ? fmtPrice(d.last) : '—';
    const chg = $('chart-chg');
    chg.textContent = d ? fmtChg(d.chg) : '';
    chg.className = 'chg ' + (d && d.chg > 0 ? 'up' : d && d.chg < 0 ? 'down' : '');
  }

  // A trade of the selected symbol from the events: the line's newest step
  // follows it; a late trade (older than that step) is already in the lake's
  // answer for its own step and is not drawn as a spike at the end.
  function onSelectedUpdate(u) {
    showLast(u);
    if (!state.live || !u.ts) return;
    const t = Math.floor(u.ts / 1000 / state.step) * state.step;
    if (!state.lastLine || t >= state.lastLine.time) {
      if (state.lastLine && t > state.lastLine.time + state.step) {
        for (let g = state.lastLine.time + state.step; g < t; g += state.step) line.update({ time: g }); // a gap
      }
      if (!state.lastLine || t > state.lastLine.time) { state.times.push(t); state.points++; }
      state.lastLine = { time: t, value: u.last };
      line.update({ ...state.lastLine }); // the library keeps (and marks) what it is given
      $('chart').dataset.last = String(u.last);
      $('chart').dataset.points = String(state.points);
    }
    if (u.bar && state.kind === 'candles' && state.step === 60) {
      const [bt, o, h, l, c, v] = u.bar;
      try {
        candles.update({ time: bt, open: o, high: h, low: l, close: c });
        volume.update({ time: bt, value: v, color: c >= o ? '#3fb95055' : '#f8514955' });
      } catch (e) { /* an older bar than the chart's newest: ignore */ }
    }
  }

  // ---- compare: several tickers as % change over the range ----------------------
  const cmpChart = LC.createChart($('compare-chart'), {
    ...chartOpts, rightPriceScale: { borderColor: '#30363d' },
    localization: { priceFormatter: (v) => (Math.round(v * 100) / 100 || 0).toFixed(2) + '%' },
  });
  const COLORS = ['#58a6ff', '#3fb950', '#f85149', '#d29922', '#bc8cff', '#39c5cf'];
  let cmpSeries = [];
  async function loadCompare() {
    for (const se of cmpSeries) cmpChart.removeSeries(se);
    cmpSeries = [];
    const syms = state.compare;
    $('compare-chart').hidden = syms.length === 0;
    $('chart').hidden = syms.length > 0;
    $('compare-chart').dataset.series = '0';
    if (!syms.length) return;
    const b = rangeBounds();
    const span = b.to - b.from, short = span <= 900, step = short ? 1 : pickInterval(span);
    const end = Math.min(b.to, Math.floor(Date.now() / 1000) + 1);
    const drawn = [];
    for (const [i, sym] of syms.entries()) {
      let pts;
      try {
        pts = short
          ? (await api(`/api/line?symbol=${encodeURIComponent(sym)}&from=${b.from}&to=${b.to}&step=1`)).points
          : (await api(`/api/bars?symbol=${encodeURIComponent(sym)}&from=${b.from}&to=${b.to}&interval=${step}`)).bars.map(([t, , , , c]) => [t, c]);
      } catch (e) { continue; }
      if (!pts.length) continue;
      const base = pts[0][1];
      const se = cmpChart.addLineSeries({ color: COLORS[i % COLORS.length], lineWidth: 2, title: sym, priceLineVisible: false });
      se.setData(withGaps(pts.map(([t, p]) => ({ time: t, value: (p / base - 1) * 100 })), b.from, end, step));
      cmpSeries.push(se);
      drawn.push(sym);
    }
    cmpChart.timeScale().fitContent();
    $('compare-chart').dataset.series = String(cmpSeries.length);
    $('compare-chart').dataset.symbols = drawn.join(',');
  }
  $('compare').addEventListener('change', () => {
    state.compare = $('compare').value.toUpperCase().split(/[\s,]+/).filter(Boolean).slice(0, 6);
    loadCompare();
  });

  // ---- ranges: buttons, a day the lake holds, a custom from-to ---------------------
  function pressed() {
    for (const b of document.querySelectorAll('.ranges button'))
      b.setAttribute('aria-pressed', String(!state.day && !state.custom && b.dataset.range === state.range));
  }
  // which symbols the table lists: the live state for a live range, the
  // lake's answer for the chosen range otherwise
  async function loadSymbols() {
    const b = rangeBounds();
    let list;
    try {
      list = b.live ? (await api('/api/symbols')).symbols
        : (await api(`/api/symbols?from=${b.from}&to=${b.to}`)).symbols;
    } catch (e) { $('conn').textContent = 'error: ' + e.message; return; }
    clearRows();
    applySymbols(list, true, false);
    relayout();
    if (!state.rows.has(state.selected)) state.selected = state.order[0] || '';
    $('empty').textContent = b.live ? 'Waiting for the first ticks…' : 'No trades in this range.';
  }
  async function changeRange() {
    pressed();
    await loadSymbols();
    if (state.selected) select(state.selected, true); else loadChart();
    if (state.compare.length) loadCompare();
  }
  for (const btn of document.querySelectorAll('.ranges button')) {
    btn.addEventListener('click', () => {
      state.range = btn.dataset.range;
      state.day = '';
      state.custom = null;
      $('day').value = '';
      changeRange();
    });
  }
  $('day').addEventListener('change', () => {
    state.day = $('day').value;
    state.custom = null;
    changeRange();
  });
  const utcInput = (s) => new Date(s * 1000).toISOString().slice(0, 19);
  $('custom').addEventListener('submit', (e) => {
    e.preventDefault();
    const from = Date.parse($('from').value + 'Z') / 1000, to = Date.parse($('to').value + 'Z') / 1000;
    if (!(from < to)) { $('ov-src').textContent = 'custom range: "from" must be before "to"'; return; }
    state.custom = { from: Math.floor(from), to: Math.floor(to) };
    state.day = '';
    $('day').value = '';
    changeRange();
  });

  async function loadDays() {
    try {
      const { days } = await api('/api/days');
      const sel = $('day'), cur = sel.value;
      sel.length = 1;
      for (const d of days) sel.add(new Option(d, d));
      sel.value = cur;
      state.days = days;
      return days;
    } catch (e) { return []; /* shown by the connection badge */ }
  }

  // ---- health ----------------------------------------------------------------------
  // Lake status from real times: live while commits and trades keep coming,
  // stale when they stopped recently (a stuck writer), finished after that.
  const LIVE_MS = 30000, FINISHED_MS = 300000;
  function lakeStatus(h) {
    const now = h.now_ms || Date.now(), lake = h.lake || {};
    if (!lake.last_commit_ms) return 'finished';
    const commitAgo = now - lake.last_commit_ms;
    let lastTick = 0;
    for (const row of state.rows.values()) if (row.data.ts > lastTick) lastTick = row.data.ts;
    const tickAgo = lastTick ? now - lastTick : Infinity;
    if (commitAgo <= LIVE_MS && (tickAgo <= LIVE_MS || !state.live)) return 'live';
    if (commitAgo <= FINISHED_MS) return 'stale';
    return 'finished';
  }
  function median(xs) {
    if (!xs.length) return null;
    const a = [...xs].sort((x, y) => x - y);
    return a[Math.floor(a.length / 2)];
  }
  // Data-quality signals (issue 15): symbols gone quiet, seq numbers missing,
  // price jumps flagged; red when there are any.
  function qualityItems(q) {
    if (!q) return [];
    const stale = q.stale || [];
    const list = stale.slice(0, 5).join(', ') + (stale.length > 5 ? ', …' : '');
    return [
      ['stale symbols', stale.length ? list : 'none', stale.length ? 'bad' : ''],
      ['seq missing', q.seq_missing.toLocaleString() + ` (${q.seq_gaps} gaps)`, q.seq_missing ? 'bad' : ''],
      ['price jumps', q.jumps.toLocaleString()],
      ['crossed quotes', (q.crossed + q.crossed_rejected).toLocaleString()],
    ];
  }

  function renderHealth(h) {
    state.health = h;
    const s = h.stream, lake = h.lake || {};
    const st = lakeStatus(h);
    state.lakeStatus = st;
    $('pill').dataset.state = st;
    $('pill').textContent = st === 'live' ? 'lake live' : st === 'stale' ? 'lake stale' : 'lake finished';
    $('pill').title = `last commit ${ago(lake.last_commit_ms)}`;
    const job = (j) => j ? `${ago(j.last_ms)} (${j.status})` : 'not run yet';
    const lat = median(state.latencies);
    // one row per fact: add a line here for a new signal
    const items = [
      ['ingest rate', Math.round(h.ingest_rate).toLocaleString() + ' /s'],
      ['end-to-end latency', lat == null ? 'n/a' : (lat / 1000).toFixed(2) + ' s (tick → screen, median)'],
      ['consumer lag', h.lag == null ? 'unknown' : h.lag.toLocaleString() + ' msgs'],
      ['ticks seen', (h.ticks || 0).toLocaleString()],
      ['symbols', String(h.symbols)],
      ['late', s ? s.late.toLocaleString() : 'n/a'],
      ['duplicates', s ? s.duplicates.toLocaleString() : 'n/a'],
      ['rejected', s ? s.rejected.toLocaleString() : 'n/a', s && s.rejected ? 'bad' : ''],
      ['commits', s ? s.commits.toLocaleString() : 'n/a'],
      ['last commit', lake.version >= 0 ? `v${lake.version}, ${ago(lake.last_commit_ms)}` : 'none yet'],
      ['lake files', String(lake.files || 0)],
      ['last compaction', job(h.compaction), h.compaction && /fail/.test(h.compaction.status) ? 'bad' : ''],
      ['last model run', job(h.models), h.models && /fail/.test(h.models.status) ? 'bad' : ''],
      ...qualityItems(h.quality),
    ];
    const dl = $('health');
    dl.replaceChildren(...items.map(([k, v, cls]) => {
      const div = document.createElement('div');
      const dt = document.createElement('dt'); dt.textContent = k;
      const dd = document.createElement('dd'); dd.textContent = v; dd.title = v; if (cls) dd.className = cls;
      div.dataset.key = k;
      div.append(dt, dd);
      return div;
    }));
    const parts = $('parts').tBodies[0];
    parts.replaceChildren(...(lake.partitions || []).slice(0, 6).map((p) => {
      const tr = document.createElement('tr');
      tr.innerHTML = '<td></td><td class="num"></td>';
      tr.cells[0].textContent = p.hour.replace('T', ' ') + ':00';
      tr.cells[1].textContent = p.files + (p.files === 1 ? ' file' : ' files');
      return tr;
    }));
    const now = Date.now();
    for (const row of state.rows.values()) markStale(row, now);
  }

  // ---- live updates ------------------------------------------------------------------
  let es = null;
  function connect() {
    if (es) es.close();
    es = new EventSource('/api/events' + (token ? '?token=' + encodeURIComponent(token) : ''));
    es.addEventListener('open', () => { $('conn').dataset.state = 'live'; $('conn').textContent = 'connected'; });
    es.addEventListener('update', (ev) => {
      const m = JSON.parse(ev.data);
      if (m.symbols && m.symbols.length) applySymbols(m.symbols, m.full, true);
      if (m.health) renderHealth(m.health);
    });
    es.addEventListener('error', () => {
      $('conn').dataset.state = 'reconnecting';
      $('conn').textContent = 'reconnecting…';
      if (es.readyState === EventSource.CLOSED) setTimeout(connect, 2000); // the browser gave up: we don't
    });
  }

  // Opens live when the lake is being written and the live state has today's
  // trades; otherwise on the latest day the lake holds.
  async function start() {
    let live = [];
    try {
      live = (await api('/api/symbols')).symbols;
      applySymbols(live, true, false);
      renderHealth(await api('/api/health'));
    } catch (e) { $('conn').textContent = 'error: ' + e.message; }
    const days = await loadDays();
    const now = new Date();
    const today = now.toISOString().slice(0, 10);
    if (!(live.length && state.lakeStatus !== 'finished') && days.length && !params.get('range')) {
      state.day = days[0];
      $('day').value = days[0];
      state.live = false;
    }
    const t = Math.floor(Date.now() / 1000);
    $('from').value = utcInput(t - 3600);
    $('to').value = utcInput(t);
    if (params.get('range')) state.range = params.get('range');
    connect();
    await changeRange();
    if (state.day && state.day !== today) $('empty').textContent = 'No trades on ' + state.day + '.';
    setInterval(loadDays, 60000);
  }
  start();
})();
