// The Snapshots pages (issue 16) in real Chromium against the real pillarsd and a real restic 0.14
// repository (the demo's Flux backup): the list is the repository's own (a snapshot pruned by the
// retention job disappears), a folder is browsed one level at a time with breadcrumbs, a name is
// found, a file and a folder (tar) download equal to the source, a folder restores into the restore
// area as a run whose page opens and finishes, and back to its original place only after the owner
// chose what happens to existing files (skip: a changed file stays, a deleted one comes back).
// A viewer sees the list and the folders, with every restore and download disabled; at 390 px the
// page does not scroll sideways.
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { Browser } from 'playwright-core';
import { readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { useCleanup } from '../support/tmp';
import { runOk } from '../support/proc';
import { hashTree } from '../support/trees';
import { gotoSteady, launchChromium, openSignedIn, paneBuild } from './browser';
import { startPaneServer, type PaneServer } from './pillarsd';

vi.setConfig({ expect: { poll: { timeout: 30_000 } } });

const REPO_REGION = 'Repository space:/backups/restic/flux';

describe('snapshots, browse, restore and download in the pane', () => {
  const cleanup = useCleanup();
  let browser: Browser;
  let server: PaneServer;
  let tmp: string;
  const consoles: string[][] = [];

  /** The repository's snapshots as restic itself lists them (short ids, oldest first). */
  async function resticSnapshots(): Promise<string[]> {
    const repo = path.join(server.layout.space, 'backups/restic/flux');
    const r = await runOk('restic', ['-r', repo, '--password-file', server.layout.passwordFile, '--no-lock', 'snapshots', '--json']);
    return (JSON.parse(r.stdout) as Array<{ short_id: string }>).map((s) => s.short_id);
  }

  async function runJob(job: string): Promise<void> {
    const engine = server.served.rt.engine;
    const run = engine.enqueue(job, 'manual')!;
    const done = await engine.waitFor(run.id);
    expect(done.status, await engine.readLog(run.id)).toBe('succeeded');
  }

  const open = (token: string, width = 1280, height = 900) => openSignedIn(browser, token, consoles, { width, height, acceptDownloads: true });

  beforeAll(async () => {
    const dir = cleanup.tempDir('pillars-snapshots-');
    tmp = dir.path;
    server = cleanup.track(await startPaneServer({ dir: dir.path, paneDir: await paneBuild() }));
    // two snapshots of Flux on the same day: the retention job (keep daily) keeps only the newer
    await runJob('flux-backup');
    writeFileSync(path.join(server.layout.flux, 'notes/meeting notes 2026.txt'), 'notes, second version\n');
    await runJob('flux-backup');
    browser = await launchChromium(path.join(dir.path, 'home'));
    cleanup.add(() => browser.close());
  }, 240_000);

  afterAll(() => expect(consoles.flat()).toEqual([]));

  test('the list comes from the repository; browse, find, download, restore to the restore area and back with skip', async () => {
    const { page } = await open(server.token);
    const repo = page.getByRole('region', { name: REPO_REGION });
    const rows = repo.locator('tbody tr');
    await gotoSteady(page, `${server.url}/#/snapshots`);
    const two = await resticSnapshots();
    expect(two).toHaveLength(2);
    // newest first, each linked to its folder view
    await expect.poll(() => rows.count()).toBe(2);
    expect(await repo.locator('tbody th code').allTextContents()).toEqual([...two].reverse());

    // a forget with prune removes the older one: the page follows the repository, not the history
    await runJob('flux-retention');
    const one = await resticSnapshots();
    expect(one).toEqual([two[1]]);
    await expect.poll(() => repo.locator('tbody th code').allTextContents()).toEqual(one);
    await repo.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => repo.locator('tbody th code').allTextContents()).toEqual(one);

    // browse: the snapshot's root, then one folder down, breadcrumbs back up
    await repo.getByRole('link', { name: `Browse snapshot ${one[0]}` }).click();
    await page.getByRole('heading', { level: 1, name: `Snapshot ${one[0]}` }).waitFor();
    const flux = server.layout.flux;
    const rootFolder = page.getByRole('region', { name: `Folder ${flux}` });
    await rootFolder.getByRole('link', { name: 'notes/' }).click();
    const notesDir = path.join(flux, 'notes');
    const notes = page.getByRole('region', { name: `Folder ${notesDir}` });
    await notes.waitFor();
    expect(await notes.getByRole('rowheader').allTextContents()).toEqual(['Café menu — été.md', 'meeting notes 2026.txt']);
    expect(
      await notes
        .getByRole('row', { name: /meeting notes 2026\.txt/ })
        .getByRole('cell')
        .nth(1)
        .textContent(),
    ).toBe(`${'notes, second version\n'.length} B`);
    const crumbs = page.getByRole('navigation', { name: 'Breadcrumbs' });
    expect(await crumbs.getByRole('link').allTextContents()).toEqual([flux]);
    expect(await crumbs.locator('[aria-current="location"]').textContent()).toBe('notes');

    // find by name
    const find = page.getByRole('search', { name: 'Find in this snapshot' });
    await find.getByRole('searchbox').fill('*.SQL');
    await find.getByRole('button', { name: 'Find' }).click();
    const findRegion = page.getByRole('region', { name: 'Find by name' });
    await expect.poll(() => findRegion.getByRole('status').textContent()).toBe('1 match for *.SQL');
    expect(await findRegion.getByRole('rowheader').allTextContents()).toEqual([path.join(flux, 'databases/app-2026-11-25.sql')]);

    // download a file: the bytes of the snapshot's version
    let dl = page.waitForEvent('download');
    await notes.getByRole('button', { name: 'Download meeting notes 2026.txt' }).click();
    const file = await dl;
    expect(file.suggestedFilename()).toBe('meeting notes 2026.txt');
    expect(readFileSync((await file.path())!, 'utf8')).toBe('notes, second version\n');
    // and the folder as tar: unpacked, equal to the source
    dl = page.waitForEvent('download');
    await notes.getByRole('button', { name: `Download ${notesDir} as tar` }).click();
    const archive = path.join(tmp, 'notes.tar');
    await (await dl).saveAs(archive);
    const out = path.join(tmp, 'untar');
    mkdirSync(out);
    await runOk('tar', ['-xf', archive, '-C', out]);
    expect(await hashTree(path.join(out, notesDir.slice(1)))).toEqual(await hashTree(notesDir));

    // restore the folder into the restore area (the default): the run's page opens and finishes
    await notes.getByRole('button', { name: 'Restore this folder…' }).click();
    const panel = page.getByRole('region', { name: `Restore ${notesDir}` });
    expect(await panel.getByRole('radio', { name: /new folder in the restore area/ }).isChecked()).toBe(true);
    await panel.getByRole('heading', { name: 'What will be written' }).waitFor();
    const target = (await panel.locator('.plan li code').nth(1).textContent())!;
    expect(target.startsWith(path.join(server.layout.space, 'restores', 'flux-backup') + '/')).toBe(true);
    await panel.getByRole('button', { name: 'Restore', exact: true }).click();
    await page.waitForURL(/#\/runs\/[^/]+$/);
    await page.getByRole('heading', { level: 1, name: 'Run of restore:flux-backup' }).waitFor();
    await expect.poll(() => page.locator('.run-head .badge').textContent(), { timeout: 120_000 }).toBe('succeeded');
    // the folder is named by the time the run started (the preview's name is the time it was asked):
    // the run's page says where it went, and there it is
    const into = (await page.getByRole('region', { name: 'Summary' }).locator('dt:text-is("Restored into") + dd').textContent())!;
    expect(path.dirname(into)).toBe(path.dirname(path.dirname(target)));
    expect(await hashTree(path.join(into, 'notes'))).toEqual(await hashTree(notesDir));

    // back to the original place: Restore stays disabled until the owner chose what happens to
    // what is there; with skip, a file changed since stays as it is and a deleted one comes back
    writeFileSync(path.join(notesDir, 'meeting notes 2026.txt'), 'changed after the snapshot\n');
    rmSync(path.join(notesDir, 'Café menu — été.md'));
    await page.goBack();
    await notes.getByRole('button', { name: 'Restore this folder…' }).click();
    await panel.getByRole('radio', { name: 'Back to the original place' }).check();
    const restore = panel.getByRole('button', { name: 'Restore', exact: true });
    expect(await restore.isDisabled()).toBe(true);
    await panel.getByRole('radio', { name: /^Skip/ }).check();
    await expect.poll(() => panel.locator('.plan li').first().textContent()).toContain('exists: left as it is');
    await restore.click();
    await page.waitForURL(/#\/runs\/[^/]+$/);
    await expect.poll(() => page.locator('.run-head .badge').textContent(), { timeout: 120_000 }).toBe('succeeded');
    expect(readFileSync(path.join(notesDir, 'meeting notes 2026.txt'), 'utf8')).toBe('changed after the snapshot\n');
    expect(readFileSync(path.join(notesDir, 'Café menu — été.md'), 'utf8')).toBe('# Menu\n');
  }, 300_000);

  test('a viewer on a phone lists and browses; restore and download are disabled; nothing scrolls sideways', async () => {
    const { page } = await open(server.viewerToken, 390, 844);
    // the backup run's page links its snapshot to the snapshot's folders
    const [id] = await resticSnapshots();
    const backup = server.served.rt.runs.list({ limit: 1, job: 'flux-backup' }).runs[0]!;
    await gotoSteady(page, `${server.url}/#/runs/${backup.id}`);
    await page
      .getByRole('region', { name: 'Summary' })
      .getByRole('link', { name: new RegExp(`^${id}`) })
      .click();
    await page.getByRole('heading', { level: 1, name: `Snapshot ${id}` }).waitFor();
    await gotoSteady(page, `${server.url}/#/snapshots`);
    const repo = page.getByRole('region', { name: REPO_REGION });
    await repo.getByRole('link', { name: `Browse snapshot ${id}` }).click();
    const folder = page.getByRole('region', { name: `Folder ${server.layout.flux}` });
    await folder.getByRole('link', { name: 'code/' }).click();
    const code = page.getByRole('region', { name: `Folder ${path.join(server.layout.flux, 'code')}` });
    await code.getByRole('link', { name: 'webapp/' }).waitFor();
    for (const name of ['Restore this folder…', 'Restore webapp…', `Download ${path.join(server.layout.flux, 'code')} as zip`, 'Download webapp as tar']) {
      const b = code.getByRole('button', { name });
      expect(await b.isDisabled(), name).toBe(true);
      expect(await b.getAttribute('title')).toMatch(/viewer token/);
    }
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
  }, 120_000);
});
