// The approval of a blocked sync in the pane: the whole set the run was blocked with, paged with
// sizes and per-folder totals as pillarsd lists it; Approve asks for a confirmation that restates
// the count and the digest and, for a large set, the count typed back; what is posted is exactly
// the set shown, and the approved run changes exactly that. Real Chromium, the real pillarsd (the
// demo sandbox in this process), real rclone.
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChangeSetPage } from '../../server/src/contract/api';
import { formatBytes } from '../../src/shared/format';
import { useCleanup } from '../support/tmp';
import { gotoSteady, launchChromium, paneBuild, watchConsole } from './browser';
import { blockedSync, startPaneServer, type PaneServer } from './pillarsd';

vi.setConfig({ expect: { poll: { timeout: 10_000 } } });

const STRAY = 250;

describe('approving a blocked sync in the pane', () => {
  const cleanup = useCleanup();
  let browser: Browser;
  let server: PaneServer;
  let page: Page;
  let problems: string[];
  let run: string;
  let cloud: string;
  let overwritten: string[];

  const api = async <T>(p: string): Promise<T> => {
    const r = await fetch(`${server.url}${p}`, { headers: { authorization: `Bearer ${server.token}` } });
    expect(r.status, p).toBe(200);
    return (await r.json()) as T;
  };

  beforeAll(async () => {
    const dir = cleanup.tempDir('pillars-approval-');
    server = cleanup.track(await startPaneServer({ dir: dir.path, paneDir: await paneBuild() }));
    // The cloud copy holds files Space never had (deletions, more than a page of them) and three
    // files in another version than Space's (overwrites), besides what the scenario moves away.
    cloud = path.join(server.layout.cloud, 'space');
    const stray = path.join(cloud, 'photos', 'old-phone');
    mkdirSync(stray, { recursive: true });
    for (let i = 0; i < STRAY; i++) writeFileSync(path.join(stray, `IMG_${String(i).padStart(4, '0')}.jpg`), Buffer.alloc(1000 + i, i % 251));
    // (the scenario moves photos only: 30 % of photos, music and datasets is fewer than the photos)
    overwritten = [17, 18, 19].map((i) => `datasets/weather/station-${i}.csv`);
    for (const f of overwritten) appendFileSync(path.join(cloud, f), "an older version, longer than Space's\n");
    run = await blockedSync(server);
    browser = await launchChromium(path.join(dir.path, 'home'));
    cleanup.add(() => browser.close());
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await ctx.addInitScript(`sessionStorage.setItem('pillars.token', ${JSON.stringify(server.token)})`);
    page = await ctx.newPage();
    problems = watchConsole(page);
  }, 180_000);

  afterAll(() => expect(problems).toEqual([]));

  test('the whole set is shown paged with sizes and per-folder totals; the approval names exactly what was shown and the run changes exactly that', async () => {
    const blocked = server.served.rt.engine.getRun(run)!;
    const approval = blocked.block!.approval!;
    const dels = await api<ChangeSetPage>(`/api/v1/runs/${run}/deletions?limit=1000`);
    const over = await api<ChangeSetPage>(`/api/v1/runs/${run}/overwrites?limit=1000`);
    expect(dels.files).toBeGreaterThan(STRAY);
    expect(over.entries.map((e) => e.path).sort()).toEqual(overwritten.sort());
    const total = dels.files + over.files;
    expect(approval.count).toBe(total);

    await gotoSteady(page, `${server.url}/#/runs/${run}`);
    const block = page.getByRole('region', { name: /Blocked/ });
    await expect.poll(() => block.getByText(/^Approving lets this run change exactly/).textContent()).toContain(`${total.toLocaleString('en')} files`);
    expect(await block.locator('code.digest').textContent()).toBe(approval.digest);
    // totals, one rounding: the same formatter as every other size in the pane
    expect(await block.getByRole('heading', { name: /^Deletions:/ }).textContent()).toBe(`Deletions: ${dels.files.toLocaleString('en')} files, ${formatBytes(dels.bytes)}`);
    expect(await block.getByRole('heading', { name: /^Overwrites:/ }).textContent()).toBe(`Overwrites: 3 files, ${formatBytes(over.bytes)}`);
    // per-folder totals, largest first
    const largest = [...dels.folders].sort((a, b) => b.bytes - a.bytes)[0]!;
    const byFolder = block.getByRole('table', { name: 'Deletions by folder' });
    expect(await byFolder.locator('tbody tr').first().textContent()).toBe(`${largest.folder}${largest.files.toLocaleString('en')}${formatBytes(largest.bytes)}`);
    // the list, page by page in path order, as pillarsd lists it
    const list = block.getByRole('table', { name: /^Deletions, files/ });
    expect(await list.locator('tbody tr').count()).toBe(100);
    expect(await list.locator('tbody tr').first().locator('code').textContent()).toBe(dels.entries[0]!.path);
    await block.getByRole('button', { name: 'Next 100' }).first().click();
    await expect.poll(() => list.locator('tbody tr').first().locator('code').textContent()).toBe(dels.entries[100]!.path);
    expect(await list.locator('tbody tr').nth(1).locator('td.num').textContent()).toBe(formatBytes(dels.entries[101]!.size));
    expect(await block.getByText(`101–200 of ${dels.files.toLocaleString('en')}`).count()).toBe(1);
    const overList = block.getByRole('table', { name: /^Overwrites, files/ });
    expect(await overList.locator('tbody tr').count()).toBe(3);

    // Approve asks first, restating the count and the digest; a large set needs the count typed back
    await block.getByRole('button', { name: 'Approve…' }).click();
    const confirm = block.getByRole('group', { name: 'Confirm the approval' });
    expect(await confirm.textContent()).toContain(`Approve exactly ${total.toLocaleString('en')} files (set ${approval.digest.slice(0, 12)})`);
    expect(await confirm.textContent()).toContain(`delete ${dels.files.toLocaleString('en')} files (${formatBytes(dels.bytes)}) and overwrite 3 files`);
    const go = confirm.getByRole('button', { name: `Approve ${total.toLocaleString('en')} files` });
    expect(await go.isDisabled()).toBe(true);
    await confirm.getByLabel(/^Type the number of files/).fill(String(total - 1));
    expect(await go.isDisabled()).toBe(true);
    await confirm.getByLabel(/^Type the number of files/).fill(total.toLocaleString('en'));
    expect(await go.isEnabled()).toBe(true);
    const posted = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith(`/api/v1/runs/${run}/approve`));
    await go.click();
    expect((await posted).postDataJSON()).toEqual({ count: approval.count, digest: approval.digest });
    await expect.poll(() => page.locator('.run-head .badge').textContent(), { timeout: 120_000 }).toMatch(/^succeeded/);

    // the approved run changed exactly the set: the stray files are gone, the overwritten ones are Space's again
    expect(existsSync(path.join(cloud, 'photos', 'old-phone', 'IMG_0000.jpg'))).toBe(false);
    for (const f of overwritten) expect(readFileSync(path.join(cloud, f))).toEqual(readFileSync(path.join(server.layout.space, f)));
    const done = server.served.rt.engine.getRun(run)!;
    expect(done.summary?.kind === 'rclone-sync' && done.summary.filesDeleted).toBe(STRAY);
  }, 240_000);
});
