// The Notifications page in real Chromium against the real pillarsd (the demo sandbox served in
// this process) with a real webhook receiver: each channel's last delivery and error, Send test,
// and a job's choices saved into pillarsd.yaml.
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../server/src/config/load';
import { freePort } from '../support/net';
import { startHttpReceiver, type HttpReceiver } from '../support/receivers';
import { useCleanup } from '../support/tmp';
import { gotoSteady, launchChromium, paneBuild, watchConsole } from './browser';
import { startPaneServer, type PaneServer } from './pillarsd';

vi.setConfig({ expect: { poll: { timeout: 10_000 } } });

describe('the Notifications page', () => {
  const cleanup = useCleanup();
  let browser: Browser;
  let server: PaneServer;
  let web: HttpReceiver;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    const dir = cleanup.tempDir('pillars-pane-notify-');
    web = cleanup.track(await startHttpReceiver());
    const dead = await freePort();
    server = cleanup.track(
      await startPaneServer({
        dir: dir.path,
        paneDir: await paneBuild(),
        config: (t) => `${t}notifications:
  channels:
    hook: { type: webhook, url: "${web.url}/hook" }
    phone: { type: ntfy, url: "http://127.0.0.1:${dead}/motoko", events: [failed, blocked] }
`,
      }),
    );
    browser = await launchChromium(path.join(dir.path, 'home'));
    cleanup.add(() => browser.close());
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await ctx.addInitScript(`sessionStorage.setItem('pillars.token', ${JSON.stringify(server.token)})`);
    page = await ctx.newPage();
    problems = watchConsole(page);
  });

  afterAll(() => expect(problems).toEqual([]));

  test('shows the channels; Send test delivers, or says why not', async () => {
    await gotoSteady(page, `${server.url}/#/notifications`);
    const channels = page.getByRole('table', { name: 'Notification channels' });
    await expect.poll(() => channels.getByRole('row').count()).toBe(3);
    await expect.poll(() => channels.getByRole('row', { name: /phone/ }).textContent()).toContain('failed, blocked');

    await page.getByRole('button', { name: 'Send test to hook' }).click();
    await expect.poll(() => page.getByRole('status', { name: 'Test results' }).textContent()).toContain('Test message delivered to hook.');
    expect(web.requests).toHaveLength(1);
    await expect.poll(() => channels.getByRole('row', { name: /hook/ }).textContent()).not.toContain('never');

    await page.getByRole('button', { name: 'Send test to phone' }).click();
    await expect.poll(() => page.getByRole('status', { name: 'Test results' }).textContent()).toContain('Test message to phone failed: ECONNREFUSED');
    await expect.poll(() => channels.getByRole('row', { name: /phone/ }).textContent()).toContain('ECONNREFUSED');
  });

  test("a job's choices are saved into pillarsd.yaml", async () => {
    const table = page.getByRole('table', { name: 'Per job, what it sends to each channel' });
    const cell = table.getByRole('group', { name: 'space-offsite to hook' });
    await cell.getByLabel('channel default').uncheck();
    await cell.getByLabel('failed', { exact: true }).uncheck();
    await page.getByRole('button', { name: 'Save space-offsite' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Save space-offsite' }).isDisabled()).toBe(true);
    const config = parseConfig(readFileSync(server.layout.configFile, 'utf8'), server.layout.configFile);
    expect(config.notifications!.jobs['space-offsite']!.send.hook).toEqual(['blocked', 'interrupted', 'warnings', 'overdue', 'drill']);
    expect(config.notifications!.jobs['space-offsite']!.send.phone).toBeUndefined();
  });

  test('a viewer is told the page needs an admin token', async () => {
    const ctx = await browser.newContext();
    await ctx.addInitScript(`sessionStorage.setItem('pillars.token', ${JSON.stringify(server.viewerToken)})`);
    const p = await ctx.newPage();
    await gotoSteady(p, `${server.url}/#/notifications`);
    await expect.poll(() => p.getByRole('alert').first().textContent()).toMatch(/admin token/);
    await ctx.close();
    problems.splice(0, problems.length, ...problems.filter((x) => !x.includes('status of 403')));
  });
});
