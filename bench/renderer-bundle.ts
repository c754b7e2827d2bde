// The admin pane's size and first render: the built bundle gzipped (target ≤ 300 KB) and, in
// Debian's Chromium, the time from navigation to the run history's first painted rows with a
// history of 10,000 runs (target ≤ 500 ms), then the time until all 10,000 are loaded, the longest
// main-thread task meanwhile, and the frame times while scrolling through all of them. The server
// is the real pillarsd (test/renderer/pillarsd.ts: the demo sandbox served in this process) with
// 10,000 finished runs written into its run store; what its store spends on each page (SQLite
// query and JSON) is measured beside it on a store of its own.
import { gzipSync } from 'node:zlib';
import { readdirSync, readFileSync, statSync, mkdtempSync, rmSync } from 'node:fs';
import os, { loadavg } from 'node:os';
import path from 'node:path';
import type { ConsoleMessage } from 'playwright-core';
import { buildPane, launchChromium } from '../test/renderer/browser';
import { seedHistory, startPaneServer } from '../test/renderer/pillarsd';
import { openDb } from '../server/src/store/db';
import { RunStore } from '../server/src/store/runs';
import { FIRST_PAGE, PAGE } from '../src/renderer/history';
import { fmt, stats, writeSection } from './lib/report';

const RUNS = 10_000;
const ROUNDS = process.env.PILLARS_FULL ? 15 : 5;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

const gz = (file: string) => gzipSync(readFileSync(file), { level: 9 }).length;

/**
 * pillarsd's share of each page: RunStore.list over SQLite plus the JSON it sends, on a store of
 * 10,000 finished runs with summaries (Fastify's own overhead per request is in api-status).
 */
function pillarsdPages(dir: string): { first: number[]; page: number[]; all: number[] } {
  const db = openDb(path.join(dir, 'state.db'));
  try {
    const store = new RunStore(db);
    seedHistory(db, store, RUNS);
    const first: number[] = [];
    const page: number[] = [];
    const all: number[] = [];
    for (let round = 0; round < 5; round++) {
      const w0 = performance.now();
      let t = performance.now();
      let p = store.list({ limit: FIRST_PAGE });
      JSON.stringify({ runs: p.runs, next: p.next });
      first.push(performance.now() - t);
      let n = p.runs.length;
      while (p.next) {
        t = performance.now();
        p = store.list({ limit: PAGE, before: p.next });
        JSON.stringify({ runs: p.runs, next: p.next });
        page.push(performance.now() - t);
        n += p.runs.length;
      }
      all.push(performance.now() - w0);
      if (n !== RUNS) throw new Error(`pillarsd's store paged ${n} runs, expected ${RUNS}`);
    }
    return { first, page, all };
  } finally {
    db.close();
  }
}

/**
 * Set up before the page's own scripts: the token, a long-task recorder, and a console line when
 * the whole history is in. The bench waits for that line rather than polling the page, so no
 * script of Playwright's is compiled and run on the page's main thread while it is measured.
 */
const initScript = (token: string) => `
sessionStorage.setItem('pillars.token', ${JSON.stringify(token)});
window.__longTasks = [];
new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longTasks.push([e.startTime, e.duration]); }).observe({ type: 'longtask', buffered: true });
new PerformanceObserver((l) => { for (const e of l.getEntries()) if (e.name === 'pillars:runs-complete' || e.name === 'pillars:overview-rendered') console.debug(e.name); }).observe({ type: 'mark', buffered: true });
`;

/** Read from the page once everything is loaded. A string: tsx would wrap a function in a helper the page lacks. */
const READ = `(() => {
  const mark = (n) => performance.getEntriesByName(n)[0];
  const history = performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/v1/runs?'));
  const first = history.find((e) => !e.name.includes('before='));
  const rendered = mark('pillars:runs-rendered');
  const complete = mark('pillars:runs-complete');
  const during = window.__longTasks.filter(([s]) => s >= rendered.startTime && s <= complete.startTime).map(([, d]) => d);
  return {
    rendered: rendered.startTime,
    renderedRows: rendered.detail.rows,
    dom: rendered.detail.dom,
    boot: mark('pillars:boot').startTime,
    reqStart: first.startTime,
    fetch: first.responseEnd - first.startTime,
    loaded: mark('pillars:runs-loaded').startTime,
    firstEnd: first.responseEnd,
    complete: complete.startTime,
    completeRows: complete.detail.rows,
    requests: history.length,
    longest: during.length ? Math.max(...during) : 0,
    longTasks: during.length,
    tableRows: document.querySelector('.runs-table').getAttribute('aria-rowcount') - 1,
    // the pane's own files fetched before the first rows (the document is not a resource entry)
    files: performance.getEntriesByType('resource').filter((e) => !e.name.includes('/api/') && e.startTime < rendered.startTime).map((e) => new URL(e.name).pathname.slice(1)),
  };
})()`;

/** The Overview's load, read once its first commit (the jobs' rows, from the status) is marked. */
const READ_OVERVIEW = `(() => {
  const res = (part) => performance.getEntriesByType('resource').find((e) => e.name.includes(part));
  const status = res('/api/v1/status');
  const chunk = res('/assets/Overview-');
  return {
    rendered: performance.getEntriesByName('pillars:overview-rendered')[0].startTime,
    boot: performance.getEntriesByName('pillars:boot')[0].startTime,
    statusStart: status.startTime,
    statusEnd: status.responseEnd,
    chunkEnd: chunk.responseEnd,
  };
})()`;

const SCROLL = `new Promise((resolve) => {
  const el = document.querySelector('.runs-scroll');
  const step = el.scrollHeight / 120;
  const out = [];
  let last = performance.now();
  let n = 0;
  const tick = () => {
    const t = performance.now();
    if (n > 0) out.push(t - last);
    last = t;
    el.scrollTop = step * n++;
    if (n <= 121) requestAnimationFrame(tick);
    // a row shows its queued time and links to its run: the id is read from where the link goes
    else resolve({ frames: out, dom: document.querySelectorAll('.runs-table tbody tr:not(.spacer)').length, lastRun: decodeURIComponent([...document.querySelectorAll('.runs-table tbody tr:not(.spacer) a')].at(-1).getAttribute('href').split('/').at(-1)) });
  };
  requestAnimationFrame(tick);
})`;

type Reading = {
  rendered: number;
  renderedRows: number;
  dom: number;
  boot: number;
  reqStart: number;
  fetch: number;
  loaded: number;
  firstEnd: number;
  complete: number;
  completeRows: number;
  requests: number;
  longest: number;
  longTasks: number;
  tableRows: number;
  files: string[];
};

type OverviewReading = { rendered: number; boot: number; statusStart: number; statusEnd: number; chunkEnd: number };

const loadBefore = loadavg()[0]!;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'pillars-bench-pane-'));
try {
  const out = path.join(tmp, 'renderer');
  await buildPane(out);
  // The build also writes each asset's .br and .gz beside it (pillarsd serves one of the three):
  // they are copies of the bundle, not part of it.
  const assets = files(out)
    .filter((f) => !/\.(br|gz)$/.test(f))
    .map((f) => ({ f: path.relative(out, f), raw: statSync(f).size, gz: gz(f) }));
  const gzAll = assets.reduce((a, x) => a + x.gz, 0);
  const raw = assets.reduce((a, x) => a + x.raw, 0);

  const server = pillarsdPages(tmp);

  const pillarsd = await startPaneServer({ dir: tmp, paneDir: out });
  seedHistory(pillarsd.served.rt.db, pillarsd.served.rt.runs, RUNS);
  // the history and the demo's own runs (none unless its schedule came due meanwhile)
  const ids = pillarsd.served.rt.db.prepare('SELECT id FROM runs ORDER BY id').pluck().all() as string[];
  const total = ids.length;
  const browser = await launchChromium(path.join(tmp, 'home'));
  const readings: Reading[] = [];
  const overview: OverviewReading[] = [];
  const frames: number[] = [];
  let lastRun = '';
  let domAtEnd = 0;
  try {
    for (let i = 0; i < ROUNDS; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      await context.addInitScript(initScript(pillarsd.token));
      const page = await context.newPage();
      const complete = page.waitForEvent('console', { predicate: (m: ConsoleMessage) => m.text() === 'pillars:runs-complete', timeout: 60_000 });
      await page.goto(`${pillarsd.url}/#/runs`);
      await complete;
      const r = (await page.evaluate(READ)) as Reading;
      readings.push(r);
      if (r.completeRows < total || r.tableRows < total) throw new Error(`expected all ${total} runs loaded and in the table, got ${r.completeRows} loaded and ${r.tableRows} rows`);
      if (i === 0) {
        // Scroll from top to bottom of every run in 120 frames and record each frame's duration.
        const s = (await page.evaluate(SCROLL)) as { frames: number[]; dom: number; lastRun: string };
        frames.push(...s.frames);
        lastRun = s.lastRun;
        domAtEnd = s.dom;
      }
      await context.close();
    }
    // The page an owner opens first (a login link opens it): the Overview, whose rows come from the status.
    for (let i = 0; i < ROUNDS; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      await context.addInitScript(initScript(pillarsd.token));
      const page = await context.newPage();
      const rendered = page.waitForEvent('console', { predicate: (m: ConsoleMessage) => m.text() === 'pillars:overview-rendered', timeout: 60_000 });
      await page.goto(`${pillarsd.url}/#/`);
      await rendered;
      overview.push((await page.evaluate(READ_OVERVIEW)) as OverviewReading);
      await context.close();
    }
  } finally {
    await browser.close();
    await pillarsd.stop();
  }
  const entry = ['index.html', ...readings[0]!.files];
  const gzEntry = entry.reduce((a, f) => a + gz(path.join(out, f)), 0);
  const rawEntry = entry.reduce((a, f) => a + statSync(path.join(out, f)).size, 0);
  const oldest = ids[0]!;
  if (lastRun !== oldest) throw new Error(`scrolled to the end but the last row is ${lastRun}, not the oldest run ${oldest}`);
  const loadAfter = loadavg()[0]!;

  const col = (k: Exclude<keyof Reading, 'files'>) => stats(readings.map((r) => r[k]));
  const row = (label: string, s: ReturnType<typeof stats>, target = '', verdict = '') => `| ${label} | ${fmt(s.median)} ms | ${fmt(s.min)} ms | ${fmt(s.max)} ms | ${target} | ${verdict} |`;
  const fr = col('rendered');
  const phase = (f: (r: Reading) => number) => stats(readings.map(f));
  const fs = stats(frames);
  const ov = (f: (r: OverviewReading) => number) => stats(overview.map(f));
  const ovRendered = ov((r) => r.rendered);
  const n = RUNS.toLocaleString('en');
  const ms = (xs: number[]) => stats(xs);
  const md = `## Admin pane: bundle size and first render (\`bench/renderer-bundle.ts\`)

Method: \`vite build\` of \`src/renderer\` with the project's config, every emitted file gzipped
(level 9; the precompressed .br/.gz copies the build writes beside each asset are not counted).
First render: Debian's Chromium (headless, 1280×800, new context per round, so nothing cached) opens \`#/runs\` with a token in sessionStorage against the real pillarsd (the demo
sandbox served in the bench's process, as the pane's browser tests serve it) with a history of
${n} finished runs in its run store, paged by \`GET /api/v1/runs\` (newest first, \`limit\` at most
${PAGE}, \`before\` an id). pillarsd's store's own share per page is measured below on a store of
its own. The pane's script asks for a first page of ${FIRST_PAGE} runs
before React is evaluated, the table renders it at once, and the older runs follow in pages of
${PAGE} in the background once it has rendered, while the table is in use. The pane marks
\`pillars:runs-loaded\` when the first page is in its model, \`pillars:runs-rendered\` when the
virtualized table has first committed rows, and \`pillars:runs-complete\` when the last page is
in; long tasks come from a \`longtask\` observer. The bench waits for a console line the page
prints at \`pillars:runs-complete\` instead of polling the page, so none of Playwright's own
scripts run on the page's main thread during the measurement. What is left is mostly React: the
script's download, parse and evaluation, and React's first (cold) render, which usually runs
before the first page's answer is handled, so the rows come with the render after it.
Scroll: after all runs are in, top to bottom of all ${total.toLocaleString('en')} rows in 120
animation frames; the last row must link to the oldest run.
The Overview (\`#/\`, the page a login link opens) in rounds of its own, the same way: navigation
to its first commit (\`pillars:overview-rendered\`), which holds the jobs' rows from the status.
The entry sends the status and the token's role and starts the page's chunk before React is
evaluated (\`src/renderer/early.ts\`, \`pages.ts\`); until 2026-12-05 the status went out after
React's first render and the Overview's chunk after the status, and this row did not exist (the
first-rows row above, \`#/runs\`, is the one earlier figures compare with).
Earlier versions of this bench measured the old pane with the whole history in one response and
in pages of 1,000 (run again beside this one on 2026-11-26, load 3: 502 ms and 322 ms to the
first rows). pillarsd never answers either way: it refuses a \`limit\` above ${PAGE}, which left
the old pane's Runs page empty against it. So both rows are gone, and the first-render row
measures the pane against pillarsd's own paging.
Load average (1 min): ${fmt(loadBefore)} when the run started, ${fmt(loadAfter)} at its end, on
2 cores shared with other work, so a high load inflates every time below.

| measure | median | min | max | target | verdict |
|---|---|---|---|---|---|
| bundle, gzip (${assets.map((a) => a.f).join(', ')}) | ${fmt(gzAll / 1024)} KB | | | ≤ 300 KB | ${gzAll <= 300 * 1024 ? 'met' : 'MISSED'} (${fmt((gzAll / (300 * 1024)) * 100, 0)} % of it; ${fmt(raw / 1024)} KB raw) |
| of which loaded before the first rows (${entry.join(', ')}) | ${fmt(gzEntry / 1024)} KB | | | | ${fmt(rawEntry / 1024)} KB raw |
${row(`navigation → first rows of a ${n}-run history (${ROUNDS} rounds)`, fr, '≤ 500 ms', `${fr.median <= 500 ? 'met' : 'MISSED'} (${fmt(fr.median / 500, 2)}× the target)`)}
${row('of which: navigation → app script evaluated (`pillars:boot`)', col('boot'))}
${row(`of which: navigation → first page (${FIRST_PAGE} runs) requested`, col('reqStart'))}
${row('of which: first page request → response complete', col('fetch'), '', 'pillarsd')}
${row(
  'of which: response complete → runs in the model (`pillars:runs-loaded`)',
  phase((r) => r.loaded - r.firstEnd),
)}
${row(
  'of which: runs in the model → table committed',
  phase((r) => r.rendered - r.loaded),
)}
| runs in the model / run rows in the DOM at the first rows | ${readings[0]!.renderedRows} / ${readings[0]!.dom} | | | | |
${row(`navigation → all ${total.toLocaleString('en')} runs loaded (${readings[0]!.requests} requests)`, col('complete'))}
${row('longest main-thread task between first rows and all loaded', col('longest'), '', `${fmt(stats(readings.map((r) => r.longTasks)).median, 0)} tasks over 50 ms (median of rounds)`)}
${row(`navigation → the Overview's first rows (\`#/\`, its jobs from the status; ${ROUNDS} rounds)`, ovRendered, '≤ 500 ms', `${ovRendered.median <= 500 ? 'met' : 'MISSED'} (${fmt(ovRendered.median / 500, 2)}× the target)`)}
${row(
  'of which: navigation → app script evaluated (`pillars:boot`)',
  ov((r) => r.boot),
)}
${row(
  'of which: navigation → status requested',
  ov((r) => r.statusStart),
)}
${row(
  'of which: navigation → status answered',
  ov((r) => r.statusEnd),
)}
${row(
  "of which: navigation → the Overview's chunk loaded",
  ov((r) => r.chunkEnd),
)}
${row(`pillarsd's store: first page (${FIRST_PAGE} runs), query + JSON`, ms(server.first))}
${row(`pillarsd's store: one page of ${PAGE}, query + JSON (${server.page.length} pages)`, ms(server.page))}
${row(`pillarsd's store: every page of ${n} runs`, ms(server.all))}
| frame time while scrolling (${fs.n} frames) | ${fmt(fs.median)} ms | ${fmt(fs.min)} ms | ${fmt(fs.max)} ms (p99 ${fmt(fs.p99)}) | | ${domAtEnd} run rows in the DOM for ${total.toLocaleString('en')} runs |
`;
  console.log(md);
  writeSection('renderer-bundle', md);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
