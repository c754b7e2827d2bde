// The admin pane in real Chromium against the stand-in server (fake-pillarsd.ts): login, live
// progress over SSE, approval, Samba apply and refusal, the virtualized history, reconnect with
// resync, keyboard use, and a clean console under the strict CSP.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import path from 'node:path';
import { useCleanup } from '../support/tmp';
import { buildPane, launchChromium, watchConsole } from './browser';
import { makeRun, startFake, type FakePillarsd } from './fake-pillarsd';

const TOKEN = 'pt_admin_0123456789abcdef';
const VIEWER = 'pt_viewer_0123456789abcdef';

describe('admin pane (stand-in server)', () => {
  const cleanup = useCleanup();
  let browser: Browser;
  let fake: FakePillarsd;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    const dir = cleanup.tempDir('pillars-pane-');
    const out = path.join(dir.path, 'renderer');
    await buildPane(out);
    fake = await startFake({ staticDir: out, token: TOKEN, viewerToken: VIEWER, historySize: 10_000, tickMs: 250 });
    cleanup.add(() => fake.stop());
    browser = await launchChromium(path.join(dir.path, 'home'));
    cleanup.add(() => browser.close());
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    problems = watchConsole(page);
  });

  afterAll(() => {
    // A CSP violation or an uncaught error anywhere in the session fails the suite.
    expect(problems).toEqual([]);
  });

  test('a wrong token is refused with a message; the right one opens the overview', async () => {
    await page.goto(fake.url + '/');
    await page.getByLabel('Token').fill('nope');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not accepted');
    // Chromium logs the refused request itself as a failed resource; anything else stays an error.
    problems.splice(0, problems.length, ...problems.filter((p) => !p.includes('status of 401')));
    await page.getByLabel('Token').fill(TOKEN);
    await page.getByRole('button', { name: 'Log in' }).click();
    const pillars = page.getByRole('region', { name: 'Pillars' });
    for (const id of ['flux', 'space', 'time']) await expect.poll(() => pillars.getByText(id, { exact: true }).count()).toBe(1);
    await expect.poll(() => pillars.getByRole('img', { name: /space: 11\.1 TiB used of 12\.0 TiB/ }).count()).toBe(1);
    const jobs = page.getByRole('region', { name: 'Jobs' });
    for (const id of ['flux-backup', 'flux-retention', 'flux-verify', 'space-offsite']) expect(await jobs.getByRole('rowheader', { name: id }).count()).toBe(1);
    const alerts = await page.getByRole('region', { name: 'Alerts' }).textContent();
    expect(alerts).toContain('space-offsite is blocked');
    expect(alerts).toContain('flux-verify is overdue');
    expect(alerts).toContain('wintermute is stale');
    expect(alerts).toContain('space is low on space');
    expect(alerts).toContain('Hot-set Models');
    expect(alerts).toMatch(/Seeding 11\.1 TiB takes about 28 d 0 h at 40 Mbit\/s; about 66\.60 USD a month/);
    expect(await page.evaluate(() => sessionStorage.getItem('pillars.token'))).toBe(TOKEN);
    await expect.poll(() => page.getByRole('status', { name: /Live updates: live/ }).count()).toBe(1);
  });

  test('Run now shows live progress and ends succeeded without a reload', async () => {
    await page.evaluate(() => ((window as unknown as { __noReload: number }).__noReload = 1));
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    const row = page.getByRole('row', { name: /^flux-backup/ });
    await row.getByRole('button', { name: 'Run now' }).click();
    await expect.poll(() => row.getByText(/queued|running/).count()).toBeGreaterThan(0);
    await row.getByRole('link', { name: /queued|running/ }).click();
    await expect.poll(() => page.locator('.progress .pct').textContent(), { timeout: 5000 }).toMatch(/\d+\.\d %/);
    expect(await page.locator('dd.rate').textContent()).toBe('210 MiB/s');
    await expect.poll(() => page.getByRole('log', { name: 'Run log' }).textContent()).toContain('processed');
    await expect.poll(() => page.locator('.run-head .badge').textContent(), { timeout: 10_000 }).toBe('succeeded');
    expect(await page.getByRole('region', { name: 'Summary' }).textContent()).toContain('512 MiB');
    const log = await page.getByRole('log', { name: 'Run log' }).textContent();
    expect(log).toContain('queued by admin');
    expect(log).toContain('processed 800 files');
    expect(await page.evaluate(() => (window as unknown as { __noReload?: number }).__noReload)).toBe(1);
  });

  test('a blocked sync shows what would be deleted and is approved, then succeeds', async () => {
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    await page.getByRole('link', { name: /space-offsite is blocked/ }).click();
    const block = page.getByRole('region', { name: /Blocked/ });
    await expect.poll(() => block.textContent()).toContain('1,523 files');
    const text = await block.textContent();
    expect(text).toContain('42.0 GiB');
    expect(text).toContain('media/2019/IMG_0001.jpg');
    await block.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => page.locator('.run-head .badge').textContent(), { timeout: 10_000 }).toBe('succeeded');
    expect(await page.locator('dd.approved').textContent()).toBe('admin (t1)');
    expect(fake.requests).toContain('POST /api/v1/runs/r200001/approve');
  });

  test('Reject ends a blocked run as cancelled without running it', async () => {
    const blocked = fake.runs.get('r200001')!;
    fake.runs.set('r200003', { ...blocked, id: 'r200003', status: 'blocked', approvedBy: null, finishedAt: null, summary: null, queuedAt: new Date(Date.now() - 60_000).toISOString() });
    await page.goto(`${fake.url}/#/runs/r200003`);
    await page.getByRole('region', { name: /Blocked/ }).getByRole('button', { name: 'Reject' }).click();
    await expect.poll(() => page.locator('.run-head .badge').textContent()).toBe('cancelled');
    expect(fake.requests).toContain('POST /api/v1/runs/r200003/reject');
    expect(fake.requests).not.toContain('POST /api/v1/runs/r200003/approve');
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
  });

  test('Samba: the diff is shown and applied; an invalid model shows its message and applies nothing', async () => {
    await page.getByRole('link', { name: 'Samba', exact: true }).click();
    await expect.poll(() => page.locator('pre.diff').textContent()).toContain('+   valid users = mike ada');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Applied' }).count()).toBe(1);
    expect(fake.sambaApplied).toBe(1);
    expect(await page.locator('.no-diff').count()).toBe(1);

    fake.samba.valid = false;
    fake.samba.rendered += '   valid users = mike\n[evil]\n';
    fake.samba.diff = '--- live\n+++ rendered\n@@ -5 +5,2 @@\n+[evil]\n';
    fake.samba.drift = true;
    fake.samba.messages = ['samba.validUsers[0]: "mike\\n[evil]" contains a line break'];
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => page.getByRole('alert', { name: 'Validation messages' }).textContent()).toContain('contains a line break');
    expect(await page.getByRole('button', { name: 'Apply' }).isDisabled()).toBe(true);
    expect(fake.sambaApplied).toBe(1);
    expect(await page.getByRole('region', { name: 'Time Machine' }).getByRole('rowheader', { name: 'count-zero' }).count()).toBe(1);
  });

  test('the run history shows a first page at once and the rest in the background, stays virtual and filters', async () => {
    // Older pages wait until released: the first rows must be on screen without them.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    fake.onRunsPage = (q) => (q.has('before') ? held : undefined);
    const historyRequests = () => fake.requests.filter((r) => r.startsWith('GET /api/v1/runs?'));
    const count = page.locator('.filters [aria-live]');
    const scroller = page.getByLabel('Run history, scrollable');
    const total = fake.runs.size;
    try {
      const before = historyRequests().length;
      await page.getByRole('link', { name: 'Runs', exact: true }).click();
      await expect.poll(() => page.locator('.runs-table tbody tr:not(.spacer)').count()).toBeGreaterThan(10);
      await expect.poll(() => count.textContent()).toContain('loading older runs');
      const asked = historyRequests().slice(before);
      // pillarsd's contract: a small first page, then pages of at most 500 by the `before` cursor.
      expect(asked[0]).toBe('GET /api/v1/runs?limit=100');
      expect(asked.slice(1).every((r) => /[?&]limit=500(&|$)/.test(r) && r.includes('before='))).toBe(true);
      const shown = Number((await count.textContent())!.match(/^([\d,]+) runs/)![1]!.replace(/,/g, ''));
      expect(shown).toBeGreaterThanOrEqual(100);
      expect(shown).toBeLessThan(200);
      // Usable meanwhile: the search filters what has arrived.
      await page.getByLabel('Search').fill('unable to open');
      await expect.poll(async () => new Set(await page.locator('.runs-table tbody tr:not(.spacer) .badge').allTextContents())).toEqual(new Set(['failed']));
      await page.getByLabel('Search').fill('');
    } finally {
      release();
      fake.onRunsPage = null;
    }
    // The rest arrives without a scroll, and every run can be scrolled to while the DOM stays small.
    await expect.poll(() => count.textContent(), { timeout: 20_000 }).toBe(`${total.toLocaleString('en')} runs`);
    expect(historyRequests().filter((r) => r.includes('before=')).length).toBeGreaterThanOrEqual(Math.ceil((total - 100) / 500));
    await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight));
    const oldest = [...fake.runs.keys()].sort()[0]!;
    await expect.poll(() => page.locator('.runs-table tbody tr:not(.spacer)').last().getByRole('link').textContent()).toBe(oldest);
    expect(await page.locator('.runs-table tbody tr').count()).toBeLessThan(100);
    await page.getByLabel('Status').selectOption('failed');
    await expect.poll(() => page.url()).toContain('status=failed');
    await expect.poll(async () => new Set(await page.locator('.runs-table tbody tr:not(.spacer) .badge').allTextContents()).size).toBe(1);
    expect(await page.locator('.runs-table tbody tr:not(.spacer) .badge').first().textContent()).toBe('failed');
    await expect.poll(() => historyRequests().at(-1)).toMatch(/status=failed/);
    await expect.poll(() => count.textContent()).not.toContain('loading');
  });

  test('a failed older page is shown with its reason, keeps the first page, and loading resumes on request', async () => {
    let failing = true;
    fake.onRunsPage = (q) => (failing && q.has('before') ? { status: 503, title: 'Service Unavailable', detail: 'the run store is busy' } : undefined);
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await ctx.addInitScript(`sessionStorage.setItem('pillars.token', ${JSON.stringify(TOKEN)})`);
    const p = await ctx.newPage();
    const pageProblems = watchConsole(p);
    try {
      await p.goto(`${fake.url}/#/runs`);
      const alert = p.getByRole('alert').filter({ hasText: 'Older runs could not be loaded' });
      await expect.poll(() => alert.textContent()).toBe('Older runs could not be loaded: Service Unavailable: the run store is busy');
      expect(await p.locator('.runs-table tbody tr:not(.spacer)').count()).toBeGreaterThan(10);
      const count = p.locator('.filters [aria-live]');
      expect(Number((await count.textContent())!.match(/^([\d,]+) runs/)![1]!.replace(/,/g, ''))).toBeGreaterThanOrEqual(100);
      failing = false;
      // Nothing retries by itself: the error stays until asked.
      await p.waitForTimeout(500);
      expect(await alert.count()).toBe(1);
      await p.getByRole('button', { name: 'Load older runs' }).click();
      await expect.poll(() => count.textContent(), { timeout: 20_000 }).toBe(`${fake.runs.size.toLocaleString('en')} runs`);
      expect(await alert.count()).toBe(0);
      // Chromium logs the refused request itself; nothing else may appear.
      expect(pageProblems.filter((m) => !m.includes('status of 503'))).toEqual([]);
    } finally {
      fake.onRunsPage = null;
      await ctx.close();
    }
  });

  test('after the event stream drops, the pane reconnects, resyncs and applies new events', async () => {
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    await expect.poll(() => fake.streams()).toBe(1);
    const statusFetches = () => fake.requests.filter((r) => r === 'GET /api/v1/status').length;
    const n = statusFetches();
    // Changed while the pane was away: only a resync can show it.
    fake.status.pillars = fake.status.pillars.map((p) => (p.id === 'time' ? { ...p, online: false } : p));
    fake.dropStreams();
    await expect.poll(() => fake.streams(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => statusFetches()).toBeGreaterThan(n);
    await expect.poll(() => page.getByRole('region', { name: 'Alerts' }).textContent()).toContain('time is offline');
    await expect.poll(() => page.getByRole('status', { name: /Live updates: live/ }).count()).toBe(1);
    // The dropped stream itself is logged by Chromium; that one is expected here.
    problems.splice(0, problems.length, ...problems.filter((p) => !p.includes('ERR_INCOMPLETE_CHUNKED_ENCODING')));
  });

  test('after a reconnect the Runs page fetches only its newest runs, not the whole history again', async () => {
    await page.getByRole('link', { name: 'Runs', exact: true }).click();
    await expect.poll(() => page.url()).toMatch(/#\/runs$/);
    const count = page.locator('.filters [aria-live]');
    await expect.poll(() => count.textContent(), { timeout: 20_000 }).toBe(`${fake.runs.size.toLocaleString('en')} runs`);
    await expect.poll(() => fake.streams()).toBe(1);
    const historyRequests = () => fake.requests.filter((r) => r.startsWith('GET /api/v1/runs?') && !r.includes('job='));
    const before = historyRequests().length;
    // finished while the pane was away: no event tells of it, only the catch-up
    const id = `r${'9'.repeat(6)}`;
    fake.putRun(makeRun({ id, jobId: 'flux-verify', status: 'failed', queuedAt: new Date().toISOString(), error: 'restic check found 1 error' }));
    fake.dropStreams();
    await expect.poll(() => fake.streams(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => page.locator('.runs-table tbody tr:not(.spacer)').first().getByRole('link').textContent()).toBe(id);
    await expect.poll(() => count.textContent()).not.toContain('loading');
    const after = historyRequests().slice(before);
    // the whole history would be 21 requests; the catch-up stops at the first page holding runs it had
    expect(after.length, after.join('\n')).toBeLessThanOrEqual(2);
    expect(after[0]).toBe('GET /api/v1/runs?limit=100');
    problems.splice(0, problems.length, ...problems.filter((p) => !p.includes('ERR_INCOMPLETE_CHUNKED_ENCODING')));
  });

  test('keyboard: Tab reaches Run now; the schedule editor validates and previews five runs', async () => {
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await page.getByRole('row', { name: /^flux-retention/ }).getByRole('button', { name: 'Edit schedule' }).focus();
    await page.keyboard.press('Enter');
    const input = page.getByRole('textbox', { name: /Schedule of flux-retention/ });
    await expect.poll(() => input.evaluate((el) => el === document.activeElement)).toBe(true);
    await input.fill('61 * * * *');
    await expect.poll(() => page.getByRole('form', { name: 'Schedule of flux-retention' }).getByRole('alert').textContent()).toContain('not a valid schedule');
    expect(await page.getByRole('button', { name: 'Save schedule' }).isDisabled()).toBe(true);
    await input.fill('15 1 * * 1-5');
    await expect.poll(() => page.locator('ol.next-runs li').count()).toBe(5);
    expect(await page.locator('.schedule-editor .words').textContent()).toMatch(/01:15.*Monday through Friday/);

    // From the page's first focusable element, Tab alone reaches a Run now button.
    await page.locator('a.skip').focus();
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.textContent === 'Run now' && !(document.activeElement as HTMLButtonElement).disabled);
    }
    expect(reached).toBe(true);
    const runs = fake.requests.filter((r) => r.endsWith('/run')).length;
    await page.keyboard.press('Enter');
    await expect.poll(() => fake.requests.filter((r) => r.endsWith('/run')).length).toBe(runs + 1);
  });

  test('a revoked token sends the user back to the login form with the reason', async () => {
    await page.evaluate(() => sessionStorage.setItem('pillars.token', 'revoked'));
    await page.reload();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not accepted');
    expect(await page.getByLabel('Token').count()).toBe(1);
    problems.splice(0, problems.length, ...problems.filter((p) => !p.includes('status of 401')));
  });

  test('Preferences through the tray bridge: pairing with fingerprint check, settings saved as patches', async () => {
    // The Electron preload cannot run here (no Electron binary): this stands in for window.pillars
    // with the shape of src/preload/api.ts and records what the page asks of it.
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await ctx.addInitScript(`(() => {
      const calls = (window.__calls = []);
      let settings = { server: { url: '', fingerprint: '' }, secret: { vaultUrl: 'https://kv-miket-ops.vault.azure.net', name: 'smb-mike' },
        pillars: [{ id: 'flux', share: 'flux', label: 'Flux', drive: 'X:' }], notifications: true, startAtLogin: false };
      window.pillars = {
        adminToken: async () => null,
        settings: {
          get: async () => settings,
          set: async (patch) => { calls.push(['set', patch]); settings = { ...settings, ...patch }; return settings; },
        },
        setup: {
          probe: async (url) => { calls.push(['probe', url]); return { url, fingerprint: 'AB:CD:EF', version: '0.1.0' }; },
          pair: async (req) => { calls.push(['pair', req]); if (req.code !== 'K7Q2-9XZ4') throw new Error('pairing code not accepted'); settings = { ...settings, server: { url: req.url, fingerprint: req.fingerprint } }; return { url: req.url, fingerprint: req.fingerprint, role: 'admin' }; },
        },
      };
    })()`);
    const p = await ctx.newPage();
    const pageProblems = watchConsole(p);
    try {
      await p.goto(`${fake.url}/#/preferences`);
      await p.getByLabel('Server URL').fill('https://motoko:8443');
      await p.getByRole('button', { name: 'Check server' }).click();
      await expect.poll(() => p.locator('code.fingerprint').textContent()).toBe('AB:CD:EF');
      await p.getByLabel(/Pairing code/).fill('WRONG');
      await p.getByRole('button', { name: 'Pair' }).click();
      await expect.poll(() => p.getByRole('form', { name: 'Pair with a server' }).getByRole('alert').textContent()).toContain('pairing code not accepted');
      await p.getByLabel(/Pairing code/).fill('K7Q2-9XZ4');
      await p.getByRole('button', { name: 'Pair' }).click();
      await expect.poll(() => p.getByRole('status').filter({ hasText: 'Paired' }).textContent()).toBe('Paired with https://motoko:8443 as admin.');
      await expect.poll(() => p.getByRole('region', { name: 'Server and pairing' }).textContent()).toContain('AB:CD:EF');
      await p.getByLabel('Start Pillars at login').check();
      await p.getByLabel('Drive letter for Flux').fill('F:');
      await p.getByRole('button', { name: 'Save drive letters' }).click();
      await expect.poll(() => p.evaluate('window.__calls.filter((c) => c[0] === "set").length')).toBe(2);
      const calls = (await p.evaluate('window.__calls')) as Array<[string, unknown]>;
      expect(calls.filter((c) => c[0] === 'set').map((c) => c[1])).toEqual([{ startAtLogin: true }, { pillars: [{ id: 'flux', share: 'flux', label: 'Flux', drive: 'F:' }] }]);
      expect(calls.filter((c) => c[0] === 'pair').map((c) => (c[1] as { code: string }).code)).toEqual(['WRONG', 'K7Q2-9XZ4']);
      expect(calls.filter((c) => c[0] === 'pair').at(-1)![1]).toEqual({ url: 'https://motoko:8443', fingerprint: 'AB:CD:EF', code: 'K7Q2-9XZ4' });
      expect(pageProblems).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  test('a viewer token sees everything but its actions are disabled with the reason', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await ctx.addInitScript(`sessionStorage.setItem('pillars.token', ${JSON.stringify(VIEWER)})`);
    const p = await ctx.newPage();
    try {
      await p.goto(`${fake.url}/#/jobs`);
      const run = p.getByRole('row', { name: /^flux-backup/ }).getByRole('button', { name: 'Run now' });
      await expect.poll(() => run.getAttribute('title')).toBe('This token is a viewer token: actions need an admin token.');
      expect(await run.isDisabled()).toBe(true);
      const blocked = fake.runs.get('r200001')!;
      fake.runs.set('r200002', { ...blocked, id: 'r200002', status: 'blocked', approvedBy: null, finishedAt: null, summary: null });
      await p.goto(`${fake.url}/#/runs/r200002`);
      await expect.poll(() => p.getByRole('button', { name: 'Approve' }).count()).toBe(1);
      expect(await p.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);
      expect(await p.getByRole('button', { name: 'Reject' }).isDisabled()).toBe(true);
    } finally {
      await ctx.close();
    }
  });
});
