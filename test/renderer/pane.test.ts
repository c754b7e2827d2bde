// The admin pane in real Chromium against the real pillarsd (pillarsd.ts: the demo sandbox served
// in this process): login, a blocked sync seen by a viewer and rejected by an admin, the run
// history of 10,000 runs paged as pillarsd pages it, a failing page, reconnects that resync and
// catch up, keyboard use, a revoked token, and a clean console under the strict CSP.
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { renameSync } from 'node:fs';
import path from 'node:path';
import type { RunsPage } from '../../server/src/contract/api';
import { newRunId } from '../../server/src/store/runs';
import { useCleanup } from '../support/tmp';
import { gotoSteady, launchChromium, paneBuild, recordRequests, watchConsole } from './browser';
import { blockedSync, seedHistory, startPaneServer, type PaneServer } from './pillarsd';

const HISTORY = 10_000;
// A real server on a busy machine: what the page shows may take seconds, not vitest's default second.
vi.setConfig({ expect: { poll: { timeout: 10_000 } } });

describe('admin pane against the real pillarsd', () => {
  const cleanup = useCleanup();
  let browser: Browser;
  let server: PaneServer;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  let requests: string[];
  let blockedRun: string;

  /** Every run id pillarsd has, newest first, paged through the API as any client would. */
  const allRunIds = async (): Promise<string[]> => {
    const ids: string[] = [];
    let before: string | null = null;
    do {
      const r = await fetch(`${server.url}/api/v1/runs?limit=500${before ? `&before=${before}` : ''}`, { headers: { authorization: `Bearer ${server.token}` } });
      expect(r.status).toBe(200);
      const p = (await r.json()) as RunsPage;
      ids.push(...p.runs.map((x) => x.id));
      before = p.next;
    } while (before);
    return ids;
  };

  beforeAll(async () => {
    const dir = cleanup.tempDir('pillars-pane-');
    const paneDir = await paneBuild();
    server = cleanup.track(await startPaneServer({ dir: dir.path, paneDir }));
    seedHistory(server.served.rt.db, server.served.rt.runs, HISTORY);
    browser = await launchChromium(path.join(dir.path, 'home'));
    cleanup.add(() => browser.close());
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    problems = watchConsole(page);
    requests = recordRequests(page);
  });

  afterAll(() => {
    // A CSP violation or an uncaught error anywhere in the session fails the suite.
    expect(problems).toEqual([]);
  });

  /** Drops what Chromium itself logs for an expected failed request (`status of 401`, a cut stream). */
  const expectLogged = (...what: string[]) => problems.splice(0, problems.length, ...problems.filter((p) => !what.some((w) => p.includes(w))));

  test('a wrong token is refused with a message; the right one opens the overview', async () => {
    const script = page.waitForResponse((r) => /\/assets\/index-[\w-]+\.js$/.test(r.url()));
    const html = page.waitForResponse((r) => r.url() === `${server.url}/`);
    await gotoSteady(page, server.url + '/');
    // the pane's script travels compressed and is kept for good (its name changes with its content)
    const js = await (await script).allHeaders();
    expect(js['content-encoding']).toBe('br');
    expect(js['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await (await html).allHeaders())['cache-control']).toBe('no-cache');
    await page.getByLabel('Token').fill('nope');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not accepted');
    expectLogged('status of 401');
    await page.getByLabel('Token').fill(server.token);
    await page.getByRole('button', { name: 'Log in' }).click();
    const pillars = page.getByRole('region', { name: 'Pillars' });
    for (const id of ['flux', 'space', 'time']) await expect.poll(() => pillars.getByText(id, { exact: true }).count()).toBe(1);
    await expect.poll(() => pillars.getByRole('img', { name: /^space: [\d.]+ [KMGT]iB used of [\d.]+ [KMGT]iB/ }).count()).toBe(1);
    const jobs = page.getByRole('region', { name: 'Jobs' });
    for (const id of ['flux-backup', 'flux-retention', 'flux-verify', 'space-offsite', 'media-seed']) expect(await jobs.getByRole('rowheader', { name: id }).count()).toBe(1);
    // pillarsd always tells what keeping Space offsite takes
    await expect.poll(() => page.getByRole('region', { name: 'Alerts' }).textContent()).toMatch(/Backblaze B2.*[\d.]+ [KMGT]?i?B to keep offsite|Seeding/);
    expect(await page.evaluate(() => sessionStorage.getItem('pillars.token'))).toBe(server.token);
    await expect.poll(() => page.getByRole('status', { name: /Live updates: live/ }).count()).toBe(1);
  });

  test('a blocked sync: a viewer sees the decision but cannot take it; an admin rejects it and nothing runs', async () => {
    blockedRun = await blockedSync(server);

    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await ctx.addInitScript(`sessionStorage.setItem('pillars.token', ${JSON.stringify(server.viewerToken)})`);
    const p = await ctx.newPage();
    try {
      await gotoSteady(p, `${server.url}/#/jobs`);
      const run = p.getByRole('row', { name: /^flux-backup/ }).getByRole('button', { name: 'Run now' });
      await expect.poll(() => run.getAttribute('title')).toBe('This token is a viewer token: actions need an admin token.');
      expect(await run.isDisabled()).toBe(true);
      await gotoSteady(p, `${server.url}/#/runs/${blockedRun}`);
      await expect.poll(() => p.getByRole('button', { name: 'Approve' }).count()).toBe(1);
      expect(await p.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);
      expect(await p.getByRole('button', { name: 'Reject' }).isDisabled()).toBe(true);
    } finally {
      await ctx.close();
    }

    await gotoSteady(page, `${server.url}/#/runs/${blockedRun}`);
    const block = page.getByRole('region', { name: /Blocked/ });
    await expect.poll(() => block.textContent()).toMatch(/Approving lets this run change exactly [\d,]+ files/);
    await block.getByRole('button', { name: 'Reject' }).click();
    await expect.poll(() => page.locator('.run-head .badge').textContent()).toBe('cancelled');
    expect(requests).toContain(`POST /api/v1/runs/${blockedRun}/reject`);
    expect(requests).not.toContain(`POST /api/v1/runs/${blockedRun}/approve`);
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
  });

  test('the run history shows a first page at once and the rest in the background, stays virtual and filters', async () => {
    // Older pages wait until released: the first rows must be on screen without them.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const older = /\/api\/v1\/runs\?.*before=/;
    await page.route(older, async (route) => {
      await held;
      await route.continue();
    });
    const historyRequests = () => requests.filter((r) => r.startsWith('GET /api/v1/runs?') && !r.includes('job='));
    const count = page.locator('.filters [aria-live]');
    const scroller = page.getByLabel('Run history, scrollable');
    const ids = await allRunIds();
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
      await page.unrouteAll({ behavior: 'wait' });
    }
    // The rest arrives without a scroll, and every run can be scrolled to while the DOM stays small.
    await expect.poll(() => count.textContent(), { timeout: 30_000 }).toBe(`${ids.length.toLocaleString('en')} runs`);
    expect(ids.length).toBeGreaterThan(HISTORY);
    expect(historyRequests().filter((r) => r.includes('before=')).length).toBeGreaterThanOrEqual(Math.ceil((ids.length - 100) / 500));
    await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await expect.poll(() => page.locator('.runs-table tbody tr:not(.spacer)').last().getByRole('link').first().getAttribute('href')).toBe(`#/runs/${ids.at(-1)}`);
    expect(await page.locator('.runs-table tbody tr').count()).toBeLessThan(100);
    await page.getByLabel('Status').selectOption('failed');
    await expect.poll(() => page.url()).toContain('status=failed');
    await expect.poll(async () => new Set(await page.locator('.runs-table tbody tr:not(.spacer) .badge').allTextContents()).size).toBe(1);
    expect(await page.locator('.runs-table tbody tr:not(.spacer) .badge').first().textContent()).toBe('failed');
    await expect.poll(() => historyRequests().at(-1)).toMatch(/status=failed/);
    await expect.poll(() => count.textContent()).not.toContain('loading');
  });

  test('a failed older page is shown with its reason, keeps the first page, and loading resumes on request', async () => {
    // pillarsd's store cannot be made to fail one page on demand: the browser's network layer
    // answers those requests with the problem pillarsd sends when it cannot answer, until released.
    let failing = true;
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await ctx.route(/\/api\/v1\/runs\?.*before=/, (route) =>
      failing ? route.fulfill({ status: 503, contentType: 'application/problem+json', body: JSON.stringify({ status: 503, title: 'Service Unavailable', detail: 'the run store is busy' }) }) : route.continue(),
    );
    await ctx.addInitScript(`sessionStorage.setItem('pillars.token', ${JSON.stringify(server.token)})`);
    const p = await ctx.newPage();
    const pageProblems = watchConsole(p);
    try {
      await gotoSteady(p, `${server.url}/#/runs`);
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
      const total = (await allRunIds()).length;
      await expect.poll(() => count.textContent(), { timeout: 30_000 }).toBe(`${total.toLocaleString('en')} runs`);
      expect(await alert.count()).toBe(0);
      // Chromium logs the refused request itself; nothing else may appear.
      expect(pageProblems.filter((m) => !m.includes('status of 503'))).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  test('after the connection drops, the pane reconnects and resyncs; the alert clears when its cause does', async () => {
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    await expect.poll(() => page.getByRole('status', { name: /Live updates: live/ }).count()).toBe(1);
    const streamsOpened = () => requests.filter((r) => r.startsWith('GET /api/v1/events?')).length;
    const statusFetches = () => requests.filter((r) => r === 'GET /api/v1/status').length;
    const [streams, fetches] = [streamsOpened(), statusFetches()];
    // Changed while the pane was away (no event tells of it): only a resync can show it.
    const sentinel = path.join(server.layout.time, '.pillar');
    renameSync(sentinel, `${sentinel}.away`);
    try {
      server.dropConnections();
      await expect.poll(() => streamsOpened(), { timeout: 15_000 }).toBeGreaterThan(streams);
      await expect.poll(() => statusFetches()).toBeGreaterThan(fetches);
      await expect.poll(() => page.getByRole('region', { name: 'Alerts' }).textContent()).toContain('time is missing its .pillar sentinel');
      await expect.poll(() => page.getByRole('status', { name: /Live updates: live/ }).count()).toBe(1);
    } finally {
      renameSync(`${sentinel}.away`, sentinel);
    }
    // Fixed while the pane is open: it hears of it and the alert goes, without a reload.
    await page.evaluate('window.__noReload = 1');
    await expect.poll(() => page.getByRole('region', { name: 'Alerts' }).textContent()).not.toContain('time is missing');
    expect(await page.evaluate('window.__noReload')).toBe(1);
    // The dropped stream itself is logged by Chromium; that one is expected here.
    expectLogged('ERR_INCOMPLETE_CHUNKED_ENCODING', 'ERR_EMPTY_RESPONSE', 'ERR_CONNECTION');
  });

  test('after a reconnect the Runs page fetches only its newest runs, not the whole history again', async () => {
    await page.getByRole('link', { name: 'Runs', exact: true }).click();
    await expect.poll(() => page.url()).toMatch(/#\/runs$/);
    const count = page.locator('.filters [aria-live]');
    const total = (await allRunIds()).length;
    await expect.poll(() => count.textContent(), { timeout: 30_000 }).toBe(`${total.toLocaleString('en')} runs`);
    await expect.poll(() => page.getByRole('status', { name: /Live updates: live/ }).count()).toBe(1);
    const historyRequests = () => requests.filter((r) => r.startsWith('GET /api/v1/runs?') && !r.includes('job='));
    const before = historyRequests().length;
    // finished while the pane was away: written to the store with no event, only the catch-up finds it
    const runs = server.served.rt.runs;
    const at = new Date();
    const id = runs.create({ id: newRunId(at), jobId: 'flux-verify', trigger: 'schedule', queuedAt: at.toISOString(), resources: [], ownerPid: null, ownerStart: null }).id;
    runs.update(id, { status: 'failed', startedAt: at.toISOString(), finishedAt: at.toISOString(), exitCode: 1, error: 'restic check found 1 error' });
    server.dropConnections();
    await expect.poll(() => page.locator('.runs-table tbody tr:not(.spacer)').first().getByRole('link').first().getAttribute('href'), { timeout: 15_000 }).toBe(`#/runs/${id}`);
    await expect.poll(() => count.textContent()).not.toContain('loading');
    const after = historyRequests().slice(before);
    // the whole history would be 21 requests; the catch-up stops at the first page holding runs it had
    expect(after.length, after.join('\n')).toBeLessThanOrEqual(2);
    expect(after[0]).toBe('GET /api/v1/runs?limit=100');
    expectLogged('ERR_INCOMPLETE_CHUNKED_ENCODING', 'ERR_EMPTY_RESPONSE', 'ERR_CONNECTION');
  });

  test('keyboard: Tab reaches Run now; the schedule editor validates and previews five runs', async () => {
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await page
      .getByRole('row', { name: /^flux-retention/ })
      .getByRole('button', { name: 'Edit schedule' })
      .focus();
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
    const runs = requests.filter((r) => r.endsWith('/run')).length;
    await page.keyboard.press('Enter');
    await expect.poll(() => requests.filter((r) => r.endsWith('/run')).length).toBe(runs + 1);
    // Run now opens the run it started
    await expect.poll(() => page.url()).toMatch(/#\/runs\/r[0-9a-z]+$/);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toMatch(/^Run of /);
  });

  test('a revoked token sends the user back to the login form with the reason', async () => {
    const doomed = server.served.tokens.create({ role: 'admin', name: 'to be revoked' });
    await page.evaluate((t) => sessionStorage.setItem('pillars.token', t), doomed.token);
    await page.reload();
    await expect.poll(() => page.getByRole('status', { name: /Live updates: live/ }).count()).toBe(1);
    server.served.tokens.revoke(doomed.id);
    // The open page may notice first (an event of an earlier test's run makes it fetch the status,
    // which is refused, and it logs out, clearing the stored token): the reload then starts from
    // the revoked token in either case.
    await page.evaluate((t) => sessionStorage.setItem('pillars.token', t), doomed.token);
    await page.reload();
    await expect.poll(() => page.getByRole('alert').textContent({ timeout: 5_000 }), { timeout: 15_000 }).toContain('not accepted');
    expect(await page.getByLabel('Token').count()).toBe(1);
    expectLogged('status of 401');
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
      await gotoSteady(p, `${server.url}/#/preferences`);
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
});
