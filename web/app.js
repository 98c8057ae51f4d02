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
  const fmtChg = (v) => v == null ? '—' : (v > 0 ? '+' : '') + v.toFixed(2) + '%';
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

  function applySymbols(list, full) {
    let added = false;
    for (const u of list) {
      let row = state.rows.get(u.s);
      if (!row) { row = makeRow(u.s); state.rows.set(u.s, row); added = true; }
      const spark = u.spark;
      Object.assign(row.data, u);
      if (spark) row.data.spark = spark;
      else if (row.data.spark.length) row.data.spark[row.data.spark.length - 1] = u.last;
      renderRow(row, !full);
      sparkline(row.svg, row.data.spark);
      if (u.s === state.selected) onSelectedUpdate(u);
    }
    if (added) relayout();
    $('summary').textContent = state.rows.size + ' symbols';
    if (!state.selected && state.order.length) select(state.order[0]);
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
  const chart = LC.createChart($('chart'), {
    autoSize: true,
    layout: { background: { color: '#161b22' }, textColor: '#c9d1d9' },
    grid: { vertLines: { color: '#21262d' }, horzLines: { color: '#21262d' } },
    timeScale: { timeVisible: true, secondsVisible: false, borderColor: '#30363d', rightOffset: 4 },
    rightPriceScale: { borderColor: '#30363d', scaleMargins: { top: 0.08, bottom: 0.28 } },
    crosshair: { mode: LC.CrosshairMode.Normal },
  });
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
    overlay[k] = candles.createPriceLine({ price: 0, color, lineWidth: 1, lineStyle: LC.LineStyle.Dashed, axisLabelVisible: false, title: '' });
  }

  function rangeBounds() {
    const now = Math.floor(Date.now() / 1000);
    if (state.day) {
      const from = Date.parse(state.day + 'T00:00:00Z') / 1000;
      return { from, to: from + 86400, live: false };
    }
    if (state.range === '5m') return { from: now - 300, to: now + 1, live: true };
    if (state.range === 'today') return { from: now - now % 86400, to: now + 1, live: true };
    return { from: now - 3600, to: now + 1, live: true };
  }

  const minute = (ms) => Math.floor(ms / 60000) * 60;

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
    let res;
    try {
      res = await api(`/api/bars?symbol=${encodeURIComponent(sym)}&from=${b.from}&to=${b.to}&interval=60`);
    } catch (e) { $('ov-src').textContent = 'bars: ' + e.message; return; }
    if (seq !== chartSeq) return; // a newer selection won
    candles.setData(res.bars.map(([t, o, h, l, c]) => ({ time: t, open: o, high: h, low: l, close: c })));
    volume.setData(res.bars.map(([t, o, , , c, v]) => ({ time: t, value: v, color: c >= o ? '#3fb95055' : '#f8514955' })));
    // the price line: one point per candle (the close), its last point
    // following every trade of the current minute
    const pts = res.bars.map(([t, , , , c]) => ({ time: t, value: c }));
    if (b.live && row && row.data.ts) {
      const t = minute(row.data.ts);
      if (!pts.length || t > pts[pts.length - 1].time) pts.push({ time: t, value: row.data.last });
      else if (t === pts[pts.length - 1].time) pts[pts.length - 1].value = row.data.last;
    }
    line.setData(pts.map((p) => ({ ...p })));
    state.lastLine = pts.length ? { ...pts[pts.length - 1] } : null;
    // few candles: keep them candle-sized, newest at the right edge
    const ts = chart.timeScale();
    if (res.bars.length * 10 > $('chart').clientWidth) ts.fitContent();
    else { ts.applyOptions({ barSpacing: 10 }); ts.scrollToRealTime(); }
    $('chart').dataset.symbol = sym;
    $('chart').dataset.bars = String(res.bars.length);
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

  function onSelectedUpdate(u) {
    showLast(u);
    if (!state.live || !u.ts) return;
    const t = minute(u.ts);
    if (!state.lastLine || t >= state.lastLine.time) {
      state.lastLine = { time: t, value: u.last };
      line.update({ ...state.lastLine }); // the library keeps (and marks) what it is given
      $('chart').dataset.last = String(u.last);
    }
    if (u.bar) {
      const [bt, o, h, l, c, v] = u.bar;
      try {
        candles.update({ time: bt, open: o, high: h, low: l, close: c });
        volume.update({ time: bt, value: v, color: c >= o ? '#3fb95055' : '#f8514955' });
      } catch (e) { /* an older bar than the chart's newest: ignore */ }
    }
  }

  for (const btn of document.querySelectorAll('.ranges button')) {
    btn.addEventListener('click', () => {
      for (const b of document.querySelectorAll('.ranges button')) b.setAttribute('aria-pressed', String(b === btn));
      state.range = btn.dataset.range;
      state.day = '';
      $('day').value = '';
      loadChart();
    });
  }
  $('day').addEventListener('change', () => {
    state.day = $('day').value;
    for (const b of document.querySelectorAll('.ranges button')) b.setAttribute('aria-pressed', String(!state.day && b.dataset.range === state.range));
    loadChart();
  });

  async function loadDays() {
    try {
      const { days } = await api('/api/days');
      const sel = $('day'), cur = sel.value;
      sel.length = 1;
      for (const d of days) sel.add(new Option(d, d));
      sel.value = cur;
    } catch (e) { /* shown by the connection badge */ }
  }

  // ---- health ----------------------------------------------------------------------
  function renderHealth(h) {
    const s = h.stream, lake = h.lake || {};
    const job = (j) => j ? `${ago(j.last_ms)} (${j.status})` : 'not run yet';
    const items = [
      ['ingest rate', Math.round(h.ingest_rate).toLocaleString() + ' /s'],
      ['consumer lag', h.lag == null ? 'unknown' : h.lag.toLocaleString() + ' msgs'],
      ['ticks seen', (h.ticks || 0).toLocaleString()],
      ['symbols', String(h.symbols)],
      ['late', s ? s.late.toLocaleString() : 'n/a'],
      ['duplicates', s ? s.duplicates.toLocaleString() : 'n/a'],
      ['rejected', s ? s.rejected.toLocaleString() : 'n/a', s && s.rejected ? 'bad' : ''],
      ['commits', s ? s.commits.toLocaleString() : 'n/a'],
      ['last commit', lake.version >= 0 ? `v${lake.version}, ${ago(lake.last_commit_ms)}` : 'none yet'],
      ['lake files', String(lake.files || 0)],
      ['last compaction', job(h.compaction)],
      ['last model run', job(h.models)],
    ];
    const dl = $('health');
    dl.replaceChildren(...items.map(([k, v, cls]) => {
      const div = document.createElement('div');
      const dt = document.createElement('dt'); dt.textContent = k;
      const dd = document.createElement('dd'); dd.textContent = v; if (cls) dd.className = cls;
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
  }

  // ---- live updates ------------------------------------------------------------------
  let es = null;
  function connect() {
    if (es) es.close();
    es = new EventSource('/api/events' + (token ? '?token=' + encodeURIComponent(token) : ''));
    es.addEventListener('open', () => { $('conn').dataset.state = 'live'; $('conn').textContent = 'live'; });
    es.addEventListener('update', (ev) => {
      const m = JSON.parse(ev.data);
      applySymbols(m.symbols, m.full);
      if (m.health) renderHealth(m.health);
    });
    es.addEventListener('error', () => {
      $('conn').dataset.state = 'reconnecting';
      $('conn').textContent = 'reconnecting…';
      if (es.readyState === EventSource.CLOSED) setTimeout(connect, 2000); // the browser gave up: we don't
    });
  }

  async function start() {
    try {
      const { symbols } = await api('/api/symbols');
      applySymbols(symbols, true);
      renderHealth(await api('/api/health'));
    } catch (e) { $('conn').textContent = 'error: ' + e.message; }
    relayout();
    if (state.selected) select(state.selected, true);
    loadDays();
    setInterval(loadDays, 60000);
    connect();
  }
  start();
})();
