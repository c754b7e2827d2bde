// The API's one declaration, checked from the outside: a real pillarsd (`serve` in-process on a
// temp folder, real restic and rclone) serves GET /api/v1/openapi.json; the document is a valid
// OpenAPI 3.1 document (checked by @seriousme/openapi-schema-validator against the official
// schemas); it names every route Fastify registered and nothing else; and a real answer of every
// operation — successes and problems, JSON and event streams — validates against it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { createParser } from 'eventsource-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../server/src/config/load';
import { startServe, type Served } from '../../../server/src/cli/commands/serve';
import { UpdateService } from '../../../server/src/updates/service';
import { makeSandbox } from '../jobs/sandbox';
import { writeTrayRelease } from '../../support/tray-release';
import { useCleanup } from '../../support/tmp';

const reg = useCleanup();
let s: Served;
let admin: string;
let viewer: string;
let doc: { paths: Record<string, Record<string, Operation>> };
let cloud: string;
let stateDir: string;

interface Operation {
  responses: Record<string, { content?: Record<string, { schema: unknown; 'x-event-data'?: unknown }> }>;
}

beforeAll(async () => {
  const sb = makeSandbox(reg, {
    // time-offsite: an offsite copy of a pillar holding nothing but its sentinel, for a recovery that may start
    extraJobs: (dir) => `  time-offsite:
    type: rclone-copy
    source: time:/
    destination: cloud:${path.join(dir, 'time-cloud')}
  slow:
    type: restic-check
    repository: space:/backups/restic/flux
    password: restic
    retries: { count: 0 }
    pre: [{ argv: ["sleep", "60"], timeoutSeconds: 120 }]
`,
  });
  cloud = sb.cloud;
  mkdirSync(path.join(sb.dir, 'time-cloud'));
  writeFileSync(path.join(sb.dir, 'time-cloud', 'back.txt'), 'from the cloud');
  stateDir = sb.state;
  mkdirSync(path.join(sb.flux, 'docs'), { recursive: true });
  writeFileSync(path.join(sb.flux, 'docs', 'a.txt'), 'a');
  // the Samba routes answer only with a samba: section; its file lives in the sandbox
  // and a notification channel for the notification routes (at a port nothing listens on)
  const yaml = `${sb.yaml.replace('remotes:', `samba:\n  mode: include\n  configFile: ${sb.dir}/smb.conf\n  validUsers: [mike]\nremotes:`)}\nnotifications:\n  channels:\n    hook: { type: webhook, url: "http://127.0.0.1:9/hook" }\n`;
  writeFileSync(sb.configFile, yaml);
  s = await startServe({ file: sb.configFile, config: parseConfig(yaml, sb.configFile), text: yaml }, { host: '127.0.0.1', port: 0, tls: 'off' });
  reg.add(() => s.stop());
  admin = s.tokens.create({ role: 'admin', name: 'openapi admin' }).token;
  viewer = s.tokens.create({ role: 'viewer', name: 'openapi viewer' }).token;
});
afterAll(() => reg.run());

/** Operations that gave an answer which validated: "get /api/v1/runs/{id}" → status codes. */
const seen = new Map<string, Set<string>>();
let ajv: Ajv2020;

function responseSchema(method: string, route: string, status: number, media: string): { pointer: string; schema: unknown } {
  const op = doc.paths[route]?.[method];
  expect(op, `${method} ${route} is in the document`).toBeDefined();
  const code = op!.responses[String(status)] ? String(status) : 'default';
  const content = op!.responses[code]?.content ?? {};
  expect(Object.keys(content), `${method} ${route} ${status} declares ${media}`).toContain(media);
  const esc = (p: string) => p.replaceAll('~', '~0').replaceAll('/', '~1');
  return { pointer: `openapi.json#/paths/${esc(route)}/${method}/responses/${code}/content/${esc(media)}`, schema: content[media] };
}

function check(method: string, route: string, status: number, media: string, body: unknown, part: 'schema' | 'x-event-data' = 'schema'): void {
  const { pointer } = responseSchema(method, route, status, media);
  const validate = ajv.getSchema(`${pointer}/${part}`) ?? ajv.compile({ $ref: `${pointer}/${part}` });
  const ok = validate(body);
  expect(ok, `${method.toUpperCase()} ${route} ${status}: ${JSON.stringify(validate.errors)}\n${JSON.stringify(body).slice(0, 800)}`).toBe(true);
  const key = `${method} ${route}`;
  seen.set(key, (seen.get(key) ?? new Set()).add(String(status)));
}

async function call(method: string, route: string, opts: { url?: string; token?: string | null; body?: unknown; expect?: number } = {}): Promise<{ status: number; body: unknown }> {
  const url = opts.url ?? route;
  const headers: Record<string, string> = {};
  if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? admin}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${s.url}${url}`, { method: method.toUpperCase(), headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!;
  const body = await res.json();
  if (opts.expect !== undefined) expect(res.status, `${method} ${url}: ${JSON.stringify(body)}`).toBe(opts.expect);
  check(method, route, res.status, type, body);
  return { status: res.status, body };
}

/** The first `n` events of a server-sent stream, each `data:` parsed. */
async function events(url: string, n: number, until?: (e: { event?: string; data: unknown }) => boolean): Promise<Array<{ event?: string; data: unknown }>> {
  const ac = new AbortController();
  const res = await fetch(`${s.url}${url}`, { headers: { authorization: `Bearer ${viewer}`, accept: 'text/event-stream' }, signal: ac.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const out: Array<{ event?: string; data: unknown }> = [];
  const parser = createParser({ onEvent: (e) => out.push({ event: e.event, data: JSON.parse(e.data) }) });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  try {
    while (out.length < n && !(until && out.some(until))) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
  } finally {
    ac.abort();
  }
  return out;
}

async function settled(runId: string, want: (status: string) => boolean): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const r = s.rt.runs.get(runId);
    if (r && want(r.status)) return;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`run ${runId} stayed ${s.rt.runs.get(runId)?.status}`);
}

describe('GET /api/v1/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document, public, naming every route of the API and no other', async () => {
    const res = await fetch(`${s.url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as typeof doc;
    const verdict = await new Validator().validate(doc as never);
    expect(verdict.errors ?? [], 'the document validates as OpenAPI 3.1').toEqual([]);
    expect(verdict.valid).toBe(true);
    expect((doc as unknown as { openapi: string }).openapi).toMatch(/^3\.1\./);

    const routes = s.http.app.routeTable.filter((r) => r.url.startsWith('/api/') && r.method !== 'HEAD').map((r) => `${r.method.toLowerCase()} ${r.url.replace(/:([A-Za-z]+)/g, '{$1}')}`);
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    expect(documented.sort()).toEqual([...new Set(routes)].sort());

    ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    ajv.addSchema(doc as object, 'openapi.json');
  });

  it('describes every real answer of every route', async () => {
    // public
    await call('get', '/api/v1/health', { token: null, expect: 200 });
    await call('get', '/api/v1/openapi.json', { token: null, expect: 200 });
    await call('post', '/api/v1/pair', { token: null, body: { code: 'AAAA-AAAA' }, expect: 401 });
    const code = (await call('post', '/api/v1/pair/codes', { body: { role: 'viewer', name: 'laptop' }, expect: 200 })).body as { code: string };
    await call('post', '/api/v1/pair', { token: null, body: { code: code.code, name: 'laptop' }, expect: 200 });

    // who, tokens, audit
    await call('get', '/api/v1/me', { token: viewer, expect: 200 });
    const tokens = (await call('get', '/api/v1/tokens', { expect: 200 })).body as { tokens: Array<{ id: string; name: string }> };
    await call('delete', '/api/v1/tokens/{id}', { url: `/api/v1/tokens/${tokens.tokens.find((t) => t.name === 'laptop')!.id}`, expect: 200 });
    await call('delete', '/api/v1/tokens/{id}', { url: '/api/v1/tokens/0123456789abcdef', expect: 404 });

    // a real backup, its runs and log, while the event stream records it
    const started = (await call('post', '/api/v1/jobs/{id}/run', { url: '/api/v1/jobs/flux-backup/run', body: {}, expect: 202 })).body as { runId: string };
    await settled(started.runId, (st) => st === 'succeeded' || st === 'failed');
    expect(s.rt.runs.get(started.runId)?.status).toBe('succeeded');
    await call('get', '/api/v1/jobs', { expect: 200 });
    await call('get', '/api/v1/jobs/{id}', { url: '/api/v1/jobs/flux-backup', token: viewer, expect: 200 });
    await call('get', '/api/v1/jobs/{id}', { url: '/api/v1/jobs/nope', expect: 404 });
    await call('get', '/api/v1/runs', { url: '/api/v1/runs?limit=2', token: viewer, expect: 200 });
    await call('get', '/api/v1/runs', { url: '/api/v1/runs?limit=nope', expect: 400 });
    await call('get', '/api/v1/runs/{id}', { url: `/api/v1/runs/${started.runId}`, expect: 200 });
    await call('get', '/api/v1/runs/{id}/log', { url: `/api/v1/runs/${started.runId}/log?tail=5`, expect: 200 });
    await call('get', '/api/v1/runs/{id}/log', { url: `/api/v1/runs/${started.runId}/log?follow=1`, expect: 406 });
    const logStream = await events(`/api/v1/runs/${started.runId}/log?follow=1`, 2);
    expect(logStream.map((e) => e.event)).toEqual(['log', 'end']);
    check('get', '/api/v1/runs/{id}/log', 200, 'text/event-stream', logStream[0]!.data, 'x-event-data');
    await call('get', '/api/v1/status', { token: viewer, expect: 200 });

    const ticket = (await call('post', '/api/v1/events/ticket', { token: viewer, body: {}, expect: 200 })).body as { ticket: string };
    const stream = await events(`/api/v1/events?lastEventId=0&ticket=${ticket.ticket}`, 4);
    expect(stream.length).toBeGreaterThanOrEqual(4);
    for (const e of stream) check('get', '/api/v1/events', 200, 'text/event-stream', e.data, 'x-event-data');

    // snapshots from the repository, one folder level, a search (issue 16)
    const snaps = (await call('get', '/api/v1/jobs/{id}/snapshots', { url: '/api/v1/jobs/flux-backup/snapshots?refresh=1', token: viewer, expect: 200 })).body as { snapshots: Array<{ id: string; root: string }> };
    await call('get', '/api/v1/jobs/{id}/snapshots', { url: '/api/v1/jobs/space-offsite/snapshots', expect: 404 });
    const snap = snaps.snapshots.at(-1)!;
    await call('get', '/api/v1/jobs/{id}/snapshots/{snapshot}/ls', { url: `/api/v1/jobs/flux-backup/snapshots/${snap.id}/ls?path=${encodeURIComponent(`${snap.root}/docs`)}&limit=1`, token: viewer, expect: 200 });
    await call('get', '/api/v1/jobs/{id}/snapshots/{snapshot}/ls', { url: `/api/v1/jobs/flux-backup/snapshots/${snap.id}/ls?path=${encodeURIComponent(`${snap.root}/nope`)}`, expect: 404 });
    await call('get', '/api/v1/jobs/{id}/snapshots/{snapshot}/ls', { url: '/api/v1/jobs/flux-backup/snapshots/latest/ls?path=relative', expect: 400 });
    await call('get', '/api/v1/jobs/{id}/snapshots/{snapshot}/find', { url: '/api/v1/jobs/flux-backup/snapshots/latest/find?pattern=a.*', token: viewer, expect: 200 });

    // a download: the file's bytes (admin), a problem for a path that is not there
    const dumped = await fetch(`${s.url}/api/v1/jobs/flux-backup/snapshots/${snap.id}/dump?path=${encodeURIComponent(`${snap.root}/docs/a.txt`)}`, { headers: { authorization: `Bearer ${admin}` } });
    expect(dumped.status).toBe(200);
    check('get', '/api/v1/jobs/{id}/snapshots/{snapshot}/dump', 200, dumped.headers.get('content-type')!, await dumped.text());
    await call('get', '/api/v1/jobs/{id}/snapshots/{snapshot}/dump', { url: `/api/v1/jobs/flux-backup/snapshots/${snap.id}/dump?path=${encodeURIComponent(`${snap.root}/nope`)}`, expect: 404 });
    // the tray's update feed (issue 21): a feed and a build to any paired client, a problem when none is published
    await call('get', '/api/v1/updates/{file}', { url: '/api/v1/updates/latest.yml', token: viewer, expect: 404 });
    const release = writeTrayRelease(cloud, '1.0.0', 1024);
    await new UpdateService(stateDir).add(release.files, 'stable');
    for (const [file, media] of [
      ['latest.yml', 'text/yaml'],
      [release.builds['latest.yml'], 'application/octet-stream'],
    ] as const) {
      const got = await fetch(`${s.url}/api/v1/updates/${file}`, { headers: { authorization: `Bearer ${viewer}` } });
      expect(got.status).toBe(200);
      check('get', '/api/v1/updates/{file}', 200, got.headers.get('content-type')!.split(';')[0]!, await got.text());
      expect(media).toBe(got.headers.get('content-type')!.split(';')[0]);
    }
    // a restore: previewed, refused for a path outside the snapshot, queued (admin)
    const restoreBody = { paths: [`${snap.root}/docs`], to: 'space:/openapi-restore', existing: 'skip' };
    await call('post', '/api/v1/jobs/{id}/snapshots/{snapshot}/restore/preview', { url: `/api/v1/jobs/flux-backup/snapshots/${snap.id}/restore/preview`, body: restoreBody, expect: 200 });
    await call('post', '/api/v1/jobs/{id}/snapshots/{snapshot}/restore', { url: `/api/v1/jobs/flux-backup/snapshots/${snap.id}/restore`, body: { paths: ['/etc'] }, expect: 400 });
    await call('post', '/api/v1/jobs/{id}/snapshots/{snapshot}/restore', { url: `/api/v1/jobs/flux-backup/snapshots/${snap.id}/restore`, body: restoreBody, token: viewer, expect: 403 });
    const restored = (await call('post', '/api/v1/jobs/{id}/snapshots/{snapshot}/restore', { url: `/api/v1/jobs/flux-backup/snapshots/${snap.id}/restore`, body: restoreBody, expect: 202 })).body as { runId: string };
    await settled(restored.runId, (st) => st === 'succeeded' || st === 'failed');
    expect(s.rt.runs.get(restored.runId)?.status).toBe('succeeded');
    await call('get', '/api/v1/runs/{id}', { url: `/api/v1/runs/${restored.runId}`, expect: 200 });

    // a recovery from the offsite remote: the plan, refusals (viewer, unknown pillar, no digest, a
    // pillar holding data, a digest that is not the plan's), one queued on the plan's digest
    const timePlan = (await call('get', '/api/v1/recover/plan', { url: '/api/v1/recover/plan?pillar=time&from=cloud', expect: 200 })).body as { digest: string };
    await call('get', '/api/v1/recover/plan', { url: '/api/v1/recover/plan?pillar=time&from=cloud', token: viewer, expect: 403 });
    await call('get', '/api/v1/recover/plan', { url: '/api/v1/recover/plan?pillar=nope&from=cloud', expect: 404 });
    await call('post', '/api/v1/recover', { body: { pillar: 'time', from: 'cloud' }, expect: 400 });
    const spacePlan = (await call('get', '/api/v1/recover/plan', { url: '/api/v1/recover/plan?pillar=space&from=cloud', expect: 200 })).body as { digest: string };
    await call('post', '/api/v1/recover', { body: { pillar: 'space', from: 'cloud', digest: spacePlan.digest }, expect: 409 });
    await call('post', '/api/v1/recover', { body: { pillar: 'flux', from: 'cloud', digest: timePlan.digest }, expect: 400 });
    await call('post', '/api/v1/recover', { body: { pillar: 'time', from: 'cloud', digest: spacePlan.digest }, expect: 409 });
    const recovered = (await call('post', '/api/v1/recover', { body: { pillar: 'time', from: 'cloud', digest: timePlan.digest }, expect: 202 })).body as { runId: string };
    await settled(recovered.runId, (st) => st === 'succeeded' || st === 'failed');
    expect(s.rt.runs.get(recovered.runId)?.status).toBe('succeeded');

    // schedules, enable, disable
    await call('put', '/api/v1/jobs/{id}/schedule', { url: '/api/v1/jobs/flux-verify/schedule', body: { schedule: '15 4 * * *' }, expect: 200 });
    await call('put', '/api/v1/jobs/{id}/schedule', { url: '/api/v1/jobs/flux-verify/schedule', body: { schedule: 'not cron' }, expect: 400 });
    await call('post', '/api/v1/jobs/{id}/disable', { url: '/api/v1/jobs/flux-verify/disable', body: {}, expect: 200 });
    await call('post', '/api/v1/jobs/{id}/enable', { url: '/api/v1/jobs/flux-verify/enable', body: {}, expect: 200 });
    // every setting of a job (the pane's job settings editor)
    await call('get', '/api/v1/jobs/{id}/settings', { url: '/api/v1/jobs/flux-verify/settings', expect: 200 });
    await call('patch', '/api/v1/jobs/{id}/settings', { url: '/api/v1/jobs/flux-verify/settings', body: { edits: [{ path: ['readDataSubset'], value: '5%' }] }, expect: 200 });
    await call('patch', '/api/v1/jobs/{id}/settings', { url: '/api/v1/jobs/flux-verify/settings', body: { edits: [{ path: ['readDataSubset'], value: 'lots' }] }, expect: 400 });

    // cancel a running run; approve and reject runs the deletion guard blocked (rule 2)
    const slow = (await call('post', '/api/v1/jobs/{id}/run', { url: '/api/v1/jobs/slow/run', body: {}, expect: 202 })).body as { runId: string };
    await settled(slow.runId, (st) => st === 'running');
    await call('post', '/api/v1/runs/{id}/cancel', { url: `/api/v1/runs/${slow.runId}/cancel`, body: {}, expect: 200 });
    await settled(slow.runId, (st) => st === 'cancelled');
    await call('post', '/api/v1/runs/{id}/cancel', { url: `/api/v1/runs/${slow.runId}/cancel`, body: {}, expect: 409 });
    for (let i = 0; i < 40; i++) writeFileSync(path.join(cloud, `only-in-the-cloud-${i}.txt`), 'x');
    const blocked = async () => {
      const r = (await call('post', '/api/v1/jobs/{id}/run', { url: '/api/v1/jobs/space-offsite/run', body: {}, expect: 202 })).body as { runId: string };
      await settled(r.runId, (st) => st !== 'queued' && st !== 'running');
      expect(s.rt.runs.get(r.runId)?.status).toBe('blocked');
      return r.runId;
    };
    const first = await blocked();
    await call('post', '/api/v1/runs/{id}/reject', { url: `/api/v1/runs/${first}/reject`, body: {}, expect: 200 });
    await call('post', '/api/v1/runs/{id}/reject', { url: `/api/v1/runs/${first}/reject`, body: {}, expect: 409 });
    const second = await blocked();
    // the set it listed, paged, and an approval that names exactly it (issue 14)
    await call('get', '/api/v1/runs/{id}/deletions', { url: `/api/v1/runs/${second}/deletions?limit=5`, expect: 200 });
    await call('get', '/api/v1/runs/{id}/overwrites', { url: `/api/v1/runs/${second}/overwrites`, expect: 200 });
    await call('get', '/api/v1/runs/{id}/deletions', { url: `/api/v1/runs/${slow.runId}/deletions`, expect: 404 });
    const approval = s.rt.runs.get(second)!.block!.approval!;
    await call('post', '/api/v1/runs/{id}/approve', { url: `/api/v1/runs/${second}/approve`, body: {}, expect: 400 });
    await call('post', '/api/v1/runs/{id}/approve', { url: `/api/v1/runs/${second}/approve`, body: { ...approval, count: approval.count + 1 }, expect: 409 });
    await call('post', '/api/v1/runs/{id}/approve', { url: `/api/v1/runs/${second}/approve`, body: approval, expect: 200 });
    await settled(second, (st) => st === 'succeeded' || st === 'failed');
    await call('post', '/api/v1/runs/{id}/approve', { url: `/api/v1/runs/${second}/approve`, body: approval, expect: 409 });

    // Samba (no smbd behind this sandbox: state answers, apply and rollback answer problems or results)
    await call('get', '/api/v1/samba', { expect: 200 });
    await call('post', '/api/v1/samba/apply', { body: {} });
    await call('post', '/api/v1/samba/rollback', { body: {} });
    // hot-sets need a syncthing: section; without one the route says so
    await call('post', '/api/v1/hotsets', { body: { path: 'x' }, expect: 503 });
    await call('get', '/api/v1/audit', { url: '/api/v1/audit?limit=5', expect: 200 });

    // notifications: the channels, a test (the channel cannot be reached: said in the answer), a job's choices
    await call('get', '/api/v1/notifications', { expect: 200 });
    await call('get', '/api/v1/notifications', { token: viewer, expect: 403 });
    await call('post', '/api/v1/notifications/test', { body: { channel: 'hook' }, expect: 200 });
    await call('post', '/api/v1/notifications/test', { body: { channel: 'nope' }, expect: 404 });
    await call('put', '/api/v1/notifications/jobs/{id}', { url: '/api/v1/notifications/jobs/flux-backup', body: { send: { hook: ['failed', 'blocked'] } }, expect: 200 });
    await call('put', '/api/v1/notifications/jobs/{id}', { url: '/api/v1/notifications/jobs/flux-backup', body: { send: { hook: ['capacity'] } }, expect: 400 });

    // every operation of the document answered at least once, and each one that can succeed here did
    const operations = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    expect(operations.filter((o) => !seen.has(o))).toEqual([]);
    const failedOnly = operations.filter((o) => ![...seen.get(o)!].some((c) => c.startsWith('2')));
    // hot-sets need Syncthing; apply and rollback need a running smbd to succeed
    for (const o of failedOnly) expect(['post /api/v1/hotsets', 'post /api/v1/samba/apply', 'post /api/v1/samba/rollback'], o).toContain(o);
  }, 180_000);
});

describe('docs/api.md', () => {
  it('lists every operation of the document in its route table, and no other', () => {
    const text = readFileSync(path.resolve(import.meta.dirname, '../../../docs/api.md'), 'utf8');
    const listed = new Set<string>();
    for (const line of text.split('\n')) {
      const m = /^\| `(GET|POST|PUT|DELETE|PATCH) (\/api\/[^` ?[]+)[^`]*`((?: · `\/[a-z-]+`)*)/.exec(line);
      if (!m) continue;
      const route = m[2]!.replace(/:([A-Za-z]+)/g, '{$1}');
      listed.add(`${m[1]!.toLowerCase()} ${route}`);
      // `POST /api/v1/jobs/:id/enable` · `/disable`: a sibling of the last segment
      for (const sib of m[3]!.matchAll(/`\/([a-z-]+)`/g)) listed.add(`${m[1]!.toLowerCase()} ${route.replace(/\/[^/]+$/, `/${sib[1]}`)}`);
    }
    const operations = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    expect([...listed].sort()).toEqual(operations.sort());
  });
});
