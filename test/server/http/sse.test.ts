// Live events over a real HTTPS server: order, resume with Last-Event-ID after a dropped
// connection, EventSource tickets, heartbeats, a bounded queue per client, and a followed run log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../server/src/contract/api';
import { bearer, startStack, type LiveStack } from './support/stack';
import { request, sse, type Target } from './support/client';

let s: LiveStack;
let t: Target;
beforeAll(async () => {
  s = await startStack({ over: { sse: { heartbeatMs: 150, ticketTtlMs: 2_000 } } });
  t = { url: s.srv.url, fingerprint: s.srv.fingerprint };
});
afterAll(async () => s?.close());

const H = { host: 'motoko' };
const types = (ms: Array<{ event?: string }>) => ms.map((m) => m.event);

describe('GET /api/v1/events', () => {
  it('streams a run in order, with the hub ids, and heartbeats', async () => {
    const c = await sse(t, '/api/v1/events', { ...H, ...bearer(s.viewer) });
    try {
      expect(c.status).toBe(200);
      expect(c.res.headers['content-type']).toMatch(/text\/event-stream/);
      const r = s.engine.runNow('flux-backup');
      s.engine.start(r.id);
      s.engine.progress(r.id, 10);
      s.engine.progress(r.id, 60);
      s.engine.finish(r.id);
      await c.waitFor((m) => m.some((x) => x.event === 'run.finished'));
      expect(types(c.messages)).toEqual(['run.queued', 'run.started', 'run.progress', 'run.progress', 'run.finished']);
      const stored = c.messages.map((m) => JSON.parse(m.data) as StoredEvent);
      for (const [i, m] of c.messages.entries()) expect(Number(m.id)).toBe(stored[i]!.id);
      expect(stored.map((e) => e.id)).toEqual(s.hub.since(stored[0]!.id - 1, 10).map((e) => e.id));
      await c.waitFor(() => c.comments.includes('heartbeat'), 2_000);
    } finally {
      c.close();
    }
  });

  it('resumes after a dropped connection with Last-Event-ID and misses nothing', async () => {
    const first = await sse(t, '/api/v1/events', { ...H, ...bearer(s.viewer) });
    const r = s.engine.runNow('flux-backup');
    s.engine.start(r.id);
    await first.waitFor((m) => m.length === 2);
    first.close(); // the Wi-Fi drops
    await first.ended;
    const lastSeen = first.messages[1]!.id!;
    for (let p = 1; p <= 20; p++) s.engine.progress(r.id, p * 5);
    s.engine.finish(r.id);
    const second = await sse(t, '/api/v1/events', { ...H, ...bearer(s.viewer), 'last-event-id': lastSeen });
    try {
      s.engine.runNow('space-offsite'); // live after the replay
      await second.waitFor((m) => m.some((x) => x.event === 'run.queued'));
      expect(types(second.messages)).toEqual([...Array(20).fill('run.progress'), 'run.finished', 'run.queued']);
      const ids = second.messages.map((m) => Number(m.id));
      expect(ids[0]).toBe(Number(lastSeen) + 1);
      for (let i = 1; i < ids.length; i++) expect(ids[i]).toBe(ids[i - 1]! + 1);
    } finally {
      second.close();
    }
  });

  it('lets EventSource clients in with a single-use, short-lived ticket', async () => {
    const tk = await request(t, { method: 'POST', path: '/api/v1/events/ticket', headers: { ...H, ...bearer(s.viewer) } });
    expect(tk.status).toBe(200);
    const { ticket } = tk.json() as { ticket: string };
    const c = await sse(t, `/api/v1/events?ticket=${ticket}&lastEventId=${s.hub.lastId()}`, H);
    expect(c.status).toBe(200);
    c.close();
    const reused = await sse(t, `/api/v1/events?ticket=${ticket}`, H);
    expect(reused.status).toBe(401);
    reused.close();
    const old = (await request(t, { method: 'POST', path: '/api/v1/events/ticket', headers: { ...H, ...bearer(s.viewer) } })).json() as { ticket: string };
    await new Promise((r) => setTimeout(r, 2_100));
    const expired = await sse(t, `/api/v1/events?ticket=${old.ticket}`, H);
    expect(expired.status).toBe(401);
    expired.close();
    const plain = await request(t, { path: '/api/v1/events', headers: { ...H, ...bearer(s.viewer) } });
    expect(plain.status).toBe(406);
  });

  it("answers HEAD with the stream's headers and no body instead of holding the request open", async () => {
    const head = await request(t, { method: 'HEAD', path: '/api/v1/events', headers: { ...H, ...bearer(s.viewer), accept: 'text/event-stream' }, signal: AbortSignal.timeout(5_000) });
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(head.headers['cache-control']).toMatch(/no-store/);
    expect(head.text).toBe('');
    // the gates still apply: no token, no answer
    expect((await request(t, { method: 'HEAD', path: '/api/v1/events', headers: { ...H, accept: 'text/event-stream' }, signal: AbortSignal.timeout(5_000) })).status).toBe(401);
  });

  it('drops a client that stops reading once its queue is full; it resumes and gets everything', async () => {
    const small = await startStack({ over: { sse: { maxQueued: 4 } }, server: { tls: 'off' } });
    try {
      const st: Target = { url: small.srv.url };
      const before = small.hub.lastId();
      const stalled = await sse(st, '/api/v1/events', { ...H, ...bearer(small.viewer) }, { pause: true });
      const r = small.engine.runNow('flux-backup');
      const line = 'x'.repeat(128 * 1024);
      for (let i = 0; i < 150; i++) {
        small.engine.log(r.id, [`${i} ${line}`]);
        if (i % 20 === 0) await new Promise((res) => setTimeout(res, 5));
      }
      const sent = small.hub.lastId() - before;
      // The client reads again: it gets what was in flight, then the end of the dropped stream.
      stalled.resume();
      await stalled.ended;
      expect(stalled.messages.length).toBeLessThan(sent);
      const resumeFrom = stalled.messages.at(-1)?.id ?? String(before);
      const again = await sse(st, '/api/v1/events', { ...H, ...bearer(small.viewer), 'last-event-id': resumeFrom });
      try {
        const got = () => [...stalled.messages, ...again.messages].map((m) => Number(m.id));
        await again.waitFor(() => got().length === sent, 20_000);
        expect(got()).toEqual(small.hub.since(before, 10_000).map((e) => e.id));
      } finally {
        again.close();
      }
    } finally {
      await small.close();
    }
  });
});

describe('GET /api/v1/runs/:id/log?follow=1', () => {
  it('sends the log so far, then the run’s new lines, and ends with the run', async () => {
    const r = s.engine.runNow('flux-backup');
    s.engine.start(r.id);
    s.engine.log(r.id, ['scan', 'upload a']);
    const c = await sse(t, `/api/v1/runs/${r.id}/log?follow=1`, { ...H, ...bearer(s.viewer) });
    await c.waitFor((m) => m.length >= 1);
    const other = s.engine.runNow('space-offsite');
    s.engine.log(other.id, ['not mine']);
    s.engine.log(r.id, ['upload b']);
    s.engine.finish(r.id);
    await c.ended;
    expect(types(c.messages)).toEqual(['log', 'run.log', 'run.finished']);
    expect(JSON.parse(c.messages[0]!.data)).toMatchObject({ runId: r.id, log: 'scan\nupload a' });
    expect(c.messages[1]!.data).toContain('upload b');
  });

  // An empty 200 stream would make an EventSource reconnect to a run that does not exist forever.
  it('answers 404 naming the run, not an empty stream, when the run does not exist', async () => {
    const c = await sse(t, '/api/v1/runs/r-nope/log?follow=1', { ...H, ...bearer(s.viewer) });
    await c.ended;
    expect(c.status).toBe(404);
    expect(c.res.headers['content-type']).toMatch(/json/);
    expect(c.messages).toEqual([]);
  });
});
