// Every page of the pane at a desktop's 1400×900 and a phone's 390×844, against the real pillarsd:
// no serious or critical axe-core violation (axe-core from npm, run in the page), one <h1>, and
// nothing wider than the screen (the page never scrolls sideways). At phone width the pages' links
// fold into a menu that opens, and the actions stay reachable.
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { useCleanup } from '../support/tmp';
import { launchChromium, paneBuild, watchConsole } from './browser';
import { blockedSync, seedHistory, startPaneServer, type PaneServer } from './pillarsd';
import { runOk } from '../support/proc';
import { newRunId } from '../../server/src/store/runs';

vi.setConfig({ expect: { poll: { timeout: 10_000 } } });

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SIZES = [
  { name: 'desktop', width: 1400, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[]; failureSummary?: string }>;
}

/**
 * axe-core's serious and critical violations on the page as it is now. The script is evaluated
 * through the DevTools protocol, which the page's CSP does not govern (the CSP stays on).
 */
async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(AXE);
  const found = (await page.evaluate('axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations)')) as Violation[];
  return found
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.map((n) => `${n.target.join(' ')}${n.failureSummary ? ` — ${n.failureSummary.replace(/\s+/g, ' ')}` : ''}`).join('; ')}`);
}

/** The demo with a weekly restore drill and an empty pillar `archive` whose offsite copy the cloud holds (long names, to test wrapping). */
function withDrillAndArchive(config: string, dir: string): string {
  const archive = path.join(dir, 'archive');
  const cloud = path.join(dir, 'cloud-archive');
  mkdirSync(archive, { recursive: true });
  writeFileSync(path.join(archive, '.pillar'), 'archive\n');
  mkdirSync(path.join(cloud, 'a folder with a rather long name that has to wrap on a phone'), { recursive: true });
  writeFileSync(path.join(cloud, 'a folder with a rather long name that has to wrap on a phone/notes.txt'), 'notes\n');
  return config
    .replace('  time:  {', `  archive: { path: ${archive}, requireMount: false }\n  time:  {`)
    .replace(
      '  media-seed:\n',
      `  flux-drill:\n    type: restic-drill\n    repository: space:/backups/restic/flux\n    password: restic\n    scratch: time:/drills\n    schedule: "0 6 * * 1"\n  archive-offsite:\n    type: rclone-copy\n    source: archive:/\n    destination: cloud:${cloud}\n    enabled: false\n  media-seed:\n`,
    );
}

/** A drill that failed as a damaged pack fails one (what the drills test makes for real), with long paths. */
function failedDrill(server: PaneServer): void {
  const runs = server.served.rt.runs;
  const at = new Date(Date.now() - 3600_000);
  const lost = path.join(server.layout.flux, 'models/llama-finetune/a-checkpoint-with-a-long-name-0400.bin');
  const r = runs.create({ id: newRunId(at), jobId: 'flux-drill', trigger: 'schedule', queuedAt: at.toISOString(), resources: [], ownerPid: null, ownerStart: null });
  runs.update(r.id, {
    status: 'failed',
    startedAt: at.toISOString(),
    finishedAt: new Date(at.getTime() + 60_000).toISOString(),
    exitCode: 1,
    error: `1 of 20 sampled file(s) could not be restored: ${lost}`,
    summary: {
      kind: 'restic-drill',
      snapshotId: '0123456789abcdef',
      sampled: 20,
      restored: 19,
      compared: 18,
      changedSinceSnapshot: 1,
      mismatches: [],
      unreadable: [lost],
      checkOk: false,
      readDataSubset: '2%',
      damaged: [lost, path.join(server.layout.flux, 'models/other.bin')],
    },
    logTail: '',
  });
}

describe('every page at desktop and phone sizes', () => {
  const cleanup = useCleanup();
  let browser: Browser;
  let server: PaneServer;
  let blocked: string;
  let finished: string;
  const problems: string[] = [];

  beforeAll(async () => {
    const dir = cleanup.tempDir('pillars-a11y-');
    server = cleanup.track(
      await startPaneServer({
        dir: dir.path,
        paneDir: await paneBuild(),
        // channels for the Notifications page (at a port nothing listens on: a delivery fails and is retried, as the page may show)
        // a restore drill (its failed run below) and an empty pillar the cloud holds a copy of, for the Recover page
        config: (t) =>
          `${withDrillAndArchive(t, dir.path)}notifications:\n  channels:\n    hook: { type: webhook, url: "http://127.0.0.1:9/hook" }\n    phone: { type: ntfy, url: "http://127.0.0.1:9/motoko", events: [failed, blocked] }\n`,
      }),
    );
    seedHistory(server.served.rt.db, server.served.rt.runs, 300, { spacingMs: 6 * 3600_000 });
    failedDrill(server);
    // a real blocked sync and a finished run to show
    blocked = await blockedSync(server);
    finished = server.served.rt.runs.list({ limit: 1, job: 'flux-backup' }).runs[0]!.id;
    // a snapshot of Flux in the demo's repository for the Snapshots pages, made by restic itself
    // (a backup run would queue the offsite sync after it, beside the blocked one)
    const restic = ['-r', path.join(server.layout.space, 'backups/restic/flux'), '--password-file', server.layout.passwordFile];
    await runOk('restic', [...restic, 'init']);
    await runOk('restic', [...restic, 'backup', server.layout.flux]);
    browser = await launchChromium(path.join(dir.path, 'home'));
    cleanup.add(() => browser.close());
  });

  afterAll(() => expect(problems).toEqual([]));

  /** Each page: where it is, and what shows that it has loaded. */
  const pages = (): Array<{ name: string; hash: string; ready: (p: Page) => Promise<unknown>; token?: false }> => [
    { name: 'login', hash: '#/', token: false, ready: (p) => p.getByLabel('Token').waitFor() },
    { name: 'overview', hash: '#/', ready: (p) => p.getByRole('region', { name: 'Pillars' }).getByText('space', { exact: true }).waitFor() },
    { name: 'jobs', hash: '#/jobs', ready: (p) => p.getByRole('rowheader', { name: 'media-seed' }).waitFor() },
    {
      name: "a job's settings",
      hash: '#/jobs',
      ready: async (p) => {
        await p
          .getByRole('row', { name: /^space-offsite/ })
          .getByRole('button', { name: 'Settings' })
          .click();
        await p.getByRole('form', { name: 'Settings of space-offsite' }).getByRole('button', { name: 'Save settings' }).waitFor();
      },
    },
    { name: 'runs', hash: '#/runs', ready: (p) => p.locator('.runs-table tbody tr:not(.spacer)').first().waitFor() },
    { name: 'a blocked run', hash: `#/runs/${blocked}`, ready: (p) => p.getByRole('table', { name: /^Deletions, files/ }).waitFor() },
    {
      name: 'an approval being confirmed',
      hash: `#/runs/${blocked}`,
      ready: async (p) => {
        await p.getByRole('button', { name: 'Approve…' }).click();
        await p.getByRole('group', { name: 'Confirm the approval' }).waitFor();
      },
    },
    { name: 'a finished run', hash: `#/runs/${finished}`, ready: (p) => p.getByRole('region', { name: 'Summary' }).waitFor() },
    { name: 'snapshots', hash: '#/snapshots', ready: (p) => p.getByRole('link', { name: /^Browse snapshot / }).waitFor() },
    { name: "a snapshot's folder", hash: '#/snapshots/flux-backup/latest', ready: (p) => p.getByRole('navigation', { name: 'Breadcrumbs' }).waitFor() },
    {
      name: 'a restore being chosen',
      hash: '#/snapshots/flux-backup/latest?path=' + encodeURIComponent(path.join(server.layout.flux, 'notes')),
      ready: async (p) => {
        await p.getByRole('button', { name: 'Restore this folder…' }).click();
        await p.getByRole('radio', { name: 'Back to the original place' }).check();
        await p.getByRole('radio', { name: /^Keep both/ }).check();
        await p.getByRole('heading', { name: 'What will be written' }).waitFor();
      },
    },
    { name: 'snapshots with a failed drill', hash: '#/snapshots', ready: (p) => p.getByRole('group', { name: 'What failed' }).waitFor() },
    { name: 'recover', hash: '#/recover', ready: (p) => p.getByRole('group', { name: 'Recover archive from cloud' }).getByRole('button', { name: 'Show the plan' }).waitFor() },
    {
      name: 'a recovery being confirmed',
      hash: '#/recover',
      ready: async (p) => {
        const g = p.getByRole('group', { name: 'Recover archive from cloud' });
        await g.getByRole('button', { name: 'Show the plan' }).click();
        await g.getByRole('button', { name: 'Recover…' }).click();
        await g.getByRole('button', { name: 'Start the recovery' }).waitFor();
      },
    },
    { name: 'samba', hash: '#/samba', ready: (p) => p.locator('pre.diff, .no-diff').first().waitFor() },
    { name: 'hot-sets', hash: '#/hotsets', ready: (p) => p.getByRole('region', { name: 'Syncthing folders' }).waitFor() },
    { name: 'notifications', hash: '#/notifications', ready: (p) => p.getByRole('table', { name: 'Per job, what it sends to each channel' }).waitFor() },
    { name: 'preferences', hash: '#/preferences', ready: (p) => p.getByRole('heading', { name: 'Preferences', level: 1 }).waitFor() },
  ];

  /** The elements that stick out past the window's right edge (the innermost ones), to say what widened the page. */
  const OVERFLOW = `[...document.body.querySelectorAll('*')]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5 && ![...e.children].some((c) => c.getBoundingClientRect().right > window.innerWidth + 0.5))
    .slice(0, 5)
    .map((e) => e.tagName.toLowerCase() + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : '') + ' ' + Math.round(e.getBoundingClientRect().right) + 'px')`;

  for (const size of SIZES) {
    test(`${size.name} ${size.width}×${size.height}: no serious or critical axe violation, one <h1>, nothing wider than the screen`, async () => {
      const report: string[] = [];
      // One tab per size: the pages are reached by their hash, as a user's clicks reach them (no reload
      // between them), and the login form in a tab of its own without a token.
      const signedIn = await browser.newContext({ viewport: { width: size.width, height: size.height } });
      await signedIn.addInitScript(`sessionStorage.setItem('pillars.token', ${JSON.stringify(server.token)})`);
      const signedOut = await browser.newContext({ viewport: { width: size.width, height: size.height } });
      const tabs = { in: await signedIn.newPage(), out: await signedOut.newPage() };
      const consoles = [watchConsole(tabs.in), watchConsole(tabs.out)];
      try {
        for (const pg of pages()) {
          const page = pg.token === false ? tabs.out : tabs.in;
          await page.goto(`${server.url}/${pg.hash}`);
          await pg.ready(page);
          for (const v of await axeViolations(page)) report.push(`${pg.name}: ${v}`);
          const h1 = await page.locator('h1').count();
          if (h1 !== 1) report.push(`${pg.name}: ${h1} <h1> elements`);
          const [scrollWidth, innerWidth] = (await page.evaluate('[document.documentElement.scrollWidth, window.innerWidth]')) as [number, number];
          if (scrollWidth > innerWidth) report.push(`${pg.name}: the page is ${scrollWidth} px wide in a ${innerWidth} px window (${((await page.evaluate(OVERFLOW)) as string[]).join(', ')})`);
        }
        problems.push(...consoles.flat().map((m) => `${size.name}: ${m}`));
      } finally {
        await signedIn.close();
        await signedOut.close();
      }
      expect(report).toEqual([]);
    }, 180_000);
  }

  test("phone: the pages fold into a menu that opens; Log out and the jobs' actions are within reach", async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    await ctx.addInitScript(`sessionStorage.setItem('pillars.token', ${JSON.stringify(server.token)})`);
    const page = await ctx.newPage();
    try {
      await page.goto(`${server.url}/#/`);
      const menu = page.getByRole('button', { name: 'Menu' });
      await expect.poll(() => menu.getAttribute('aria-expanded')).toBe('false');
      expect(await page.getByRole('link', { name: 'Jobs', exact: true }).isVisible()).toBe(false);
      await menu.click();
      expect(await menu.getAttribute('aria-expanded')).toBe('true');
      expect(await page.getByRole('button', { name: 'Log out' }).isVisible()).toBe(true);
      await page.getByRole('link', { name: 'Jobs', exact: true }).click();
      await expect.poll(() => page.url()).toMatch(/#\/jobs$/);
      // the menu closes on the way, and every job's actions are on screen width
      expect(await menu.getAttribute('aria-expanded')).toBe('false');
      const run = page.getByRole('row', { name: /^flux-backup/ }).getByRole('button', { name: 'Run now' });
      const box = (await run.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(390);
    } finally {
      await ctx.close();
    }
  });
});
