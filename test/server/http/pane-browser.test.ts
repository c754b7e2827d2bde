// The admin pane's Content-Security-Policy in a real browser (Debian's Chromium via
// playwright-core): the page's own module script runs and may call the API; an inline script,
// an inline event handler and a connection to another origin are blocked.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startStack, type LiveStack } from './support/stack';
import { tempDir } from '../../support/tmp';
import { gotoSteady, launchChromium } from '../../renderer/browser';

const pane = tempDir('pillars-pane-csp-');
const home = tempDir('pillars-chromium-');
let s: LiveStack;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(path.join(pane.path, 'assets'));
  writeFileSync(
    path.join(pane.path, 'index.html'),
    `<!doctype html><html><head><script type="module" src="./assets/app.js"></script></head>
<body><div id="out"></div><img src="x" onerror="document.title='inline handler ran'">
<script>document.title = 'inline script ran';</script></body></html>`,
  );
  writeFileSync(
    path.join(pane.path, 'assets', 'app.js'),
    `const out = document.getElementById('out') ?? document.body;
const r = await fetch('/api/v1/health').then((x) => x.json());
let foreign = 'allowed';
try { await fetch('https://203.0.113.9/x'); } catch { foreign = 'blocked'; }
document.body.dataset.health = String(r.ok);
document.body.dataset.foreign = foreign;
document.body.dataset.done = '1';`,
  );
  s = await startStack({ adminDir: pane.path });
  browser = await launchChromium(home.path);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await s?.close();
  await pane.cleanup();
  await home.cleanup();
});

it('runs the pane’s own script and blocks inline code and foreign connections', async () => {
  // The certificate is self-signed on purpose (clients pin it); the browser here just accepts it.
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await ctx.newPage();
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await gotoSteady(page, `${s.srv.url}/`);
  await page.waitForSelector('body[data-done="1"]', { timeout: 20_000 });
  expect(await page.getAttribute('body', 'data-health')).toBe('true');
  expect(await page.getAttribute('body', 'data-foreign')).toBe('blocked');
  expect(await page.title()).toBe('');
  expect(violations.some((v) => /inline/i.test(v))).toBe(true);
  expect(violations.some((v) => /connect-src/.test(v))).toBe(true);
  await ctx.close();
}, 60_000);
