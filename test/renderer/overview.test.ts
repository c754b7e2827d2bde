// The Overview tells Samba's state (not part of the status): a live smb.conf edited by hand is an
// alert linked to the Samba page, counted in the one line at the top, and it clears when the hand
// edit is gone. Real Chromium, the real pillarsd (the demo sandbox, its own smb.conf and testparm).
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { useCleanup } from '../support/tmp';
import { gotoSteady, launchChromium, paneBuild, watchConsole } from './browser';
import { startPaneServer, type PaneServer } from './pillarsd';

vi.setConfig({ expect: { poll: { timeout: 15_000 } } });

describe('Samba on the Overview', () => {
  const cleanup = useCleanup();
  let browser: Browser;
  let server: PaneServer;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    const dir = cleanup.tempDir('pillars-overview-');
    server = cleanup.track(await startPaneServer({ dir: dir.path, paneDir: await paneBuild() }));
    browser = await launchChromium(path.join(dir.path, 'home'));
    cleanup.add(() => browser.close());
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await ctx.addInitScript(`sessionStorage.setItem('pillars.token', ${JSON.stringify(server.token)})`);
    page = await ctx.newPage();
    problems = watchConsole(page);
  });

  afterAll(() => expect(problems).toEqual([]));

  test('a hand-edited smb.conf is an alert linked to the Samba page; it clears when the edit is gone', async () => {
    const live = path.join(server.layout.dir, 'samba', 'smb.conf');
    const alerts = page.getByRole('region', { name: 'Alerts' });
    const drift = alerts.getByRole('link', { name: /^Samba: the live smb.conf is not the one pillarsd applied/ });
    // each check waits for the pane's own read of Samba's state, so a quiet page is no false pass
    const sambaRead = () => page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/samba' && r.status() === 200);
    let read = sambaRead();
    await gotoSteady(page, `${server.url}/#/`);
    await read;
    await page.getByRole('region', { name: 'Pillars' }).waitFor();
    expect(await page.getByRole('link', { name: /^Samba:/ }).count()).toBe(0);

    writeFileSync(live, '[global]\n  workgroup = EDITED\n[scratch]\n  path = /tmp\n');
    read = sambaRead();
    await page.reload();
    await read;
    await expect.poll(() => drift.count()).toBe(1);
    expect(await drift.getAttribute('href')).toBe('#/samba');
    expect(await drift.textContent()).toContain(`${live} was edited outside pillarsd (drift)`);
    // the line at the top counts it and links to it
    expect(await page.locator('.verdict').getByRole('link', { name: 'Samba: the live smb.conf is not the one pillarsd applied', exact: true }).count()).toBe(1);

    rmSync(live);
    read = sambaRead();
    await page.reload();
    await read;
    await page.getByRole('region', { name: 'Pillars' }).waitFor();
    expect(await page.getByRole('link', { name: /^Samba:/ }).count()).toBe(0);
  });
});
