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
