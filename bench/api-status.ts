// GET /api/v1/status with 100,000 runs in history, over HTTPS with a bearer token, on this 2-core
// machine: the server (real engine status over SQLite, real token store, Fastify, TLS) in this
// process; the load generator in a child process so the two don't share an event loop. Open loop
// at 500 requests/s (requests leave on schedule whether or not earlier ones came back, so a slow
// server can't hide its queueing), then a closed loop for the maximum rate.
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfigFile } from '../server/src/config/load';
import { openRuntime } from '../server/src/jobs/runtime';
import { startHttpServer } from '../server/src/cli/http';
import { TokenStore } from '../server/src/store/tokens';
import { AuditLog } from '../server/src/store/audit';
import { PairingStore } from '../server/src/store/pairing';
import { newRunId } from '../server/src/store/runs';
import type { RunStatus } from '../server/src/contract/api';
import type { StatusApi } from '../server/src/ports/services';
import { fmt, stats, writeSection } from './lib/report';
import { isMet, verdict } from './lib/measure';

const FULL = !!process.env.PILLARS_FULL;
const RUNS = 100_000;
const RATE = 500;
const SECONDS = FULL ? 20 : 6;
const ROUNDS = 3;
const TARGET_P99_MS = 10;

/** The load generator (child process): open loop at `rate` for `seconds`, or closed loop with `concurrency`. */
const LOADGEN = `
import https from 'node:https';
const [url, token, fp, mode, a, b] = process.argv.slice(1);
const agent = new https.Agent({ keepAlive: true, maxSockets: 64, rejectUnauthorized: false });
const u = new URL('/api/v1/status', url);
let pinned = false;
const one = () => new Promise((resolve, reject) => {
  const t0 = performance.now();
  const req = https.request({ host: u.hostname, port: u.port, path: u.pathname, agent, headers: { host: 'localhost', authorization: 'Bearer ' + token } }, (res) => {
    if (!pinned) {
      // the self-signed certificate is checked by its pin, as the tray does
      if (res.socket.getPeerCertificate().fingerprint256 !== fp) return reject(new Error('fingerprint mismatch'));
      pinned = true;
    }
    res.resume();
    res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error('HTTP ' + res.statusCode))));
  });
  req.on('error', reject);
  req.end();
});
await one(); await one();
const lat = [];
if (mode === 'open') {
  const rate = Number(a), seconds = Number(b), total = rate * seconds;
  const start = performance.now();
  let sent = 0; const pending = [];
  await new Promise((done) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
      while (sent < due) { sent++; pending.push(one().then((ms) => lat.push(ms))); }
      if (sent < total) setTimeout(tick, 1); else done();
    };
    tick();
  });
  // A server that can't keep up would keep us here for minutes: wait at most 10 s more, and count
  // what is still out as taking at least until then (a lower bound, clearly over any target).
  const unfinished = [];
  const cutoff = new Promise((r) => setTimeout(r, 10000).unref());
  await Promise.race([Promise.all(pending), cutoff]);
  const lower = performance.now() - start - seconds * 1000;
  for (let i = lat.length; i < total; i++) unfinished.push(lower);
  lat.push(...unfinished);
  process.stdout.write(JSON.stringify({ lat, seconds: (performance.now() - start) / 1000 }));
} else {
  const conc = Number(a), seconds = Number(b);
  const end = performance.now() + seconds * 1000; let n = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: conc }, async () => { while (performance.now() < end) { await one(); n++; } }));
  process.stdout.write(JSON.stringify({ n, seconds: (performance.now() - start) / 1000 }));
}
agent.destroy();
`;

function loadgen(args: string[]): Promise<{ lat?: number[]; n?: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', LOADGEN, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as { lat?: number[]; n?: number; seconds: number }) : reject(new Error(`load generator exited ${code}`))));
  });
}

const load = os.loadavg()[0]!;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'pillars-bench-api-status-'));
try {
  const root = tmp;
  for (const p of ['flux', 'space', 'time']) {
    mkdirSync(path.join(root, p));
    writeFileSync(path.join(root, p, '.pillar'), `${p}\n`);
  }
  const conf = path.join(root, 'pillarsd.yaml');
  writeFileSync(
    conf,
    `stateDir: ${root}/state
server: { listen: "127.0.0.1:0", tls: auto }
pillars:
  flux: { path: ${root}/flux, requireMount: false }
  space: { path: ${root}/space, requireMount: false }
  time: { path: ${root}/time, requireMount: false }
secrets: { restic: "env:BENCH_RESTIC" }
remotes: { cloud: { type: local } }
jobs:
  flux-backup: { type: restic-backup, source: "flux:/", repository: "space:/backups/restic/flux", password: restic, schedule: "0 2 * * *" }
  flux-retention: { type: restic-forget, repository: "space:/backups/restic/flux", password: restic, keep: { daily: 7 }, schedule: "0 4 * * 0" }
  flux-verify: { type: restic-check, repository: "space:/backups/restic/flux", password: restic, schedule: "0 5 1 * *" }
  space-offsite: { type: rclone-sync, source: "space:/", destination: "cloud:/tmp/x", after: [flux-backup], schedule: "30 3 * * *" }
`,
  );
  const loaded = loadConfigFile(conf);
  const rt = openRuntime(loaded);
  // 100,000 runs of history, spread over the four jobs and every terminal status
  const jobs = Object.keys(loaded.config.jobs);
  const statuses: RunStatus[] = ['succeeded', 'succeeded', 'succeeded', 'failed', 'cancelled', 'interrupted'];
  const t0 = Date.now() - RUNS * 60_000;
  rt.db.transaction(() => {
    for (let i = 0; i < RUNS; i++) {
      const at = new Date(t0 + i * 60_000);
      const r = rt.runs.create({ id: newRunId(at), jobId: jobs[i % jobs.length]!, trigger: 'schedule', queuedAt: at.toISOString(), resources: [], ownerPid: null, ownerStart: null });
      rt.runs.update(r.id, { status: statuses[i % statuses.length]!, startedAt: at.toISOString(), finishedAt: new Date(at.getTime() + 30_000).toISOString(), exitCode: 0, logTail: 'done' });
    }
  })();
  const tokens = new TokenStore(rt.db);
  const token = tokens.create({ role: 'viewer', name: 'bench' }).token;
  const common = { engine: rt.engine, events: rt.hub, auth: tokens, audit: new AuditLog(rt.db), pairing: new PairingStore(rt.db, tokens, randomBytes(32)), log: () => {} };
  const measure = async (status: StatusApi, rounds: number) => {
    const srv = await startHttpServer({ server: loaded.config.server, stateDir: loaded.config.stateDir, deps: { ...common, status }, warn: () => {} });
    const out = { p50: [] as number[], p99: [] as number[], rps: [] as number[] };
    try {
      const args = [srv.url, token, srv.fingerprint!];
      await loadgen([...args, 'closed', '1', '0.2']); // warm-up: JIT, TLS session, SQLite cache
      for (let round = 0; round < rounds; round++) {
        const closed = await loadgen([...args, 'closed', '16', String(Math.min(SECONDS, 5))]);
        out.rps.push(closed.n! / closed.seconds);
        const open = await loadgen([...args, 'open', String(RATE), String(SECONDS)]);
        const s = stats(open.lat!);
        out.p50.push(s.p50);
        out.p99.push(s.p99);
      }
    } finally {
      await srv.close();
    }
    return out;
  };
  let bytes = 0;
  let full: Awaited<ReturnType<typeof measure>>;
  let httpOnly: Awaited<ReturnType<typeof measure>>;
  // The engine's own cost per status, uncached (what the API's 1 s shared answer saves).
  const engineMs: number[] = [];
  for (let i = 0; i < 30; i++) {
    const a = performance.now();
    await rt.status.status();
    engineMs.push(performance.now() - a);
  }
  // As during a backup: an event every 250 ms (run.progress), each one invalidating the shared status.
  const ticker = setInterval(() => rt.hub.publish({ type: 'status.changed', reason: 'bench tick' }), 250);
  try {
    full = await measure(rt.status, ROUNDS);
    clearInterval(ticker);
    // The same answer, computed once: what the HTTP layer (TLS, auth, routing, JSON) costs alone.
    const fixed = await rt.status.status();
    bytes = JSON.stringify(fixed).length;
    httpOnly = await measure({ status: async () => fixed }, 1);
  } finally {
    clearInterval(ticker);
    rt.close();
  }
  const eng = stats(engineMs);
  const p50s = full.p50;
  const p99s = full.p99;
  const rates = full.rps;
  const p50 = stats(p50s);
  const p99 = stats(p99s);
  const rps = stats(rates);
  const v = verdict(p99.median, TARGET_P99_MS);
  const vr = verdict(rps.median, RATE, false);
  const md = `## API status under load (\`bench/api-status.ts\`)

Method: \`GET /api/v1/status\` over HTTPS (the \`tls: auto\` key pair, pinned by the client) with a
viewer bearer token, against \`startHttpServer\` with the real engine status (4 jobs) over SQLite
holding ${RUNS.toLocaleString('en')} runs; the answer is ${Math.round(bytes / 1024)} KiB. The load generator is a
separate Node process (keep-alive, up to 64 sockets). Each of ${ROUNDS} rounds: an open loop at
${RATE} requests/s for ${SECONDS} s (latency from the scheduled send to the last byte), then a closed
loop of 16 concurrent requests for up to 5 s (maximum rate). Median, min and max are over the rounds.
The API shares one status computation between concurrent requests and reuses it for up to 1 s;
any hub event invalidates it, and the bench publishes one every 250 ms, as a running backup's
progress does.

| measure | median | min | max | target | verdict |
|---|---|---|---|---|---|
| p50 latency at ${RATE} req/s | ${fmt(p50.median, 2)} ms | ${fmt(p50.min, 2)} ms | ${fmt(p50.max, 2)} ms | | |
| p99 latency at ${RATE} req/s | ${fmt(p99.median, 2)} ms | ${fmt(p99.min, 2)} ms | ${fmt(p99.max, 2)} ms | ≤ ${TARGET_P99_MS} ms | ${v} |
| requests/s, 16 concurrent | ${fmt(rps.median, 0)} | ${fmt(rps.min, 0)} | ${fmt(rps.max, 0)} | ≥ ${RATE} | ${vr} |
| engine status computation, uncached (30 calls) | ${fmt(eng.median, 2)} ms | ${fmt(eng.min, 2)} ms | ${fmt(eng.max, 2)} ms | | |
| HTTP layer alone (status precomputed): p99 at ${RATE} req/s, 1 round | ${fmt(httpOnly.p99[0]!, 2)} ms | | | | |
| HTTP layer alone: requests/s, 16 concurrent | ${fmt(httpOnly.rps[0]!, 0)} | | | | |

Unfinished requests of an open loop the server could not keep up with count as their time until
the load generator's 10 s grace ran out (a lower bound). 1-minute load average when the bench
started: ${fmt(load, 1)} on ${os.cpus().length} cores (other work shares the machine).
`;
  console.log(md);
  writeSection('api-status', md);
  if (!isMet(v) || !isMet(vr)) process.exitCode = 1;
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
