// Acceptance: retention and excludes changed in the pane go into pillarsd.yaml (comments kept) and
// the next runs use them; a wrong value is shown next to its field and nothing is written. Real
// Chromium, the real pillarsd (the demo sandbox in this process), real restic runs.
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../server/src/config/load';
import { useCleanup } from '../support/tmp';
import { gotoSteady, launchChromium, paneBuild, recordRequests, watchConsole } from './browser';
import { startPaneServer, type PaneServer } from './pillarsd';

vi.setConfig({ expect: { poll: { timeout: 10_000 } } });

describe('job settings in the pane', () => {
  const cleanup = useCleanup();
  let browser: Browser;
  let server: PaneServer;
  let page: Page;
  let problems: string[];
  let requests: string[];

  beforeAll(async () => {
    const dir = cleanup.tempDir('pillars-settings-');
    server = cleanup.track(await startPaneServer({ dir: dir.path, paneDir: await paneBuild() }));
    browser = await launchChromium(path.join(dir.path, 'home'));
    cleanup.add(() => browser.close());
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await ctx.addInitScript(`sessionStorage.setItem('pillars.token', ${JSON.stringify(server.token)})`);
    page = await ctx.newPage();
    problems = watchConsole(page);
    requests = recordRequests(page);
  });

  afterAll(() => expect(problems.filter((p) => !p.includes('status of 400'))).toEqual([]));

  const open = async (job: string) => {
    await gotoSteady(page, `${server.url}/#/jobs`);
    await page
      .getByRole('row', { name: new RegExp(`^${job}`) })
      .getByRole('button', { name: 'Settings' })
      .click();
    const form = page.getByRole('form', { name: `Settings of ${job}` });
    await form.getByRole('button', { name: 'Save settings' }).waitFor();
    return form;
  };
  const yaml = () => readFileSync(server.layout.configFile, 'utf8');

  test('retention and excludes changed in the pane: pillarsd.yaml has them (comments kept) and the next runs use them', async () => {
    const comments = (t: string) => t.split('\n').filter((l) => l.trimStart().startsWith('#'));
    const commentsBefore = comments(yaml());
    expect(commentsBefore.length).toBeGreaterThan(2);
    const retention = await open('flux-retention');
    const keep = retention.getByRole('group', { name: 'Keep' });
    expect(await keep.getByLabel('Daily').inputValue()).toBe('7');
    await keep.getByLabel('Daily').fill('9');
    await keep.getByLabel('Last').fill('3');
    await expect.poll(() => retention.getByText('2 changes to save').count()).toBe(1);
    await retention.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => retention.getByRole('status').textContent()).toBe('Saved. The next run uses these settings.');
    expect(requests.filter((r) => r === 'PATCH /api/v1/jobs/flux-retention/settings')).toHaveLength(1);

    const backup = await open('flux-backup');
    const exclude = backup.getByLabel('Exclude (one per line)');
    expect(await exclude.inputValue()).toBe('**/node_modules\n**/.cache\n/scratch/');
    await exclude.fill('**/node_modules\n**/.cache\n/scratch/\nmodels/');
    await backup.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => backup.getByRole('status').textContent()).toBe('Saved. The next run uses these settings.');

    const text = yaml();
    expect(comments(text)).toEqual(commentsBefore);
    const c = parseConfig(text, server.layout.configFile);
    const [b, r] = [c.jobs['flux-backup']!, c.jobs['flux-retention']!];
    expect(b.type === 'restic-backup' && b.exclude).toEqual(['**/node_modules', '**/.cache', '/scratch/', 'models/']);
    expect(r.type === 'restic-forget' && r.keep).toEqual({ daily: 9, weekly: 4, monthly: 12, yearly: 3, last: 3 });
    expect(text).toMatch(/keep: \{ daily: 9, weekly: 4, monthly: 12, yearly: 3, last: 3 \}/);

    // the next runs: restic's argv is in each run's log
    const engine = server.served.rt.engine;
    for (const [job, argv] of [
      ['flux-backup', /\$ restic .*--exclude models\//],
      ['flux-retention', /\$ restic .*forget .*--keep-last 3 --keep-daily 9 --keep-weekly 4/],
    ] as const) {
      const run = engine.enqueue(job, 'manual')!;
      const done = await engine.waitFor(run.id);
      const log = await engine.readLog(run.id);
      expect(done.status, log).toBe('succeeded');
      expect(log).toMatch(argv);
    }
  }, 180_000);

  test('a wrong value is shown next to its field, named as in pillarsd.yaml, and nothing is written', async () => {
    const before = yaml();
    const form = await open('space-offsite');
    const guard = form.getByRole('group', { name: 'Guard' });
    await guard.getByLabel('Max delete percent').fill('250');
    await form.getByRole('button', { name: 'Save settings' }).click();
    const field = guard.getByLabel('Max delete percent');
    await expect.poll(() => field.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await field.getAttribute('aria-describedby'))!;
    expect(await page.locator(`[id="${describedBy.split(' ').at(-1)}"]`).textContent()).toMatch(/100/);
    expect(await form.getByRole('alert').textContent()).toContain('jobs.space-offsite.guard.maxDeletePercent');
    expect(yaml()).toBe(before);
    // the bandwidth timetable and a fixed guard save together
    await guard.getByLabel('Max delete percent').fill('2.5');
    await form.getByLabel('Bwlimit').fill('08:00,512k 23:00,off');
    await form.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => form.getByRole('status').textContent()).toBe('Saved. The next run uses these settings.');
    const off = parseConfig(yaml(), server.layout.configFile).jobs['space-offsite']!;
    expect(off.type === 'rclone-sync' && [off.guard.maxDeletePercent, off.bwlimit]).toEqual([2.5, '08:00,512k 23:00,off']);
  });
});
