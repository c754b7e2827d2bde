// Browser plumbing for the pane's tests and benchmarks: build the pane into a temp folder (never
// the shared dist/, which other tests may be serving) and drive Debian's Chromium with
// playwright-core, launched as FIELD-NOTES "Browser tests" describes.
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Builds src/renderer with the project's vite.config.ts into `outDir`, as it ships: Vite takes
 * NODE_ENV over its mode, and vitest sets it to "test", which would build development React
 * (480 KB, effects run twice under StrictMode) for the tests and for the dist/renderer the demo
 * test leaves behind. NODE_ENV is set only for the build's duration.
 */
export async function buildPane(outDir: string): Promise<void> {
  const before = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: path.join(ROOT, 'vite.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true } });
  } finally {
    if (before === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = before;
  }
}

/** Every file the built pane depends on, sorted (sources, the build's config, the locked dependencies). */
function paneInputs(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]))
      .sort();
  return [...['src/renderer', 'src/shared', 'server/src/contract'].flatMap((d) => walk(path.join(ROOT, d))), path.join(ROOT, 'vite.config.ts'), path.join(ROOT, 'package-lock.json')];
}

/**
 * The pane built from the current sources, shared by every test file and the benchmark: built
 * once into node_modules/.cache/pillars-pane/<hash of its inputs>, which a later call (or another
 * worker) reuses. A build goes to a folder of its own and is renamed into place whole, so a
 * reader never sees half a build.
 */
export async function paneBuild(): Promise<string> {
  const hash = createHash('sha256');
  for (const f of paneInputs()) hash.update(path.relative(ROOT, f)).update('\0').update(readFileSync(f)).update('\0');
  const dir = path.join(ROOT, 'node_modules/.cache/pillars-pane', hash.digest('hex').slice(0, 16));
  if (existsSync(path.join(dir, 'index.html'))) return dir;
  const tmp = `${dir}.${process.pid}.tmp`;
  await buildPane(tmp);
  try {
    renameSync(tmp, dir);
  } catch (e) {
    // another worker renamed its identical build into place first
    if (!existsSync(path.join(dir, 'index.html'))) throw e;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

export async function launchChromium(home: string): Promise<Browser> {
  for (const d of ['config', 'cache']) mkdirSync(path.join(home, d), { recursive: true });
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, 'config'), XDG_CACHE_HOME: path.join(home, 'cache') },
  });
}

/**
 * page.goto, tried again when Chromium aborts the load with ERR_NETWORK_CHANGED: it does so when
 * the machine's interfaces change, and other tests add loopback addresses and network namespaces
 * all the time. That is the machine, not the page; any other failure is the test's.
 */
export async function gotoSteady(page: Page, url: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await page.goto(url);
      return;
    } catch (e) {
      if (attempt >= 4 || !/ERR_NETWORK_CHANGED/.test(String(e))) throw e;
    }
  }
}

/** Collects console errors and CSP violations so a test can assert the page ran clean under the CSP. */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return problems;
}

/**
 * A page signed in with `token` (as the pane keeps it, in sessionStorage) in a context of its own at
 * width × height; its console problems go into `consoles` for the test to assert clean at the end.
 */
export async function openSignedIn(browser: Browser, token: string, consoles: string[][], o: { width?: number; height?: number; acceptDownloads?: boolean } = {}): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({ viewport: { width: o.width ?? 1280, height: o.height ?? 900 }, ...(o.acceptDownloads ? { acceptDownloads: true } : {}) });
  await ctx.addInitScript(`sessionStorage.setItem('pillars.token', ${JSON.stringify(token)})`);
  const page = await ctx.newPage();
  consoles.push(watchConsole(page));
  return { ctx, page };
}

/** Records every request the page makes as `METHOD /path?query`, so a test can assert what the pane asked pillarsd. */
export function recordRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    seen.push(`${r.method()} ${u.pathname}${u.search}`);
  });
  return seen;
}
