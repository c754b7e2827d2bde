// Orchestration overhead: what pillarsd adds to the restic and rclone runs it drives, on a tree of
// 20,000 files. Nightly runs happen inside the daemon (`pillarsd serve` runs the scheduler), so the
// figure the target applies to is the daemon path: a running server (the shipped bundle) is asked
// to run a job over its API and the time is taken from the POST to the `run.finished` event on an
// SSE stream. The baseline is the raw tool with exactly the argv and env pillarsd gave it, read from
// /proc of the child the server started in the warm-up run (and checked against the `$ …` line the
// runner logs), from the same starting state. A cold `pillarsd run` (Node start + bundle load
// included) is measured too, as information: that is the timer/CLI path, not the nightly one.
//
// Data (the trees, the repository, the rclone destination) lives on tmpfs where there is one: on
// this shared machine's disk every file creation costs about a millisecond of kernel time (a
// `cp -r` of the tree takes over 20 s), which would bury pillarsd's own work in the filesystem's and
// flatter the ratio. pillarsd's own state (SQLite, run logs, restic's cache, the password file)
// stays on the disk, where it lives in production.
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { bundleServer } from '../scripts/bundle.mjs';
import { openDb, stateDbPath } from '../server/src/store/db';
import { TokenStore } from '../server/src/store/tokens';
import type { Run } from '../server/src/contract/api';
import { fmt, stats, writeSection } from './lib/report';
import type { Stats } from './lib/report';
import { cpuOf, isMet, sleep, verdict } from './lib/measure';
import { sse } from './lib/sse';
import type { Arrived } from './lib/sse';

const FULL = !!process.env.PILLARS_FULL;
const FILES = 20_000;
const ROUNDS = FULL ? 9 : 5;
/** the cold CLI is information only: fewer rounds in quick mode keep the bench near 3 minutes */
const CLI_ROUNDS = FULL ? 9 : 3;
/** restic: what the daemon adds around one restic backup */
const TARGET = 1.05;
/** rclone (issue 14): the guarded sync (one listing of each side, the plan, copy and delete lists) against a raw `rclone sync` */
const SYNC_TARGET = 1.1;
const ROOT = path.resolve(import.meta.dirname, '..');
const CLK_TCK = 100;

type Env = Record<string, string>;

// ---- helpers ---------------------------------------------------------------------------------

/** cutime + cstime of this process (seconds): the CPU of every child it has reaped so far. */
function reapedChildrenCpu(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / CLK_TCK;
}

/** 200 folders × 100 files of 0.5–4.5 KiB of random bytes: a working tree of code and notes (~50 MiB). */
function makeTree(root: string): void {
  for (let d = 0; d < FILES / 100; d++) {
    const dir = path.join(root, `project-${Math.floor(d / 20)}`, `dir ${d}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 100; f++) writeFileSync(path.join(dir, `file-${f}.txt`), randomBytes(512 + ((d * 100 + f) % 4096)));
  }
}

function countFiles(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
}

/** The children of a process (every thread's), from /proc. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      try {
        out.push(...readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
      } catch {
        /* the thread ended */
      }
    }
  } catch {
    /* the process ended */
  }
  return out;
}

interface Invocation {
  argv: string[];
  env: Env;
}

function invocationOf(pid: number): Invocation | null {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
    const env: Env = {};
    for (const kv of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
      const i = kv.indexOf('=');
      if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
    }
    return argv.length ? { argv, env } : null;
  } catch {
    return null;
  }
}

/** How runner.ts writes the command into the run log. */
const logged = (argv: readonly string[]) =>
  `$ ${path.basename(argv[0]!)} ${argv
    .slice(1)
    .map((a) => (/[\s"'$]/.test(a) ? JSON.stringify(a) : a))
    .join(' ')}`;

/** A run log as [ms since epoch, line] pairs. */
function readLog(file: string): Array<[number, string]> {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l): [number, string] => {
      const i = l.indexOf(' ');
      return [Date.parse(l.slice(0, i)), l.slice(i + 1)];
    });
}

const at = (log: Array<[number, string]>, test: (l: string) => boolean, what: string): number => {
  const hit = log.find(([, l]) => test(l));
  if (!hit)
    throw new Error(
      `the run log has no ${what} line:\n${log
        .map(([, l]) => l)
        .slice(0, 20)
        .join('\n')}`,
    );
  return hit[0];
};

function rotate<T>(xs: readonly T[], n: number): T[] {
  const k = n % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

// ---- the bench ---------------------------------------------------------------------------------

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pillars-bench-backup-'));
let dataParent = path.join(tmp, 'data');
let onTmpfs = false;
try {
  if (existsSync('/dev/shm')) {
    dataParent = mkdtempSync('/dev/shm/pillars-bench-backup-');
    onTmpfs = true;
  }
} catch {
  /* no usable tmpfs: the data stays on the disk (the method text says which) */
}
// inside server/ so the server's dependencies resolve from its node_modules as they do from
// server/dist, but not in server/dist itself: `node scripts/build.mjs server` (anyone's, any time)
// empties that folder, which took the bundle away in the middle of a run
const distDir = path.join(ROOT, 'server/node_modules/.cache', `pillars-bench-overhead-${process.pid}`);
let server: ChildProcess | null = null;
let stopClient: (() => void) | null = null;

try {
  const js = await bundleServer(path.join(ROOT, 'server/src/cli/main.ts'), distDir);
  mkdirSync(dataParent, { recursive: true });
  const flux = path.join(dataParent, 'flux');
  const space = path.join(dataParent, 'space');
  const shares = path.join(space, 'shares');
  const repo = path.join(space, 'backups/restic/flux');
  const saved = path.join(dataParent, 'repo-state');
  const dest = path.join(dataParent, 'cloud/space');
  makeTree(flux);
  makeTree(shares);
  writeFileSync(path.join(flux, '.pillar'), 'flux\n');
  writeFileSync(path.join(space, '.pillar'), 'space\n');
  const pw = path.join(tmp, 'restic.pw');
  writeFileSync(pw, randomBytes(18).toString('base64url'), { mode: 0o600 });

  const stateD = path.join(tmp, 'state-daemon');
  const stateC = path.join(tmp, 'state-cli');
  const config = (stateDir: string) => `stateDir: ${stateDir}
server: { listen: "127.0.0.1:0", tls: "off" }
pillars:
  flux: { path: ${flux}, requireMount: false }
  space: { path: ${space}, requireMount: false }
secrets: { restic: "file:${pw}" }
remotes:
  cloud: { type: local }
jobs:
  flux-backup: { type: restic-backup, source: "flux:/", repository: "space:/backups/restic/flux", password: restic, retries: { count: 0 } }
  space-offsite: { type: rclone-sync, source: "space:/shares", destination: "cloud:${dest}", retries: { count: 0 } }
  space-first: { type: rclone-sync, source: "space:/shares", destination: "cloud:${dest}", retries: { count: 0 } }
`;
  const configD = path.join(tmp, 'pillarsd.yaml');
  const configC = path.join(tmp, 'pillarsd-cli.yaml');
  writeFileSync(configD, config(stateD));
  writeFileSync(configC, config(stateC));
  // what a systemd unit or a shell gives pillarsd: no more than this reaches the tools either
  const baseEnv: Env = { PATH: process.env.PATH!, HOME: tmp };

  const init = spawnSync('restic', ['init'], { env: { ...baseEnv, RESTIC_REPOSITORY: saved, RESTIC_PASSWORD_FILE: pw, RESTIC_CACHE_DIR: path.join(tmp, 'init-cache') }, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`restic init exited ${init.status}: ${init.stderr}`);
  const resetRepo = () => {
    rmSync(repo, { recursive: true, force: true });
    for (const s of [stateD, stateC]) rmSync(path.join(s, 'cache/restic'), { recursive: true, force: true });
    cpSync(saved, repo, { recursive: true });
  };
  const emptyDest = () => {
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dest, { recursive: true });
  };

  // a token, stored before the server starts (the same store `pillarsd token create` writes)
  mkdirSync(stateD, { recursive: true, mode: 0o750 });
  const db = openDb(stateDbPath(stateD));
  const token = new TokenStore(db).create({ role: 'admin', name: 'bench' }).token;
  db.close();

  const srv = spawn(process.execPath, [js, 'serve', '--config', configD], { cwd: tmp, env: baseEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  server = srv;
  let srvOut = '';
  const keep = (b: Buffer) => (srvOut = (srvOut + b.toString('utf8')).slice(-20_000));
  srv.stdout!.on('data', keep);
  srv.stderr!.on('data', keep);
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`pillarsd serve did not start within 60 s:\n${srvOut}`)), 60_000);
    const check = () => {
      const m = /serving (http:\/\/[^\s"]+)/.exec(srvOut);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    };
    srv.stderr!.on('data', check);
    srv.once('exit', (code) => reject(new Error(`pillarsd serve exited ${code}:\n${srvOut}`)));
  });
  const spid = srv.pid!;
  const auth = { authorization: `Bearer ${token}` };
  const client = sse(`${url}/api/v1/events`, token);
  stopClient = () => client.close();
  await client.open;

  // ---- the three ways of running a job ----

  interface Sample {
    ms: number;
    cpu: number;
  }
  interface DaemonSample extends Sample {
    /** the server's own CPU (utime + stime), without the tools it ran */
    self: number;
    run: Run;
    postAt: number;
    finAt: number;
    captured: Invocation[];
  }

  /** POST /api/v1/jobs/JOB/run → run.finished on the SSE stream; CPU of the server and its reaped children. */
  const daemon = async (job: string, capture = false): Promise<DaemonSample> => {
    const finished: Array<{ e: Arrived; t: number; wall: number }> = [];
    let wake: (() => void) | null = null;
    client.onEvent = (e) => {
      if (e.event !== 'run.finished') return;
      finished.push({ e, t: performance.now(), wall: Date.now() });
      wake?.();
    };
    const captured = new Map<number, Invocation>();
    const c0 = cpuOf(spid, true)!;
    const s0 = cpuOf(spid)!;
    const postAt = Date.now();
    const t0 = performance.now();
    const res = await fetch(`${url}/api/v1/jobs/${job}/run`, { method: 'POST', headers: auth });
    if (res.status !== 202) throw new Error(`POST /api/v1/jobs/${job}/run: HTTP ${res.status} ${await res.text()}`);
    const { runId } = (await res.json()) as { runId: string };
    const mine = () => finished.find((f) => (JSON.parse(f.e.data) as { event: { run: Run } }).event.run.id === runId);
    const deadline = Date.now() + 300_000;
    while (!mine()) {
      if (Date.now() > deadline) throw new Error(`run ${runId} of ${job} did not finish within 5 min`);
      if (srv.exitCode !== null || srv.signalCode !== null) throw new Error(`pillarsd serve exited during run ${runId}:\n${srvOut}`);
      if (capture) {
        for (const pid of childrenOf(spid))
          if (!captured.has(pid)) {
            const inv = invocationOf(pid);
            if (inv?.env.PILLARS_RUN_ID === runId) captured.set(pid, inv);
          }
        await sleep(20);
      } else await new Promise<void>((r) => ((wake = r), setTimeout(r, 1000)));
    }
    const f = mine()!;
    const cpu = cpuOf(spid, true)! - c0;
    const self = cpuOf(spid)! - s0;
    client.onEvent = undefined;
    const run = (JSON.parse(f.e.data) as { event: { run: Run } }).event.run;
    if (run.status !== 'succeeded') throw new Error(`run ${runId} of ${job} ended ${run.status}: ${run.error}\n${run.logTail}`);
    return { ms: f.t - t0, cpu, self, run, postAt, finAt: f.wall, captured: [...captured.values()] };
  };

  /** A command started directly; its output goes to a file, as a cron job's would. CPU from cutime/cstime once reaped. */
  const direct = (argv: readonly string[], env: Env, what: string): Promise<Sample & { out: string }> =>
    new Promise((resolve, reject) => {
      const outFile = path.join(tmp, 'direct.out');
      const fd = openSync(outFile, 'w');
      const c0 = reapedChildrenCpu();
      const t0 = performance.now();
      const child = spawn(argv[0]!, argv.slice(1), { env, cwd: tmp, stdio: ['ignore', fd, fd] });
      child.once('error', (e) => (closeSync(fd), reject(e)));
      child.once('exit', (code) => {
        const ms = performance.now() - t0;
        const cpu = reapedChildrenCpu() - c0;
        closeSync(fd);
        const out = readFileSync(outFile, 'utf8');
        if (code !== 0) reject(new Error(`${what} exited ${code}: ${out.slice(-3000)}`));
        else resolve({ ms, cpu, out });
      });
    });

  // ---- warm-up: page cache, both code paths, and the exact commands the daemon gives the tools ----

  resetRepo();
  const wr = await daemon('flux-backup', true);
  const resticInv = wr.captured.find((c) => c.argv[1] === 'backup');
  if (!resticInv) throw new Error(`could not see the restic backup pillarsd started (children seen: ${JSON.stringify(wr.captured.map((c) => c.argv))})`);
  emptyDest();
  // the first copies run as a job of their own: space-offsite's last listing found files, so its runs
  // list the source at once (a guess that an emptied destination would make wrong), as every night does
  const wc = await daemon('space-first', true);
  const copyInv = wc.captured.find((c) => c.argv[1] === 'copy');
  const listInv = wc.captured.filter((c) => c.argv[1] === 'lsjson');
  // into an empty destination: its listing, then the first copy (rclone walks the source itself)
  if (!copyInv || listInv.length < 1) throw new Error(`could not see the listing and the copy pillarsd started (children seen: ${JSON.stringify(wc.captured.map((c) => c.argv))})`);
  // the commands seen in /proc are the ones the runner logged
  const logD = readFileSync(path.join(stateD, 'logs', `${wr.run.id}.log`), 'utf8') + readFileSync(path.join(stateD, 'logs', `${wc.run.id}.log`), 'utf8');
  for (const inv of [resticInv, copyInv, ...listInv]) if (!logD.includes(logged(inv.argv))) throw new Error(`the run log does not show the command seen in /proc: ${logged(inv.argv)}`);
  // the baseline: a raw \`rclone sync\` of the same data, with the env pillarsd gave rclone, its filters
  // and its output settings (errors and stats, no line per file); without a list, --no-traverse or
  // --ignore-existing (the first copy's promise not to overwrite what turns up meanwhile)
  const copyArgs = copyInv.argv.slice(2);
  const fromList = copyArgs.indexOf('--files-from-raw');
  if (fromList >= 0) copyArgs.splice(fromList, 2);
  const excludes = copyArgs.includes('--exclude') ? [] : listInv[0]!.argv.flatMap((a, i, all) => (all[i - 1] === '--exclude' ? ['--exclude', a] : []));
  const syncInv: Invocation = {
    argv: [copyInv.argv[0]!, 'sync', ...copyArgs.filter((a) => a !== '--no-traverse' && a !== '--ignore-existing'), ...excludes],
    env: copyInv.env,
  };
  // pillarsd's 0600 copy of the password is gone after its run: the raw side reads the configured file (same bytes)
  const pwCopy = resticInv.env.RESTIC_PASSWORD_FILE ?? '';
  if (!pwCopy.startsWith(path.join(stateD, 'runtime') + path.sep)) throw new Error(`unexpected RESTIC_PASSWORD_FILE ${pwCopy}`);
  const resticEnv: Env = { ...resticInv.env, RESTIC_PASSWORD_FILE: pw };
  const rawRestic = async () => {
    resetRepo();
    const s = await direct(resticInv.argv, resticEnv, 'restic backup');
    const sum = s.out.split('\n').find((l) => l.includes('"message_type":"summary"'));
    const n = sum ? (JSON.parse(sum) as { files_new: number }).files_new : -1;
    if (n !== FILES + 1) throw new Error(`raw restic saved ${n} new files, not ${FILES} and the sentinel`);
    return s;
  };
  const daemonRestic = async () => {
    resetRepo();
    const s = await daemon('flux-backup');
    const n = s.run.summary?.kind === 'restic-backup' ? s.run.summary.filesNew : -1;
    if (n !== FILES + 1) throw new Error(`pillarsd's backup saved ${n} new files, not ${FILES} and the sentinel`);
    return s;
  };
  const cliArgv = [process.execPath, js, 'run', 'flux-backup', '--config', configC];
  const cliRestic = () => (resetRepo(), direct(cliArgv, baseEnv, 'pillarsd run flux-backup'));
  const rawSync = async (argv: readonly string[], what: string, copies: boolean) => {
    emptyDest();
    const s = await direct(argv, syncInv.env, what);
    const n = countFiles(dest);
    if (n !== (copies ? FILES : 0)) throw new Error(`${what} left ${n} files at the destination`);
    return s;
  };
  const daemonSync = async () => {
    emptyDest();
    const s = await daemon('space-first');
    const n = s.run.summary?.kind === 'rclone-sync' ? s.run.summary.filesTransferred : -1;
    if (n !== FILES || countFiles(dest) !== FILES) throw new Error(`pillarsd's sync copied ${n} files (${countFiles(dest)} at the destination), not ${FILES}`);
    return s;
  };
  await rawRestic();
  await cliRestic();
  await rawSync(syncInv.argv, 'rclone sync', true);
  // the nightly cases: the destination already holds the tree (the pair of first copies before
  // them leaves it equal to the source), and nothing, 1 % or a few files differ; before each side
  // the destination is put into the same state, so raw and guarded sync do the same work
  const rel = (d: number, f: number | string) => path.join(`project-${Math.floor(d / 20)}`, `dir ${d}`, typeof f === 'number' ? `file-${f}.txt` : f);
  /** files the destination lacks, and as many it holds with other content (another size): 1 % copied */
  const CHANGED = FILES / 200;
  /** files only the destination holds: deletions well under the default guard (1 % / 1,000) */
  const DELETED = 20;
  const nightly = {
    same: { what: 'nothing changed since the last sync', prep: () => {}, copied: 0, deleted: 0, overwrites: 0 },
    changed: {
      what: `${(CHANGED * 2).toLocaleString('en')} files (1 %) new or changed at the source`,
      prep: () => {
        for (let k = 0; k < CHANGED; k++) {
          rmSync(path.join(dest, rel(2 * k, 3)), { force: true });
          // the source's files are 512 bytes or more: another size, so an overwrite on either reading
          writeFileSync(path.join(dest, rel(2 * k + 1, 5)), randomBytes(100));
        }
      },
      copied: CHANGED * 2,
      deleted: 0,
      overwrites: CHANGED,
    },
    deleted: {
      what: `${DELETED} files deleted at the source`,
      prep: () => {
        for (let k = 0; k < DELETED; k++) writeFileSync(path.join(dest, rel(k * 10, `stale-${k}.txt`)), randomBytes(1000));
      },
      copied: 0,
      deleted: DELETED,
      overwrites: 0,
    },
  };
  type Nightly = keyof typeof nightly;
  const NIGHTLY = Object.keys(nightly) as Nightly[];
  const rawNightly = async (k: Nightly) => {
    nightly[k].prep();
    const s = await direct(syncInv.argv, syncInv.env, `rclone sync (${k})`);
    if (countFiles(dest) !== FILES) throw new Error(`the raw sync (${k}) left ${countFiles(dest)} files at the destination, not ${FILES}`);
    return s;
  };
  const daemonNightly = async (k: Nightly) => {
    nightly[k].prep();
    const s = await daemon('space-offsite');
    const c = nightly[k];
    const sum = s.run.summary?.kind === 'rclone-sync' ? s.run.summary : null;
    if (!sum || sum.filesTransferred !== c.copied || sum.filesDeleted !== c.deleted || sum.plan?.toCopy !== c.copied || sum.plan.overwrites !== c.overwrites || sum.plan.firstCopy)
      throw new Error(`pillarsd's sync (${k}) did not do what the state asks (${c.copied} copied, ${c.overwrites} of them overwrites, ${c.deleted} deleted): ${JSON.stringify(sum)}`);
    if (countFiles(dest) !== FILES) throw new Error(`pillarsd's sync (${k}) left ${countFiles(dest)} files at the destination, not ${FILES}`);
    return s;
  };

  // warm-up of the nightly path (the raw sync above left the destination full): space-offsite's
  // history now shows a destination with files, as on every night after the first
  await daemonNightly('same');

  // ---- measured rounds: sides alternate (rotated) per round ----

  const load0 = os.loadavg()[0]!;
  const r = { raw: [] as Sample[], daemon: [] as DaemonSample[], cli: [] as Sample[], sync: [] as Sample[], dsync: [] as DaemonSample[] };
  const rn = Object.fromEntries(NIGHTLY.map((k) => [k, { raw: [] as Sample[], daemon: [] as DaemonSample[] }])) as Record<Nightly, { raw: Sample[]; daemon: DaemonSample[] }>;
  for (let i = 0; i < ROUNDS; i++) {
    for (const side of rotate(i < CLI_ROUNDS ? (['raw', 'daemon', 'cli'] as const) : (['raw', 'daemon'] as const), i)) {
      if (side === 'raw') r.raw.push(await rawRestic());
      else if (side === 'daemon') r.daemon.push(await daemonRestic());
      else r.cli.push(await cliRestic());
    }
    for (const side of rotate(['sync', 'dsync'] as const, i)) {
      if (side === 'sync') r.sync.push(await rawSync(syncInv.argv, 'rclone sync', true));
      else r.dsync.push(await daemonSync());
    }
    // the first copies left the destination equal to the source
    for (const k of NIGHTLY)
      for (const side of rotate(['raw', 'daemon'] as const, i)) {
        if (side === 'raw') rn[k].raw.push(await rawNightly(k));
        else rn[k].daemon.push(await daemonNightly(k));
      }
    console.log(
      `round ${i + 1}/${ROUNDS}: restic raw ${fmt(r.raw.at(-1)!.ms / 1000, 2)} s, daemon ${fmt(r.daemon.at(-1)!.ms / 1000, 2)} s, cli ${i < CLI_ROUNDS ? `${fmt(r.cli.at(-1)!.ms / 1000, 2)} s` : '-'}; rclone raw ${fmt(r.sync.at(-1)!.ms / 1000, 2)} s, daemon ${fmt(r.dsync.at(-1)!.ms / 1000, 2)} s; ${NIGHTLY.map((k) => `${k} raw ${fmt(rn[k].raw.at(-1)!.ms / 1000, 2)} s, daemon ${fmt(rn[k].daemon.at(-1)!.ms / 1000, 2)} s`).join('; ')}`,
    );
  }
  const load1 = os.loadavg()[0]!;

  // the fixed part of the cold CLI's overhead: Node start and loading the bundle, nothing run
  const boot: number[] = [];
  for (let i = 0; i < 5; i++) boot.push((await direct([process.execPath, js, '--version'], baseEnv, 'pillarsd --version')).ms);

  // where the daemon's time goes, from the run log's timestamps (ms clock of the same machine)
  const phasesRestic = r.daemon.map((s) => {
    const log = readLog(path.join(stateD, 'logs', `${s.run.id}.log`));
    const tool = at(log, (l) => l.startsWith('$ restic backup'), '$ restic backup');
    const end = at(log, (l) => l.startsWith('run ended'), 'run ended');
    return { before: tool - s.postAt, tool: end - tool, after: s.finAt - end };
  });
  const phasesSync = r.dsync.map((s) => {
    const log = readLog(path.join(stateD, 'logs', `${s.run.id}.log`));
    const list = at(log, (l) => l.startsWith('$ rclone lsjson'), '$ rclone lsjson');
    const planned = at(log, (l) => l.startsWith('plan: '), 'plan: …');
    const copy = at(log, (l) => l.startsWith('$ rclone copy'), '$ rclone copy');
    const end = at(log, (l) => l.startsWith('run ended'), 'run ended');
    return { before: list - s.postAt, plan: planned - list, between: copy - planned, copy: end - copy, after: s.finAt - end };
  });
  // the nightly cases: the plan (rclone's dry run logged → the plan's line), then the rest
  const phasesNightly = Object.fromEntries(
    NIGHTLY.map((k) => [
      k,
      rn[k].daemon.map((s) => {
        const log = readLog(path.join(stateD, 'logs', `${s.run.id}.log`));
        const list = at(log, (l) => l.startsWith('$ rclone sync') && l.includes('--dry-run'), '$ rclone sync … --dry-run');
        const planned = at(log, (l) => l.startsWith('plan: '), 'plan: …');
        const end = at(log, (l) => l.startsWith('run ended'), 'run ended');
        return { before: list - s.postAt, plan: planned - list, rest: end - planned, after: s.finAt - end };
      }),
    ]),
  ) as Record<Nightly, Array<{ before: number; plan: number; rest: number; after: number }>>;
  const med = (xs: number[]) => stats(xs).median;

  // ---- report ----

  const S = (xs: readonly Sample[], k: 'ms' | 'cpu' = 'ms') => stats(xs.map((x) => (k === 'ms' ? x.ms / 1000 : x.cpu)));
  const selfCpu = (xs: readonly DaemonSample[]) => stats(xs.map((x) => x.self));
  const row = (what: string, s: Stats, target = '', v = '') => `| ${what} | ${fmt(s.median, 2)} s | ${fmt(s.min, 2)} s | ${fmt(s.max, 2)} s | ${target} | ${v} |`;
  /** the median of each round's own ratio: load that drifts between rounds cancels out of it */
  const paired = (a: readonly number[], b: readonly number[]) => stats(a.map((x, i) => x / b[i]!)).median;
  const ratioRow = (what: string, a: Stats, b: Stats, target: string, pairs: number) =>
    `| ${what} (minimums: ${fmt(a.min / b.min, 3)}; median of the rounds' own ratios: ${fmt(pairs, 3)}) | ${fmt(a.median / b.median, 3)} | | | ${target} | |`;
  const sRaw = S(r.raw);
  const sDaemon = S(r.daemon);
  const sCli = S(r.cli);
  const sSync = S(r.sync);
  const sDsync = S(r.dsync);
  const sNightly = Object.fromEntries(NIGHTLY.map((k) => [k, { raw: S(rn[k].raw), daemon: S(rn[k].daemon) }])) as Record<Nightly, { raw: Stats; daemon: Stats }>;
  const vNightly = Object.fromEntries(NIGHTLY.map((k) => [k, verdict(sNightly[k].daemon.median / sNightly[k].raw.median, SYNC_TARGET)])) as Record<Nightly, string>;
  const sBoot = stats(boot.map((x) => x / 1000));
  const rRestic = sDaemon.median / sRaw.median;
  const rSync = sDsync.median / sSync.median;
  const vRestic = verdict(rRestic, TARGET);
  const vSync = verdict(rSync, SYNC_TARGET);
  const cpuRatio = (a: readonly Sample[], b: readonly Sample[]) => `ratio to raw ${fmt(S(a, 'cpu').median / S(b, 'cpu').median, 3)}`;
  const n = `${ROUNDS} rounds`;
  const table = `| measure | median | min | max | target | verdict |
|---|---|---|---|---|---|
${row(`restic, daemon: \`POST /api/v1/jobs/flux-backup/run\` → \`run.finished\`, ${FILES.toLocaleString('en')} files (${n})`, sDaemon, `≤ ${TARGET} × raw`, vRestic)}
${row('raw `restic backup`, the same argv and env, same repository state', sRaw, 'baseline')}
${ratioRow(
  'restic: daemon / raw, ratio of medians',
  sDaemon,
  sRaw,
  `≤ ${TARGET}`,
  paired(
    r.daemon.map((x) => x.ms),
    r.raw.map((x) => x.ms),
  ),
)}
${row(`rclone, daemon: \`POST /api/v1/jobs/space-first/run\` → \`run.finished\`, ${FILES.toLocaleString('en')} files to an empty \`cloud:\` (${n})`, sDsync, `≤ ${SYNC_TARGET} × raw`, vSync)}
${row('raw `rclone sync`, the env, filters and output settings pillarsd gave rclone, empty destination', sSync, 'baseline')}
${ratioRow(
  'rclone: daemon / raw, ratio of medians',
  sDsync,
  sSync,
  `≤ ${SYNC_TARGET}`,
  paired(
    r.dsync.map((x) => x.ms),
    r.sync.map((x) => x.ms),
  ),
)}
${NIGHTLY.map(
  (k) => `${row(`rclone, daemon, destination populated: ${nightly[k].what} (${n})`, sNightly[k].daemon, `≤ ${SYNC_TARGET} × raw`, vNightly[k])}
${row(`raw \`rclone sync\`, the same state: ${nightly[k].what}`, sNightly[k].raw, 'baseline')}
${ratioRow(
  `rclone, ${k}: daemon / raw, ratio of medians`,
  sNightly[k].daemon,
  sNightly[k].raw,
  `≤ ${SYNC_TARGET}`,
  paired(
    rn[k].daemon.map((x) => x.ms),
    rn[k].raw.map((x) => x.ms),
  ),
)}`,
).join('\n')}
${row('CPU, rclone daemon path, nothing changed: server + its children (the dry run)', S(rn.same.daemon, 'cpu'), '', cpuRatio(rn.same.daemon, rn.same.raw))}
${row("of which the server itself (utime + stime): reading the dry run's lines, the plan", selfCpu(rn.same.daemon))}
${row('CPU, raw rclone sync, nothing changed', S(rn.same.raw, 'cpu'))}
${row(`cold CLI: \`pillarsd run flux-backup\`, Node start included (${CLI_ROUNDS} rounds; information, the timer path)`, sCli, '', `ratio to raw ${fmt(sCli.median / sRaw.median, 3)} (minimums ${fmt(sCli.min / sRaw.min, 3)})`)}
${row('of which fixed: `pillarsd --version` (Node start + bundle load, 5 runs)', sBoot)}
${row('CPU, restic daemon path: server + its children (user + sys)', S(r.daemon, 'cpu'), '', cpuRatio(r.daemon, r.raw))}
${row('of which the server itself (utime + stime)', selfCpu(r.daemon))}
${row('CPU, raw restic', S(r.raw, 'cpu'))}
${row('CPU, cold CLI (`pillarsd run` + restic)', S(r.cli, 'cpu'), '', cpuRatio(r.cli, r.raw))}
${row('CPU, rclone daemon path: server + its children (listings, sort, copy)', S(r.dsync, 'cpu'), '', cpuRatio(r.dsync, r.sync))}
${row("of which the server itself (utime + stime): reading the listings, the plan, rclone's stats", selfCpu(r.dsync))}
${row('CPU, raw rclone sync', S(r.sync, 'cpu'))}`;
  const fastest = r.sync.reduce((a, b) => (b.ms < a.ms ? b : a));
  const ms = (x: number) => `${fmt(x, 0)} ms`;
  const s = (x: number) => `${fmt(x / 1000, 2)} s`;
  const phases = `Where the daemon's time goes (medians, from the run log's timestamps): restic: POST → \`$ restic backup\`
logged ${ms(med(phasesRestic.map((p) => p.before)))}, restic until \`run ended\` is logged ${s(med(phasesRestic.map((p) => p.tool)))}, then → \`run.finished\` at the
client ${ms(med(phasesRestic.map((p) => p.after)))}; rclone into the empty destination: POST → \`$ rclone lsjson\` (of the destination) logged ${ms(med(phasesSync.map((p) => p.before)))}, its listing (no file, so no listing
of the source) and the plan ${s(med(phasesSync.map((p) => p.plan)))}, the verdict → copy started ${ms(med(phasesSync.map((p) => p.between)))}, the first copy (\`rclone copy --ignore-existing\`, rclone walks the source) until \`run ended\` ${s(med(phasesSync.map((p) => p.copy)))}, → \`run.finished\` ${ms(med(phasesSync.map((p) => p.after)))}.
With the destination populated (the nightly case) one \`rclone sync --dry-run --suffix\` lists and compares both sides and names only the files
it would change, which the server sorts and folds into the plan: ${NIGHTLY.map((k) => `${k}: POST → \`$ rclone sync … --dry-run\` ${ms(med(phasesNightly[k].map((p) => p.before)))}, dry run and plan ${s(med(phasesNightly[k].map((p) => p.plan)))}, then copy/delete until \`run ended\` ${s(med(phasesNightly[k].map((p) => p.rest)))}`).join('; ')}. The copy is quiet (\`--log-level NOTICE\`: errors and rclone's stats, no line per file), like the raw baseline;
the server reads a few stats lines. The fastest raw sync used ${fmt(fastest.cpu, 2)} s of CPU in
${fmt(fastest.ms / 1000, 2)} s of wall time, so on ${os.cpus().length} cores the server's CPU competes with rclone's rather than running beside it.`;
  const md = `## Backup overhead, pillarsd against raw restic and rclone (\`bench/backup-overhead.ts\`)

Method: two trees of ${FILES.toLocaleString('en')} files (200 folders of 100 random files of 0.5–4.5 KiB, about 50 MiB each),
one in Flux and one in Space (\`space:/shares\`), each pillar with its sentinel; the data ${onTmpfs ? "on tmpfs (`/dev/shm`): on this shared machine's disk every file creation costs about 1 ms of kernel time (a `cp -r` of the tree takes over 20 s), which would bury pillarsd's work in the filesystem's and flatter the ratio" : 'on the disk (no tmpfs here)'}; pillarsd's
own state (SQLite, run logs, restic's cache, its password file) on the disk. **Daemon path (the verdict rows):** the
shipped bundle (\`scripts/bundle.mjs\` \`bundleServer\`, as \`node scripts/build.mjs server\` builds it) runs
\`pillarsd serve\` (tls off, 127.0.0.1, port 0) with an admin token stored before it starts; each run is
\`POST /api/v1/jobs/JOB/run\`, timed until its \`run.finished\` event arrives on an open SSE stream
(\`/api/v1/events\`, not polling). Nightly runs happen inside the daemon, so this is the orchestration
overhead the target is about: queue and claim in SQLite, guards (sentinels, empty source), the 0600
password file, parsing the tool's output, progress through the event hub, the run log, and for
\`rclone-sync\` the guards of rule 2 of docs/architecture.md and issue 14 on a plan: when the job's last run found files at the destination
(every nightly case here) one \`rclone sync --dry-run --suffix .pillars-plan\` under the job's filters lists and compares both sides and
logs a line per file it would copy, set aside (an overwrite), delete or re-time, which the server sorts and folds into the copy and delete
lists and the change set the guards judge (rclone's final stats must agree with those lines; the destination's \`rclone backend features\`
read once per server process); otherwise \`rclone lsjson\` of the destination, and of the source once the destination shows a file, merged
by the server. Then \`rclone copy --files-from-raw LIST --no-traverse\` of exactly the list
and \`rclone delete --files-from-raw LIST --no-traverse --max-delete N\`, each only when its list is not empty; a destination whose listing finds no file
has nothing to delete or overwrite, so the source is not listed and the first copy is \`rclone copy --ignore-existing\`
under the job's filters, rclone walking the source itself as a raw sync does.
**Baseline:** the raw tool with exactly the argv and env the server gave it (for rclone: a raw \`rclone sync\` with the
env, the filters and the output flags of the copy the server started, without its \`--ignore-existing\` (or its list and \`--no-traverse\`)), read from
\`/proc/PID/cmdline\` and \`environ\` of the child it started in the warm-up run and checked against the
\`$ …\` line its run log shows (the one substitution: \`RESTIC_PASSWORD_FILE\` names the configured secret
file, same bytes, because pillarsd removes its private copy after each run); output to a file, as a
cron job's would. restic: one freshly initialised restic 0.14 repository is the saved state, copied into
place (and restic's cache emptied) before every run of every side, so each makes the same full first
snapshot. rclone 1.60: \`space-first\` for the first copies and \`space-offsite\` for the nightly cases (both \`rclone-sync\`, \`space:/shares\` → \`cloud:\`, a remote of type
\`local\` defined through \`RCLONE_CONFIG_CLOUD_*\`, default guards of 1 % / 1,000 deletions and 25 % changed) with the
destination emptied before every run of every side, so both copy all ${FILES.toLocaleString('en')} files (checked after each
run) and the guards find nothing to delete. **The nightly cases** (verdict rows too: issue 14's target is about the
guarded sync, and a destination that already holds the tree is what every night but the first sees): the destination
equal to the source (the first copies leave it so), and before each run of each side put into one state — *same*:
nothing changed; *changed*: ${CHANGED} files removed from the destination and ${CHANGED} rewritten there with another size,
so ${(CHANGED * 2).toLocaleString('en')} files (1 %) are copied, ${CHANGED} of them overwrites; *deleted*: ${DELETED} files only the destination
holds, deleted (under the default guard) — each against a raw \`rclone sync\` of the same state in the same round, the order of
the two sides alternating; pillarsd's summary (copied, overwrites, deleted) and the destination's file count are checked after each run. **Cold CLI (information, no verdict):** \`pillarsd run
flux-backup\` from the same bundle, a separate state folder: the timer/CLI path, which pays Node's start
and the bundle's load (the \`--version\` row) on every run; the target is not about it because the
daemon pays that once. One warm-up of every side, then ${ROUNDS} rounds in which the sides' order rotates
(the cold CLI in the first ${CLI_ROUNDS}; quick mode 5 rounds and 3 of the CLI, \`PILLARS_FULL=1\` 9 and 9). CPU: for the raw tools and the cold CLI, the bench
process's cutime + cstime from \`/proc/self/stat\` across the run (the child is reaped by then); for the
daemon, the server's utime + stime + cutime + cstime from \`/proc/PID/stat\` between the POST and
\`run.finished\` (its own threads plus the restic/rclone it reaped). Load average (1 min): ${fmt(load0, 1)} at the
first round, ${fmt(load1, 1)} after the last, on ${os.cpus().length} cores shared with other work (the spread shows it).

${phases}

${table}`;
  console.log(table);
  console.log(`\n${phases}`);
  writeSection('backup-overhead', md);
  if (!isMet(vRestic) || !isMet(vSync) || NIGHTLY.some((k) => !isMet(vNightly[k]))) process.exitCode = 1;
} finally {
  stopClient?.();
  if (server?.pid && server.exitCode === null) {
    const srv = server;
    const gone = new Promise<void>((r) => srv.once('exit', () => r()));
    srv.kill('SIGTERM');
    await Promise.race([gone, sleep(10_000)]);
    try {
      process.kill(-srv.pid!, 'SIGKILL');
    } catch {
      /* the group is gone */
    }
  }
  rmSync(tmp, { recursive: true, force: true });
  if (onTmpfs) rmSync(dataParent, { recursive: true, force: true });
  rmSync(distDir, { recursive: true, force: true });
}
