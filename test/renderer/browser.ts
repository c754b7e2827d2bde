// Browser plumbing for the pane's tests and benchmarks: build the pane into a temp folder (never
// the shared dist/, which other tests may be serving) and drive Debian's Chromium with
// playwright-core, launched as FIELD-NOTES "Browser tests" describes.
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { mkdirSync } from 'node:fs';
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

export async function launchChromium(home: string): Promise<Browser> {
  for (const d of ['config', 'cache']) mkdirSync(path.join(home, d), { recursive: true });
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, 'config'), XDG_CACHE_HOME: path.join(home, 'cache') },
  });
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

/** The CSP pillarsd serves the pane with (strict: our own scripts and styles only). */
export const PANE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
