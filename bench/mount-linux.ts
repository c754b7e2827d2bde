// Client mounts on Linux: a cold mount of three pillars (smbnetfs, in parallel, through the mount
// manager as the tray and `pillars mount` run it), and how long the manager takes to report a
// killed and a hung (SIGSTOP) server with its production timings (every 2 s an SMB2 NEGOTIATE with a
// 1.5 s deadline and a look at the mount table; probe children rarely). Real smbd on its own
// loopback address, real FUSE mounts. The password comes from an in-memory source: the vault's own
// latency is not what this measures. The event loop's worst delay is recorded throughout (rule 8 of
// docs/architecture.md), against an idle Node process's over the same time.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fmt, stats, writeSection } from './lib/report';
import { sleep, verdict } from './lib/measure';
import { startSmbd } from '../test/support/smbd';
import { startKeyring } from '../test/support/keyring';
import { spawnProcess } from '../test/support/cli';
import { releaseMounts, removeTree } from '../test/support/guarded';
import { bundleFile } from '../scripts/bundle.mjs';
import { KeychainStore } from '../src/main/core/secrets';
import { createExec, createFs, smbProbe } from '../src/platform/host';
import { createLinuxPlatform } from '../src/platform/linux/adapter';
import { MountManager } from '../src/main/core/mounts/manager';
import { secretsChain } from '../src/main/core/secrets';

const FULL = !!process.env.PILLARS_FULL;
const ROUNDS = FULL ? 10 : 3;
const USER = 'pillarsb6';
const PW = 'bench-mount-pw';
const IDS = ['flux', 'space', 'time'];
const TARGET = { coldMs: 5_000, killedMs: 5_000, hungMs: 15_000, loopMs: 50, backMs: 5_000 };

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pillars-bench-mount-'));
const home = path.join(tmp, 'home');
mkdirSync(home);

const smbd = await startSmbd({ users: [{ name: USER, password: PW }], shares: IDS.map((id) => ({ name: id, path: path.join(tmp, 'srv', id) })) });
for (const id of IDS) writeFileSync(path.join(tmp, 'srv', id, '.pillar'), id);
const platform = createLinuxPlatform({ exec: createExec(), fs: createFs(), home, uid: process.getuid?.() ?? 0, mountRoot: path.join(home, '.mkt'), runtimeDir: path.join(tmp, 'run'), links: true });
const pillars = IDS.map((id) => ({ id, share: id, label: id[0]!.toUpperCase() + id.slice(1) }));
const manager = new MountManager({
  platform,
  secrets: secretsChain({ cache: null, sources: [{ id: 'stdin', describe: 'in memory', get: async () => PW }] }),
  server: { host: smbd.address, username: USER },
  pillars,
  serverProbe: smbProbe,
});
// the core of the detection part runs as in production: `pillars watch` in a process of its own
// (the shipped esbuild bundle), its password in the keychain (a private gnome-keyring)
const ROOT = path.resolve(import.meta.dirname, '..');
const outDir = path.join(ROOT, 'dist', `bench-mount-${process.pid}`);
const cliJs = path.join(outDir, 'pillars.js');
await bundleFile(path.join(ROOT, 'src/cli/main.ts'), cliJs);
const keyring = await startKeyring();
keyring.applyToProcess();
await new KeychainStore(`${USER}@${smbd.address}`).set(PW);
const settingsFile = path.join(tmp, 'settings.json');
writeFileSync(settingsFile, JSON.stringify({ smb: { host: smbd.address, username: USER, domain: '' }, secret: { source: 'keychain' }, pillars, mountRoot: path.join(home, '.mkt') }));
// an idle Node process measures what the shared machine's scheduler alone adds
const IDLE = `const h=require('perf_hooks').monitorEventLoopDelay({resolution:10});h.enable();process.stdin.resume();process.on('SIGTERM',()=>{process.stdout.write(JSON.stringify({max:h.max/1e6,p99:h.percentile(99)/1e6}));process.exit(0)})`;

let watch: ReturnType<typeof spawnProcess> | null = null;
const states = (): string[] => {
  const lines = (watch?.stdout() ?? '').split('\n').filter((l) => l.startsWith('{"pillars"'));
  const last = lines[lines.length - 1];
  return last ? (JSON.parse(last) as { pillars: Array<{ state: string }> }).pillars.map((p) => p.state) : [];
};
const waitFor = async (pred: () => boolean, limitMs: number): Promise<number> => {
  const t0 = performance.now();
  while (!pred()) {
    if (performance.now() - t0 > limitMs) throw new Error(`not reached within ${limitMs} ms: ${watch?.stdout().slice(-2000)}`);
    await sleep(20);
  }
  return performance.now() - t0;
};
const allMounted = () => states().length === 3 && states().every((s) => s === 'mounted');
const noneMounted = () => states().length === 3 && states().every((s) => s !== 'mounted' && s !== 'mounting');

const cold: number[] = [];
const killed: number[] = [];
const hung: number[] = [];
const back: number[] = [];
let loopStats = { maxMs: 0, p99Ms: 0 };
let base = { max: 0, p99: 0 };
try {
  for (let i = 0; i < ROUNDS; i++) {
    await manager.unmount();
    const t0 = performance.now();
    const s = await manager.mount();
    cold.push(performance.now() - t0);
    if (!s.every((p) => p.state === 'mounted')) throw new Error(`cold mount failed: ${JSON.stringify(s)}`);
  }
  watch = spawnProcess(process.execPath, [cliJs, '--config', settingsFile, '--json', 'watch', '--loop-stats'], { env: { HOME: home, XDG_RUNTIME_DIR: path.join(tmp, 'run'), ...keyring.env }, cwd: tmp });
  const idle = spawn(process.execPath, ['-e', IDLE], { stdio: ['pipe', 'pipe', 'inherit'] });
  let idleOut = '';
  idle.stdout!.on('data', (b: Buffer) => (idleOut += b.toString()));
  for (let i = 0; i < ROUNDS; i++) {
    await waitFor(allMounted, 60_000);
    await sleep(500 + Math.random() * 1_500); // detection depends on where in the 2 s cycle the failure lands
    await smbd.kill();
    killed.push(await waitFor(noneMounted, 30_000));
    await smbd.restart();
    back.push(await waitFor(allMounted, 90_000));

    await sleep(500 + Math.random() * 1_500);
    await smbd.pause();
    hung.push(await waitFor(noneMounted, 60_000));
    await smbd.resume();
  }
  await waitFor(allMounted, 90_000);
  await watch.kill('SIGTERM');
  loopStats = (JSON.parse(watch.stdout().trim().split('\n').pop()!) as { eventLoop: typeof loopStats }).eventLoop;
  idle.kill('SIGTERM');
  await new Promise((r) => idle.once('exit', r));
  base = JSON.parse(idleOut || '{"max":0,"p99":0}') as typeof base;
} finally {
  await watch?.stop();
  await smbd.resume().catch(() => undefined);
  await manager.unmount().catch(() => undefined);
  releaseMounts(home);
  await smbd.stop();
  await keyring.stop();
  removeTree(tmp);
  rmSync(outDir, { recursive: true, force: true });
}

const c = stats(cold);
const k = stats(killed);
const h = stats(hung);
const b = stats(back);
const loopMax = loopStats.maxMs;
const loopP99 = loopStats.p99Ms;
const rows = [
  `| cold mount of 3 pillars, in parallel (${c.n} rounds) | ${fmt(c.median, 0)} ms | ${fmt(c.min, 0)} ms | ${fmt(c.max, 0)} ms | ≤ ${TARGET.coldMs} ms | ${verdict(c.max, TARGET.coldMs)} |`,
  `| server killed → every pillar unhealthy (${k.n} rounds) | ${fmt(k.median, 0)} ms | ${fmt(k.min, 0)} ms | ${fmt(k.max, 0)} ms | ≤ ${TARGET.killedMs} ms | ${verdict(k.max, TARGET.killedMs)} |`,
  `| server hung (SIGSTOP) → every pillar unhealthy (${h.n} rounds) | ${fmt(h.median, 0)} ms | ${fmt(h.min, 0)} ms | ${fmt(h.max, 0)} ms | ≤ ${TARGET.hungMs} ms | ${verdict(h.max, TARGET.hungMs)} |`,
  `| server back → every pillar mounted again, by itself (${b.n} rounds) | ${fmt(b.median, 0)} ms | ${fmt(b.min, 0)} ms | ${fmt(b.max, 0)} ms | ≤ ${TARGET.backMs} ms | ${verdict(b.max, TARGET.backMs)} |`,
  `| event-loop delay of the core meanwhile: p99 / worst | ${fmt(loopP99, 1)} ms | | ${fmt(loopMax, 1)} ms | p99 ≤ ${TARGET.loopMs} ms | ${verdict(loopP99, TARGET.loopMs)} |`,
  `| the same in an idle Node process on the machine (scheduler noise): p99 / worst | ${fmt(base.p99, 1)} ms | | ${fmt(base.max, 1)} ms | | |`,
  `| the core's worst beyond the idle process's worst (what the core itself holds its loop) | ${fmt(Math.max(0, loopMax - base.max), 1)} ms | | | ≤ ${TARGET.loopMs} ms | ${verdict(Math.max(0.1, loopMax - base.max), TARGET.loopMs)} |`,
];
const md = `## Client mounts on Linux (\`bench/mount-linux.ts\`)

Method: a private smbd (Samba 4.17) on its own loopback address serving flux, space and time; the
client core's MountManager with the Linux adapter (one smbnetfs FUSE mount per pillar) in this
process for the cold mount. Cold mount: \`manager.mount()\` of the three pillars from unmounted (smbnetfs start, first
listing proving the login, \`~/<pillar>\` links), password from memory. Detection: \`pillars watch\` (the
shipped bundle, password from a private gnome-keyring) in its own process, with the manager's
production loop (every 2 s: an SMB2 ECHO on a kept connection with a 1.5 s deadline and a look at the mount table
and the mounts' counters; a probe child through a share only after a mount, once a minute, or when
a cheap check changes), the failure injected at a random point of the cycle, timed until no
pillar is reported mounted; "back" is from \`smbd\` restarting until all three are mounted again
without any call. The watch process samples its own event-loop delay (10 ms resolution) over the
whole detection part, and at the same time in an idle Node process, whose figures show what the shared machine's
scheduler alone adds (its load average was ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores at the end).

| measure | median | min | max | target | verdict |
|---|---|---|---|---|---|
${rows.join('\n')}
`;
writeSection('mount-linux', md);
process.stdout.write(`${md}\n`);
if (![c.max <= TARGET.coldMs, k.max <= TARGET.killedMs, h.max <= TARGET.hungMs, b.max <= TARGET.backMs, loopP99 <= TARGET.loopMs, loopMax - base.max <= TARGET.loopMs].every(Boolean)) process.exitCode = 1;
