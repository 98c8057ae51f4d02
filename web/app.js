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
    shown: null, // {symbol, from, to, kind, step} of the chart once its data is set
    points: 0, // data points (not gaps) in the chart
    lakeStatus: 'unknown', // live | stale | finished, from the last commit and tick
    latencies: [], // recent tick -> screen latencies, ms
    compare: [], // symbols of the compare view
    from: 0, to: 0, // the chart's range, Unix seconds
    live: true, // the range follows the clock
    lastLine: null, // {time, value} last point given to the line series
    lineEnd: 0, // the time of the line series' last item (a point or whitespace)
    stats: null, // the last /api/stats answer the overlays show
    health: null, healthAt: 0, // the last health and when it came (Date.now())
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
      // a trade that just came (not the snapshot a new stream starts with,
      // whose trades may be hours old on a finished lake)
      if (fromEvent && !full && u.ts) {
        state.latencies.push(now - u.ts);
        if (state.latencies.length > 200) state.latencies.shift();
      }
      markStale(row, now);
      // only the events move the chart (it loads its range's own data)
      if (u.s === state.selected) { if (fromEvent) onSelectedUpdate(u); else showLast(u); }
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
  // A chart given data while hidden (the chart behind the compare view, the
  // compare view before it shows) is 0 px wide: fit it once it has a width.
  function fitWhenShown(c) {
    let width = 0;
    c.timeScale().subscribeSizeChange((w) => {
      if (width < 10 && w >= 10) c.timeScale().fitContent();
      width = w;
    });
  }
  fitWhenShown(chart);
  const candles = chart.addCandlestickSeries({
    upColor: '#3fb950', downColor: '#f85149', borderVisible: false,
    wickUpColor: '#3fb950', wickDownColor: '#f85149', priceLineVisible: false, lastValueVisible: false,
  });
  const line = chart.addLineSeries({ color: '#58a6ff', lineWidth: 2, priceLineVisible: true, lastValueVisible: true });
  const volume = chart.addHistogramSeries({ priceScaleId: 'vol', priceFormat: { type: 'volume' }, lastValueVisible: false, priceLineVisible: false });
  chart.priceScale('vol').applyOptions({ scaleMargins: { top: 0.78, bottom: 0 } });
  state.series = { candles, line, volume };
  state.chart = chart; // the browser test reads the time scale's coordinates
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

  // A line whose trades stop and resume is not drawn across the gap: the
  // library colours a segment as the point it starts from, so the last point
  // before whitespace gets an invisible colour.
  function breakAtGaps(items) {
    let prev = null, gap = false;
    for (const d of items) {
      if (d.value === undefined) { gap = prev !== null; continue; }
      if (gap) prev.color = 'rgba(0,0,0,0)';
      prev = d;
      gap = false;
    }
    return items;
  }

  // What a chart draws of a range: from the first trade in it (a day's
  // session, the minutes a young lake has) to its end (now for a live range,
  // else the last trade), so the data fill the width; inside, every step
  // without trades stays a gap. Up to 15 minutes: a one-second price line;
  // longer: candles at 60-300 bars. One coarse look at the symbols' bars
  // finds the first and last trade (and is reused when the step stays).
  const q = encodeURIComponent;
  async function planRange(syms, b) {
    const liveEnd = Math.min(b.to, Math.floor(Date.now() / 1000) + 1);
    if (b.to - b.from <= 900) return { kind: 'line', step: 1, start: b.from, end: b.live ? liveEnd : b.to, coarse: {} };
    const step = pickInterval(b.to - b.from), coarse = {};
    let first = Infinity, last = -Infinity;
    for (const s of syms) {
      const bars = (await api(`/api/bars?symbol=${q(s)}&from=${b.from}&to=${b.to}&interval=${step}`)).bars;
      coarse[s] = bars;
      if (bars.length) {
        first = Math.min(first, bars[0][0]);
        last = Math.max(last, bars[bars.length - 1][0] + step);
      }
    }
    if (first === Infinity) return { kind: 'candles', step, start: b.from, end: b.live ? liveEnd : b.to, coarse };
    first = Math.max(first, b.from);
    const end = b.live ? liveEnd : Math.min(last, b.to);
    if (end - first <= 900) return { kind: 'line', step: 1, start: first, end, coarse: {} };
    const fine = pickInterval(end - first);
    return { kind: 'candles', step: fine, start: first, end, coarse: fine === step ? coarse : {} };
  }
  // one symbol's data for a plan: [[t, o, h, l, c, v]] bars or [[t, p]] points
  async function fetchPlanned(sym, p, b) {
    const to = b.live ? b.to : p.end;
    if (p.kind === 'line') return (await api(`/api/line?symbol=${q(sym)}&from=${p.start}&to=${to}&step=1`)).points;
    if (p.coarse[sym]) return p.coarse[sym].filter((r) => r[0] + p.step > p.start);
    return (await api(`/api/bars?symbol=${q(sym)}&from=${p.start}&to=${to}&interval=${p.step}`)).bars;
  }

  let chartSeq = 0;
  async function loadChart() {
    const sym = state.selected;
    if (!sym) return;
    const seq = ++chartSeq;
    const b = rangeBounds();
    Object.assign(state, { from: b.from, to: b.to, live: b.live });
    $('chart-symbol').textContent = sym;
    const row = state.rows.get(sym);
    showLast(row ? row.data : null);
    let plan, rows;
    try {
      plan = await planRange([sym], b);
      if (seq !== chartSeq) return;
      rows = await fetchPlanned(sym, plan, b);
    } catch (e) {
      // a failed load (a busy server, a dropped connection) tries again
      // unless a newer selection took over: the chart is never left empty
      $('ov-src').textContent = 'chart: ' + e.message + ' (retrying)';
      setTimeout(() => { if (seq === chartSeq) loadChart(); }, 2000);
      return;
    }
    if (seq !== chartSeq) return; // a newer selection won
    const isLine = plan.kind === 'line';
    Object.assign(state, { kind: plan.kind, step: plan.step });
    const bars = isLine ? [] : rows;
    const pts = isLine ? rows.map(([t, p]) => ({ time: t, value: p })) : bars.map(([t, , , , c]) => ({ time: t, value: c }));
    // the live tail: the newest trade the events brought, in its own step
    if (b.live && row && row.data.ts) {
      const t = Math.floor(row.data.ts / 1000 / state.step) * state.step;
      if (t >= plan.start && (!pts.length || t > pts[pts.length - 1].time)) pts.push({ time: t, value: row.data.last });
    }
    const lastT = pts.length ? pts[pts.length - 1].time + 1 : plan.end;
    const stop = Math.max(plan.end, lastT);
    candles.setData(isLine ? [] : withGaps(bars.map(([t, o, h, l, c]) => ({ time: t, open: o, high: h, low: l, close: c })), plan.start, stop, state.step));
    volume.setData(isLine ? [] : withGaps(bars.map(([t, o, , , c, v]) => ({ time: t, value: v, color: c >= o ? '#3fb95055' : '#f8514955' })), plan.start, stop, state.step));
    // over candles the closes would only repeat them (and zigzag): the line
    // stays, invisible, to carry the max/avg/min lines and the live tail
    line.applyOptions({ color: isLine ? '#58a6ff' : 'rgba(0,0,0,0)', lastValueVisible: isLine, priceLineVisible: isLine });
    candles.applyOptions({ lastValueVisible: !isLine, priceLineVisible: !isLine });
    const lineData = breakAtGaps(withGaps(pts.map((p) => ({ ...p })), plan.start, stop, state.step));
    line.setData(lineData);
    state.lineEnd = lineData.length ? lineData[lineData.length - 1].time : 0;
    state.times = pts.map((p) => p.time);
    state.points = pts.length;
    state.lastLine = pts.length ? { ...pts[pts.length - 1] } : null;
    chart.timeScale().fitContent();
    $('chart').dataset.symbol = sym;
    $('chart').dataset.kind = state.kind;
    $('chart').dataset.step = String(state.step);
    $('chart').dataset.points = String(pts.length);
    $('chart').dataset.bars = String(bars.length);
    state.shown = { symbol: sym, from: b.from, to: b.to, start: plan.start, kind: state.kind, step: state.step };
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
  // follows it; a late trade (older than that step, or than the whitespace
  // the chart already has up to the time it loaded) is in the lake's answer
  // for its own step and is not drawn as a spike at the end.
  function onSelectedUpdate(u) {
    showLast(u);
    if (!state.live || !u.ts) return;
    const t = Math.floor(u.ts / 1000 / state.step) * state.step;
    if (t >= (state.lineEnd || 0) && (!state.lastLine || t >= state.lastLine.time)) {
      for (let g = state.lineEnd + state.step; state.lineEnd && g < t; g += state.step) line.update({ time: g }); // a gap
      state.lineEnd = t;
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
  fitWhenShown(cmpChart);
  const COLORS = ['#58a6ff', '#3fb950', '#f85149', '#d29922', '#bc8cff', '#39c5cf'];
  let cmpSeries = [], cmpSeq = 0;
  // Fetches every ticker first and draws only if no newer call started
  // meanwhile (Enter in the field both changes it and submits the form).
  async function loadCompare() {
    const seq = ++cmpSeq;
    const syms = state.compare;
    const b = rangeBounds();
    const got = [];
    let plan = null;
    try {
      plan = syms.length ? await planRange(syms, b) : null;
    } catch (e) { $('ov-src').textContent = 'compare: ' + e.message; return; }
    for (const sym of syms) {
      if (seq !== cmpSeq) return;
      try {
        const rows = await fetchPlanned(sym, plan, b);
        const pts = plan.kind === 'line' ? rows : rows.map(([t, , , , c]) => [t, c]);
        if (pts.length) got.push([sym, pts]);
      } catch (e) { /* a ticker without data in the range is left out */ }
    }
    if (seq !== cmpSeq) return;
    for (const se of cmpSeries) cmpChart.removeSeries(se);
    cmpSeries = [];
    $('compare-chart').hidden = syms.length === 0;
    $('chart').hidden = syms.length > 0;
    for (const [i, [sym, pts]] of got.entries()) {
      const base = pts[0][1];
      const se = cmpChart.addLineSeries({ color: COLORS[i % COLORS.length], lineWidth: 2, title: sym, priceLineVisible: false });
      se.setData(breakAtGaps(withGaps(pts.map(([t, p]) => ({ time: t, value: (p / base - 1) * 100 })), plan.start, plan.end, plan.step)));
      cmpSeries.push(se);
    }
    cmpChart.timeScale().fitContent();
    state.cmpChart = cmpChart;
    state.cmpSeries = cmpSeries;
    state.cmpShown = plan && { from: b.from, to: b.to, start: plan.start, kind: plan.kind, step: plan.step };
    $('compare-chart').dataset.series = String(cmpSeries.length);
    $('compare-chart').dataset.symbols = got.map(([sym]) => sym).join(',');
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
    if (!state.custom) { // the from-to inputs start from the range shown
      const b = rangeBounds();
      $('from').value = utcInput(b.from);
      $('to').value = utcInput(Math.min(b.to, Math.floor(Date.now() / 1000)));
    }
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
  // Lake status from real times: live while commits and current trades keep
  // coming; stale when commits stopped recently (a stuck writer) or bring
  // old trades (a backfill); finished once nothing was committed for 5 min.
  const LIVE_MS = 30000, FINISHED_MS = 300000;
  function lakeStatus(h) {
    // the server's clock, moved on by the time since this health came (the
    // server sends the health only when it changed, the page re-renders it
    // every second)
    const now = (h.now_ms || Date.now()) + (Date.now() - (state.healthAt || Date.now())), lake = h.lake || {};
    if (!lake.last_commit_ms) return 'finished';
    const commitAgo = now - lake.last_commit_ms;
    // the newest trade the lake holds (the quality signals see every tick,
    // history included), not the chosen range's: a backfill of an old day
    // commits now, but its data is not live
    let lastTick = (h.quality && h.quality.newest_ts_ms) || 0;
    if (state.live) for (const row of state.rows.values()) if (row.data.ts > lastTick) lastTick = row.data.ts;
    const tickAgo = lastTick ? now - lastTick : Infinity;
    if (commitAgo <= LIVE_MS && tickAgo <= LIVE_MS) return 'live';
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
      ['tick → screen', lat == null ? 'n/a' : (lat / 1000).toFixed(2) + ' s median'],
      ['consumer lag', h.lag == null ? 'unknown' : h.lag.toLocaleString() + ' msgs'],
      ['ticks seen', (h.ticks || 0).toLocaleString()],
      ['live symbols', String(h.symbols)],
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

  function gotHealth(h) {
    state.healthAt = Date.now();
    renderHealth(h);
  }
  // the pill's live -> stale -> finished and the "… ago" texts follow the
  // clock between the server's health messages
  setInterval(() => { if (state.health) renderHealth(state.health); }, 1000);

  // ---- the scheduler's last runs (/api/runs, from the lake's run history) -------------
  // Polled: runs are minutes apart, and the history lives in the lake, so a
  // standalone dashboard shows the runs of a `ticklake schedule` elsewhere.
  const RUNS_POLL_MS = 5000;
  function hhmmss(ms) { return new Date(ms).toISOString().slice(11, 19); }
  function renderRuns(runs) {
    state.runs = runs;
    $('runs-empty').hidden = runs.length > 0;
    $('runs').tBodies[0].replaceChildren(...runs.map((r) => {
      const tr = document.createElement('tr');
      const failed = r.status === 'failed' || r.status === 'timed_out';
      tr.className = failed ? 'bad' : r.status === 'skipped' ? 'skipped' : '';
      tr.dataset.job = r.job;
      tr.dataset.status = r.status;
      const cells = [r.job === 'compact' ? 'compaction' : r.job, hhmmss(r.scheduled_ms), hhmmss(r.start_ms),
        (r.duration_ms / 1000).toFixed(1) + ' s', r.status.replace('_', ' ') + (r.attempt > 1 ? ` (try ${r.attempt})` : ''),
        r.error || r.detail || ''];
      for (const [i, text] of cells.entries()) {
        const td = document.createElement('td');
        td.textContent = text;
        if (i === 3) td.className = 'num';
        if (i === 5) { td.className = 'detail'; td.title = text; }
        tr.append(td);
      }
      tr.title = `${r.job} scheduled ${r.scheduled}, started ${r.start}, ended ${r.end} (${r.owner})`;
      return tr;
    }));
  }
  async function loadRuns() {
    try { renderRuns((await api('/api/runs?limit=12')).runs); } catch (e) { /* shown by the connection badge */ }
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
      if (m.health) gotHealth(m.health);
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
    loadRuns(); // not awaited: the chart's first load need not wait for the lake's listing
    setInterval(loadRuns, RUNS_POLL_MS);
    let live = [];
    try {
      live = (await api('/api/symbols')).symbols;
      applySymbols(live, true, false);
      gotHealth(await api('/api/health'));
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
