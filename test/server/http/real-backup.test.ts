// The acceptance with the real engine: a real restic backup of a Flux folder into a repository on
// Space, started through the API of a listening HTTPS server; an SSE client sees run.started,
// run.progress and run.finished in order, drops its connection mid-run, resumes with
// Last-Event-ID and misses nothing (compared with the hub's stored events).
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { StoredEvent } from '../../../server/src/contract/api';
import { loadConfigFile } from '../../../server/src/config/load';
import { openRuntime, type Runtime } from '../../../server/src/jobs/runtime';
import { startHttpServer } from '../../../server/src/cli/http';
import type { RunningHttpServer } from '../../../server/src/http/server';
import { TokenStore } from '../../../server/src/store/tokens';
import { AuditLog } from '../../../server/src/store/audit';
import { PairingStore } from '../../../server/src/store/pairing';
import { tempDir } from '../../support/tmp';
import { makeMotokoFolders, motokoConfig } from '../../support/motoko';
import { request, sse, type Target } from './support/client';

const work = tempDir('pillars-http-backup-');
let rt: Runtime;
let srv: RunningHttpServer;
let t: Target;
let admin: string;

beforeAll(async () => {
  const root = work.path;
  makeMotokoFolders(root);
  // ~48 MB of incompressible data: enough for restic to report progress several times
  for (let d = 0; d < 3; d++) {
    mkdirSync(path.join(root, 'flux', `d${d}`));
    for (let i = 0; i < 4; i++) writeFileSync(path.join(root, 'flux', `d${d}`, `f${i}.bin`), randomBytes(4 << 20));
  }
  const pw = path.join(root, 'restic.pw');
  writeFileSync(pw, randomBytes(16).toString('hex'), { mode: 0o600 });
  const conf = path.join(root, 'pillarsd.yaml');
  writeFileSync(conf, motokoConfig({ root, server: '{ listen: "127.0.0.1:0", tls: auto, allowedHosts: [motoko] }', resticSecret: `file:${pw}`, jobs: { backup: {} } }));
  const loaded = loadConfigFile(conf);
  rt = openRuntime(loaded, { env: { ...process.env, HOME: root } });
  await rt.engine.recover();
  const tokens = new TokenStore(rt.db);
  admin = tokens.create({ role: 'admin', name: 'acceptance' }).token;
  srv = await startHttpServer({
    server: loaded.config.server,
    stateDir: loaded.config.stateDir,
    deps: { engine: rt.engine, events: rt.hub, status: rt.status, auth: tokens, audit: new AuditLog(rt.db), pairing: new PairingStore(rt.db, tokens, randomBytes(32)) },
    warn: () => {},
  });
  t = { url: srv.url, fingerprint: srv.fingerprint };
}, 120_000);

afterAll(async () => {
  await srv?.close();
  await rt?.engine.stop();
  rt?.close();
  await work.cleanup();
});

it('streams a real backup in order and resumes after a drop without missing an event', async () => {
  const H = { host: 'motoko', authorization: `Bearer ${admin}` };
  const first = await sse(t, '/api/v1/events', H);
  expect(first.status).toBe(200);
  const res = await request(t, { method: 'POST', path: '/api/v1/jobs/flux-backup/run', headers: H });
  expect(res.status, res.text).toBe(202);
  const { runId } = res.json() as { runId: string };
  const mine = (m: { data: string }) => {
    const e = (JSON.parse(m.data) as StoredEvent).event;
    return ('run' in e ? e.run.id : 'runId' in e ? e.runId : null) === runId;
  };
  await first.waitFor((ms) => ms.some((m) => m.event === 'run.started' && mine(m)), 30_000);
  first.close(); // the connection drops while restic works
  await first.ended;
  const lastSeen = first.messages.at(-1)!.id!;

  const second = await sse(t, '/api/v1/events', { ...H, 'last-event-id': lastSeen });
  try {
    await second.waitFor((ms) => ms.some((m) => m.event === 'run.finished' && mine(m)), 120_000);
    const all = [...first.messages, ...second.messages];
    const ids = all.map((m) => Number(m.id));
    const stored = rt.hub.since(ids[0]! - 1, 10_000).filter((e) => e.id <= ids.at(-1)!);
    expect(ids).toEqual(stored.map((e) => e.id)); // nothing missed, nothing twice, in order
    const kinds = all.filter(mine).map((m) => m.event);
    expect(kinds[0]).toBe('run.queued');
    expect(kinds.indexOf('run.started')).toBeGreaterThan(0);
    expect(kinds.filter((k) => k === 'run.progress').length).toBeGreaterThan(0);
    expect(kinds.indexOf('run.progress')).toBeGreaterThan(kinds.indexOf('run.started'));
    expect(kinds.at(-1)).toBe('run.finished');
    const fin = (JSON.parse(all.filter(mine).at(-1)!.data) as StoredEvent).event as { run: { status: string; error: string | null; summary: { kind: string; filesNew: number } } };
    expect(fin.run.status, fin.run.error ?? '').toBe('succeeded');
    expect(fin.run.summary).toMatchObject({ kind: 'restic-backup', filesNew: 13 }); // 12 data files + the .pillar sentinel
  } finally {
    second.close();
  }
}, 180_000);
