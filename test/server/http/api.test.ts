// API v1 through inject: shapes, problem JSON, schemas, roles, audit, pairing, tokens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, makeStack, type Stack } from './support/stack';
import { MINI_APPROVAL } from './support/mini-engine';
import { parseToken } from '../../../server/src/store/tokens';

let s: Stack;
beforeAll(async () => {
  s = await makeStack();
});
afterAll(async () => s?.close());

const H = { host: 'motoko:8443' };

describe('API v1', () => {
  it('answers health without a token', async () => {
    const r = await s.app.inject({ url: '/api/v1/health', headers: H });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ ok: true, version: 'test' });
    expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('runs a job, pages runs, reads one and its log', async () => {
    const run = await s.app.inject({ method: 'POST', url: '/api/v1/jobs/flux-backup/run', headers: { ...H, ...bearer(s.admin) } });
    expect(run.statusCode).toBe(202);
    const { runId } = run.json() as { runId: string };
    for (let i = 0; i < 4; i++) s.engine.runNow('flux-backup');
    s.engine.log(runId, ['one', 'two', 'three']);
    const p1 = (await s.app.inject({ url: '/api/v1/runs?limit=2', headers: { ...H, ...bearer(s.viewer) } })).json() as { runs: Array<{ id: string }>; next: string };
    expect(p1.runs).toHaveLength(2);
    expect(p1.next).toBe(p1.runs[1]!.id);
    const p2 = (await s.app.inject({ url: `/api/v1/runs?limit=2&before=${p1.next}`, headers: { ...H, ...bearer(s.viewer) } })).json() as { runs: Array<{ id: string }> };
    expect(p2.runs[0]!.id < p1.next).toBe(true);
    const one = await s.app.inject({ url: `/api/v1/runs/${runId}`, headers: { ...H, ...bearer(s.viewer) } });
    expect(one.json()).toMatchObject({ id: runId, jobId: 'flux-backup', status: 'queued' });
    const log = await s.app.inject({ url: `/api/v1/runs/${runId}/log?tail=2`, headers: { ...H, ...bearer(s.viewer) } });
    expect(log.json()).toEqual({ runId, log: 'two\nthree', tail: 2 });
    const full = await s.app.inject({ url: `/api/v1/runs/${runId}/log`, headers: { ...H, ...bearer(s.viewer) } });
    expect(full.json()).toMatchObject({ log: 'one\ntwo\nthree', tail: null });
  });

  it('answers problem JSON for bad input, naming what was wrong', async () => {
    const cases: Array<[string, string, number, RegExp, unknown?]> = [
      ['GET', '/api/v1/runs?limit=abc', 400, /limit/],
      ['GET', '/api/v1/runs?status=exploded', 400, /status.*queued/],
      ['GET', '/api/v1/runs?before=%27%3B%20drop', 400, /before/],
      ['GET', '/api/v1/runs?bogus=1', 400, /bogus/],
      ['GET', '/api/v1/jobs/NOPE!', 400, /id/],
      ['GET', '/api/v1/jobs/missing-job', 404, /missing-job/],
      ['GET', '/api/v1/runs/r123', 404, /r123/],
      ['POST', '/api/v1/jobs/flux-backup/run', 400, /must NOT have additional properties \(x\)/, { x: 1 }],
    ];
    for (const [method, url, status, detail, body] of cases) {
      const r = await s.app.inject({ method: method as 'GET', url, headers: { ...H, ...bearer(s.admin) }, ...(body ? { payload: body as object } : {}) });
      expect(r.statusCode, url).toBe(status);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      const p = r.json() as { status: number; title: string; detail: string };
      expect(p.status).toBe(status);
      expect(p.detail, url).toMatch(detail);
    }
    const bad = await s.app.inject({ method: 'POST', url: '/api/v1/jobs/flux-backup/run', headers: { ...H, ...bearer(s.admin), 'content-type': 'application/json' }, payload: '{"a":' });
    expect(bad.statusCode).toBe(400);
    const huge = await s.app.inject({ method: 'POST', url: '/api/v1/pair', headers: { ...H, 'content-type': 'application/json' }, payload: `{"code":"${'x'.repeat(200_000)}"}` });
    expect(huge.statusCode).toBe(413);
    const xml = await s.app.inject({ method: 'POST', url: '/api/v1/pair', headers: { ...H, 'content-type': 'application/xml' }, payload: '<a/>' });
    expect(xml.statusCode).toBe(415);
  });

  it('approves, rejects and cancels blocked runs, and audits who did it', async () => {
    const a = s.engine.runNow('space-offsite');
    s.engine.block(a.id);
    const approve = (id: string, payload?: Record<string, unknown>) =>
      s.app.inject({ method: 'POST', url: `/api/v1/runs/${id}/approve`, headers: { ...H, ...bearer(s.admin) }, ...(payload === undefined ? {} : { payload }) });
    // an approval names what was shown: no body, a wrong count or a malformed digest is refused
    expect((await approve(a.id)).statusCode).toBe(400);
    expect((await approve(a.id, { count: 12 })).statusCode).toBe(400);
    expect((await approve(a.id, { ...MINI_APPROVAL, digest: 'not hex' })).statusCode).toBe(400);
    expect((await approve(a.id, { ...MINI_APPROVAL, count: 13 })).statusCode).toBe(409);
    const ok = await approve(a.id, MINI_APPROVAL);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'queued', approvedBy: expect.stringContaining('test admin') });
    const again = await approve(a.id, MINI_APPROVAL);
    expect(again.statusCode).toBe(409);
    const b = s.engine.runNow('space-offsite');
    s.engine.block(b.id);
    const rej = await s.app.inject({ method: 'POST', url: `/api/v1/runs/${b.id}/reject`, headers: { ...H, ...bearer(s.admin) }, payload: {} });
    expect(rej.json()).toMatchObject({ status: 'cancelled' });
    const audit = (await s.app.inject({ url: '/api/v1/audit?limit=10', headers: { ...H, ...bearer(s.admin) } })).json() as { entries: Array<{ action: string; target: string; actor: string; detail: string }> };
    const actions = audit.entries.map((e) => `${e.action} ${e.target}`);
    expect(actions).toContain(`run.approve ${a.id}`);
    expect(actions).toContain(`run.reject ${b.id}`);
    expect(audit.entries.find((e) => e.action === 'run.approve' && e.detail.includes('409'))).toBeTruthy();
    expect(audit.entries[0]!.actor).toMatch(/^test admin \([0-9a-f]{16}\)$/);
    const forbidden = await s.app.inject({ url: '/api/v1/audit', headers: { ...H, ...bearer(s.viewer) } });
    expect(forbidden.statusCode).toBe(403);
  });

  it('answers 503 problem for Samba when this server does not manage it', async () => {
    const r = await s.app.inject({ url: '/api/v1/samba', headers: { ...H, ...bearer(s.admin) } });
    expect(r.statusCode).toBe(503);
    expect(r.json().detail).toMatch(/Samba/);
  });

  it('pairs once with a code, lists and revokes tokens', async () => {
    const c = (await s.app.inject({ method: 'POST', url: '/api/v1/pair/codes', headers: { ...H, ...bearer(s.admin) }, payload: { role: 'viewer' } })).json() as { code: string };
    expect(c.code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    const p = await s.app.inject({ method: 'POST', url: '/api/v1/pair', headers: H, payload: { code: c.code.toLowerCase(), name: 'count-zero' } });
    expect(p.statusCode).toBe(200);
    const paired = p.json() as { token: string; role: string; fingerprint: string };
    expect(paired).toMatchObject({ role: 'viewer', fingerprint: 'AA:BB' });
    const me = await s.app.inject({ url: '/api/v1/me', headers: { ...H, ...bearer(paired.token) } });
    expect(me.json()).toMatchObject({ name: 'count-zero', role: 'viewer' });
    const twice = await s.app.inject({ method: 'POST', url: '/api/v1/pair', headers: H, payload: { code: c.code } });
    expect(twice.statusCode).toBe(401);
    const list = (await s.app.inject({ url: '/api/v1/tokens', headers: { ...H, ...bearer(s.admin) } })).json() as { tokens: Array<{ id: string; name: string; lastUsedAt: string | null }> };
    const mine = list.tokens.find((t) => t.name === 'count-zero')!;
    expect(mine.lastUsedAt).not.toBeNull();
    // the secret as the server reads it (base64url: it may hold `_` itself, so never split on `_`)
    const secret = parseToken(paired.token)!.secret;
    expect(secret).toHaveLength(43);
    expect(JSON.stringify(list)).not.toContain(secret);
    const rev = await s.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${mine.id}`, headers: { ...H, ...bearer(s.admin) } });
    expect(rev.json()).toMatchObject({ id: mine.id, revokedAt: expect.any(String) });
    const after = await s.app.inject({ url: '/api/v1/me', headers: { ...H, ...bearer(paired.token) } });
    expect(after.statusCode).toBe(401);
  });
});

describe('GET /api/v1/status', () => {
  it('shares one computation between concurrent requests and recomputes after any event', async () => {
    let calls = 0;
    const st = await makeStack({
      statusCacheMs: 60_000,
      status: {
        async status() {
          calls++;
          await new Promise((r) => setTimeout(r, 20));
          return { version: 'test', time: new Date().toISOString(), pillars: [], jobs: [], timeMachine: [], hotSets: [], b2: null, samba: { drift: null, reloadFailed: null }, warnings: [`call ${calls}`] };
        },
      },
    });
    try {
      const get = () => st.app.inject({ url: '/api/v1/status', headers: { ...H, ...bearer(st.viewer) } });
      const answers = await Promise.all([get(), get(), get()]);
      expect(answers.map((a) => a.json().warnings[0])).toEqual(['call 1', 'call 1', 'call 1']);
      expect((await get()).json().warnings[0]).toBe('call 1');
      st.engine.runNow('flux-backup'); // an event: the next status is fresh
      expect((await get()).json().warnings[0]).toBe('call 2');
      expect(calls).toBe(2);
    } finally {
      await st.close();
    }
  });
});
