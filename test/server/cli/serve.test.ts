// The composition of `serve` in-process: recovery at start, HTTP with a token from the API's
// store, and a clean stop that leaves a running run `interrupted`, never `running`.
import { describe, expect, it } from 'vitest';
import { startServe } from '../../../server/src/cli/commands/serve';
import { makeSandbox } from '../jobs/sandbox';
import { useCleanup } from '../../support/tmp';
import { sleep } from '../../support/proc';
import { openDb } from '../../../server/src/store/db';
import { RunStore, newRunId } from '../../../server/src/store/runs';
import path from 'node:path';

const reg = useCleanup();

describe('serve', () => {
  it('recovers dead runs, serves the engine over HTTP, and stops with running runs interrupted', async () => {
    const sb = makeSandbox(reg, {
      jobs: `  slow:
    type: restic-check
    repository: space:/backups/restic/flux
    password: restic
    retries: { count: 0 }
    pre: [{ argv: ["sleep", "60"], timeoutSeconds: 120 }]
`,
    });
    // a run left `running` by a process that no longer exists
    const db = openDb(path.join(sb.state, 'pillarsd.db'));
    const runs = new RunStore(db);
    const dead = runs.create({ id: newRunId(new Date()), jobId: 'slow', trigger: 'schedule', queuedAt: new Date().toISOString(), resources: [], ownerPid: 2 ** 22 + 7, ownerStart: '1' });
    runs.update(dead.id, { status: 'running', startedAt: new Date().toISOString() });
    db.close();

    const s = await startServe(sb.loaded(), { host: '127.0.0.1', port: 0, tls: 'off' });
    let stopped = false;
    reg.add(() => (stopped ? undefined : s.stop()));
    expect(s.rt.runs.get(dead.id)).toMatchObject({ status: 'interrupted', error: 'pillarsd stopped while this run was running' });
    const token = s.tokens.create({ role: 'admin', name: 'test' }).token;
    const res = await fetch(`${s.url}/api/v1/jobs/slow/run`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    for (let i = 0; i < 100 && s.rt.runs.get(runId)?.status !== 'running'; i++) await sleep(50);
    expect(s.rt.runs.get(runId)?.status).toBe('running');
    const rt = s.rt;
    const record = () => {
      const d = openDb(path.join(sb.state, 'pillarsd.db'));
      try {
        return new RunStore(d).get(runId);
      } finally {
        d.close();
      }
    };
    await s.stop();
    stopped = true;
    expect(record()).toMatchObject({ status: 'interrupted', error: 'pillarsd stopped while this run was running' });
    expect(rt.engine.isIdle()).toBe(true);
  });

  it('serves the Samba API when pillarsd.yaml has a samba: section', async () => {
    const sb = makeSandbox(reg);
    const yaml = `${sb.yaml.replace('remotes:', `samba:\n  mode: include\n  configFile: ${sb.dir}/smb.conf\n  validUsers: [mike]\nremotes:`)}`;
    const { parseConfig } = await import('../../../server/src/config/load');
    const s = await startServe({ file: sb.configFile, config: parseConfig(yaml, sb.configFile) }, { host: '127.0.0.1', port: 0, tls: 'off' });
    reg.add(() => s.stop());
    const token = s.tokens.create({ role: 'admin', name: 'test' }).token;
    const noSamba = await startServe(sb.loaded(), { host: '127.0.0.1', port: 0, tls: 'off' });
    reg.add(() => noSamba.stop());
    const token2 = noSamba.tokens.create({ role: 'admin', name: 'test' }).token;
    const withIt = await fetch(`${s.url}/api/v1/samba`, { headers: { authorization: `Bearer ${token}` } });
    const without = await fetch(`${noSamba.url}/api/v1/samba`, { headers: { authorization: `Bearer ${token2}` } });
    expect(without.status).not.toBe(withIt.status);
    expect(withIt.status).toBe(200);
  });
});

describe("schedule changes through the API (the admin pane's editor)", () => {
  async function served(prepare?: (file: string) => string) {
    const sb = makeSandbox(reg);
    const { chmodSync, writeFileSync } = await import('node:fs');
    writeFileSync(sb.configFile, `# motoko: the jobs of the pillars\n${sb.yaml}`);
    chmodSync(sb.configFile, 0o640);
    const file = prepare ? prepare(sb.configFile) : sb.configFile;
    const { loadConfigFile } = await import('../../../server/src/config/load');
    const s = await startServe(loadConfigFile(file), { host: '127.0.0.1', port: 0, tls: 'off' });
    reg.add(() => s.stop());
    const admin = s.tokens.create({ role: 'admin', name: 'pane' }).token;
    const viewer = s.tokens.create({ role: 'viewer', name: 'look' }).token;
    const put = (job: string, body: unknown, token = admin) =>
      fetch(`${s.url}/api/v1/jobs/${job}/schedule`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { sb, s, put, viewer, file };
  }

  it('writes the schedule into pillarsd.yaml (comments and mode kept) and the scheduler takes it without starting a run', async () => {
    const { readFileSync, statSync } = await import('node:fs');
    const { sb, s, put, viewer } = await served();
    const res = await put('flux-verify', { schedule: '15 4 * * *' });
    expect(res.status, await res.clone().text()).toBe(200);
    const info = (await res.json()) as { id: string; schedule: string | null; nextRunAt: string | null };
    expect(info).toMatchObject({ id: 'flux-verify', schedule: '15 4 * * *' });
    expect(new Date(info.nextRunAt!).getMinutes()).toBe(15);
    const text = readFileSync(sb.configFile, 'utf8');
    expect(text.startsWith('# motoko: the jobs of the pillars\n')).toBe(true);
    const { parseConfig } = await import('../../../server/src/config/load');
    expect(parseConfig(text, sb.configFile).jobs['flux-verify']!.schedule).toBe('15 4 * * *');
    expect(statSync(sb.configFile).mode & 0o777).toBe(0o640);
    expect(s.scheduler.nextRunAt('flux-verify')?.getMinutes()).toBe(15);
    expect(s.rt.engine.listRuns({ job: 'flux-verify', limit: 10 }).runs).toEqual([]);
    // null removes it: the job runs on demand only
    const cleared = await put('flux-verify', { schedule: null });
    expect(cleared.status).toBe(200);
    expect(await cleared.json()).toMatchObject({ schedule: null, nextRunAt: null });
    expect(parseConfig(readFileSync(sb.configFile, 'utf8'), sb.configFile).jobs['flux-verify']!.schedule).toBeUndefined();
    // a viewer may look, not change
    expect((await put('flux-verify', { schedule: '0 1 * * *' }, viewer)).status).toBe(403);
    const audit = await fetch(`${s.url}/api/v1/audit?limit=10`, { headers: { authorization: `Bearer ${s.tokens.create({ role: 'admin' }).token}` } });
    expect(JSON.stringify(await audit.json())).toMatch(/job\.schedule/);
  });

  it('refuses a bad schedule or a file edited since it was loaded, and writes nothing', async () => {
    const { readFileSync, writeFileSync } = await import('node:fs');
    const { sb, put } = await served();
    const before = readFileSync(sb.configFile, 'utf8');
    const bad = await put('flux-verify', { schedule: '61 * * * *' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toMatch(/pillarsd\.yaml:\d+: jobs\.flux-verify\.schedule: invalid cron expression "61 \* \* \* \*"/);
    expect((await put('flux-verify', { schedule: 5 })).status).toBe(400);
    expect((await put('no-such-job', { schedule: '0 1 * * *' })).status).toBe(404);
    expect(readFileSync(sb.configFile, 'utf8')).toBe(before);
    // the owner edits the file by hand: pillarsd never writes over that
    const edited = `${before}# a note added by hand\n`;
    writeFileSync(sb.configFile, edited);
    const conflict = await put('flux-verify', { schedule: '0 1 * * *' });
    expect(conflict.status).toBe(409);
    expect(((await conflict.json()) as { detail: string }).detail).toMatch(/changed on disk since pillarsd loaded it; nothing was written/);
    expect(readFileSync(sb.configFile, 'utf8')).toBe(edited);
  });

  it('a pillarsd.yaml behind a symlink: the file it points at is rewritten, the link stays', async () => {
    const { lstatSync, readFileSync, renameSync, symlinkSync } = await import('node:fs');
    const { put, file } = await served((f) => {
      const real = `${f}.real`;
      renameSync(f, real);
      symlinkSync(real, f);
      return f;
    });
    expect((await put('flux-verify', { schedule: '30 2 * * 0' })).status).toBe(200);
    expect(lstatSync(file).isSymbolicLink()).toBe(true);
    expect(readFileSync(`${file}.real`, 'utf8')).toMatch(/schedule: 30 2 \* \* 0/);
  });
});

describe("job settings through the API (the admin pane's editor)", () => {
  it('retention and excludes changed over the API go into pillarsd.yaml (comments kept) and the next runs use them', async () => {
    const { readFileSync, writeFileSync } = await import('node:fs');
    const sb = makeSandbox(reg);
    writeFileSync(path.join(sb.flux, 'notes.txt'), 'kept');
    writeFileSync(sb.configFile, `# motoko: the jobs of the pillars\n${sb.yaml}`);
    const { loadConfigFile, parseConfig } = await import('../../../server/src/config/load');
    const s = await startServe(loadConfigFile(sb.configFile), { host: '127.0.0.1', port: 0, tls: 'off' });
    reg.add(() => s.stop());
    const admin = s.tokens.create({ role: 'admin', name: 'pane' }).token;
    const viewer = s.tokens.create({ role: 'viewer', name: 'look' }).token;
    const call = (method: string, job: string, body?: unknown, token = admin) =>
      fetch(`${s.url}/api/v1/jobs/${job}/settings`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });

    const got = (await (await call('GET', 'flux-retention')).json()) as { type: string; values: { keep: unknown }; effective: { prune: boolean }; schema: { properties: Record<string, unknown> }; locked: string[] };
    expect(got).toMatchObject({ type: 'restic-forget', values: { keep: { last: 1 } }, effective: { prune: true }, locked: ['type'] });
    expect(Object.keys(got.schema.properties)).toEqual(expect.arrayContaining(['keep', 'prune', 'schedule', 'pre', 'post', 'retries']));

    const kept = await call('PATCH', 'flux-retention', {
      edits: [
        { path: ['keep', 'last'], value: 2 },
        { path: ['keep', 'daily'], value: 7 },
      ],
    });
    expect(kept.status, await kept.clone().text()).toBe(200);
    expect(((await kept.json()) as { values: unknown }).values).toMatchObject({ keep: { last: 2, daily: 7 } });
    const ex = await call('PATCH', 'flux-backup', { edits: [{ path: ['exclude'], value: ['**/node_modules', 'scratch/'] }] });
    expect(ex.status, await ex.clone().text()).toBe(200);
    const text = readFileSync(sb.configFile, 'utf8');
    expect(text.startsWith('# motoko: the jobs of the pillars\n')).toBe(true);
    const cfg = parseConfig(text, sb.configFile);
    const [backup, retention] = [cfg.jobs['flux-backup']!, cfg.jobs['flux-retention']!];
    expect(backup.type === 'restic-backup' && backup.exclude).toEqual(['**/node_modules', 'scratch/']);
    expect(retention.type === 'restic-forget' && retention.keep).toEqual({ last: 2, daily: 7 });

    // the next runs use them: restic's argv is in each run's log
    const runOf = async (job: string) => {
      const r = s.rt.engine.enqueue(job, 'manual')!;
      const done = await s.rt.engine.waitFor(r.id);
      return { done, log: await s.rt.engine.readLog(r.id) };
    };
    const b = await runOf('flux-backup');
    expect(b.done.status, b.log).toBe('succeeded');
    expect(b.log).toMatch(/\$ restic .*--exclude \*\*\/node_modules --exclude scratch\//);
    const f = await runOf('flux-retention');
    expect(f.done.status, f.log).toBe('succeeded');
    expect(f.log).toMatch(/\$ restic .*forget .*--keep-last 2 --keep-daily 7/);

    // errors name the field; what may not change, and a viewer, are refused; nothing is written
    const before = readFileSync(sb.configFile, 'utf8');
    const bad = await call('PATCH', 'flux-retention', { edits: [{ path: ['keep', 'daily'], value: 0 }] });
    expect(bad.status).toBe(400);
    const problem = (await bad.json()) as { detail: string; errors: Array<{ path: string; message: string }> };
    expect(problem.errors).toEqual([{ path: 'jobs.flux-retention.keep.daily', message: expect.stringMatching(/>0|greater/) }]);
    expect(problem.detail).toMatch(/pillarsd\.yaml:\d+: jobs\.flux-retention\.keep\.daily: /);
    const locked = await call('PATCH', 'flux-retention', { edits: [{ path: ['type'], value: 'restic-check' }] });
    expect(locked.status).toBe(400);
    expect(((await locked.json()) as { errors: Array<{ path: string }> }).errors.map((e) => e.path)).toEqual(['jobs.flux-retention.type']);
    expect((await call('PATCH', 'flux-retention', { edits: [{ path: ['keep', 'daily'], value: 3 }] }, viewer)).status).toBe(403);
    expect((await call('GET', 'flux-retention', undefined, viewer)).status).toBe(403);
    expect((await call('PATCH', 'flux-retention', { edits: [] })).status).toBe(400);
    expect(readFileSync(sb.configFile, 'utf8')).toBe(before);

    // disable writes enabled: false into the file, and the scheduler has no next run for it
    const off = await fetch(`${s.url}/api/v1/jobs/flux-retention/disable`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    expect(off.status).toBe(200);
    expect(((await off.json()) as { enabled: boolean }).enabled).toBe(false);
    expect(parseConfig(readFileSync(sb.configFile, 'utf8'), sb.configFile).jobs['flux-retention']!.enabled).toBe(false);
    const audit = await fetch(`${s.url}/api/v1/audit?limit=10`, { headers: { authorization: `Bearer ${admin}` } });
    expect(JSON.stringify(await audit.json())).toMatch(/job\.settings.*keep\.last, keep\.daily/);
  });
});
