// End-to-end test of the dashboard in Debian's Chromium (playwright-core, no
// bundled browser). Usage: node dashboard.mjs URL SCREENSHOT_DIR
// The page must be served by a running `ticklake up`. Exits non-zero with a
// message on the first failed check.
import { launch, checks } from './chromium.mjs';
import { join } from 'node:path';

const [url, shots] = process.argv.slice(2);
if (!url || !shots) {
  console.error('usage: node dashboard.mjs URL SCREENSHOT_DIR');
  process.exit(2);
}
const { ok, check } = checks();

const { browser, close } = await launch({ width: 1400, height: 860 });
let failed = false;
try {
  const page = browser.pages()[0] || await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  // every /api/stats answer the page receives, to compare with what it shows
  const statsSeen = [];
  page.on('response', async (r) => {
    if (r.url().includes('/api/stats?')) {
      try { statsSeen.push({ url: r.url(), body: await r.json() }); } catch { /* page closed */ }
    }
  });

  await page.goto(url + '?symbol=AAPL'); // a busy ticker: its price moves every second
  // 1. the ticker table fills
  await page.waitForFunction(() => document.querySelectorAll('#tickers tbody tr').length >= 5, null, { timeout: 20000 });
  const rows = await page.locator('#tickers tbody tr').count();
  check(rows >= 5, `ticker table has ${rows} rows`);
  const firstLast = await page.locator('#tickers tbody tr').first().locator('td').nth(1).textContent();
  check(/^\d+\.\d+$/.test(firstLast.trim()), `first row shows a last price (${firstLast.trim()})`);

  // 2. the chart's last price changes within a few seconds
  await page.waitForFunction(() => window.__tl.lastLine != null, null, { timeout: 20000 });
  const sym1 = await page.evaluate(() => window.__tl.selected);
  const before = await page.evaluate(() => window.__tl.lastLine.value);
  // the value seen to differ is the one reported: read again afterwards, a
  // random walk may already have stepped back to `before`
  const moved = await page.waitForFunction((b) => {
    const v = window.__tl.lastLine.value;
    return v !== b ? { v } : null;
  }, before, { timeout: 15000 });
  const after = (await moved.jsonValue()).v;
  const shownLast = await page.locator('#chart-last').textContent();
  check(before !== after, `chart of ${sym1}: last price moved from ${before} to ${after} (header shows ${shownLast})`);
  const conn = await page.locator('#conn').getAttribute('data-state');
  check(conn === 'live', 'event stream connected');

  // 3. the overlays show what /api/stats returned for the chart's range
  await page.waitForFunction(() => document.getElementById('ov-max').dataset.value !== '', null, { timeout: 10000 });
  const shown = await page.evaluate(() => ({
    min: document.getElementById('ov-min').dataset.value,
    max: document.getElementById('ov-max').dataset.value,
    avg: document.getElementById('ov-avg').dataset.value,
    state: window.__tl.stats,
  }));
  const answer = statsSeen.map((s) => s.body).filter((b) => b.symbol === sym1 &&
    String(b.min) === shown.min && String(b.max) === shown.max && String(b.avg) === shown.avg);
  check(answer.length > 0, `overlays min ${shown.min} / max ${shown.max} / avg ${shown.avg} are an /api/stats answer for ${sym1}`);
  check(Number(shown.min) <= Number(shown.avg) && Number(shown.avg) <= Number(shown.max), 'min <= avg <= max');
  // and the API agrees when asked again for the same range (min/max can only widen)
  const again = await page.evaluate(async (s) => (await fetch(`/api/stats?symbol=${s.symbol}&from=${s.from}&to=${s.to}`)).json(), shown.state);
  check(again.min <= Number(shown.min) && again.max >= Number(shown.max) && again.count >= shown.state.count,
    `a fresh /api/stats for the same range contains the shown one (count ${shown.state.count} -> ${again.count})`);
  await page.screenshot({ path: join(shots, 'dashboard.png') });

  // 4. selecting another ticker (keyboard) switches the chart
  await page.locator('#table-wrap').focus();
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction((s) => window.__tl.selected !== s && document.getElementById('chart').dataset.symbol === window.__tl.selected, sym1, { timeout: 10000 });
  const sym2 = await page.evaluate(() => window.__tl.selected);
  const title = await page.locator('#chart-symbol').textContent();
  check(sym2 !== sym1 && title === sym2, `arrow key switched the chart from ${sym1} to ${sym2}`);
  // and a click too
  const third = page.locator('#tickers tbody tr').nth(2);
  const sym3 = await third.getAttribute('data-symbol');
  await third.click();
  await page.waitForFunction((s) => document.getElementById('chart').dataset.symbol === s, sym3, { timeout: 10000 });
  check(true, `click switched the chart to ${sym3}`);
  await page.waitForFunction(() => document.getElementById('ov-max').dataset.value !== '', null, { timeout: 10000 });

  // 5. range buttons
  await page.getByRole('button', { name: '5 m' }).click();
  await page.waitForFunction(() => window.__tl.range === '5m' && window.__tl.stats && window.__tl.stats.from >= Date.now() / 1000 - 400, null, { timeout: 10000 });
  check(true, '5 m range button reloads the chart and its statistics');
  await page.waitForTimeout(1500);
  await page.screenshot({ path: join(shots, 'dashboard-5m.png') });

  // 6. a narrow window still shows the chart and the table
  await page.setViewportSize({ width: 420, height: 900 });
  await page.waitForTimeout(800);
  const chartBox = await page.locator('#chart').boundingBox();
  check(chartBox && chartBox.width > 300 && chartBox.height > 150, `narrow window: chart ${Math.round(chartBox.width)}x${Math.round(chartBox.height)}`);
  await page.screenshot({ path: join(shots, 'dashboard-narrow.png'), fullPage: true });

  check(errors.length === 0, 'no errors in the page console' + (errors.length ? ': ' + errors.join('; ') : ''));
} catch (e) {
  failed = true;
  console.error('FAIL: ' + e.message);
} finally {
  await close();
}
process.exit(failed ? 1 : 0);
