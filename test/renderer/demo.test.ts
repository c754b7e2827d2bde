// Acceptance: the admin pane in Debian's Chromium against a real `pillarsd demo` (real engine,
// restic and rclone on the demo's sandbox): log in, see the demo's pillars and jobs, Run now with
// live updates to a success without a reload, a blocked sync approved from the pane, and the
// Samba page showing the server's own answer.
import { beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { existsSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { useCleanup } from '../support/tmp';
import { runPillarsd, spawnPillarsd } from '../support/cli';
import { buildPane, gotoSteady, launchChromium, ROOT, watchConsole } from './browser';
import { TERMINAL_STATUSES, type RunsPage } from '../../server/src/contract/api';

const DIST = path.join(ROOT, 'dist/renderer');

function newest(dir: string): number {
  return Math.max(...readdirSync(dir).map((f) => (statSync(path.join(dir, f)).isDirectory() ? newest(path.join(dir, f)) : statSync(path.join(dir, f)).mtimeMs)));
}

/** pillarsd serves dist/renderer: build it unless it is newer than every source of the pane. */
async function ensureBuilt(): Promise<void> {
  const html = path.join(DIST, 'index.html');
  const src = Math.max(newest(path.join(ROOT, 'src/renderer')), newest(path.join(ROOT, 'src/shared')));
  if (existsSync(html) && statSync(html).mtimeMs > src) return;
  await buildPane(DIST);
}

/** Records every status badge text the page shows, so a test can prove it saw a run live. */
async function recordBadges(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    window.__seen = new Set();
    const scan = () => document.querySelectorAll('.badge').forEach((b) => window.__seen.add(b.textContent));
    new MutationObserver(scan).observe(document.body, { subtree: true, childList: true, characterData: true });
    scan();
  })()`);
}
const seen = (page: Page) => page.evaluate('[...window.__seen]') as Promise<string[]>;

describe('admin pane against pillarsd demo', () => {
  const cleanup = useCleanup();
  let browser: Browser;
  let page: Page;
  let url: string;
  let token: string;
  let loginLink: string;
  let dir: string;
  let problems: string[];

  beforeAll(async () => {
    await ensureBuilt();
    const tmp = cleanup.tempDir('pillars-pane-demo-');
    dir = path.join(tmp.path, 'demo');
    const demo = cleanup.track(spawnPillarsd(['demo', '--dir', dir, '--port', '0'], { cwd: tmp.path }));
    url = (await demo.waitForLine(/admin URL:\s+(\S+)/, 90_000))[1]!.replace(/\/$/, '');
    loginLink = (await demo.waitForLine(/login link:\s+(\S+)/))[1]!;
    token = (await demo.waitForLine(/admin token:\s+(\S+)/))[1]!;
    browser = await launchChromium(path.join(tmp.path, 'home'));
    cleanup.add(() => browser.close());
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    problems = watchConsole(page);
  });

  test("the demo's login link signs in with one click, leaves no code behind, and works once", async () => {
    await gotoSteady(page, loginLink);
    const pillars = page.getByRole('region', { name: 'Pillars' });
    for (const id of ['flux', 'space', 'time']) await expect.poll(() => pillars.getByText(id, { exact: true }).count(), { timeout: 15_000 }).toBe(1);
    const jobs = page.getByRole('region', { name: 'Jobs' });
    for (const id of ['flux-backup', 'flux-retention', 'flux-verify', 'space-offsite']) expect(await jobs.getByRole('rowheader', { name: id }).count()).toBe(1);
    await expect.poll(() => page.getByRole('status', { name: /Live updates: live/ }).count(), { timeout: 10_000 }).toBe(1);
    // The code is gone from the address bar and from the history entry it came in (replaced, not
    // pushed: about:blank, then the pane); the tab holds a token of its own, not the code.
    const code = loginLink.split('#login=')[1]!;
    expect(page.url()).toBe(`${url}/#/`);
    expect(await page.evaluate('history.length')).toBe(2);
    const kept = (await page.evaluate("sessionStorage.getItem('pillars.token')")) as string;
    expect(kept).toMatch(/^pil_[0-9a-f]{16}_/);
    expect(kept).not.toContain(code);
    await page.goBack();
    await page.goForward();
    expect(page.url()).toBe(`${url}/#/`);
    await expect.poll(() => pillars.getByText('flux', { exact: true }).count(), { timeout: 15_000 }).toBe(1);
    // the same link again, in another browser: refused with what to do
    const other = await browser.newContext();
    try {
      const p = await other.newPage();
      await gotoSteady(p, loginLink);
      await expect.poll(() => p.getByRole('alert').textContent(), { timeout: 10_000 }).toContain('already used or has expired');
      expect(p.url()).toBe(`${url}/#/`);
      expect(await p.getByLabel('Token').count()).toBe(1);
    } finally {
      await other.close();
    }
  });

  test('Run now on the Flux backup opens the run, followed live to succeeded without a reload', async () => {
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    const row = page.getByRole('row', { name: /^flux-backup/ });
    // The demo's first backup (queued at start) must be over before we start ours.
    await expect.poll(() => row.getByRole('button', { name: 'Run now' }).isEnabled(), { timeout: 60_000 }).toBe(true);
    await page.evaluate('window.__noReload = 1');
    await recordBadges(page);
    const jobsUrl = page.url();
    await row.getByRole('button', { name: 'Run now' }).click();
    await expect.poll(() => page.url(), { timeout: 15_000 }).not.toBe(jobsUrl);
    expect(page.url()).toMatch(/#\/runs\/r[0-9a-z]+$/);
    await expect.poll(() => page.locator('.run-head .badge').textContent(), { timeout: 60_000 }).toBe('succeeded');
    const badges = await seen(page);
    expect(badges.some((b) => b === 'queued' || b === 'running')).toBe(true);
    expect(await page.evaluate('window.__noReload')).toBe(1);
    // Its page shows the summary of the snapshot it made…
    await expect.poll(() => page.getByRole('region', { name: 'Summary' }).textContent(), { timeout: 10_000 }).toMatch(/Snapshot[0-9a-f]{8}/);
    // …and its log, read from the server after the run ended.
    await expect.poll(() => page.getByRole('log', { name: 'Run log' }).locator('.line').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await page.getByRole('region', { name: 'Log' }).count()).toBe(1);
  });

  test('a blocked sync shows what it would delete, is approved from the pane and succeeds', async () => {
    // The space-offsite run that follows our backup (after: [flux-backup]) must be over before the
    // scenario moves data; asked of the API so a not-yet-queued follower can't slip through.
    const last = async (job: string) => {
      const r = await fetch(`${url}/api/v1/runs?job=${job}&limit=1`, { headers: { authorization: `Bearer ${token}` } });
      return ((await r.json()) as RunsPage).runs[0];
    };
    await expect
      .poll(
        async () => {
          // both read fresh each time: the backup may still be queued behind the demo's first sync
          const backup = await last('flux-backup');
          const s = await last('space-offsite');
          // the sync that ran after our backup ended (a follower queued earlier is reused by the
          // engine rather than queued twice, so its queuedAt is no bound)
          return !!backup?.finishedAt && TERMINAL_STATUSES.includes(backup.status) && !!s?.startedAt && s.startedAt >= backup.finishedAt && TERMINAL_STATUSES.includes(s.status);
        },
        { timeout: 90_000 },
      )
      .toBe(true);
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    const row = page.getByRole('row', { name: /^space-offsite/ });
    await expect.poll(() => row.getByRole('button', { name: 'Run now' }).isEnabled(), { timeout: 60_000 }).toBe(true);
    const scenario = await runPillarsd(['demo', '--dir', dir, '--scenario', 'blocked-sync'], { cwd: path.dirname(dir) });
    expect(scenario.code, scenario.stderr).toBe(0);
    await row.getByRole('button', { name: 'Run now' }).click();
    await expect.poll(() => page.locator('.run-head .badge').textContent(), { timeout: 60_000 }).toBe('blocked');
    // A blocked run is not running: its clock stops and its log is not live.
    expect(await page.locator('dl.times').textContent()).toContain('stopped: waiting for a decision');
    expect(await page.getByRole('region', { name: 'Log' }).count()).toBe(1);
    const block = page.getByRole('region', { name: /Blocked/ });
    await expect.poll(() => block.textContent(), { timeout: 10_000 }).toMatch(/Approving lets this run change exactly [\d,]+ files/);
    expect(
      await block
        .getByRole('table', { name: /^Deletions, files/ })
        .locator('tbody tr')
        .count(),
    ).toBeGreaterThan(0);
    // the confirmation restates the count, typed back for a set this large (test/renderer/approval.test.ts has the rest)
    await block.getByRole('button', { name: 'Approve…' }).click();
    const confirm = block.getByRole('group', { name: 'Confirm the approval' });
    const n = /Approve exactly ([\d,]+) files/.exec((await confirm.textContent()) ?? '')?.[1];
    expect(n).toBeDefined();
    await confirm.getByLabel(/^Type the number of files/).fill(n!);
    await confirm.getByRole('button', { name: `Approve ${n} files` }).click();
    await expect.poll(() => page.locator('.run-head .badge').textContent(), { timeout: 60_000 }).toBe('succeeded');
    expect(await page.locator('dd.approved').textContent()).toMatch(/\S/);
    // The audit trail names both actions taken from the pane.
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    const audit = page.getByRole('region', { name: 'Recent actions' });
    await expect.poll(() => audit.textContent(), { timeout: 10_000 }).toContain('run.approve');
    expect(await audit.textContent()).toContain('job.run');
  }, 240_000);

  test('the run history lists every run pillarsd has, paged as pillarsd pages it', async () => {
    const all = async () => {
      const r = await fetch(`${url}/api/v1/runs?limit=500`, { headers: { authorization: `Bearer ${token}` } });
      expect(r.status).toBe(200);
      return ((await r.json()) as RunsPage).runs.length;
    };
    await page.getByRole('link', { name: 'Runs', exact: true }).click();
    const count = page.locator('.filters [aria-live]');
    await expect.poll(async () => (await count.textContent()) === `${(await all()).toLocaleString('en')} runs`, { timeout: 15_000 }).toBe(true);
    expect(await page.locator('.runs-table tbody tr:not(.spacer)').count()).toBeGreaterThan(0);
    expect(await page.locator('.history-error').count()).toBe(0);
  });

  test("a schedule edited in the pane is saved into the demo's pillarsd.yaml and shown with its next run", async () => {
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await page
      .getByRole('row', { name: /^flux-verify/ })
      .getByRole('button', { name: 'Edit schedule' })
      .click();
    const form = page.getByRole('form', { name: 'Schedule of flux-verify' });
    await form.getByRole('textbox').fill('45 5 * * 6');
    await expect.poll(() => page.locator('ol.next-runs li').count()).toBe(5);
    await page.getByRole('button', { name: 'Save schedule' }).click();
    await expect.poll(() => form.locator('.ok').textContent(), { timeout: 10_000 }).toBe('Saved.');
    const yaml = readFileSync(path.join(dir, 'pillarsd.yaml'), 'utf8');
    expect(yaml).toMatch(/flux-verify:[\s\S]*?schedule: "?45 5 \* \* 6"?/);
    const job = (await (await fetch(`${url}/api/v1/jobs/flux-verify`, { headers: { authorization: `Bearer ${token}` } })).json()) as { schedule: string; nextRunAt: string };
    expect(job.schedule).toBe('45 5 * * 6');
    expect(Date.parse(job.nextRunAt) - Date.now()).toBeLessThanOrEqual(8 * 86_400_000);
    await expect
      .poll(() =>
        page
          .getByRole('row', { name: /^flux-verify/ })
          .locator('code')
          .textContent(),
      )
      .toBe('45 5 * * 6');
  });

  test('a Samba change shows its diff and applies; a bad value shows its message and applies nothing', async () => {
    // The demo owns a whole smb.conf in its sandbox; no smbd runs for it, so an apply is validated
    // (our checks, then testparm), written, and the pane says that smbd did not reload (a 502
    // problem from the API, never a silent success).
    const live = path.join(dir, 'samba', 'smb.conf');
    expect(existsSync(live)).toBe(false);
    await page.getByRole('link', { name: 'Samba', exact: true }).click();
    await expect.poll(() => page.locator('pre.diff').textContent(), { timeout: 10_000 }).toContain('+[flux]');
    // A bad value: the Time pillar's folder vanishes, so its share path is not an existing folder.
    renameSync(path.join(dir, 'time'), path.join(dir, 'time.moved'));
    try {
      await page.getByRole('button', { name: 'Refresh' }).click();
      await expect.poll(() => page.getByRole('alert', { name: 'Validation messages' }).textContent(), { timeout: 10_000 }).toContain('pillars.time.path');
      expect(await page.getByRole('button', { name: 'Apply' }).isDisabled()).toBe(true);
      expect(existsSync(live)).toBe(false);
    } finally {
      renameSync(path.join(dir, 'time.moved'), path.join(dir, 'time'));
    }
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Apply' }).isEnabled(), { timeout: 10_000 }).toBe(true);
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => existsSync(live), { timeout: 15_000 }).toBe(true);
    await expect.poll(() => page.locator('.no-diff').count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => page.getByRole('alert').filter({ hasText: 'smbd did not reload' }).count(), { timeout: 10_000 }).toBe(1);
    expect(await page.getByRole('status').filter({ hasText: 'Applied' }).count()).toBe(0);
    expect(readFileSync(live, 'utf8')).toContain('fruit:time machine = yes');
    problems.splice(0, problems.length, ...problems.filter((p) => !/\b(409|502|503)\b/.test(p)));
    expect(problems).toEqual([]);
  });
});
