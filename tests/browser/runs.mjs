// The dashboard's "Recent runs" table (issue 15) in Debian's Chromium
// (playwright-core, no bundled browser):
//   node runs.mjs URL SCREENSHOT [--break MODEL_FILE]
// Waits until the page lists a successful compaction and a successful models
// run from the lake's run history. With --break it then writes a model with
// broken SQL to MODEL_FILE, and waits for the next models run to be listed as
// failed, in red, with the error text. Without it, a failed models run must
// already be listed in red (a standalone dashboard over that lake).
// Exits non-zero with a message on the first failed check.
import { launch, checks } from './chromium.mjs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [url, shot, flag, modelFile] = process.argv.slice(2);
if (!url || !shot || (flag && (flag !== '--break' || !modelFile))) {
  console.error('usage: node runs.mjs URL SCREENSHOT [--break MODEL_FILE]');
  process.exit(2);
}
const { ok, check } = checks();

// the rows of the runs table as the page shows them
const rows = (page) => page.evaluate(() => [...document.querySelectorAll('#runs tbody tr')].map((tr) => ({
  job: tr.dataset.job,
  status: tr.dataset.status,
  cls: tr.className,
  text: tr.textContent,
  color: getComputedStyle(tr.cells[4]).color,
})));

const { browser, close } = await launch({ width: 1400, height: 900 });
let failed = false;
try {
  const page = browser.pages()[0] || await browser.newPage();
  const errors = [];
  // errors of the runs table's code (the chart's own are dashboard.mjs's business)
  page.on('pageerror', (e) => { if (/Runs/.test(e.stack || '')) errors.push(String(e)); });
  await page.goto(url);

  // 1. successful compaction and models runs are listed
  const succeeded = (job) => [...document.querySelectorAll('#runs tbody tr')]
    .some((tr) => tr.dataset.job === job && tr.dataset.status === 'success');
  await page.waitForFunction(succeeded, 'compact', { timeout: 60000 });
  await page.waitForFunction(succeeded, 'models', { timeout: 60000 });
  let shown = await rows(page);
  const comp = shown.find((r) => r.job === 'compact' && r.status === 'success');
  const mod = shown.find((r) => r.job === 'models' && r.status === 'success');
  check(/^compaction\d\d:\d\d:\d\d\d\d:\d\d:\d\d[\d.]+ ssuccess/.test(comp.text),
    `a compaction run: "${comp.text.slice(0, 90)}"`);
  check(/models built into/.test(mod.text), `a models run: "${mod.text.slice(0, 90)}"`);
  check(!comp.cls.includes('bad') && !mod.cls.includes('bad'), 'successful runs are not red');
  const plain = comp.color;

  // 2. a failing models run is listed in red, with its error
  if (flag === '--break') {
    writeFileSync(modelFile, 'select from where broken syntax\n');
    ok(`wrote a broken model to ${modelFile}`);
  }
  await page.waitForFunction(() => [...document.querySelectorAll('#runs tbody tr')]
    .some((tr) => tr.dataset.job === 'models' && tr.dataset.status === 'failed'), null, { timeout: 60000 });
  shown = await rows(page);
  const bad = shown.find((r) => r.job === 'models' && r.status === 'failed');
  check(bad.cls.split(' ').includes('bad'), 'the failed run has class "bad"');
  check(bad.color === 'rgb(248, 81, 73)' && bad.color !== plain,
    `the failed run is red (${bad.color}; a successful one is ${plain})`);
  check(/\d+ of \d+ models failed/.test(bad.text), `its error text is shown: "${bad.text.slice(0, 160)}"`);
  await page.locator('#runs').scrollIntoViewIfNeeded();
  await page.screenshot({ path: shot, fullPage: true });
  check(errors.length === 0, 'no page errors in renderRuns/loadRuns' + (errors.length ? ': ' + errors.join('; ') : ''));
} catch (e) {
  console.error('FAIL: ' + e.message);
  failed = true;
} finally {
  await close();
}
process.exit(failed ? 1 : 0);
