// Browsing a snapshot one folder level at a time (issue 16): a folder of 100,000 entries must show
// its first page in ≤ 1 s. pillarsd (serve in this process, the real HTTP API) answers
// GET /api/v1/jobs/flux-backup/snapshots/SNAP/ls?path=DIR&limit=200 as soon as restic has printed
// the first page; each sample is a fresh server (no listing cached in pillarsd; restic's own cache
// of the repository's index is warm for both, as on motoko). Beside it, restic's own listing of the
// same folder (`restic ls --json SNAP DIR` to the end), which pillarsd reads on in the background.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../server/src/config/load';
import { startServe } from '../server/src/cli/commands/serve';
import { spawn } from 'node:child_process';
import { fmt, stats, writeSection } from './lib/report';
import { isMet, verdict } from './lib/measure';
import { resticMotoko } from './lib/restic-motoko';

const FULL = !!process.env.PILLARS_FULL;
const ENTRIES = 100_000;
const SAMPLES = FULL ? 7 : 3;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'pillars-bench-browse-'));

/** restic's own listing of the folder: when its first 200 entries were out, and when it ended. */
function resticLs(env: NodeJS.ProcessEnv, snap: string, dir: string): Promise<{ firstPage: number; whole: number }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const c = spawn('restic', ['ls', '--json', snap, dir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let lines = 0;
    let firstPage = 0;
    let err = '';
    c.stdout.on('data', (b: Buffer) => {
      for (const x of b) if (x === 10) lines++;
      // the snapshot line and the folder's own node come first
      if (!firstPage && lines >= 202) firstPage = performance.now() - t;
    });
    c.stderr.on('data', (b: Buffer) => (err += b.toString()));
    c.on('error', reject);
    c.on('close', (code) => {
      if (code !== 0) return reject(new Error(`restic ls exited ${code}: ${err}`));
      if (lines !== ENTRIES + 2) return reject(new Error(`restic ls printed ${lines} lines, expected ${ENTRIES + 2}`));
      resolve({ firstPage, whole: performance.now() - t });
    });
  });
}

try {
  const t0 = Date.now();
  const m = await resticMotoko(tmp, (flux) => {
    const dir = path.join(flux, 'big');
    mkdirSync(dir);
    for (let i = 0; i < ENTRIES; i++) writeFileSync(path.join(dir, `f${String(i).padStart(6, '0')}.txt`), '');
  });
  const dir = path.join(m.flux, 'big');
  console.log(`${ENTRIES} entries backed up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const text = readFileSync(m.configFile, 'utf8');
  const env = { ...process.env, ...m.resticEnv };

  const pillarsd: number[] = [];
  const raw: number[] = [];
  const rawFirst: number[] = [];
  let firstCount = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const s = await startServe({ file: m.configFile, config: parseConfig(text, m.configFile), text }, { host: '127.0.0.1', port: 0, tls: 'off' });
    try {
      const token = s.tokens.create({ role: 'viewer', name: 'bench' }).token;
      const url = `${s.url}/api/v1/jobs/flux-backup/snapshots/${m.snapshotId}/ls?path=${encodeURIComponent(dir)}&limit=200`;
      const a = performance.now();
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { entries: unknown[]; more: boolean };
      pillarsd.push(performance.now() - a);
      if (res.status !== 200 || body.entries.length !== 200 || !body.more) throw new Error(`ls answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
      firstCount = body.entries.length;
    } finally {
      await s.stop();
    }
    const r = await resticLs(env, m.snapshotId, dir);
    raw.push(r.whole);
    rawFirst.push(r.firstPage);
  }
  const p = stats(pillarsd);
  const r = stats(raw);
  const rf = stats(rawFirst);
  const v = verdict(p.median / 1000, 1);
  const load = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  const md = `## Browsing a folder of ${ENTRIES.toLocaleString('en')} entries (\`bench/restore-browse.ts\`)

Method: a real restic 0.14 repository holding one snapshot with a folder of ${ENTRIES.toLocaleString('en')}
empty files. pillarsd (\`serve\` in the bench's process, the real HTTP API) answers
\`GET /api/v1/jobs/:id/snapshots/:snapshot/ls?path=DIR&limit=200\`: the time from the request to the
parsed first page of ${firstCount} entries, a fresh server per sample (nothing cached in pillarsd;
restic's cache of the repository index warm, as on motoko). Beside it, restic's own listing of the
folder, \`restic ls --json SNAP DIR\`: when its first 200 entries were out, and its end, with the same
repository and cache. ${SAMPLES} samples
each, alternating; load average ${load} at the end.

| measure | median | min | max | target | verdict |
|---|---|---|---|---|---|
| baseline: \`restic ls --json\` of the folder, whole | ${fmt(r.median)} ms | ${fmt(r.min)} ms | ${fmt(r.max)} ms | | |
| baseline: \`restic ls --json\`, its first 200 entries out | ${fmt(rf.median)} ms | ${fmt(rf.min)} ms | ${fmt(rf.max)} ms | | the floor: restic reads the folder's whole tree before its first entry |
| pillarsd: first page of 200 over the API | ${fmt(p.median)} ms | ${fmt(p.min)} ms | ${fmt(p.max)} ms | ≤ 1000 ms | ${v}; ${fmt(p.median / rf.median, 2)}× restic's first 200, ${fmt(p.median / r.median, 2)}× its whole listing |
`;
  console.log(md);
  writeSection('restore-browse', md);
  if (!isMet(v)) process.exitCode = 1;
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
