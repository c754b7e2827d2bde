// The Notifications API and GET /metrics of a real in-process `serve`, and `pillarsd notify test`:
// each channel's last delivery and error, a test message, a job's choices written into
// pillarsd.yaml (comments kept, the schedule editor still works after it), metrics that promtool
// accepts, who may read them, and no credential in any answer or audit entry.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServe, type Served } from '../../../server/src/cli/commands/serve';
import { loadConfigFile, parseConfig } from '../../../server/src/config/load';
import type { NotificationsResponse, NotifyTestResult, StatusResponse, WebhookBody } from '../../../server/src/contract/api';
import { REPO_ROOT, runPillarsd } from '../../support/cli';
import { run } from '../../support/proc';
import { freePort } from '../../support/net';
import { startHttpReceiver, type HttpReceiver } from '../../support/receivers';
import { useCleanup } from '../../support/tmp';
import { notifySandbox, type NotifySandbox } from './support';

const reg = useCleanup();

async function served(
  web: HttpReceiver,
  extra = '',
): Promise<{ sb: NotifySandbox; s: Served; admin: string; viewer: string; call: (method: string, url: string, body?: unknown, token?: string | null) => Promise<Response> }> {
  const sb = notifySandbox(reg, {
    notifications: () => `  groupSeconds: 0
  channels:
    hook: { type: webhook, url: "${web.url}/hook", signingKey: hookKey }
    phone: { type: ntfy, url: "${web.url}/topic", token: ntfyToken, events: [failed, blocked] }
    hc: { type: heartbeat, jobs: { nightly: pingBase } }
${extra}`,
  });
  sb.secrets.pingUrl = `${web.url}/ping/${'c'.repeat(24)}`;
  const loaded = sb.load();
  writeFileSync(sb.configFile, `# motoko\n${loaded.text}`);
  const s = await startServe(loadConfigFile(sb.configFile), { host: '127.0.0.1', port: 0, tls: 'off' });
  reg.add(() => s.stop());
  const admin = s.tokens.create({ role: 'admin', name: 'pane' }).token;
  const viewer = s.tokens.create({ role: 'viewer', name: 'prometheus' }).token;
  const call = (method: string, url: string, body?: unknown, token: string | null = admin) =>
    fetch(`${s.url}${url}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  return { sb, s, admin, viewer, call };
}

describe('the Notifications API', () => {
  it("shows each channel, sends a test, and writes a job's choices into pillarsd.yaml", async () => {
    const web = reg.track(await startHttpReceiver());
    const { sb, s, call, viewer } = await served(web);

    const view = (await (await call('GET', '/api/v1/notifications')).json()) as NotificationsResponse;
    expect(view.channels.map((c) => [c.name, c.type, c.target])).toEqual([
      ['hook', 'webhook', `${web.url}/hook`],
      ['phone', 'ntfy', `${web.url}/topic`],
      ['hc', 'heartbeat', 'pings for nightly'],
    ]);
    expect(view.channels[1]!.events).toEqual(['failed', 'blocked']);
    expect(view.jobs).toEqual([{ jobId: 'nightly', maxAge: null, send: { hook: null, phone: null } }]);
    expect((await call('GET', '/api/v1/notifications', undefined, viewer)).status).toBe(403);

    // a test message: delivered, recorded as the channel's last delivery, audited
    const test = await call('POST', '/api/v1/notifications/test', { channel: 'hook' });
    expect(test.status, await test.clone().text()).toBe(200);
    expect(((await test.json()) as { results: NotifyTestResult[] }).results).toMatchObject([{ channel: 'hook', ok: true, error: null }]);
    const [got] = await web.waitFor(1, (r) => r.url === '/hook');
    expect((JSON.parse(got!.body) as WebhookBody).notices).toMatchObject([{ kind: 'test', phase: 'test', title: 'test message to hook' }]);
    // the heartbeat's test logs to <base>/log, which changes no check's state
    const hc = ((await (await call('POST', '/api/v1/notifications/test', { channel: 'hc' })).json()) as { results: NotifyTestResult[] }).results;
    expect(hc).toMatchObject([{ channel: 'hc', ok: true }]);
    expect((await web.waitFor(1, (r) => r.url.startsWith('/ping/')))[0]!.url).toBe(`/ping/${'c'.repeat(24)}/log`);
    // a channel that is down: the answer says so, and so does the view
    await web.down();
    const down = ((await (await call('POST', '/api/v1/notifications/test', { channel: 'phone' })).json()) as { results: NotifyTestResult[] }).results;
    expect(down).toMatchObject([{ channel: 'phone', ok: false, error: 'ECONNREFUSED' }]);
    await web.up();
    expect((await call('POST', '/api/v1/notifications/test', { channel: 'nope' })).status).toBe(404);
    const after = (await (await call('GET', '/api/v1/notifications')).json()) as NotificationsResponse;
    expect(after.channels.find((c) => c.name === 'hook')).toMatchObject({ lastError: null, lastSuccessAt: expect.any(String) });
    expect(after.channels.find((c) => c.name === 'phone')).toMatchObject({ lastError: 'ECONNREFUSED', lastSuccessAt: null });

    // a job's choices: written into the file (its comment kept), taken at once
    const put = await call('PUT', '/api/v1/notifications/jobs/nightly', { send: { hook: ['blocked'], phone: [] } });
    expect(put.status, await put.clone().text()).toBe(200);
    expect(await put.json()).toEqual({ jobId: 'nightly', maxAge: null, send: { hook: ['blocked'], phone: [] } });
    const text = readFileSync(sb.configFile, 'utf8');
    expect(text.startsWith('# motoko\n')).toBe(true);
    expect(parseConfig(text, sb.configFile).notifications!.jobs).toEqual({ nightly: { send: { hook: ['blocked'], phone: [] } } });
    // refused with the reason: an unknown channel, a heartbeat channel, a kind that is not a job's
    for (const [body, why] of [
      [{ send: { nope: ['failed'] } }, /no channel "nope"/],
      [{ send: { hc: ['failed'] } }, /heartbeat channel/],
      [{ send: { hook: ['capacity'] } }, /body\.send\.hook\.0 must be equal to one of the allowed values/],
    ] as const) {
      const r = await call('PUT', '/api/v1/notifications/jobs/nightly', body);
      expect(r.status).toBe(400);
      expect(((await r.json()) as { detail: string }).detail).toMatch(why);
    }
    // the schedule editor still writes after this edit (one writer knows the file's text)
    expect((await call('PUT', '/api/v1/jobs/nightly/schedule', { schedule: '0 3 * * *' })).status).toBe(200);
    // back to the channels' defaults: the keys go, and so do the maps they leave empty
    expect((await call('PUT', '/api/v1/notifications/jobs/nightly', { send: { hook: null, phone: null } })).status).toBe(200);
    const final = parseConfig(readFileSync(sb.configFile, 'utf8'), sb.configFile);
    expect(final.notifications!.jobs).toEqual({});
    expect(final.jobs.nightly!.schedule).toBe('0 3 * * *');

    // now a failure goes to both message channels (by their defaults) and the heartbeat
    const runRes = await call('POST', '/api/v1/jobs/nightly/run');
    expect(runRes.status).toBe(202);
    await web.waitFor(2, (r) => r.url === '/hook');
    await web.waitFor(1, (r) => r.url === '/topic' && r.status === 200);

    // no credential in any answer, the audit log or the server's database
    const audit = await (await call('GET', '/api/v1/audit?limit=100')).text();
    expect(audit).toMatch(/notify\.test/);
    expect(audit).toMatch(/notify\.job/);
    const answers = [audit, JSON.stringify(after), await (await call('GET', '/api/v1/notifications')).text(), await (await call('GET', '/api/v1/runs?limit=50')).text()];
    for (const secret of [sb.secrets.hookKey, sb.secrets.ntfyToken, 'c'.repeat(24)]) for (const a of answers) expect(a).not.toContain(secret);
    void s;
  });
});

describe('GET /metrics', () => {
  it('answers a viewer token, or no token from an allowed address, in a format promtool accepts', async () => {
    const web = reg.track(await startHttpReceiver());
    const { s, call, viewer } = await served(web);
    // a failed run and an open event stream, so the job and SSE series carry values
    const r = await call('POST', '/api/v1/jobs/nightly/run');
    const { runId } = (await r.json()) as { runId: string };
    await s.rt.engine.waitFor(runId);
    const stream = await fetch(`${s.url}/api/v1/events`, { headers: { authorization: `Bearer ${viewer}`, accept: 'text/event-stream' } });
    reg.add(() => stream.body?.cancel());

    expect((await call('GET', '/metrics', undefined, null)).status).toBe(401);
    const res = await call('GET', '/metrics', undefined, viewer);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = await res.text();
    expect(body).toMatch(/^pillars_job_last_run_status\{job_id="nightly",status="failed"\} 1$/m);
    expect(body).toMatch(/^pillars_job_last_run_status\{job_id="nightly",status="succeeded"\} 0$/m);
    expect(body).toMatch(/^pillars_job_last_run_duration_seconds\{job_id="nightly"\} [\d.e+-]+$/m);
    expect(body).toMatch(/^pillars_pillar_free_bytes\{pillar="space"\} \d+/m);
    expect(body).toMatch(/^pillars_sse_clients 1$/m);
    expect(body).toMatch(/^pillars_runs_blocked 0$/m);
    expect(body).toMatch(/^pillars_notify_pending\{channel="hook"\} \d+$/m);
    expect(body).toMatch(/^pillars_incidents_open 1$/m);
    expect(body).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(body).not.toMatch(/pillars_job_last_success_timestamp_seconds\{job_id="nightly"\}/); // never succeeded: absent, not 0

    const check = await run('promtool', ['check', 'metrics'], { input: body });
    expect(check.code, `${check.stdout}${check.stderr}`).toBe(0);
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');

    // docs/monitoring: the alert rules load, and every metric they and the dashboard name exists
    const rules = await run('promtool', ['check', 'rules', path.join(REPO_ROOT, 'docs/monitoring/alerts.yml')]);
    expect(rules.code, `${rules.stdout}${rules.stderr}`).toBe(0);
    const dashboard = readFileSync(path.join(REPO_ROOT, 'docs/monitoring/grafana-dashboard.json'), 'utf8');
    const exprs = (JSON.parse(dashboard) as { panels: Array<{ targets: Array<{ expr: string }> }> }).panels.flatMap((p) => p.targets.map((t) => t.expr));
    const named = new Set([...readFileSync(path.join(REPO_ROOT, 'docs/monitoring/alerts.yml'), 'utf8').matchAll(/\bpillars_[a-z_]+/g), ...exprs.join(' ').matchAll(/\bpillars_[a-z_]+/g)].map((m) => m[0]));
    expect(named.size).toBeGreaterThan(10);
    for (const m of named) expect(body, m).toMatch(new RegExp(`^# TYPE ${m} gauge$`, 'm'));

    // without a token from the addresses allowed (the test connects from 127.0.0.1), not from others
    const open = await served(web, '\nmetrics:\n  allowWithoutToken: [127.0.0.0/8, "::1"]\n');
    expect((await open.call('GET', '/metrics', undefined, null)).status).toBe(200);
    expect((await open.call('GET', '/metrics', undefined, 'not-a-token')).status).toBe(401);
    expect((await open.call('GET', '/api/v1/status', undefined, null)).status).toBe(401);
    const elsewhere = await served(web, '\nmetrics:\n  allowWithoutToken: [10.0.0.0/8]\n');
    expect((await elsewhere.call('GET', '/metrics', undefined, null)).status).toBe(401);
  });
});

describe('pillarsd notify test', () => {
  it('says which channels took the message; exit 1 when one did not, 2 for an unknown channel', async () => {
    const web = reg.track(await startHttpReceiver());
    const deadPort = await freePort();
    const sb = notifySandbox(reg, {
      notifications: () => `  channels:
    hook: { type: webhook, url: "${web.url}/hook", signingKey: hookKey }
    dead: { type: ntfy, url: "http://127.0.0.1:${deadPort}/topic" }
`,
    });
    sb.load();
    const ok = await runPillarsd(['notify', 'test', 'hook', '--config', sb.configFile]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe(`sent  hook  ${web.url}/hook\n`);
    expect(web.requests).toHaveLength(1);
    const all = await runPillarsd(['notify', 'test', '--config', sb.configFile]);
    expect(all.code).toBe(1);
    expect(all.stdout).toContain(`FAILED  dead  http://127.0.0.1:${deadPort}/topic: ECONNREFUSED`);
    const unknown = await runPillarsd(['notify', 'test', 'nope', '--config', sb.configFile]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no channel "nope" (known: hook, dead)');
    for (const out of [ok, all, unknown]) expect(`${out.stdout}${out.stderr}`).not.toContain(sb.secrets.hookKey);
  });
});

describe('Samba', () => {
  it('an apply that smbd did not reload is an incident, told once; it and a hand edit reach every reader of the status', async () => {
    const web = reg.track(await startHttpReceiver());
    const sb = notifySandbox(reg, {
      // Samba's state is read at every poll (the test's polls, not a timer, decide when)
      notifications: () => `  groupSeconds: 0
  sambaPollMinutes: 0.000001
  channels:
    hook: { type: webhook, url: "${web.url}/hook" }
`,
    });
    // a samba: section whose file lives in the sandbox; no smbd runs here, so no reload happens
    const text = sb.text.replace('remotes:', `samba:\n  mode: include\n  configFile: ${sb.dir}/smb.conf\n  validUsers: [root]\nremotes:`);
    writeFileSync(sb.configFile, text);
    writeFileSync(path.join(sb.dir, 'smb.conf'), `[global]\n   workgroup = WORKGROUP\ninclude = ${sb.dir}/pillars.conf\n`);
    const s = await startServe(loadConfigFile(sb.configFile), { host: '127.0.0.1', port: 0, tls: 'off' });
    reg.add(() => s.stop());
    const admin = s.tokens.create({ role: 'admin', name: 'pane' }).token;
    const apply = await fetch(`${s.url}/api/v1/samba/apply`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    expect(apply.status, await apply.clone().text()).toBe(502);
    const [hook] = await web.waitFor(1, (r) => r.url === '/hook');
    expect((JSON.parse(hook!.body) as WebhookBody).notices).toMatchObject([{ kind: 'samba', phase: 'opened', incident: 'samba:reload', title: 'smbd did not reload the Samba config' }]);
    expect(s.notifier.view().open.map((i) => i.key)).toContain('samba:reload');
    // every reader of the status sees it, not only an admin on the Samba page
    const viewer = s.tokens.create({ role: 'viewer', name: 'phone' }).token;
    const st = (await (await fetch(`${s.url}/api/v1/status`, { headers: { authorization: `Bearer ${viewer}` } })).json()) as StatusResponse;
    expect(st.samba).toEqual({ drift: null, reloadFailed: { title: 'smbd did not reload the Samba config', text: expect.stringMatching(/\S/) as unknown } });
    expect(st.samba.reloadFailed!.text).not.toBe('smbd reloaded the Samba config');
    // applied again (nothing new to write): no second message for the same incident
    await fetch(`${s.url}/api/v1/samba/apply`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    await s.notifier.poll();
    await s.notifier.idle();
    expect(web.requests.filter((r) => r.url === '/hook')).toHaveLength(1);
    // the live file edited by hand: the drift incident joins it in the status, by its field
    writeFileSync(path.join(sb.dir, 'pillars.conf'), '[global]\n   # edited by hand\n');
    await s.notifier.poll(); // joins a timer's poll that may have read the file before the edit…
    await new Promise((r) => setTimeout(r, 2));
    await s.notifier.poll(); // …this one reads it after
    const drifted = await s.rt.status.status();
    expect(drifted.samba.drift).toEqual({
      title: 'the Samba config was edited outside pillarsd',
      text: `${path.join(sb.dir, 'pillars.conf')} was edited outside pillarsd (drift): apply refuses to overwrite it without --force`,
    });
    expect(drifted.samba.reloadFailed).not.toBeNull();
    expect(drifted.warnings.filter((w) => /samba|smbd/i.test(w))).toEqual([]);
  });
});
