// Deliveries against real receivers: a failed run reaches a webhook (documented body, valid
// HMAC signature), ntfy (title, priority, click link, token) and a real SMTP server (STARTTLS,
// AUTH, plain text and HTML), and the heartbeat gets its start and fail pings in that order. A
// channel that is down gets the message once it is back, exactly once; no credential shows up in
// the log, the database, a run or the API's view.
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRuntime, type Runtime } from '../../../server/src/jobs/runtime';
import { Notifier } from '../../../server/src/notify/service';
import { NotifyStore } from '../../../server/src/store/notify';
import { nodeNotifyTransport } from '../../../server/src/infra/notify-transport';
import { realBackends } from '../../../server/src/secrets/sources';
import { nodeExec } from '../../../server/src/infra/exec';
import type { WebhookBody } from '../../../server/src/contract/api';
import { startHttpReceiver, startSmtpReceiver } from '../../support/receivers';
import { useCleanup } from '../../support/tmp';
import { FAILING_JOB, notifySandbox, type NotifySandbox } from './support';

const reg = useCleanup();

function compose(sb: NotifySandbox): { rt: Runtime; notifier: Notifier; logs: string[] } {
  const loaded = sb.load();
  const rt = openRuntime(loaded);
  const logs: string[] = [];
  const notifier = new Notifier({
    config: loaded.config,
    store: new NotifyStore(rt.db),
    hub: rt.hub,
    clock: rt.clock,
    secretBackends: realBackends({ env: {}, exec: nodeExec }),
    transport: nodeNotifyTransport,
    hostname: 'motoko-test',
    log: (m) => logs.push(m),
    timeoutMs: 5_000,
  });
  notifier.start();
  reg.add(async () => {
    await notifier.stop();
    await rt.engine.stop();
    rt.close();
  });
  return { rt, notifier, logs };
}

async function failOnce(rt: Runtime): Promise<string> {
  const run = rt.engine.runNow('nightly', 'test');
  const done = await rt.engine.waitFor(run.id);
  expect(done.status).toBe('failed');
  return run.id;
}

const SECRET_FREE_FILES = (dir: string) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && !d.name.endsWith('.secret'))
    .map((d) => path.join(d.parentPath, d.name));

describe('a failed run reaches every channel', () => {
  it('webhook (signed), ntfy, SMTP over STARTTLS with AUTH, and heartbeat start then fail', async () => {
    const web = reg.track(await startHttpReceiver());
    const sb = notifySandbox(reg, {
      notifications: () => `  paneUrl: https://motoko.lan:8443
  serverName: motoko
  groupSeconds: 0
  channels:
    hook: { type: webhook, url: "${web.url}/hook", signingKey: hookKey }
    phone: { type: ntfy, url: "${web.url}/pillars-alerts", token: ntfyToken }
    mail: { type: email, host: 127.0.0.1, port: ${smtp.port}, security: starttls, user: pillars, password: smtpPassword, from: "pillarsd <pillars@motoko.lan>", to: [owner@example.org] }
    hc: { type: heartbeat, jobs: { nightly: pingBase } }
`,
    });
    const smtp = reg.track(await startSmtpReceiver({ security: 'starttls', user: 'pillars', password: sb.secrets.smtpPassword }));
    const check = randomBytes(12).toString('hex');
    sb.secrets.pingUrl = `${web.url}/ping/${check}`;
    const { rt, notifier, logs } = compose(sb);

    const runId = await failOnce(rt);
    const [hook] = await web.waitFor(1, (r) => r.url === '/hook');
    const [ntfy] = await web.waitFor(1, (r) => r.url === '/pillars-alerts');
    const pings = await web.waitFor(2, (r) => r.url.startsWith('/ping/'));
    const [mail] = await smtp.waitFor(1);

    // webhook: the documented body, an idempotency key, and a signature over "<t>.<body>"
    const body = JSON.parse(hook!.body) as WebhookBody;
    expect(body).toMatchObject({
      version: 1,
      server: 'motoko',
      notices: [{ kind: 'failed', phase: 'opened', severity: 'critical', jobId: 'nightly', runId, title: 'nightly failed', count: 1, link: `https://motoko.lan:8443/#/runs/${runId}` }],
    });
    expect(body.notices[0]!.text).toMatch(/pre hook|false|exit/i);
    expect(hook!.headers['idempotency-key']).toBe(body.id);
    const sig = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(hook!.headers['pillars-signature']));
    expect(sig).not.toBeNull();
    expect(sig![2]).toBe(createHmac('sha256', sb.secrets.hookKey).update(`${sig![1]}.${hook!.body}`).digest('hex'));
    expect(Math.abs(Number(sig![1]) - Date.now() / 1000)).toBeLessThan(120);

    // ntfy: title, priority, tags, the click link and the token
    expect(ntfy!.headers).toMatchObject({
      title: 'nightly failed',
      priority: 'high',
      click: `https://motoko.lan:8443/#/runs/${runId}`,
      authorization: `Bearer ${sb.secrets.ntfyToken}`,
      'x-sequence-id': body.notices[0]!.id,
    });
    expect(ntfy!.body).toContain(body.notices[0]!.text);

    // mail: through STARTTLS, logged in, both bodies, the key as Message-ID
    expect(mail).toMatchObject({ from: 'pillars@motoko.lan', to: ['owner@example.org'], user: 'pillars', secure: true });
    expect(mail!.parsed.subject).toBe('[motoko] nightly failed');
    expect(mail!.parsed.text).toContain(body.notices[0]!.text);
    expect(mail!.parsed.text).toContain(`https://motoko.lan:8443/#/runs/${runId}`);
    expect(mail!.parsed.html).toContain('nightly failed');
    expect(mail!.parsed.messageId).toBe(`<${body.notices[0]!.id}@motoko.lan>`);
    expect(smtp.authFailures).toEqual([]);

    // heartbeat: start, then fail, both naming the run (healthchecks.io's rid)
    expect(pings.map((p) => p.url.replace(/\?.*/, ''))).toEqual([`/ping/${check}/start`, `/ping/${check}/fail`]);
    const rid = new URL(`http://x${pings[0]!.url}`).searchParams.get('rid');
    expect(rid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new URL(`http://x${pings[1]!.url}`).searchParams.get('rid')).toBe(rid);
    expect(pings[1]!.body).toContain(runId);

    // the pane's view: each channel's last delivery, no error, nothing pending
    await notifier.idle();
    const view = notifier.view();
    for (const name of ['hook', 'phone', 'mail', 'hc']) expect(view.channels.find((c) => c.name === name)).toMatchObject({ pending: 0, lastError: null, lastSuccessAt: expect.any(String) });
    expect(view.open).toMatchObject([{ key: 'job:nightly', kind: 'failed', count: 1 }]);

    // no credential anywhere pillarsd writes or answers
    const secretValues = [sb.secrets.hookKey, sb.secrets.ntfyToken, sb.secrets.smtpPassword, sb.secrets.pingUrl, check];
    const surfaces = [JSON.stringify(view), logs.join('\n'), JSON.stringify(rt.engine.listRuns({ limit: 100 })), ...SECRET_FREE_FILES(sb.state).map((f) => readFileSync(f).toString('latin1'))];
    for (const v of secretValues) for (const s of surfaces) expect(s).not.toContain(v);
  });
});

describe('nothing lost, no noise', () => {
  it('a channel that is down for the first deliveries gets the message once it is back, exactly once', async () => {
    const web = reg.track(await startHttpReceiver());
    const sb = notifySandbox(reg, {
      notifications: () => `  groupSeconds: 0
  retry: { firstSeconds: 0.2, maxSeconds: 0.4 }
  channels:
    hook: { type: webhook, url: "${web.url}/hook" }
    mail: { type: email, host: 127.0.0.1, port: ${smtp.port}, security: starttls, user: pillars, password: smtpPassword, from: pillars@motoko.lan, to: [owner@example.org] }
`,
    });
    const smtp = reg.track(await startSmtpReceiver({ security: 'starttls', user: 'pillars', password: sb.secrets.smtpPassword }));
    await web.down();
    await smtp.down();
    const { rt, notifier } = compose(sb);
    const store = new NotifyStore(rt.db);
    const runId = await failOnce(rt);
    // refused twice or more while down
    const attempts = () => (store.rows().length === 2 ? Math.min(...store.rows().map((r) => r.attempts)) : 0);
    for (let i = 0; i < 200 && attempts() < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(attempts()).toBeGreaterThanOrEqual(2);
    expect(notifier.view().channels.find((c) => c.name === 'hook')).toMatchObject({ pending: 1, lastError: 'ECONNREFUSED', lastSuccessAt: null });
    // back, but answering 503: still not delivered, still retried
    web.answer(503);
    await web.up();
    await web.waitFor(2);
    expect(store.rows('hook')[0]).toMatchObject({ state: 'pending', lastError: 'HTTP 503 (unavailable)' });
    web.answer(200);
    await smtp.up();
    const [mail] = await smtp.waitFor(1);
    for (let i = 0; i < 200 && store.rows('hook')[0]!.state !== 'sent'; i++) await new Promise((r) => setTimeout(r, 50));
    await notifier.idle();
    // a few more retry intervals: nothing more arrives
    const seen = web.requests.length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(web.requests.length).toBe(seen);
    expect(smtp.mails).toHaveLength(1);
    // every try carried the same key, and the one that was answered 200 is the last
    const keys = new Set(web.requests.map((r) => r.headers['idempotency-key']));
    expect(keys.size).toBe(1);
    expect(web.requests.map((r) => r.status).filter((st) => st === 200)).toHaveLength(1);
    expect(web.requests.at(-1)!.status).toBe(200);
    expect((JSON.parse(web.requests.at(-1)!.body) as WebhookBody).notices[0]!.runId).toBe(runId);
    expect(mail!.parsed.subject).toBe('[motoko-test] nightly failed');
    expect(store.rows().map((r) => r.state)).toEqual(['sent', 'sent']);
  });

  it('100 failures of one job within a minute give at most 2 messages', async () => {
    const web = reg.track(await startHttpReceiver());
    const sb = notifySandbox(reg, {
      notifications: () => `  groupSeconds: 0
  channels:
    hook: { type: webhook, url: "${web.url}/hook" }
`,
      jobs: `${FAILING_JOB}    after: []
`,
    });
    const { rt, notifier } = compose(sb);
    const started = Date.now();
    for (let i = 0; i < 100; i++) await failOnce(rt);
    expect(Date.now() - started).toBeLessThan(60_000);
    await new Promise((r) => setTimeout(r, 300));
    await notifier.idle();
    const messages = web.requests.flatMap((r) => (JSON.parse(r.body) as WebhookBody).notices);
    expect(messages.length).toBeGreaterThanOrEqual(1);
    expect(messages.length).toBeLessThanOrEqual(2);
    expect(messages[0]).toMatchObject({ kind: 'failed', phase: 'opened', jobId: 'nightly' });
    expect(notifier.view().open).toMatchObject([{ key: 'job:nightly', count: 100 }]);
  });

  it('a burst of failures of different jobs goes out as one message', async () => {
    const web = reg.track(await startHttpReceiver());
    const jobs = ['a', 'b', 'c'].map((x) => FAILING_JOB.replace('nightly:', `nightly-${x}:`)).join('');
    const sb = notifySandbox(reg, {
      notifications: () => `  groupSeconds: 3
  channels:
    hook: { type: webhook, url: "${web.url}/hook" }
`,
      jobs,
    });
    const { rt } = compose(sb);
    for (const x of ['a', 'b', 'c']) {
      const run = rt.engine.runNow(`nightly-${x}`, 'test');
      await rt.engine.waitFor(run.id);
    }
    const [one] = await web.waitFor(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(web.requests).toHaveLength(1);
    const body = JSON.parse(one!.body) as WebhookBody;
    expect(body.notices.map((n) => n.jobId)).toEqual(['nightly-a', 'nightly-b', 'nightly-c']);
    expect(body.id).toMatch(/^g-[0-9a-f]{32}$/);
  });
});

describe('email over implicit TLS', () => {
  it("delivers; a wrong password is refused with the server's answer, never the password", async () => {
    let smtpPort = 0;
    const sb = notifySandbox(reg, {
      notifications: () => `  channels:
    mail: { type: email, host: 127.0.0.1, port: ${smtpPort}, security: tls, user: pillars, password: smtpPassword, from: pillars@motoko.lan, to: [a@example.org, b@example.org] }
`,
    });
    const good = reg.track(await startSmtpReceiver({ security: 'tls', user: 'pillars', password: sb.secrets.smtpPassword }));
    smtpPort = good.port;
    const { notifier, logs } = compose(sb);
    expect(await notifier.test('mail')).toMatchObject([{ channel: 'mail', ok: true, error: null }]);
    const [m] = await good.waitFor(1);
    expect(m).toMatchObject({ to: ['a@example.org', 'b@example.org'], user: 'pillars', secure: true });
    expect(m!.parsed.subject).toBe('[motoko-test] test: test message to mail');

    const other = reg.track(await startSmtpReceiver({ security: 'tls', user: 'pillars', password: 'another-password' }));
    smtpPort = other.port;
    const { notifier: n2 } = compose(sb);
    const [r] = await n2.test('mail');
    expect(r!.ok).toBe(false);
    expect(r!.error).toMatch(/^EAUTH 535/);
    expect(other.authFailures).toEqual(['pillars']);
    expect(`${r!.error}${logs.join('')}${JSON.stringify(n2.view())}`).not.toContain(sb.secrets.smtpPassword);
  });
});

describe('sending never delays a job', () => {
  it('runs go on while a channel hangs without answering', async () => {
    const web = reg.track(await startHttpReceiver());
    web.answer('hang');
    const sb = notifySandbox(reg, {
      notifications: () => `  groupSeconds: 0
  channels:
    hook: { type: webhook, url: "${web.url}/hook" }
`,
      jobs: FAILING_JOB + FAILING_JOB.replace('nightly:', 'weekly:'),
    });
    const { rt } = compose(sb);
    await failOnce(rt);
    // the first message is on its way and hangs there
    await web.waitFor(1);
    for (const job of ['weekly', 'nightly', 'weekly']) {
      const run = rt.engine.runNow(job, 'test');
      expect((await rt.engine.waitFor(run.id)).status).toBe('failed');
    }
    // every run ended while the one delivery still waited for its answer
    expect(web.requests).toHaveLength(1);
    expect(new NotifyStore(rt.db).rows().map((r) => r.state)).toEqual(['pending', 'pending']);
    web.answer(200);
  });
});
