// Memory of the one-listing guard (issue 14) at B2 scale: a real engine (openRuntime from a
// pillarsd.yaml) runs an rclone-sync whose `rclone` is a stand-in on the engine's PATH listing
// 1,000,000 objects on each side (as `rclone lsjson -R` prints them: one JSON object a line, in
// folder order scattered across the tree), 1 % gone at the source and 0.5 % changed. Every line goes
// through nodeExec's splitter, the listing parser, the sort file, `sort(1)`, the merge, the change
// set files and the guards; the copy and delete lists then go to the stand-in, which answers with
// rclone's stats and `Deleted` lines. Measured: the engine process's RSS peak over its value before
// the run, for 100,000 and for 1,000,000 objects a side — a bounded design grows the same for both.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { openRuntime } from '../server/src/jobs/runtime';
import { benchMotoko } from './lib/motoko';
import { fmt, stats, writeSection } from './lib/report';
import { MB, isMet, rssOf, verdict } from './lib/measure';

const FULL = !!process.env.PILLARS_FULL;
/** the large one first: its growth is measured from the heap the warm-up left, not one a larger run grew */
const SIZES = [1_000_000, 100_000];
const ROUNDS = FULL ? 3 : 1;
/** the engine's own RSS growth for 1,000,000 objects a side */
const TARGET_MB = 100;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pillars-bench-plan-'));
try {
  const bin = path.join(tmp, 'bin');
  mkdirSync(bin);
  const standIn = path.join(tmp, 'rclone.mjs');
  writeFileSync(
    standIn,
    `import { readFileSync, writeSync } from 'node:fs';
const args = process.argv.slice(2);
const n = Number(readFileSync(${JSON.stringify(path.join(tmp, 'count'))}, 'utf8'));
const out = (fd, s) => { let off = 0; const b = Buffer.from(s); while (off < b.length) off += writeSync(fd, b, off); };
if (args[0] === 'backend') { out(1, JSON.stringify({ Name: 'x', Precision: 1, Hashes: [], Features: { CanHaveEmptyDirectories: false } })); process.exit(0); }
if (args[0] === 'lsjson') {
  const dest = args[args.length - 1].startsWith('cloud:');
  let buf = '[\\n';
  // folder by folder, the folders in a scattered order, as a walk of a real tree comes out
  const folders = 1000;
  for (let k = 0; k < folders; k++) {
    const d = (k * 7919) % folders;
    for (let i = d; i < n; i += folders) {
      if (!dest && i % 100 === 0) continue; // gone at the source: a deletion
      const size = !dest && i % 200 === 1 ? 2048 : 1000 + (i % 977); // changed at the source
      buf += JSON.stringify({ Path: 'album ' + d + '/file-' + i + '.jpg', Name: 'file-' + i + '.jpg', Size: size, ModTime: '2026-01-01T00:00:00.123456789Z', IsDir: false }) + ',\\n';
      if (buf.length > 1 << 16) { out(1, buf); buf = ''; }
    }
  }
  out(1, buf + ']\\n');
  process.exit(0);
}
const list = args[args.indexOf('--files-from-raw') + 1];
const names = readFileSync(list, 'utf8').split('\\n').filter(Boolean);
if (args[0] === 'delete') {
  let buf = '';
  for (const p of names) buf += JSON.stringify({ level: 'info', msg: 'Deleted', object: p }) + '\\n';
  out(2, buf);
}
const st = args[0] === 'delete' ? { deletes: names.length, errors: 0 } : { transfers: names.length, bytes: names.length * 2048, errors: 0, elapsedTime: 1 };
out(2, JSON.stringify({ level: 'notice', msg: 'stats', stats: st }) + '\\n');
`,
  );
  const realRclone = spawnSync('sh', ['-c', 'command -v rclone'], { encoding: 'utf8' }).stdout.trim();
  writeFileSync(path.join(bin, 'rclone'), `#!/bin/sh\nif [ "$1" = version ]; then exec ${JSON.stringify(realRclone)} version; fi\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(standIn)} "$@"\n`);
  chmodSync(path.join(bin, 'rclone'), 0o755);

  const root = path.join(tmp, 'motoko');
  // a window keeps every run on the two listings (the plan whose memory grows with the listings; a
  // nightly plan from rclone's dry run holds only the files that changed)
  const { loaded } = benchMotoko(root, { remotes: {}, jobs: { offsite: { guard: '{ maxDeleteCount: 100000000, maxDeletePercent: 100, maxChangePercent: 100 }', maxDuration: '100h' } } });
  const rt = openRuntime(loaded, { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
  const results = new Map<number, { growth: number[]; secs: number[]; planSecs: number[] }>();
  try {
    const runOnce = async (n: number) => {
      writeFileSync(path.join(tmp, 'count'), String(n));
      (globalThis as { gc?: () => void }).gc?.();
      const rss0 = rssOf(process.pid)!;
      let peak = rss0;
      const sampler = setInterval(() => (peak = Math.max(peak, rssOf(process.pid) ?? 0)), 50);
      const t0 = performance.now();
      const done = await rt.engine.waitFor(rt.engine.enqueue('space-offsite', 'manual')!.id);
      const dt = (performance.now() - t0) / 1000;
      clearInterval(sampler);
      peak = Math.max(peak, rssOf(process.pid) ?? 0);
      if (done.status !== 'succeeded') throw new Error(`the run ended ${done.status}: ${done.error}`);
      const sum = done.summary?.kind === 'rclone-sync' ? done.summary : undefined;
      const gone = Math.floor((n - 1) / 100) + 1;
      if (sum?.plan?.deletions !== gone || sum.plan.destinationFiles !== n || sum.filesDeleted !== gone) throw new Error(`unexpected plan for ${n}: ${JSON.stringify(done.summary)}`);
      const log = await rt.engine.readLog(done.id);
      const t = (re: RegExp) =>
        Date.parse(
          log
            .split('\n')
            .find((l) => re.test(l.slice(l.indexOf(' ') + 1)))!
            .split(' ')[0]!,
        );
      return { growth: (peak - rss0) / MB, secs: dt, planSecs: (t(/^plan: /) - t(/^\$ rclone lsjson/)) / 1000 };
    };
    await runOnce(20_000); // warm-up: modules, JIT, SQLite pages
    for (const n of SIZES) {
      const r = { growth: [] as number[], secs: [] as number[], planSecs: [] as number[] };
      for (let i = 0; i < ROUNDS; i++) {
        const x = await runOnce(n);
        r.growth.push(x.growth);
        r.secs.push(x.secs);
        r.planSecs.push(x.planSecs);
        console.log(`${n.toLocaleString('en')} objects a side: RSS +${fmt(x.growth)} MB, plan ${fmt(x.planSecs, 2)} s, run ${fmt(x.secs, 2)} s`);
      }
      results.set(n, r);
    }
  } finally {
    await rt.engine.stop();
    rt.close();
  }
  const big = results.get(1_000_000)!;
  const small = results.get(100_000)!;
  const g = stats(big.growth);
  const gs = stats(small.growth);
  const v = verdict(g.max, TARGET_MB);
  const rows = [...SIZES]
    .reverse()
    .map((n) => {
      const r = results.get(n)!;
      const gg = stats(r.growth);
      const p = stats(r.planSecs);
      return `| RSS growth, ${n.toLocaleString('en')} objects a side | ${fmt(gg.median)} MB | ${fmt(gg.min)} MB | ${fmt(gg.max)} MB | ${n === 1_000_000 ? `≤ ${TARGET_MB} MB` : ''} | ${n === 1_000_000 ? v : ''} |
| listings + sort + plan, ${n.toLocaleString('en')} objects a side | ${fmt(p.median, 2)} s | ${fmt(p.min, 2)} s | ${fmt(p.max, 2)} s | | ${fmt((2 * n) / p.median / 1000, 0)} k objects/s |`;
    })
    .join('\n');
  const md = `## The one-listing guard at B2 scale (\`bench/sync-plan-memory.ts\`)

Method: a real engine (\`openRuntime\` from a pillarsd.yaml) runs \`space-offsite\` (\`rclone-sync\`) whose
\`rclone\` is a stand-in on the engine's PATH: \`lsjson\` prints N objects a side as rclone 1.60 does (one JSON
object a line between brackets, folder by folder, 1,000 folders in a scattered order), with 1 % of the
destination's objects gone at the source and 0.5 % changed in size; \`backend features\`, \`copy\` and \`delete\`
answer as rclone does (stats, a \`Deleted\` line per listed file). The run goes through the production path:
nodeExec's line splitter, the lsjson parser, a sort file per side, \`sort(1)\` (\`LC_ALL=C\`, \`-S 64M\`, its
temporary files in the run's plan folder), the merge, the change set files (deletions and overwrites with
per-folder totals and their digest) and the guards, then the copy and delete lists. Memory: the engine
process's RSS sampled every 50 ms, peak minus its value before the run (after a warm-up run of 20,000 objects
and a GC); \`sort\` is a child of its own, bounded by \`-S 64M\` and not counted. ${ROUNDS} round(s) per size.
The sizes run one after the other in the same process, the larger first. Memory that grew with the
listing would show ten times the growth at 1,000,000 as at 100,000; here the ratio is ${fmt(g.median / Math.max(0.1, gs.median), 2)}.

| measure | median | min | max | target | verdict |
|---|---|---|---|---|---|
${rows}
`;
  console.log(md);
  writeSection('sync-plan-memory', md);
  if (!isMet(v)) process.exitCode = 1;
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
