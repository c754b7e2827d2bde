// Screenshots of each page for docs/screenshots/ (`npx tsx test/renderer/screenshots.ts`), at
// 1280×800 and, for a few pages, a phone's 390×844, all against the real pillarsd (the demo
// sandbox served in this process, as in the browser tests) with a seeded history of 400 runs and a
// blocked sync made by the demo's scenario.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, paneBuild, ROOT } from './browser';
import { blockedSync, seedHistory, startPaneServer, waitUntil } from './pillarsd';

const OUT = path.join(ROOT, 'docs/screenshots');
mkdirSync(OUT, { recursive: true });
const tmp = mkdtempSync(path.join(os.tmpdir(), 'pillars-shots-'));

/** The Runs page once its whole history is in (no "loading…" in the count), never with an error. */
const historyLoaded = async (page: Page) => {
  await page.locator('.runs-table tbody tr').first().waitFor();
  await page.waitForFunction(() => !document.querySelector('.filters [aria-live]')?.textContent?.includes('loading'), null, { timeout: 30_000 });
  if (await page.locator('.history-error').count()) throw new Error(`the Runs page shows an error: ${await page.locator('.history-error').textContent()}`);
};
const shot = async (page: Page, name: string) => {
  await page.waitForTimeout(400);
  await page.screenshot({ path: path.join(OUT, `${name}.png`) });
  console.log(`docs/screenshots/${name}.png`);
};

const server = await startPaneServer({ dir: tmp, paneDir: await paneBuild(), firstBackup: true });
let browser: Browser | null = null;
try {
  seedHistory(server.served.rt.db, server.served.rt.runs, 400, { now: Date.now() - 86_400_000, spacingMs: 6 * 3600_000 });
  const engine = server.served.rt.engine;
  // the demo's first backup and the offsite sync after it, then a sync the guard blocks
  await waitUntil(() => engine.isIdle(), "the demo's first runs are over", 120_000);
  const blocked = await blockedSync(server);

  browser = await launchChromium(path.join(tmp, 'home'));
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await ctx.addInitScript(`sessionStorage.setItem('pillars.token', ${JSON.stringify(server.token)})`);
  const page = await ctx.newPage();
  await page.goto(`${server.url}/#/`);
  await page.getByRole('region', { name: 'Pillars' }).waitFor();
  await shot(page, 'overview');
  await page.goto(`${server.url}/#/jobs`);
  await page.getByRole('row', { name: /^space-offsite/ }).waitFor();
  await shot(page, 'jobs');
  await page.goto(`${server.url}/#/runs/${blocked}`);
  await page.getByRole('button', { name: 'Approve' }).waitFor();
  await shot(page, 'run-blocked');
  await page.goto(`${server.url}/#/runs`);
  await historyLoaded(page);
  await shot(page, 'runs');
  await page.goto(`${server.url}/#/snapshots`);
  await page.locator('.snapshots table.data, .snapshots p.muted').first().waitFor();
  await shot(page, 'snapshots');
  await page.goto(`${server.url}/#/jobs`);
  await page
    .getByRole('row', { name: /^flux-retention/ })
    .getByRole('button', { name: 'Edit schedule' })
    .click();
  await page.getByRole('textbox', { name: /Schedule of flux-retention/ }).fill('15 1 * * 1-5');
  await page.getByRole('region', { name: /Schedule: flux-retention/ }).scrollIntoViewIfNeeded();
  await shot(page, 'jobs-schedule');
  await page.goto(`${server.url}/#/jobs`);
  await page
    .getByRole('row', { name: /^space-offsite/ })
    .getByRole('button', { name: 'Settings' })
    .click();
  const settings = page.getByRole('form', { name: 'Settings of space-offsite' });
  await settings.getByRole('button', { name: 'Save settings' }).waitFor();
  await settings.getByRole('group', { name: 'Guard' }).getByLabel('Max delete percent').fill('250');
  await settings.getByRole('button', { name: 'Save settings' }).click();
  await settings.getByRole('alert').waitFor();
  await settings.getByRole('group', { name: 'Guard' }).scrollIntoViewIfNeeded();
  await shot(page, 'jobs-settings');
  await page.goto(`${server.url}/#/samba`);
  await page.locator('pre.diff').waitFor();
  await shot(page, 'samba');
  // a phone: the menu folds, tables become cards or scroll in their box
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  await phone.addInitScript(`sessionStorage.setItem('pillars.token', ${JSON.stringify(server.token)})`);
  const pp = await phone.newPage();
  await pp.goto(`${server.url}/#/`);
  await pp.getByRole('region', { name: 'Pillars' }).waitFor();
  await shot(pp, 'phone-overview');
  await pp.goto(`${server.url}/#/runs/${blocked}`);
  await pp.getByRole('button', { name: 'Approve' }).waitFor();
  await shot(pp, 'phone-run-blocked');
  await phone.close();
  const lp = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await lp.goto(`${server.url}/`);
  await shot(lp, 'login');
} finally {
  await browser?.close();
  await server.stop();
  rmSync(tmp, { recursive: true, force: true });
}
