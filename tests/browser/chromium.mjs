// What every browser test shares: Debian's Chromium through playwright-core
// (no bundled browser), started headless on a fresh profile each run
// (playwright passes it as --user-data-dir), and the ok/check lines the
// integration scripts read.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The browser and a close() that also removes its profile.
export async function launch(viewport = { width: 1400, height: 860 }) {
  const profile = mkdtempSync(join(tmpdir(), 'tl-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const close = async () => {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { browser, close };
}

// ok(msg) logs a passed check; check(cond, msg) throws msg unless cond.
export function checks(prefix = 'ok') {
  const ok = (msg) => console.error(`${prefix}: ${msg}`);
  const check = (cond, msg) => {
    if (!cond) throw new Error(msg);
    ok(msg);
  };
  return { ok, check };
}
