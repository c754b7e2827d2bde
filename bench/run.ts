// `npm run bench`: every benchmark in its own process (one measurement never inherits another's
// heap, JIT state or leftover children), quick sizes by default and the full ones with
// PILLARS_FULL=1. Each bench rewrites its own section of docs/benchmarks.md and prints a markdown
// table whose rows end in a verdict; this runner echoes those rows (median, min, max, ratio against
// the baseline or target) and exits non-zero when a bench is missing, fails, or misses a target
// (a miss only warns with PILLARS_BENCH_MISSED=warn, as the test command runs it).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { machine } from './lib/report';

const DIR = import.meta.dirname;
const ROOT = path.resolve(DIR, '..');
/** The benches issues 9 and 16 ask for: a missing one is a failure, not a skip. */
export const REQUIRED = ['backup-overhead', 'progress-latency', 'api-status', 'api-sse', 'rclone-ingest', 'mount-linux', 'idle-rss', 'renderer-bundle', 'probe-cost', 'restore-browse', 'restore-dump'];
/** Per-bench deadline; a bench that hangs must not hang CI. */
const DEADLINE_MS = (process.env.PILLARS_FULL ? 40 : 6) * 60_000;

interface Outcome {
  name: string;
  code: number | null;
  ms: number;
  rows: string[];
  missed: string[];
  tail: string;
  /** the first measurement's missed rows, when the bench was measured again */
  firstMissed?: string[];
}

/** Markdown table rows (not the header or the rule) a bench printed. */
export function tableRows(out: string): string[] {
  return out.split('\n').filter((l) => /^\|.*\|\s*$/.test(l) && !/^\|\s*-/.test(l) && !/^\|\s*measure\s*\|/i.test(l));
}

/** Rows whose verdict says a target was missed. */
export function missedRows(rows: readonly string[]): string[] {
  return rows.filter((r) => /\bMISSED\b/.test(r));
}

function runOne(name: string): Promise<Outcome> {
  const file = path.join(DIR, `${name}.ts`);
  const t0 = Date.now();
  return new Promise((resolve) => {
    const tsx = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
    const child = spawn(process.execPath, ['--expose-gc', '--import', tsx, file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: process.env });
    let out = '';
    const onData = (b: Buffer) => {
      const s = b.toString('utf8');
      out += s;
      process.stdout.write(s.replace(/^/gm, `  [${name}] `).replace(/ {2}\[[^\]]+\] $/, ''));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => {
      out += `\n${name}: no result within ${DEADLINE_MS / 60_000} min: killed\n`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, DEADLINE_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      const rows = tableRows(out);
      resolve({ name, code, ms: Date.now() - t0, rows, missed: missedRows(rows), tail: out.split('\n').slice(-15).join('\n') });
    });
  });
}

async function main(): Promise<number> {
  const present = readdirSync(DIR)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
    .map((f) => f.slice(0, -3));
  const only = process.argv.slice(2);
  const names = only.length ? only : [...new Set([...REQUIRED, ...present])];
  console.log(`pillars benchmarks (${process.env.PILLARS_FULL ? 'full' : 'quick'} mode) on ${machine()}\n`);
  const results: Outcome[] = [];
  for (const name of names) {
    if (!existsSync(path.join(DIR, `${name}.ts`))) {
      results.push({ name, code: null, ms: 0, rows: [], missed: [], tail: `bench/${name}.ts does not exist` });
      console.log(`✗ ${name}: bench/${name}.ts is missing\n`);
      continue;
    }
    console.log(`▶ ${name}`);
    let r = await runOne(name);
    if (r.missed.length && process.env.PILLARS_BENCH_MISSED !== 'warn') {
      // a burst of someone else's load on a shared runner can push one timing over; a real
      // regression misses twice. Both measurements are printed, and a second miss fails.
      console.log(`… ${name} missed ${r.missed.length} target(s); measuring once more\n`);
      const first = r.missed;
      r = await runOne(name);
      r.firstMissed = first;
    }
    results.push(r);
    console.log(`${r.code === 0 && !r.missed.length ? '✓' : '✗'} ${name}: exit ${r.code}, ${(r.ms / 1000).toFixed(1)} s\n`);
  }
  console.log('\n# Summary (docs/benchmarks.md has the methods)\n');
  // broken: no result, or a non-zero exit that no missed target explains (a bench exits 1 on a miss)
  const broken = (r: Outcome) => r.rows.length === 0 || (r.code !== 0 && r.missed.length === 0);
  let failed = 0;
  let missed = 0;
  for (const r of results) {
    const ok = !broken(r) && r.missed.length === 0;
    if (broken(r)) failed++;
    else if (!ok) missed++;
    console.log(`${ok ? 'ok    ' : broken(r) ? 'FAILED' : 'MISSED'} ${r.name} (${(r.ms / 1000).toFixed(1)} s)${r.firstMissed ? ` (measured twice: the first run missed ${r.firstMissed.length} target(s))` : ''}`);
    for (const row of r.firstMissed ?? []) console.log(`       first run: ${row}`);
    for (const row of r.rows) console.log(`       ${row}`);
    if (broken(r) && r.rows.length) console.log(r.tail.replace(/^/gm, '       > '));
    if (!r.rows.length) console.log(r.code === 0 ? '       > printed no result table' : r.tail.replace(/^/gm, '       > '));
  }
  const doc = process.env.PILLARS_DOCS_DIR ? path.join(process.env.PILLARS_DOCS_DIR, 'benchmarks.md') : 'docs/benchmarks.md';
  console.log(`\n${results.length - failed - missed} of ${results.length} benches met their targets, ${missed} missed one, ${failed} failed; ${doc} regenerated.`);
  // PILLARS_BENCH_MISSED=warn (the test command): a missed target is printed above and in the
  // figures, but only a broken bench fails the run. Timings on a shared CI runner are not a verdict.
  if (missed && process.env.PILLARS_BENCH_MISSED === 'warn') console.log(`PILLARS_BENCH_MISSED=warn: ${missed} missed target(s) reported, not failing this run.`);
  return failed || (missed && process.env.PILLARS_BENCH_MISSED !== 'warn') ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main();
}
