// Restore drills in the pane (issue 16), in real Chromium against the real pillarsd and restic 0.14
// (the demo's Flux backup): the drill card on the Snapshots page starts a drill with Run now (the
// run page opens and the drill passes over a healthy repository: the card says what it checked,
// with the snapshot restic lists), then a pack file of the repository is damaged and the next drill
// fails: the card names the file it could not restore and says its data lies in a damaged pack,
// linked to that run, and the Overview's verdict line counts the failed drill. A viewer sees the
// card with Run now disabled, and at 390 px nothing scrolls sideways.
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { Browser } from 'playwright-core';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { DrillSummary } from '../../server/src/contract/api';
import { useCleanup } from '../support/tmp';
import { runOk } from '../support/proc';
import { gotoSteady, launchChromium, openSignedIn, paneBuild } from './browser';
import { startPaneServer, waitUntil, type PaneServer } from './pillarsd';

vi.setConfig({ expect: { poll: { timeout: 30_000 } } });

// the scratch on Time: no offsite job uploads it (a drill refuses a scratch an offsite copy would upload)
const DRILL = `  flux-drill:
    type: restic-drill
    repository: space:/backups/restic/flux
    password: restic
    sample: 1000
    readDataSubset: 100%
    scratch: time:/drills
    schedule: "0 6 * * 1"
    retries: { count: 0 }
`;

describe('restore drills in the pane', () => {
  const cleanup = useCleanup();
  let browser: Browser;
  let server: PaneServer;
  let big: string;
  const consoles: string[][] = [];

  const open = (token: string, width = 1280, height = 900) => openSignedIn(browser, token, consoles, { width, height });

  /** The id of the latest snapshot as restic itself lists it. */
  async function latestSnapshot(): Promise<string> {
    const repo = path.join(server.layout.space, 'backups/restic/flux');
    const r = await runOk('restic', ['-r', repo, '--password-file', server.layout.passwordFile, '--no-lock', 'snapshots', '--json']);
    return (JSON.parse(r.stdout) as Array<{ id: string }>).at(-1)!.id;
  }

  beforeAll(async () => {
    const dir = cleanup.tempDir('pillars-drills-');
    server = cleanup.track(await startPaneServer({ dir: dir.path, paneDir: await paneBuild(), config: (t) => t.replace('  media-seed:\n', `${DRILL}  media-seed:\n`) }));
    // a file big enough to get a pack of its own, whose damage the drill must name
    big = path.join(server.layout.flux, 'media/big.bin');
    await runOk('mkdir', ['-p', path.dirname(big)]);
    writeFileSync(big, randomBytes(1536 * 1024));
    const engine = server.served.rt.engine;
    const b = engine.enqueue('flux-backup', 'manual')!;
    expect((await engine.waitFor(b.id)).status, await engine.readLog(b.id)).toBe('succeeded');
    // the offsite syncs queued after the backup end first (they hold Space)
    await waitUntil(() => server.served.rt.runs.list({ limit: 20 }).runs.every((r) => r.status !== 'queued' && r.status !== 'running'), 'the runs after the backup ended', 180_000);
    browser = await launchChromium(path.join(dir.path, 'home'));
    cleanup.add(() => browser.close());
  }, 300_000);

  afterAll(() => expect(consoles.flat()).toEqual([]));

  test('Run now starts a drill that passes; a damaged pack fails the next one, named on the card and on the Overview', async () => {
    const { page } = await open(server.token);
    const engine = server.served.rt.engine;
    await gotoSteady(page, `${server.url}/#/snapshots`);
    const card = page.getByRole('region', { name: 'Restore drill flux-drill' });
    await expect.poll(() => card.locator('.drill-verdict').textContent()).toMatch(/^No drill has run yet\./);

    // Run now: the run page opens and follows the drill to its end
    await card.getByRole('button', { name: 'Run now: the drill flux-drill' }).click();
    await expect.poll(() => page.url()).toMatch(/#\/runs\/[^/]+$/);
    const runId = decodeURIComponent(page.url().split('#/runs/')[1]!);
    expect(engine.getRun(runId)?.jobId).toBe('flux-drill');
    const done = await engine.waitFor(runId);
    expect(done.status, done.error ?? '').toBe('succeeded');
    const s = done.summary as DrillSummary;
    await expect.poll(() => page.getByRole('region', { name: 'Summary' }).textContent()).toContain(`${s.sampled} / ${s.restored} / ${s.compared}`);

    // the card: passed, what it checked, the snapshot restic lists as the latest
    await page.getByRole('link', { name: 'Snapshots', exact: true }).click();
    await expect.poll(() => card.locator('.drill-verdict').textContent()).toMatch(/^Last drill passed /);
    expect(await card.locator('.drill-verdict').getByRole('link', { name: 'its run' }).getAttribute('href')).toBe(`#/runs/${encodeURIComponent(runId)}`);
    const snap = await latestSnapshot();
    expect(s.snapshotId).toBe(snap);
    expect(await card.getByRole('link', { name: snap.slice(0, 8) }).getAttribute('href')).toBe(`#/snapshots/flux-drill/${snap}`);
    expect(s.sampled).toBeGreaterThan(5);
    expect(s.compared).toBe(s.sampled);
    await expect.poll(() => card.textContent()).toContain(`${s.sampled} files picked at random from the snapshot, ${s.restored} restored, ${s.compared} compared byte for byte with their source`);
    expect(await card.textContent()).toContain('restic check read 100% of the pack data: no damage found');
    expect(await card.getByRole('group', { name: 'What failed' }).count()).toBe(0);

    // damage the largest pack (the big file's data): 64 bytes in its middle
    const dataDir = path.join(server.layout.space, 'backups/restic/flux/data');
    const packs = readdirSync(dataDir).flatMap((d) => readdirSync(path.join(dataDir, d)).map((p) => path.join(dataDir, d, p)));
    const largest = packs.sort((x, y) => statSync(y).size - statSync(x).size)[0]!;
    const buf = readFileSync(largest);
    for (let i = 0; i < 64; i++) buf[Math.floor(buf.length / 3) + i] ^= 0x5a;
    writeFileSync(largest, buf);
    const bad = await engine.waitFor(engine.enqueue('flux-drill', 'manual')!.id);
    expect(bad.status).toBe('failed');
    expect((bad.summary as DrillSummary).unreadable).toEqual([big]);

    // the card follows (the run's end arrives over the event stream): failed, the lost file named
    await expect.poll(() => card.locator('.drill-verdict').textContent()).toMatch(/^Last drill failed /);
    expect(await card.locator('.drill-verdict').getByRole('link', { name: 'its run' }).getAttribute('href')).toBe(`#/runs/${encodeURIComponent(bad.id)}`);
    const failed = card.getByRole('group', { name: 'What failed' });
    const lost = failed.getByRole('listitem').filter({ hasText: 'Could not be restored: the data of this file lies in a damaged pack of the repository' });
    expect(await lost.locator('code').allTextContents()).toEqual([big]);
    expect(await card.textContent()).toContain('restic check read 100% of the pack data: damage found');

    // the Overview's verdict line counts it, linked to the run
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    const verdict = page.locator('.verdict');
    await expect.poll(() => verdict.textContent()).toMatch(/needs? you: .*flux-drill failed/);
    expect(await verdict.getByRole('link', { name: 'flux-drill failed' }).getAttribute('href')).toBe(`#/runs/${encodeURIComponent(bad.id)}`);
  }, 300_000);

  test('a viewer on a phone sees the verdict and what failed, with Run now disabled; nothing scrolls sideways', async () => {
    const { page } = await open(server.viewerToken, 390, 844);
    await gotoSteady(page, `${server.url}/#/snapshots`);
    const card = page.getByRole('region', { name: 'Restore drill flux-drill' });
    await expect.poll(() => card.locator('.drill-verdict').textContent()).toMatch(/^Last drill failed /);
    await card.getByRole('group', { name: 'What failed' }).getByText(big).waitFor();
    const run = card.getByRole('button', { name: 'Run now: the drill flux-drill' });
    expect(await run.isDisabled()).toBe(true);
    expect(await run.getAttribute('title')).toMatch(/viewer token/);
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
  }, 120_000);
});
