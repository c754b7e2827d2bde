// Screenshots of each page at 1280×800 for docs/screenshots/ (`npx tsx test/renderer/screenshots.ts`).
// Overview, Jobs, Runs, a run and Snapshots come from a real `pillarsd demo` (with a blocked sync
// made by its scenario); Samba, Hot-sets and the alert-rich overview come from the stand-in
// server, because the demo has no Samba section, Syncthing or Time Machine bundles yet.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { runPillarsd, spawnPillarsd } from '../support/cli';
import { buildPane, launchChromium, ROOT } from './browser';
import { startFake } from './fake-pillarsd';

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

const out = path.join(tmp, 'renderer');
await buildPane(out);
await buildPane(path.join(ROOT, 'dist/renderer'));
const browser = await launchChromium(path.join(tmp, 'home'));
const dir = path.join(tmp, 'demo');
const demo = spawnPillarsd(['demo', '--dir', dir, '--port', '0'], { cwd: tmp });
const fake = await startFake({ staticDir: out, token: 't', historySize: 400 });
try {
  const url = (await demo.waitForLine(/admin URL:\s+(\S+)/, 90_000))[1]!.replace(/\/$/, '');
  const token = (await demo.waitForLine(/admin token:\s+(\S+)/))[1]!;
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await ctx.addInitScript(`sessionStorage.setItem('pillars.token', ${JSON.stringify(token)})`);
  const page = await ctx.newPage();
  await page.goto(`${url}/#/jobs`);
  const off = page.getByRole('row', { name: /^space-offsite/ });
  await page.waitForFunction(() => [...document.querySelectorAll('tr')].some((r) => r.textContent?.startsWith('space-offsite') && r.textContent.includes('succeeded')), null, { timeout: 90_000 });
  const r = await runPillarsd(['demo', '--dir', dir, '--scenario', 'blocked-sync'], { cwd: tmp });
  if (r.code !== 0) throw new Error(r.stderr);
  await off.getByRole('button', { name: 'Run now' }).click();
  await page.waitForFunction(() => [...document.querySelectorAll('tr')].some((r) => r.textContent?.startsWith('space-offsite') && r.textContent.includes('blocked')), null, { timeout: 60_000 });
  await shot(page, 'jobs');
  await off.getByRole('link', { name: /blocked/ }).click();
  await page.getByRole('button', { name: 'Approve' }).waitFor();
  await shot(page, 'run-blocked');
  await page.goto(`${url}/#/`);
  await page.getByRole('region', { name: 'Pillars' }).waitFor();
  await shot(page, 'overview-demo');
  await page.goto(`${url}/#/runs`);
  await historyLoaded(page);
  await shot(page, 'runs-demo');
  await page.goto(`${url}/#/snapshots`);
  await page.locator('figure.chart, p.muted').first().waitFor();
  await shot(page, 'snapshots');

  const f = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await f.addInitScript(`sessionStorage.setItem('pillars.token', 't')`);
  const fp = await f.newPage();
  await fp.goto(`${fake.url}/#/`);
  await fp.getByRole('region', { name: 'Alerts' }).waitFor();
  await shot(fp, 'overview');
  await fp.goto(`${fake.url}/#/runs`);
  await historyLoaded(fp);
  await shot(fp, 'runs');
  await fp.goto(`${fake.url}/#/jobs`);
  await fp.getByRole('row', { name: /^flux-backup/ }).getByRole('button', { name: 'Run now' }).click();
  await fp.getByRole('row', { name: /^flux-backup/ }).getByRole('link', { name: /running|queued/ }).click();
  await fp.locator('.progress .pct').waitFor();
  await fp.waitForTimeout(800);
  await shot(fp, 'run-live');
  await fp.goto(`${fake.url}/#/jobs`);
  await fp.getByRole('row', { name: /^flux-retention/ }).getByRole('button', { name: 'Edit schedule' }).click();
  await fp.getByRole('textbox', { name: /Schedule of flux-retention/ }).fill('15 1 * * 1-5');
  await fp.getByRole('region', { name: /Schedule: flux-retention/ }).scrollIntoViewIfNeeded();
  await shot(fp, 'jobs-schedule');
  await fp.goto(`${fake.url}/#/samba`);
  await fp.locator('pre.diff').waitFor();
  await shot(fp, 'samba');
  await fp.goto(`${fake.url}/#/hotsets`);
  await fp.getByRole('region', { name: /Hot-sets/ }).waitFor();
  await shot(fp, 'hotsets');
  const lp = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await lp.goto(`${fake.url}/`);
  await shot(lp, 'login');
} finally {
  await browser.close();
  await fake.stop();
  await demo.stop();
  rmSync(tmp, { recursive: true, force: true });
}
