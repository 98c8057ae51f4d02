// The dashboard in Debian's Chromium (playwright-core) on one lake of
// 0403-dashboard-three-lakes: symbols shown, a time axis placed by time, the
// 5 m tick-level line (live lake), the day picker, the custom from-to range,
// the compare view, the status pill, no "-0.00". Usage:
//   node lakes.mjs URL SCREENSHOT_DIR NAME OPTIONS_JSON
// OPTIONS_JSON: {"pill": ["live"] | ["stale","finished"],
//   "line5m": true (the 5 m range must show a tick-level line of 100+ points),
//   "openDay": "YYYY-MM-DD" (the page must open on that day), "pickDay": day,
//   "custom": ["YYYY-MM-DDTHH:MM:SS", "..."] (UTC) or "last10m",
//   "gap": seconds (the custom range's data has a gap at least that long)}
// Screenshots: SCREENSHOT_DIR/NAME.png, NAME-5m.png, NAME-day.png,
// NAME-custom.png, NAME-compare.png. Exits non-zero on the first failed check.
import { launch, checks } from './chromium.mjs';
import { join } from 'node:path';

const [url, shots, name, optsJson] = process.argv.slice(2);
if (!url || !shots || !name || !optsJson) {
  console.error('usage: node lakes.mjs URL SCREENSHOT_DIR NAME OPTIONS_JSON');
  process.exit(2);
}
const opts = JSON.parse(optsJson);
const { ok, check } = checks(`ok [${name}]`);
const utc = (s) => new Date(s * 1000).toISOString().slice(0, 19).replace('T', ' ');

const { browser, close } = await launch({ width: 1400, height: 860 });
let failed = false;
const errors = [];
try {
  const page = browser.pages()[0] || await browser.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const shot = (suffix) => page.screenshot({ path: join(shots, `${name}${suffix}.png`) });
  // generous: under a running `up` on 2 busy cores a range's lake queries take seconds
  const wait = (fn, arg, ms = 60000) => page.waitForFunction(fn, arg, { timeout: ms });

  // Every number on the page: never a negative zero.
  async function noNegativeZero(where) {
    const text = await page.evaluate(() => document.body.innerText);
    const m = text.match(/-0\.0+(?![0-9])/);
    check(!m, `no "-0.00" on the page (${where})` + (m ? `: "${text.slice(Math.max(0, m.index - 40), m.index + 10)}"` : ''));
  }

  // The chart's own data (series.data(), whitespace included) and where its
  // time scale puts each item: x must be a linear function of the time
  // (equal time gaps, equal distances), whatever gaps the trades leave.
  async function linearAxis(which, label) {
    const series = await page.evaluate((w) => {
      const tl = window.__tl;
      const chart = w === 'compare' ? tl.cmpChart : tl.chart;
      const list = w === 'compare' ? tl.cmpSeries : [tl.kind === 'line' ? tl.series.line : tl.series.candles];
      const ts = chart.timeScale();
      const shown = w === 'compare' ? tl.cmpShown : tl.shown;
      return {
        start: shown.start, step: shown.step,
        series: list.map((se) => se.data().map((d) => {
          const x = ts.timeToCoordinate(d.time);
          return { t: d.time, x, logical: x === null ? null : ts.coordinateToLogical(x), v: d.value !== undefined ? d.value : d.close };
        })),
      };
    }, which);
    const { start, step } = series;
    check(series.series.length > 0, `${label}: the chart has ${series.series.length} series`);
    for (const items of series.series) {
      const data = items.filter((d) => d.v !== undefined);
      check(data.length >= 2, `${label}: ${data.length} data points (${items.length} items with the gaps)`);
      for (let i = 1; i < items.length; i++) {
        if (!(items[i].t > items[i - 1].t)) throw new Error(`${label}: times not increasing at ${i}: ${items[i - 1].t}, ${items[i].t}`);
      }
      const placed = items.filter((d) => d.x !== null);
      const a = placed[0], z = placed[placed.length - 1];
      const k = (z.x - a.x) / (z.t - a.t);
      let worst = 0;
      for (const d of placed) worst = Math.max(worst, Math.abs(a.x + k * (d.t - a.t) - d.x));
      check(placed.length === items.length && k > 0 && worst <= 1,
        `${label}: ${placed.length} points at x linear in time (${(k * 60).toFixed(2)} px/min, worst off ${worst.toFixed(2)} px)`);
      // and every step of the range since its start is one slot of the axis,
      // with or without trades: the point of time t sits at slot (t - start) / step
      const first = Math.floor(start / step) * step;
      let off = 0;
      for (const d of placed) off = Math.max(off, Math.abs(d.logical - (d.t - first) / step));
      check(off < 0.05, `${label}: each point in its ${step} s slot since ${utc(first)} (worst off ${off.toFixed(3)} slots)`);
    }
    return series.series;
  }

  // The chart's data points (no gaps), once it shows the given range.
  async function chartData() {
    return page.evaluate(() => {
      const tl = window.__tl;
      const se = tl.kind === 'line' ? tl.series.line : tl.series.candles;
      return se.data().filter((d) => d.value !== undefined || d.close !== undefined).map((d) => d.time);
    });
  }

  // The table lists what /api/symbols answers for the range the chart shows.
  async function tableMatchesRange(label) {
    const got = await page.evaluate(async () => {
      const tl = window.__tl;
      const rows = [...document.querySelectorAll('#tickers tbody tr')].map((tr) => tr.dataset.symbol);
      const api = (await (await fetch(`/api/symbols?from=${tl.shown.from}&to=${tl.shown.to}`)).json()).symbols.map((s) => s.s);
      return { rows, api };
    });
    check(got.rows.length > 0 && got.rows.join() === got.api.join(),
      `${label}: the table lists the range's ${got.rows.length} symbols (${got.rows.slice(0, 4).join(', ')}…)`);
    return got.rows;
  }

  await page.goto(url);

  // 1. symbols shown, the chart loaded
  await wait(() => document.querySelectorAll('#tickers tbody tr').length >= 3, null, 30000);
  await wait(() => window.__tl.shown && window.__tl.shown.symbol === window.__tl.selected);
  const first = await page.evaluate(() => {
    const tr = document.querySelector('#tickers tbody tr');
    return { rows: document.querySelectorAll('#tickers tbody tr').length, sym: tr.dataset.symbol, last: tr.cells[1].textContent };
  });
  check(/^\d+\.\d+$/.test(first.last), `${first.rows} symbols shown, first ${first.sym} at ${first.last}`);
  if (opts.openDay) {
    const day = await page.evaluate(() => window.__tl.day);
    check(day === opts.openDay, `opens on the latest day the lake holds (${day})`);
    await tableMatchesRange('opening day');
  }
  await linearAxis('main', 'opening chart');

  // 2. the status pill
  const pill = await page.waitForFunction((want) => {
    const s = document.getElementById('pill').dataset.state;
    return want.includes(s) ? s : false;
  }, opts.pill, { timeout: 90000 }).then((h) => h.jsonValue()).catch(() => null);
  const pillNow = await page.locator('#pill').textContent();
  check(pill !== null, `status pill is ${opts.pill.join(' or ')}: shows "${pillNow}"`);
  await noNegativeZero('opening');
  await shot('');

  // 3. the live lake's 5 m range: a tick-level (one-second) line
  if (opts.line5m) {
    await page.getByRole('button', { name: '5 m' }).click();
    await wait(() => window.__tl.shown && window.__tl.shown.kind === 'line' && window.__tl.shown.from >= Date.now() / 1000 - 400);
    const times = await chartData();
    const step = await page.evaluate(() => window.__tl.shown.step);
    check(step === 1 && times.length > 100, `5 m range: a one-second price line of ${times.length} points`);
    await linearAxis('main', '5 m line');
    await page.waitForTimeout(500);
    await shot('-5m');
  }

  // 4. the day picker: a day's symbols and bars, inside that day
  const days = await page.evaluate(() => [...document.getElementById('day').options].map((o) => o.value).filter(Boolean));
  check(days.length > 0, `the day picker lists ${days.join(', ')}`);
  const day = opts.pickDay || days[days.length - 1];
  check(days.includes(day), `the day picker offers ${day}`);
  await page.selectOption('#day', day);
  const dayFrom = Date.parse(day + 'T00:00:00Z') / 1000;
  await wait((f) => window.__tl.shown && window.__tl.shown.from === f && window.__tl.shown.to === f + 86400
    && window.__tl.stats && window.__tl.stats.from === f, dayFrom);
  await tableMatchesRange(`day ${day}`);
  const dayTimes = await chartData();
  const dayKind = await page.evaluate(() => window.__tl.shown.kind);
  check(dayTimes.length > 0 && dayTimes[0] >= dayFrom && dayTimes[dayTimes.length - 1] < dayFrom + 86400,
    `day ${day}: ${dayTimes.length} ${dayKind === 'line' ? 'points' : 'bars'} from ${utc(dayTimes[0])} to ${utc(dayTimes[dayTimes.length - 1])}`);
  await linearAxis('main', `day ${day}`);
  await noNegativeZero('day');
  await shot('-day');

  // 5. the custom from-to range (UTC date-time inputs)
  let range = opts.custom;
  if (range === 'last10m') {
    const now = Math.floor(Date.now() / 1000);
    range = [new Date((now - 600) * 1000).toISOString().slice(0, 19), new Date(now * 1000).toISOString().slice(0, 19)];
  }
  const cFrom = Date.parse(range[0] + 'Z') / 1000, cTo = Date.parse(range[1] + 'Z') / 1000;
  // the input shows whole minutes without ":00" seconds (and refuses them)
  const local = (v) => v.replace(/T(\d\d:\d\d):00$/, 'T$1');
  await page.fill('#from', local(range[0]));
  await page.fill('#to', local(range[1]));
  await page.getByRole('button', { name: 'Show' }).click();
  await wait(([f, t]) => window.__tl.shown && window.__tl.shown.from === f && window.__tl.shown.to === t
    && window.__tl.stats && window.__tl.stats.from === f, [cFrom, cTo]);
  const syms = await tableMatchesRange(`custom ${range.join(' to ')}`);
  const cTimes = await chartData();
  const kind = await page.evaluate(() => window.__tl.shown);
  check(cTimes.length > 0 && cTimes[0] >= cFrom - kind.step && cTimes[cTimes.length - 1] < cTo,
    `custom range: ${cTimes.length} ${kind.kind === 'line' ? 'points' : 'bars'} (step ${kind.step} s) from ${utc(cTimes[0])} to ${utc(cTimes[cTimes.length - 1])}`);
  const stats = await page.evaluate(async () => {
    const s = window.__tl.stats;
    const again = await (await fetch(`/api/stats?symbol=${s.symbol}&from=${s.from}&to=${s.to}`)).json();
    return { shown: s.count, again: again.count, text: document.getElementById('ov-src').textContent };
  });
  // a range up to now still gains the trades committed since (never loses any)
  const open = cTo > Date.now() / 1000 - 120;
  check(stats.shown > 0 && (open ? stats.again >= stats.shown : stats.again === stats.shown),
    `custom range statistics: ${stats.text} (the API, asked again: ${stats.again})`);
  if (opts.gap) {
    let gap = 0;
    for (let i = 1; i < cTimes.length; i++) gap = Math.max(gap, cTimes[i] - cTimes[i - 1]);
    check(gap >= opts.gap, `custom range: the data has a ${gap} s gap, so placing by index would not be linear`);
  }
  await linearAxis('main', 'custom range');
  await noNegativeZero('custom');
  await shot('-custom');

  // 6. compare: three tickers of the range as % change, each from 0
  const three = syms.slice(0, 3);
  await page.fill('#compare', three.join(','));
  await page.locator('#compare').press('Enter');
  await page.locator('#compare').blur();
  // drawn, and laid out (the view was hidden until now)
  await wait(() => document.getElementById('compare-chart').dataset.series === '3' && window.__tl.cmpChart.timeScale().width() > 100);
  await page.waitForTimeout(300);
  const drawn = await page.evaluate(() => ({
    symbols: document.getElementById('compare-chart').dataset.symbols,
    visible: !document.getElementById('compare-chart').hidden && document.getElementById('chart').hidden,
    negZero: window.__tl.cmpChart.options().localization.priceFormatter(-0.001),
  }));
  check(drawn.symbols === three.join(',') && drawn.visible, `compare view shows ${drawn.symbols}`);
  const cmp = await linearAxis('compare', 'compare view');
  for (const [i, items] of cmp.entries()) {
    const vals = items.filter((d) => d.v !== undefined).map((d) => d.v);
    check(vals[0] === 0 && vals.every((v) => Number.isFinite(v) && Math.abs(v) < 50),
      `${three[i]}: normalised to % change from 0 (range ${Math.min(...vals).toFixed(2)}% .. ${Math.max(...vals).toFixed(2)}%)`);
  }
  check(drawn.negZero === '0.00%', `the compare axis prints a tiny negative change as ${drawn.negZero}`);
  await noNegativeZero('compare');
  await page.waitForTimeout(300);
  await shot('-compare');

  check(errors.length === 0, 'no errors in the page console' + (errors.length ? ': ' + errors.join('; ') : ''));
} catch (e) {
  failed = true;
  console.error(`FAIL [${name}]: ` + e.message);
  if (errors.length) console.error(`page errors [${name}]: ` + errors.join('; '));
  try { // what the page was showing, for the log
    const page = browser.pages()[0];
    console.error(`page state [${name}]: ` + await page.evaluate(() => JSON.stringify({
      selected: window.__tl.selected, range: window.__tl.range, day: window.__tl.day, custom: window.__tl.custom,
      live: window.__tl.live, shown: window.__tl.shown, stats: window.__tl.stats,
      pill: document.getElementById('pill').textContent, note: document.getElementById('ov-src').textContent,
    })));
  } catch { /* the page is gone */ }
} finally {
  await close();
}
process.exit(failed ? 1 : 0);
