// Recovery from the cloud in the pane (issue 16), in real Chromium against the real pillarsd and real
// rclone 1.60 / restic 0.14. B2 cannot run here: the demo's `cloud` remote (type: local, a folder)
// stands in for it, filled by the demo's own offsite jobs. The Recover page shows the plan listed
// from the remote (each folder, its files and size, the disk's state) and refuses a Space that holds
// data; after the disk is lost (Space emptied but for its sentinel, a half-done recovery's marker and
// one folder) the pillar shows the recovery in progress (Recover page and Overview), the plan says
// it goes on with it, the confirmation restates it, a plan that changed since it was shown starts
// nothing (pillarsd refuses the confirmed plan's digest, naming what changed), and the confirmed one
// runs: the run page opens, the recovery is verified, Space holds what the cloud holds and the state
// clears. A viewer on a phone sees the state and the recovery
// run, with no plan or start of their own; nothing scrolls sideways.
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { Browser } from 'playwright-core';
import { cpSync, existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RecoverSummary, StatusResponse } from '../../server/src/contract/api';
import { useCleanup } from '../support/tmp';
import { hashTree } from '../support/trees';
import { gotoSteady, launchChromium, openSignedIn, paneBuild } from './browser';
import { startPaneServer, waitUntil, type PaneServer } from './pillarsd';

vi.setConfig({ expect: { poll: { timeout: 30_000 } } });

/** Files under `dir` (what rclone size counts), leaving out the folders below it named in `skip`. */
function countFiles(dir: string, skip: string[] = []): number {
  let n = 0;
  const walk = (abs: string, rel: string) => {
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (skip.includes(r)) continue;
      if (e.isDirectory()) walk(path.join(abs, e.name), r);
      else n++;
    }
  };
  walk(dir, '');
  return n;
}

const STARTED = '2026-12-05T01:00:00.000Z';

describe('recovery from the cloud in the pane', () => {
  const cleanup = useCleanup();
  let browser: Browser;
  let server: PaneServer;
  let cloudSpace: string;
  const consoles: string[][] = [];

  const open = (token: string, width = 1280, height = 900) => openSignedIn(browser, token, consoles, { width, height });

  const idle = () => server.served.rt.runs.list({ limit: 20 }).runs.every((r) => r.status !== 'queued' && r.status !== 'running');

  beforeAll(async () => {
    const dir = cleanup.tempDir('pillars-recover-');
    server = cleanup.track(await startPaneServer({ dir: dir.path, paneDir: await paneBuild() }));
    cloudSpace = path.join(server.layout.cloud, 'space');
    // a backup of Flux into Space, and Space offsite with its repository (the demo's jobs)
    const engine = server.served.rt.engine;
    for (const job of ['flux-backup', 'space-offsite', 'repo-offsite']) {
      await waitUntil(idle, 'no run is queued or running', 180_000);
      const r = engine.enqueue(job, 'manual')!;
      expect((await engine.waitFor(r.id)).status, await engine.readLog(r.id)).toBe('succeeded');
    }
    await waitUntil(idle, 'no run is queued or running', 180_000);
    // the demo's media seed (rclone-copy, disabled there) as if it had run: the cloud holds its copy
    cpSync(path.join(server.layout.space, 'media'), path.join(server.layout.cloud, 'media-seed'), { recursive: true, preserveTimestamps: true });
    expect(existsSync(path.join(cloudSpace, 'backups/restic/flux/config'))).toBe(true);
    browser = await launchChromium(path.join(dir.path, 'home'));
    cleanup.add(() => browser.close());
  }, 400_000);

  afterAll(() => expect(consoles.flat()).toEqual([]));

  test('plan, refusal of a Space with data, the recovery in progress, a changed plan starts nothing, the confirmed one runs and is verified', async () => {
    const { page } = await open(server.token);
    const engine = server.served.rt.engine;
    const space = server.layout.space;
    await gotoSteady(page, `${server.url}/#/recover`);
    const pillar = page.getByRole('region', { name: 'Pillar space' });
    const from = pillar.getByRole('group', { name: 'Recover space from cloud' });
    expect(await pillar.textContent()).toContain('no recovery in progress');
    // Flux and Time have no offsite job: nothing to recover them from
    expect(await page.getByRole('region', { name: 'Pillar flux' }).textContent()).toContain('there is nothing to recover it from');

    // Space still holds its data: the plan is shown, and refused
    await from.getByRole('button', { name: 'Show the plan' }).click();
    await from
      .getByRole('alert')
      .filter({ hasText: /^Refused: pillar space .* is not empty/ })
      .waitFor();
    expect(await from.getByRole('button', { name: 'Recover…' }).isDisabled()).toBe(true);

    // the disk is lost: a new Space with its sentinel, where a recovery from the cloud started and stopped
    for (const e of readdirSync(space)) if (e !== '.pillar') rmSync(path.join(space, e), { recursive: true, force: true });
    writeFileSync(path.join(space, '.pillars-recover'), `${JSON.stringify({ remote: 'cloud', startedAt: STARTED })}\n`);
    cpSync(path.join(cloudSpace, 'projects'), path.join(space, 'projects'), { recursive: true, preserveTimestamps: true });

    // the Overview shows it on the pillar, as an alert (from the status's recovery field, not a
    // warning string) and on its verdict line, each linking to the Recover page
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    const onPillar = page.getByRole('region', { name: 'Pillars' }).getByRole('link', { name: 'being recovered from cloud' });
    await onPillar.waitFor();
    expect(await onPillar.getAttribute('href')).toBe('#/recover');
    const alert = page
      .getByRole('region', { name: 'Alerts' })
      .getByRole('link', { name: /^space is being recovered from cloud Started .*: backups and syncs reading space are blocked until the recovery has been verified\.$/ });
    await alert.waitFor();
    expect(await alert.getAttribute('href')).toBe('#/recover');
    const st = (await (await fetch(`${server.url}/api/v1/status`, { headers: { authorization: `Bearer ${server.token}` } })).json()) as StatusResponse;
    expect(st.pillars.find((p) => p.id === 'space')).toMatchObject({ recovery: { remote: 'cloud', startedAt: STARTED }, warnings: [] });
    expect(st.warnings.filter((w) => /recover/.test(w))).toEqual([]);
    await expect.poll(() => page.locator('.verdict').textContent()).toMatch(/needs? you: .*space is being recovered from cloud/);
    expect(await page.locator('.verdict').getByRole('link', { name: 'space is being recovered from cloud' }).getAttribute('href')).toBe('#/recover');
    await alert.click();
    await expect.poll(() => page.url()).toMatch(/#\/recover$/);
    await expect.poll(() => pillar.getByRole('status').textContent()).toMatch(/^Recovery in progress from cloud, started .*: backups and syncs reading space are blocked until it has been verified\.$/);

    // the plan: each folder as the remote holds it, the disk's state, going on with the recovery
    await from.getByRole('button', { name: 'Show the plan' }).click();
    const rows = from.locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(3);
    const repoFiles = countFiles(path.join(cloudSpace, 'backups/restic/flux'));
    const mediaFiles = countFiles(path.join(server.layout.cloud, 'media-seed'));
    // what the space-offsite pair copies back: not the repository (its own pair), the sentinel or the marker
    const spaceFiles = countFiles(cloudSpace, ['backups/restic', '.pillar', '.pillars-recover']);
    const cell = (row: number, label: string) => rows.nth(row).locator(`[data-label="${label}"]`).textContent();
    expect(await rows.nth(0).getByRole('rowheader').textContent()).toBe(`cloud:${cloudSpace}/backups/restic/flux`);
    expect(await cell(0, 'Into')).toBe('space:/backups/restic/flux');
    expect(await cell(0, 'Files')).toBe(repoFiles.toLocaleString('en'));
    expect(await cell(0, 'Checked after')).toBe('restic check of space:/backups/restic/flux');
    expect(await rows.nth(1).getByRole('rowheader').textContent()).toBe(`cloud:${server.layout.cloud}/media-seed`);
    expect(await cell(1, 'Into')).toBe('space:/media');
    expect(await cell(1, 'Files')).toBe(mediaFiles.toLocaleString('en'));
    expect(await rows.nth(2).getByRole('rowheader').textContent()).toBe(`cloud:${cloudSpace}`);
    expect(await cell(2, 'Into')).toBe('space:/');
    expect(await cell(2, 'Files')).toBe(spaceFiles.toLocaleString('en'));
    const total = repoFiles + mediaFiles + spaceFiles;
    expect(await from.locator('caption').textContent()).toMatch(new RegExp(`^What would be copied back: ${total.toLocaleString('en')} files, `));
    expect(await from.locator('.pillar-state').textContent()).toMatch(/sentinel space, holds data; a recovery from cloud started .* and did not finish: this one goes on with it\.$/);

    // the confirmation restates it
    await from.getByRole('button', { name: 'Recover…' }).click();
    const confirm = from.getByRole('region', { name: 'Confirm the recovery of space from cloud' });
    expect(await confirm.textContent()).toContain(`Copy ${total.toLocaleString('en')} files (`);
    expect(await confirm.textContent()).toContain(`from cloud into pillar space at ${space}:`);
    expect(await confirm.textContent()).toContain('It goes on with the recovery from cloud started');
    expect(
      await confirm
        .getByRole('listitem')
        .filter({ hasText: `cloud:${cloudSpace} → space:/ (${spaceFiles.toLocaleString('en')} files` })
        .count(),
    ).toBe(1);

    // the cloud changes after the plan was shown: nothing starts, the new plan is shown instead
    writeFileSync(path.join(cloudSpace, 'photos/added after the plan.jpg'), 'new\n');
    await confirm.getByRole('button', { name: 'Start the recovery' }).click();
    // pillarsd lists the plan again, refuses the digest confirmed and names what changed
    const changed = from.getByRole('alert').filter({ hasText: 'changed since it was shown' });
    await changed.waitFor();
    expect(await changed.textContent()).toMatch(
      new RegExp(
        `^Conflict: the plan to recover pillar space from cloud changed since it was shown: cloud:${cloudSpace} now holds ${(spaceFiles + 1).toLocaleString('en')} files, .*, not ${spaceFiles.toLocaleString('en')} files, .*\\. Nothing was started or written`,
      ),
    );
    // Chromium logs the 409 it was answered as a console error: that one is expected, and only it
    const logged = consoles.at(-1)!;
    await expect.poll(() => logged.filter((m) => m.includes('status of 409')).length).toBe(1);
    logged.splice(
      logged.findIndex((m) => m.includes('status of 409')),
      1,
    );
    expect(server.served.rt.runs.list({ job: 'recover:space', limit: 5 }).runs).toEqual([]);
    expect(await cell(2, 'Files')).toBe((spaceFiles + 1).toLocaleString('en'));

    // confirmed again, on the plan as it is now: the run page follows it to its end
    await from.getByRole('button', { name: 'Recover…' }).click();
    expect(await confirm.textContent()).toContain(`Copy ${(total + 1).toLocaleString('en')} files (`);
    await confirm.getByRole('button', { name: 'Start the recovery' }).click();
    await expect.poll(() => page.url()).toMatch(/#\/runs\/[^/]+$/);
    const runId = decodeURIComponent(page.url().split('#/runs/')[1]!);
    const done = await engine.waitFor(runId);
    expect(done.jobId).toBe('recover:space');
    expect(done.status, `${done.error} ${await engine.readLog(runId)}`).toBe('succeeded');
    const s = done.summary as RecoverSummary;
    expect(s.verified).toBe(true);
    expect(s.repositories).toEqual([{ repository: 'space:/backups/restic/flux', checkOk: true }]);
    await expect.poll(() => page.getByRole('region', { name: 'Summary' }).textContent()).toContain('Verifiedyes: counts and sizes match the remote and every repository passed restic check');

    // Space holds what the cloud holds; the marker is gone and so is the state
    for (const d of ['photos', 'media', 'datasets', 'projects']) expect(await hashTree(path.join(space, d)), d).toEqual(await hashTree(path.join(cloudSpace, d)));
    expect(existsSync(path.join(space, '.pillars-recover'))).toBe(false);
    expect(statSync(path.join(space, 'backups/restic/flux/config')).isFile()).toBe(true);
    await page.getByRole('link', { name: 'Recover', exact: true }).click();
    await expect.poll(() => pillar.textContent()).toContain('no recovery in progress');
    expect(await pillar.getByRole('list', { name: 'Recoveries of space' }).textContent()).toContain('succeeded');
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    await page.getByRole('region', { name: 'Pillars' }).getByText('space', { exact: true }).waitFor();
    expect(
      await page
        .getByRole('region', { name: 'Pillars' })
        .getByRole('link', { name: /being recovered/ })
        .count(),
    ).toBe(0);
    expect(await page.getByRole('link', { name: /is being recovered/ }).count()).toBe(0);
  }, 400_000);

  test('a viewer on a phone sees the state and the recovery run, with no plan or start; nothing scrolls sideways', async () => {
    const { page } = await open(server.viewerToken, 390, 844);
    await gotoSteady(page, `${server.url}/#/recover`);
    const pillar = page.getByRole('region', { name: 'Pillar space' });
    await expect.poll(() => pillar.getByRole('list', { name: 'Recoveries of space' }).textContent()).toContain('succeeded');
    const show = pillar.getByRole('button', { name: 'Show the plan' });
    expect(await show.isDisabled()).toBe(true);
    expect(await show.getAttribute('title')).toMatch(/viewer token/);
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
  }, 120_000);
});
