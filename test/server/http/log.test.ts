// The server's log (infra/log.ts): a real pillarsd (`serve` in-process on a temp folder) logs
// through one pino logger, one JSON object per line; requests that change something or fail are
// logged, and no token, pairing code, event ticket or secret value reaches the log — neither from
// the requests nor from an object a component logs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../server/src/config/load';
import { startServe, type Served } from '../../../server/src/cli/commands/serve';
import { REDACTED, loggedUrl, serverLog } from '../../../server/src/infra/log';
import { makeSandbox } from '../jobs/sandbox';
import { useCleanup } from '../../support/tmp';

const reg = useCleanup();
let s: Served;
let admin: string;
const written: string[] = [];
const lines = () => written.join('').split('\n').filter(Boolean);
const parsed = () => lines().map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  const sb = makeSandbox(reg);
  s = await startServe(
    { file: sb.configFile, config: parseConfig(sb.yaml, sb.configFile), text: sb.yaml },
    { host: '127.0.0.1', port: 0, tls: 'off', logger: serverLog({ level: 'debug', stream: { write: (l: string) => void written.push(l) } }) },
  );
  reg.add(() => s.stop());
  admin = s.tokens.create({ role: 'admin', name: 'log admin' }).token;
});
afterAll(() => reg.run());

async function call(method: string, url: string, o: { token?: string; body?: unknown } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${s.url}${url}`, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The log line of one request, once it has been written (onResponse runs after the answer). */
async function requestLine(msg: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 200; i++) {
    const hit = parsed().find((l) => l.msg === msg);
    if (hit) return hit;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no log line "${msg}" in:\n${lines().join('\n')}`);
}

describe('server log', () => {
  it('logs requests as JSON lines with no token, pairing code or ticket in them', async () => {
    const code = await call('POST', '/api/v1/pair/codes', { token: admin, body: { role: 'viewer', name: 'laptop' } });
    expect(code.status).toBe(200);
    const paired = await call('POST', '/api/v1/pair', { body: { code: code.body.code, name: 'laptop' } });
    expect(paired.status).toBe(200);
    const forged = 'pil_forged_Zm9yZ2VkLXRva2VuLXZhbHVl';
    expect((await call('GET', '/api/v1/jobs', { token: forged })).status).toBe(401);
    const ticket = 'not-a-ticket-but-looks-secret-42';
    expect((await call('GET', `/api/v1/events?ticket=${ticket}`)).status).toBe(401);
    expect((await call('GET', '/api/v1/jobs', { token: admin })).status).toBe(200);

    const codeLine = await requestLine('POST /api/v1/pair/codes 200');
    expect(codeLine).toMatchObject({ level: 'info', principal: 'log admin', req: { method: 'POST', url: '/api/v1/pair/codes' }, res: { statusCode: 200 } });
    expect(await requestLine('POST /api/v1/pair 200')).toMatchObject({ level: 'info', principal: 'laptop' });
    expect(await requestLine('GET /api/v1/jobs 401')).toMatchObject({ level: 'warn' });
    expect(await requestLine('GET /api/v1/events 401')).toMatchObject({ level: 'warn', req: { url: `/api/v1/events?ticket=${REDACTED}` } });
    // reads that succeed are debug lines (the tray polls)
    expect(await requestLine('GET /api/v1/jobs 200')).toMatchObject({ level: 'debug' });
    expect(typeof codeLine.time).toBe('string');
    expect(typeof codeLine.reqId).toBe('string');

    const all = written.join('');
    for (const secret of [admin, String(code.body.code), String(paired.body.token), forged, ticket]) expect(all).not.toContain(secret);
    // every line is one JSON object
    expect(lines().length).toBeGreaterThanOrEqual(5);
    for (const l of lines()) expect(() => JSON.parse(l), l).not.toThrow();
  });

  it('censors secrets in what a component logs, wherever they sit', () => {
    written.length = 0;
    s.logger.child({ component: 'probe' }).warn(
      {
        upstream: { headers: { authorization: 'Bearer pil_a_b', cookie: 'session=abc', host: 'motoko' } },
        secrets: { 'b2-key': 'K005-secret-value', smtp: 'file:/etc/pillars/smtp' },
        job: { password: 'restic-pass', repository: 'space:/backups/restic/flux' },
        remote: { b2: { accessKey: 'AKIA-secret', account: '0005' } },
        child: { argv: ['restic', 'backup'], env: { RESTIC_PASSWORD: 'env-pass' } },
        token: 'pil_top_level',
      },
      'probe',
    );
    expect(lines()).toHaveLength(1);
    const line = JSON.parse(lines()[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 'warn',
      component: 'probe',
      msg: 'probe',
      upstream: { headers: { authorization: REDACTED, cookie: REDACTED, host: 'motoko' } },
      secrets: REDACTED,
      job: { password: REDACTED, repository: 'space:/backups/restic/flux' },
      remote: { b2: { accessKey: REDACTED, account: '0005' } },
      child: { argv: ['restic', 'backup'], env: REDACTED },
      token: REDACTED,
    });
    for (const secret of ['pil_a_b', 'session=abc', 'K005-secret-value', 'restic-pass', 'AKIA-secret', 'env-pass', 'pil_top_level']) expect(lines()[0]).not.toContain(secret);
  });

  it('censors secret-named query parameters and keeps the others', () => {
    expect(loggedUrl('/api/v1/events?ticket=abc&since=5')).toBe(`/api/v1/events?ticket=${REDACTED}&since=5`);
    expect(loggedUrl('/api/v1/runs/r1/log?tail=20&Token=x')).toBe(`/api/v1/runs/r1/log?tail=20&Token=${REDACTED}`);
    expect(loggedUrl('/api/v1/jobs')).toBe('/api/v1/jobs');
  });
});
