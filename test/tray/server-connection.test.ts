// The client's pillarsd connection over real TLS: a node:https server with a self-signed
// certificate (as `tls: auto` makes) speaks the API's status, SSE and pairing routes here, so the
// pinning, Last-Event-ID resume and resync are tested byte for byte. The end-to-end test against
// the real pillarsd is wiring.test.ts.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import selfsigned from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerConnection } from '../../src/main/core/server/connection';
import type { ConnectionSnapshot } from '../../src/main/core/server/connection';
import { PinMismatchError, fingerprintOfPem, requestJson } from '../../src/main/core/server/http';
import { pair, probeServer } from '../../src/main/core/server/pairing';
import { realTimers } from '../../src/main/core/tray/throttle';
import type { Run } from '../../server/src/contract/api';
import { healthyJobs, run, status } from './fixtures';

const TOKEN = 'pl_test_token_0123456789';
const CODE = 'K7Q2MX9P';

interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  lastEventId: string | undefined;
}

let server: https.Server;
let url: string;
let fingerprint: string;
const seen: Seen[] = [];
const streams = new Set<ServerResponse>();
let nextId = 1;
const history: Array<{ id: number; data: string; type: string }> = [];

function sse(res: ServerResponse, e: { id: number; data: string; type: string }) {
  res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${e.data}\n\n`);
}
/** Stored, then published: the same rule as pillarsd's event hub. */
function publish(type: string, body: object) {
  const e = { id: nextId++, type, data: JSON.stringify({ type, ...body }) };
  history.push(e);
  for (const s of streams) sse(s, e);
}

function handler(req: IncomingMessage, res: ServerResponse) {
  seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, lastEventId: req.headers['last-event-id'] as string | undefined });
  const json = (code: number, body: unknown) => {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.url === '/api/v1/health') return json(200, { ok: true, version: '0.1.0-test' });
  if (req.url === '/api/v1/pair' && req.method === 'POST') {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const { code } = JSON.parse(body) as { code: string };
      if (code !== CODE) return json(400, { status: 400, title: 'invalid or expired pairing code' });
      json(200, { token: TOKEN, role: 'admin', fingerprint });
    });
    return;
  }
  if (req.headers.authorization !== `Bearer ${TOKEN}`) return json(401, { status: 401, title: 'unauthorized' });
  if (req.url === '/api/v1/status') return json(200, status(healthyJobs()));
  if (req.url === '/api/v1/events') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(': hello\n\n');
    const after = Number(req.headers['last-event-id'] ?? 0);
    for (const e of history) if (e.id > after) sse(res, e);
    streams.add(res);
    res.on('close', () => streams.delete(res));
    return;
  }
  json(404, { status: 404, title: 'not found' });
}

beforeAll(async () => {
  const pems = selfsigned.generate([{ name: 'commonName', value: 'motoko' }], { days: 2, keySize: 2048, algorithm: 'sha256' });
  fingerprint = fingerprintOfPem(pems.cert);
  server = https.createServer({ key: pems.private, cert: pems.cert }, handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of streams) s.destroy();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const waitFor = async (cond: () => boolean, what: string, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('pinned HTTPS', () => {
  it('reads the status with the bearer token when the fingerprint matches', async () => {
    const st = await requestJson<{ jobs: unknown[] }>({ url, fingerprint, token: TOKEN }, { path: 'api/v1/status' });
    expect(st.jobs).toHaveLength(3);
    expect(seen.at(-1)).toMatchObject({ url: '/api/v1/status', auth: `Bearer ${TOKEN}` });
  });

  it('refuses a server whose certificate is not the paired one, before sending the token', async () => {
    const before = seen.length;
    const wrong = 'AA:' + fingerprint.slice(3);
    await expect(requestJson({ url, fingerprint: wrong, token: TOKEN }, { path: 'api/v1/status' })).rejects.toBeInstanceOf(PinMismatchError);
    expect(seen.length).toBe(before); // not a byte of the request reached the server
  });

  it('refuses https without a pinned fingerprint', async () => {
    await expect(requestJson({ url, fingerprint: null, token: TOKEN }, { path: 'api/v1/status' })).rejects.toThrow(/pair with the server first/);
  });
});

describe('pairing', () => {
  it('probes the fingerprint, then trades the code for a token on a pinned connection', async () => {
    const probe = await probeServer(url);
    expect(probe).toEqual({ url, fingerprint, version: '0.1.0-test' });
    const paired = await pair(url, probe.fingerprint, 'k7q2-mx9p'.toUpperCase());
    expect(paired).toEqual({ url, fingerprint, token: TOKEN, role: 'admin' });
  });

  it('a wrong code fails with the server message; an unconfirmed fingerprint is refused', async () => {
    await expect(pair(url, fingerprint, 'WRONG123')).rejects.toThrow(/400.*invalid or expired pairing code/);
    await expect(pair(url, null, CODE)).rejects.toThrow(/confirm the server certificate fingerprint/);
  });
});

describe('live connection', () => {
  it('streams run events, resumes with Last-Event-ID after a drop and resyncs the status', async () => {
    const snaps: ConnectionSnapshot[] = [];
    const runs: Run[] = [];
    const conn = createServerConnection({
      target: () => ({ url, fingerprint, token: TOKEN }),
      timers: realTimers,
      onChange: (s) => snaps.push(s),
      onRun: (r) => runs.push(r),
      backoffMs: [50],
      coalesceMs: 20,
    });
    try {
      conn.start();
      await waitFor(() => conn.snapshot().connection === 'connected' && streams.size === 1, 'connected');
      const statusReads = () => seen.filter((s) => s.url === '/api/v1/status').length;
      const readsBefore = statusReads();
      const failed = run('flux-backup', 'failed');
      publish('run.finished', { run: failed });
      await waitFor(() => runs.length === 1, 'run.finished');
      expect(runs[0]!.id).toBe(failed.id);
      await waitFor(() => statusReads() > readsBefore, 'status refresh after the event');

      // Drop the stream; events published while it is down arrive after the resume.
      for (const s of streams) s.destroy();
      const blocked = run('space-offsite', 'blocked');
      publish('run.blocked', { run: blocked });
      await waitFor(() => runs.length === 2, 'the missed event after reconnect');
      expect(runs[1]!.id).toBe(blocked.id);
      const resumes = seen.filter((s) => s.url === '/api/v1/events');
      expect(resumes.at(-1)!.lastEventId).toBe(String(nextId - 2));
      expect(conn.snapshot().connection).toBe('connected');
    } finally {
      conn.stop();
    }
    expect(snaps.some((s) => s.connection === 'connected' && s.status !== null)).toBe(true);
  });

  it('treats a silent stream (no heartbeat) as dead and reconnects', async () => {
    const opens = () => seen.filter((s) => s.url === '/api/v1/events').length;
    const before = opens();
    const states: string[] = [];
    const conn = createServerConnection({ target: () => ({ url, fingerprint, token: TOKEN }), timers: realTimers, onChange: (s) => states.push(s.connection), onRun: () => {}, backoffMs: [50], idleMs: 300 });
    try {
      conn.start();
      // the test server sends one comment and then stays silent
      await waitFor(() => opens() >= before + 3, 'two reconnects after silent periods');
    } finally {
      conn.stop();
    }
  });

  it('reports a revoked token as unauthorized and a dead server as unreachable', async () => {
    const states: string[] = [];
    const conn = createServerConnection({ target: () => ({ url, fingerprint, token: 'revoked' }), timers: realTimers, onChange: (s) => states.push(s.connection), onRun: () => {}, backoffMs: [5_000] });
    conn.start();
    await waitFor(() => states.includes('unauthorized'), 'unauthorized');
    conn.stop();
    const dead = createServerConnection({ target: () => ({ url: 'https://127.0.0.1:1', fingerprint, token: TOKEN }), timers: realTimers, onChange: (s) => states.push(s.connection), onRun: () => {}, backoffMs: [5_000] });
    dead.start();
    await waitFor(() => states.at(-1) === 'unreachable', 'unreachable');
    dead.stop();
  });
});
