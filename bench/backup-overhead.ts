// Wall time of `pillarsd run flux-backup` against the raw `restic backup` it wraps, on the same
// 20,000-file tree from the same repository state. The ratio is what pillarsd itself costs: Node
// start, config, recovery, tool detection, guards (sentinels, empty-source), the password file,
// parsing every JSON line, progress through the hub into SQLite, the run log.
//
// Method: one initialised repository is the saved state; before every measured run the working
// repository is replaced by a copy of it and restic's cache is emptied, so both sides do the same
// full first backup. The raw side runs restic with exactly the argv and env pillarsd gives it (so
// only pillarsd's own work differs). The pillarsd side is the built bundle (`node
// server/dist/pillarsd.js`), the way `npx pillarsd` runs after install. Sides alternate per round.
import { cpSync, mkdirSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fmt, stats, writeSection } from './lib/report';
import { verdict } from './lib/measure';

const FULL = !!process.env.PILLARS_FULL;
const FILES = 20_000;
const ROUNDS = FULL ? 9 : 5;
const TARGET = 1.05;
const ROOT = path.resolve(import.meta.dirname, '..');

function must(r: ReturnType<typeof spawnSync>, what: string): void {
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}: ${String(r.stderr).slice(-2000)}${String(r.stdout).slice(-2000)}`);
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pillars-bench-backup-'));
try {
  must(spawnSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs'), 'server'], { encoding: 'utf8' }), 'build');
  const flux = path.join(tmp, 'flux');
  const space = path.join(tmp, 'space');
  const state = path.join(tmp, 'state');
  const repo = path.join(space, 'backups/restic/flux');
  const saved = path.join(tmp, 'repo-state');
  // 200 folders × 100 files of 0.5–4.5 KiB: a working tree of source code and notes (~50 MiB)
  for (let d = 0; d < FILES / 100; d++) {
    const dir = path.join(flux, `project-${Math.floor(d / 20)}`, `dir ${d}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 100; f++) writeFileSync(path.join(dir, `file-${f}.txt`), randomBytes(512 + ((d * 100 + f) % 4096)));
  }
  writeFileSync(path.join(flux, '.pillar'), 'flux\n');
  mkdirSync(space, { recursive: true });
  writeFileSync(path.join(space, '.pillar'), 'space\n');
  const pw = path.join(tmp, 'restic.pw');
  writeFileSync(pw, randomBytes(18).toString('base64url'), { mode: 0o600 });
  const config = path.join(tmp, 'pillarsd.yaml');
  writeFileSync(
    config,
    `stateDir: ${state}
pillars:
  flux: { path: ${flux}, requireMount: false }
  space: { path: ${space}, requireMount: false }
secrets: { restic: "file:${pw}" }
jobs:
  flux-backup: { type: restic-backup, source: "flux:/", repository: "space:/backups/restic/flux", password: restic, retries: { count: 0 } }
`,
  );
  const cache = path.join(state, 'cache/restic');
  const env = { PATH: process.env.PATH!, HOME: tmp };
  const resticEnv = { ...env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD_FILE: pw, RESTIC_CACHE_DIR: cache, RESTIC_PROGRESS_FPS: '4' };
  mkdirSync(path.dirname(repo), { recursive: true });
  must(spawnSync('restic', ['init'], { env: { ...resticEnv, RESTIC_REPOSITORY: saved }, encoding: 'utf8' }), 'restic init');

  const reset = () => {
    rmSync(repo, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
    cpSync(saved, repo, { recursive: true });
  };
  // CPU (user + system of the command and everything it started, from bash's `times`) is measured
  // too: on a shared machine wall time carries other people's load, CPU time much less so
  const cpu: Record<'a' | 'b', number[]> = { a: [], b: [] };
  const time = (cmd: string, args: string[], e: NodeJS.ProcessEnv, what: string, side: 'a' | 'b') => {
    reset();
    const t0 = process.hrtime.bigint();
    const r = spawnSync('bash', ['-c', '"$@" >/dev/null; code=$?; times >&2; exit $code', 'bash', cmd, ...args], { env: e, encoding: 'utf8', maxBuffer: 256 << 20 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    must(r, what);
    const lines = String(r.stderr).trim().split('\n');
    const m = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/.exec(lines[lines.length - 1] ?? '');
    if (m) cpu[side].push((Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000);
    return ms;
  };
  const pillarsd = () => time(process.execPath, [path.join(ROOT, 'server/dist/pillarsd.js'), 'run', 'flux-backup', '--config', config], env, 'pillarsd run flux-backup', 'a');
  const raw = () => time('restic', ['backup', '--json', '--', `${flux}/`], resticEnv, 'restic backup', 'b');

  // warm the page cache and both code paths once, unmeasured
  raw();
  pillarsd();
  cpu.a.length = 0;
  cpu.b.length = 0;
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    if (i % 2) {
      a.push(pillarsd());
      b.push(raw());
    } else {
      b.push(raw());
      a.push(pillarsd());
    }
  }
  // the fixed part of the overhead: Node start and loading the bundle, nothing run
  const boot: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    must(spawnSync(process.execPath, [path.join(ROOT, 'server/dist/pillarsd.js'), '--version'], { encoding: 'utf8' }), 'pillarsd --version');
    boot.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const sboot = stats(boot);
  const load = os.loadavg()[0]!;
  const sa = stats(a);
  const sb = stats(b);
  const ratio = sa.median / sb.median;
  const ca = stats(cpu.a);
  const cb = stats(cpu.b);
  const table = `| measure | median | min | max | target | verdict |
|---|---|---|---|---|---|
| \`pillarsd run flux-backup\`, ${FILES.toLocaleString('en')} files (${ROUNDS} rounds) | ${fmt(sa.median / 1000, 2)} s | ${fmt(sa.min / 1000, 2)} s | ${fmt(sa.max / 1000, 2)} s | ≤ ${TARGET} × raw | ${verdict(ratio, TARGET)} |
| raw \`restic backup\` of the same tree, same repository state | ${fmt(sb.median / 1000, 2)} s | ${fmt(sb.min / 1000, 2)} s | ${fmt(sb.max / 1000, 2)} s | baseline | |
| ratio of medians (minimums: ${fmt(sa.min / sb.min, 3)}) | ${fmt(ratio, 3)} | | | ≤ ${TARGET} | |
| CPU of \`pillarsd run\` (user + sys, with restic) | ${fmt(ca.median / 1000, 2)} s | ${fmt(ca.min / 1000, 2)} s | ${fmt(ca.max / 1000, 2)} s | | ratio to raw ${fmt(ca.median / cb.median, 3)} |
| CPU of raw restic | ${fmt(cb.median / 1000, 2)} s | ${fmt(cb.min / 1000, 2)} s | ${fmt(cb.max / 1000, 2)} s | | |
| of which fixed: \`pillarsd --version\` (Node start + bundle load, 5 runs) | ${fmt(sboot.median / 1000, 2)} s | ${fmt(sboot.min / 1000, 2)} s | ${fmt(sboot.max / 1000, 2)} s | | |`;
  writeSection(
    'backup-overhead',
    `## backup overhead (\`bench/backup-overhead.ts\`)

Method: a tree of ${FILES.toLocaleString('en')} files (200 folders of 100 random files of 0.5–4.5 KiB, about 50 MiB) in a
Flux folder with its sentinel; one freshly initialised restic ${'0.14'} repository is the saved state, copied
into place (and restic's cache emptied) before every measured run, so both sides make the same full
first snapshot. \`pillarsd run flux-backup\` runs from the built bundle (\`node server/dist/pillarsd.js\`,
as after install) and includes Node start, config, recovery, tool detection, guards, the 0600
password file, JSON parsing, progress into SQLite and the run log; the raw side is restic with exactly
the argv and env pillarsd gives it. One unmeasured warm-up of each, then ${ROUNDS} alternating rounds;
wall time and CPU time (bash \`times\`, children included) per run. Quick and full mode differ only in rounds (5 / 9).
Load average (1 min) of the
machine at the end: ${fmt(load, 1)} on ${os.cpus().length} cores (other work shares it; the spread shows it).

${table}`,
  );
  console.log(table);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
