// Idle memory of the two long-running processes, as shipped (esbuild bundles built the way
// scripts/build.mjs builds them, into a temp folder): `pillarsd demo` (the server with the demo
// config: scheduler, API, SQLite, after its first backup and offsite sync have finished) and
// `pillars watch` (the client core keeping three real smbnetfs mounts of a private smbd healthy).
// RSS is read from /proc/PID/status once a second over the idle window; the mount helpers
// (smbnetfs) and tools (restic, rclone) are separate processes and not counted.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleFile, bundleServer } from '../scripts/bundle.mjs';
import { fmt, stats, writeSection } from './lib/report';
import { MB, rssOf, sleep, verdict, isMet } from './lib/measure';
import { spawnProcess } from '../test/support/cli';
import { startSmbd } from '../test/support/smbd';
import { run } from '../test/support/proc';
import { removeTree } from '../test/support/guarded';

const FULL = !!process.env.PILLARS_FULL;
const IDLE_S = FULL ? 60 : 10;
/**
 * Idle is where a daemon spends its days: the first seconds after work are reported apart and
 * judged by nothing. V8's memory reducer shrinks the heap once the allocation rate it averages
 * over its last samples is low; those still hold start-up and the runs, so it fired 8 to 25 s
 * after a backup on a quiet machine (before the wave), and 60 and 95 s after the demo's runs on a
 * loaded one (load 15 on 2 cores): the window does not wait for it.
 */
const SETTLE_S = 30;
const AFTER_WORK_S = 10;
const ROOT = path.resolve(import.meta.dirname, '..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'pillars-bench-rss-'));

// next to where scripts/build.mjs puts each bundle: the server's dependencies resolve from server/node_modules
const outDirs = [path.join(ROOT, 'server/dist', `bench-${process.pid}`), path.join(ROOT, 'dist', `bench-${process.pid}`)];

/** Diagnostics, not verdicts: what the last idle sample was made of (proc(5): RssAnon is the V8 heap and malloc, RssFile the mapped code: node itself and native modules). */
interface RssParts {
  anon: number;
  file: number;
}
const lastParts = new Map<number, RssParts>();

function rssParts(pid: number): RssParts | null {
  try {
    const st = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)\\s+kB`).exec(st)?.[1] ?? NaN) / 1024;
    return { anon: kb('RssAnon'), file: kb('RssFile') };
  } catch {
    return null;
  }
}

/** RSS (MB) once a second: the first AFTER_WORK_S seconds, and the IDLE_S seconds after SETTLE_S. */
async function idleSamples(pid: number): Promise<{ afterWork: number[]; idle: number[] }> {
  const afterWork: number[] = [];
  const idle: number[] = [];
  for (let i = 0; i < SETTLE_S + IDLE_S; i++) {
    await sleep(1000);
    const r = rssOf(pid);
    const parts = rssParts(pid);
    if (r === null) throw new Error(`process ${pid} exited during the idle window`);
    if (i < AFTER_WORK_S) afterWork.push(r / MB);
    if (i >= SETTLE_S) idle.push(r / MB);
    if (parts) lastParts.set(pid, parts);
  }
  return { afterWork, idle };
}

let serverParts: RssParts | undefined;
let clientParts: RssParts | undefined;
let bareParts: RssParts | undefined;
const partsRow = (what: string, p: RssParts | undefined) => (p ? `| ${what}: anonymous (V8 heap, malloc) / file-backed (code) at the last sample | ${fmt(p.anon)} / ${fmt(p.file)} MB | | | | |\n` : '');

async function serverIdle(js: string): Promise<{ afterWork: number[]; idle: number[] }> {
  const dir = path.join(tmp, 'demo');
  const p = spawnProcess(process.execPath, [js, 'demo', '--dir', dir, '--port', '0', '--json'], { cwd: tmp, env: { HOME: tmp } });
  try {
    await p.waitForLine(/"token"/, 60_000);
    const info = JSON.parse(p.stdout()) as { url: string; token: string };
    const h = { authorization: `Bearer ${info.token}` };
    // idle = the first backup and the offsite sync after it have finished
    const t0 = Date.now();
    for (;;) {
      const r = (await (await fetch(`${info.url}/api/v1/runs?limit=20`, { headers: h })).json()) as { runs: Array<{ jobId: string; status: string }> };
      const busy = r.runs.some((x) => x.status === 'queued' || x.status === 'running');
      if (!busy && r.runs.some((x) => x.jobId === 'space-offsite')) break;
      if (Date.now() - t0 > 120_000) throw new Error(`the demo's first runs did not finish: ${JSON.stringify(r.runs)}`);
      await sleep(500);
    }
    const samples = await idleSamples(p.pid);
    serverParts = lastParts.get(p.pid);
    return samples;
  } finally {
    await p.stop();
  }
}

async function clientIdle(js: string): Promise<{ afterWork: number[]; idle: number[] }> {
  const user = 'pillarsbr';
  const password = `bench-${Math.random().toString(36).slice(2)}`;
  const srv = path.join(tmp, 'srv');
  const ids = ['flux', 'space', 'time'];
  const smbd = await startSmbd({ users: [{ name: user, password }], shares: ids.map((id) => ({ name: id, path: path.join(srv, id) })) });
  const home = path.join(tmp, 'home');
  mkdirSync(home, { recursive: true });
  const settings = path.join(tmp, 'settings.json');
  writeFileSync(
    settings,
    JSON.stringify({
      smb: { host: smbd.address, username: user, domain: '' },
      secret: { source: 'stdin' },
      pillars: ids.map((id) => ({ id, share: id, label: id })),
      mountRoot: path.join(home, '.mkt'),
      links: false,
    }),
  );
  const env = { HOME: home, XDG_RUNTIME_DIR: path.join(tmp, 'run'), DBUS_SESSION_BUS_ADDRESS: undefined };
  mkdirSync(env.XDG_RUNTIME_DIR, { recursive: true, mode: 0o700 });
  let w: ReturnType<typeof spawnProcess> | null = null;
  try {
    for (const id of ids) writeFileSync(path.join(srv, id, '.pillar'), `${id}\n`);
    const m = await run(process.execPath, [js, '--config', settings, 'mount', '--password-stdin'], { env: { ...process.env, ...env }, cwd: home, input: `${password}\n`, timeoutMs: 60_000 });
    if (m.code !== 0) throw new Error(`pillars mount failed (${m.code}): ${m.stdout}${m.stderr}`);
    w = spawnProcess(process.execPath, [js, '--config', settings, 'watch'], { cwd: home, env });
    // watch prints the three pillars on every change: idle starts once the last report is all mounted
    const healthy = () =>
      w!
        .stdout()
        .trim()
        .split('\n')
        .slice(-3)
        .filter((l) => /^\S+\s+mounted\s/.test(l)).length === 3;
    for (let t = 0; !healthy(); t += 250) {
      if (t > 20_000) throw new Error(`pillars watch does not see three healthy mounts:\n${w.stdout()}${w.stderr()}`);
      await sleep(250);
    }
    await sleep(2000);
    const samples = await idleSamples(w.pid);
    clientParts = lastParts.get(w.pid);
    return samples;
  } finally {
    await w?.stop();
    await run(process.execPath, [js, '--config', settings, 'unmount'], { env: { ...process.env, ...env }, cwd: home, timeoutMs: 30_000 });
    await smbd.stop();
  }
}

/** A bare Node process doing nothing: the floor every figure above stands on. */
async function nodeIdle(): Promise<{ afterWork: number[]; idle: number[] }> {
  const p = spawnProcess(process.execPath, ['-e', 'setInterval(() => {}, 1000); console.log("up")'], { cwd: tmp });
  try {
    await p.waitForLine(/up/);
    const samples = await idleSamples(p.pid);
    bareParts = lastParts.get(p.pid);
    return samples;
  } finally {
    await p.stop();
  }
}

try {
  const bare = stats((await nodeIdle()).idle);
  const server = await bundleServer(path.join(ROOT, 'server/src/cli/main.ts'), outDirs[0]!);
  const client = await bundleFile(path.join(ROOT, 'src/cli/main.ts'), path.join(outDirs[1]!, 'pillars.js'));
  const sAll = await serverIdle(server);
  const cAll = await clientIdle(client);
  const s = stats(sAll.idle);
  const c = stats(cAll.idle);
  const sWork = stats(sAll.afterWork);
  const cWork = stats(cAll.afterWork);
  const vs = verdict(s.max, 80);
  const vc = verdict(c.max, 60);
  const md = `## Idle memory (\`bench/idle-rss.ts\`)

Method: both processes run as shipped (esbuild bundles built like \`scripts/build.mjs\`, Node
${process.version}). Server: \`pillarsd demo\` (the demo config: scheduler, API, SQLite, every job
of the sample motoko) after its first backup and the offsite sync that follows have finished.
Client core: \`pillars watch\` keeping three real smbnetfs mounts of a private smbd healthy (mounted
first by \`pillars mount --password-stdin\`). RSS from /proc/PID/status once a second: the first
${AFTER_WORK_S} s after the work (the server's last run, the client's mounts) are reported as they are,
and idle is the ${IDLE_S} s from ${SETTLE_S} s on; the verdict uses the maximum of that window. V8's memory
reducer (the only thing that shrinks an idle heap) waits until the allocation rate it averages over
its last samples is low, and those samples still hold the start-up and the runs: on a loaded
machine it can first shrink the heap a minute or more after the work, after this window. Child
processes (restic, rclone, smbnetfs) are not counted.

| measure | median | min | max | target | verdict |
|---|---|---|---|---|---|
| baseline: bare \`node\` idling (${bare.n} samples) | ${fmt(bare.median)} MB | ${fmt(bare.min)} MB | ${fmt(bare.max)} MB | | |
| pillarsd idle RSS (${s.n} samples) | ${fmt(s.median)} MB | ${fmt(s.min)} MB | ${fmt(s.max)} MB | ≤ 80 MB | ${vs}; ${fmt(s.median / bare.median, 2)}× bare node |
| client core (\`pillars watch\`) idle RSS (${c.n} samples) | ${fmt(c.median)} MB | ${fmt(c.min)} MB | ${fmt(c.max)} MB | ≤ 60 MB | ${vc}; ${fmt(c.median / bare.median, 2)}× bare node |
| pillarsd, first ${AFTER_WORK_S} s after its runs | ${fmt(sWork.median)} MB | ${fmt(sWork.min)} MB | ${fmt(sWork.max)} MB | | before the heap shrinks |
| \`pillars watch\`, first ${AFTER_WORK_S} s after mounting | ${fmt(cWork.median)} MB | ${fmt(cWork.min)} MB | ${fmt(cWork.max)} MB | | |
${partsRow('bare `node`', bareParts)}${partsRow('pillarsd', serverParts)}${partsRow('`pillars watch`', clientParts)}`;
  console.log(md);
  writeSection('idle-rss', md);
  if (!isMet(vs) || !isMet(vc)) process.exitCode = 1;
} finally {
  for (const d of outDirs) rmSync(d, { recursive: true, force: true });
  // the client guards unmounted mount folders (rule 9 of docs/architecture.md): removeTree lifts the guards
  removeTree(tmp);
}
