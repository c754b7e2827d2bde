// Fan-out of run.finished to 200 SSE clients: the server (real event store in SQLite, Fastify,
// @fastify/sse, TLS) in this process publishes; 200 clients in a child process (pinned HTTPS, one
// connection each, a real SSE parser) stamp each event as its chunk arrives. Latency = arrival −
// publish on the shared wall clock (performance.timeOrigin + now(): sub-millisecond on one host).
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { loadConfigFile } from '../server/src/config/load';
import { openRuntime } from '../server/src/jobs/runtime';
import { startHttpServer } from '../server/src/cli/http';
import { TokenStore } from '../server/src/store/tokens';
import { AuditLog } from '../server/src/store/audit';
import { PairingStore } from '../server/src/store/pairing';
import { toWire, newRunId } from '../server/src/store/runs';
import { fmt, stats, writeSection } from './lib/report';
import { isMet, verdict } from './lib/measure';

const FULL = !!process.env.PILLARS_FULL;
const CLIENTS = 200;
const EVENTS = FULL ? 100 : 20;
const ROUNDS = 3;
const TARGET_P99_MS = 100;
const parserPath = createRequire(import.meta.url).resolve('eventsource-parser');

const CLIENTS_JS = `
import https from 'node:https';
import { createParser } from ${JSON.stringify(parserPath)};
const [url, token, fp, n, expect] = process.argv.slice(1);
const u = new URL('/api/v1/events', url);
const arrivals = [];
let done = 0;
const now = () => performance.timeOrigin + performance.now();
const open = (i) => new Promise((resolve, reject) => {
  const req = https.request({ host: u.hostname, port: u.port, path: u.pathname, rejectUnauthorized: false, agent: false,
    headers: { host: 'localhost', accept: 'text/event-stream', authorization: 'Bearer ' + token } }, (res) => {
    if (res.socket.getPeerCertificate().fingerprint256 !== fp) return reject(new Error('fingerprint mismatch'));
    if (res.statusCode !== 200) return reject(new Error('HTTP ' + res.statusCode));
    let at = 0, seen = 0;
    const p = createParser({ onEvent: (e) => { if (e.event === 'run.finished') { arrivals.push([i, Number(e.id), at]); if (++seen === Number(expect)) { done++; res.destroy(); if (done === Number(n)) finish(); } } } });
    res.setEncoding('utf8');
    res.on('data', (c) => { at = now(); p.feed(c); });
    resolve();
  });
  req.on('error', reject);
  req.end();
});
const finish = () => { process.stdout.write(JSON.stringify(arrivals)); process.exit(0); };
for (let i = 0; i < Number(n); i += 20) await Promise.all(Array.from({ length: Math.min(20, Number(n) - i) }, (_, k) => open(i + k)));
process.stderr.write('ready\\n');
setTimeout(() => { process.stderr.write('timeout: ' + done + ' clients complete\\n'); finish(); }, 120000).unref();
`;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pillars-bench-api-sse-'));
try {
  for (const p of ['flux', 'space']) mkdirSync(path.join(tmp, p));
  const conf = path.join(tmp, 'pillarsd.yaml');
  writeFileSync(conf, `stateDir: ${tmp}/state\nserver: { listen: "127.0.0.1:0", tls: auto }\npillars:\n  flux: { path: ${tmp}/flux, requireMount: false }\n  space: { path: ${tmp}/space, requireMount: false }\n`);
  const loaded = loadConfigFile(conf);
  const rt = openRuntime(loaded);
  const tokens = new TokenStore(rt.db);
  const token = tokens.create({ role: 'viewer', name: 'bench' }).token;
  const srv = await startHttpServer({
    server: loaded.config.server,
    stateDir: loaded.config.stateDir,
    deps: { engine: rt.engine, events: rt.hub, status: rt.status, auth: tokens, audit: new AuditLog(rt.db), pairing: new PairingStore(rt.db, tokens, randomBytes(32)), log: () => {} },
    warn: () => {},
  });
  const p50s: number[] = [];
  const p99s: number[] = [];
  const maxes: number[] = [];
  const serverSide: number[] = [];
  const load = os.loadavg()[0]!;
  let total = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', CLIENTS_JS, srv.url, token, srv.fingerprint!, String(CLIENTS), String(EVENTS)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      const closed = new Promise<number | null>((r) => child.on('close', r));
      await new Promise<void>((resolve, reject) => {
        child.stderr.on('data', (b: Buffer) => (b.toString().includes('ready') ? resolve() : process.stderr.write(b)));
        child.once('close', (c) => reject(new Error(`clients exited ${c} before they were ready`)));
      });
      const published = new Map<number, number>();
      for (let e = 0; e < EVENTS; e++) {
        const at = new Date();
        const rec = rt.runs.create({ id: newRunId(at), jobId: 'bench', trigger: 'manual', queuedAt: at.toISOString(), resources: [], ownerPid: null, ownerStart: null });
        const run = toWire(rt.runs.update(rec.id, { status: 'succeeded', startedAt: at.toISOString(), finishedAt: at.toISOString(), exitCode: 0, logTail: 'snapshot 1a2b3c4d saved\n'.repeat(8) }));
        const t = performance.timeOrigin + performance.now();
        const stored = rt.hub.publish({ type: 'run.finished', run });
        published.set(stored.id, t);
        // every client's write is issued once the microtasks the publish started have run
        await new Promise((r) => setImmediate(r));
        serverSide.push(performance.timeOrigin + performance.now() - t);
        await new Promise((r) => setTimeout(r, 250));
      }
      const code = await closed;
      if (code !== 0) throw new Error(`clients exited ${code}`);
      const arrivals = JSON.parse(out) as Array<[number, number, number]>;
      if (arrivals.length !== CLIENTS * EVENTS) throw new Error(`${arrivals.length} of ${CLIENTS * EVENTS} deliveries arrived`);
      const lat = arrivals.map(([, id, at]) => at - published.get(id)!);
      const s = stats(lat);
      p50s.push(s.p50);
      p99s.push(s.p99);
      maxes.push(s.max);
      total += lat.length;
    }
  } finally {
    await srv.close();
    rt.close();
  }
  const p50 = stats(p50s);
  const p99 = stats(p99s);
  const mx = stats(maxes);
  const sv = stats(serverSide);
  const v = verdict(p99.median, TARGET_P99_MS);
  const md = `## API event fan-out (\`bench/api-sse.ts\`)

Method: ${CLIENTS} SSE clients (a separate Node process; pinned HTTPS, one connection each,
eventsource-parser) hold \`GET /api/v1/events\` open on \`startHttpServer\` (\`tls: auto\`, viewer
token); the server process publishes ${EVENTS} \`run.finished\` events 250 ms apart through the real
event store (stored in SQLite, then published). Each delivery is stamped when its chunk reaches the
client; latency = arrival − publish on the shared clock. ${ROUNDS} rounds, ${total.toLocaleString('en')} deliveries;
median, min and max over the rounds.

| measure | median | min | max | target | verdict |
|---|---|---|---|---|---|
| p50 publish → client | ${fmt(p50.median, 2)} ms | ${fmt(p50.min, 2)} ms | ${fmt(p50.max, 2)} ms | | |
| p99 publish → client | ${fmt(p99.median, 2)} ms | ${fmt(p99.min, 2)} ms | ${fmt(p99.max, 2)} ms | ≤ ${TARGET_P99_MS} ms | ${v} |
| slowest delivery | ${fmt(mx.median, 2)} ms | ${fmt(mx.min, 2)} ms | ${fmt(mx.max, 2)} ms | | |
| server: publish → all ${CLIENTS} writes issued (per event) | ${fmt(sv.median, 2)} ms | ${fmt(sv.min, 2)} ms | ${fmt(sv.max, 2)} ms | | |

1-minute load average when the bench started: ${fmt(load, 1)} on ${os.cpus().length} cores (other work shares the machine;
the client process's own scheduling delay is part of every figure above except the last).
`;
  console.log(md);
  writeSection('api-sse', md);
  if (!isMet(v)) process.exitCode = 1;
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
