// The power cut of issue 22 with real Syncthing 1.19 and real pillarsd processes: pillarsd is
// killed during a backup that paused the hot-sets; at the restart Syncthing is not up yet; a
// backup runs meanwhile; then Syncthing comes up. Every hot-set ends resumed, and status warns
// while one is still paused. A manual `pillarsd run` pauses and resumes like `serve`, in its log.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Run, RunsPage, StatusResponse } from '../../../server/src/contract/api';
import { runPillarsd, spawnPillarsd } from '../../support/cli';
import { sleep } from '../../support/proc';
import { startSyncthing } from '../../support/syncthing';
import { useCleanup } from '../../support/tmp';
import { request, type Target } from '../http/support/client';
import { makeSandbox } from '../jobs/sandbox';

const reg = useCleanup();

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  while (Date.now() - t0 < timeoutMs) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

describe('hot-sets are never left behind', () => {
  it('kill pillarsd during a backup, Syncthing down at the restart, a backup meanwhile, then Syncthing up: every hot-set resumed, warned about until then', { timeout: 300_000 }, async () => {
    const st = reg.track(await startSyncthing({ name: 'motoko' }));
    const hold = path.join(reg.tempDir().path, 'hold');
    const sb = makeSandbox(reg, {
      jobs: `  flux-backup:
    type: restic-backup
    source: flux:/
    repository: space:/backups/restic/flux
    password: restic
    retries: { count: 0 }
    # holds the run (hot-sets paused) while the test's hold file exists
    pre: [{ argv: ["sh", "-c", "while [ -e ${hold} ]; do sleep 0.1; done"], timeoutSeconds: 120 }]
`,
    });
    writeFileSync(sb.configFile, `${sb.yaml}syncthing: { url: "${st.url}", apiKey: "env:ST_KEY", hotRoot: "flux:/hot", pauseDuringBackup: true, pollSeconds: 1 }\n`);
    for (const h of ['notes', 'papers']) {
      mkdirSync(path.join(sb.flux, 'hot', h), { recursive: true });
      writeFileSync(path.join(sb.flux, 'hot', h, 'a.md'), `${h}\n`);
      await st.addFolder(`hot-${h}`, path.join(sb.flux, 'hot', h));
    }
    const paused = async () => Object.fromEntries((await st.api<Array<{ id: string; paused: boolean }>>('GET', '/rest/config/folders')).map((f) => [f.id, f.paused]));
    const env = { PILLARS_CONFIG: sb.configFile, HOME: sb.dir, ST_KEY: st.apiKey };

    // 1. a manual run pauses both hot-sets; pillarsd dies (SIGKILL) while it holds them
    writeFileSync(hold, '');
    const run1 = reg.track(spawnPillarsd(['run', 'flux-backup'], { env }));
    const killedRun = (await run1.waitForLine(/^run (\S+) of flux-backup queued/))[1]!;
    await until('both hot-sets paused', async () => {
      const p = await paused();
      return p['hot-notes'] && p['hot-papers'];
    });
    // the pause is in the run's log file (written in batches) before the power goes
    const logFile = path.join(sb.state, 'logs', `${killedRun}.log`);
    await until('the pause in the run log', async () => existsSync(logFile) && readFileSync(logFile, 'utf8').includes('hot-sets: paused hot-notes, hot-papers for flux-backup'));
    process.kill(run1.pid, 'SIGKILL');
    await run1.exited;
    rmSync(hold);

    // 2. power comes back: Syncthing is not up yet when pillarsd serve starts
    await st.down();
    const tok = await runPillarsd(['token', 'create', '--role', 'admin', '--name', 't', '--json'], { env });
    expect(tok.code, tok.stderr).toBe(0);
    const auth = { authorization: `Bearer ${(JSON.parse(tok.stdout) as { token: string }).token}` };
    const srv = reg.track(spawnPillarsd(['serve'], { env }));
    const t: Target = { url: (await srv.waitForLine(/serving (http:\/\/[^\s"]+)/, 60_000))[1]! };
    const status = async () => (await request(t, { path: '/api/v1/status', headers: auth })).json() as StatusResponse;
    const leftoverWarnings = (s: StatusResponse) => s.warnings.filter((w) => /^hot-set hot-(notes|papers) is still paused/.test(w));
    let s = await status();
    expect(leftoverWarnings(s)).toHaveLength(2);
    expect(leftoverWarnings(s)[0]).toMatch(
      new RegExp(
        `^hot-set hot-notes is still paused since [0-9-]+ [0-9:]+: pillarsd paused it for run ${killedRun}, which did not resume it \\(Syncthing at ${st.url.replace(/[.]/g, '\\.')} did not answer .*\\); it is resumed as soon as Syncthing answers$`,
      ),
    );
    const runs = async (job: string) => ((await request(t, { path: `/api/v1/runs?job=${job}&limit=5`, headers: auth })).json() as RunsPage).runs;
    expect((await runs('flux-backup')).find((r) => r.id === killedRun)?.status).toBe('interrupted');
    const log1 = (await request(t, { path: `/api/v1/runs/${killedRun}/log`, headers: auth })).json() as { log: string };
    expect(log1.log).toContain('hot-sets: paused hot-notes, hot-papers for flux-backup');

    // 3. a backup runs while Syncthing is still down: it says so, and the pauses stay on record
    const started = (await request(t, { method: 'POST', path: '/api/v1/jobs/flux-backup/run', headers: auth })).json() as { runId: string };
    const done = await until('the second backup', async () => {
      const r = (await runs('flux-backup')).find((x) => x.id === started.runId);
      return r && ['succeeded', 'failed', 'blocked'].includes(r.status) ? (r as Run) : undefined;
    });
    expect(done.status, done.error ?? '').toBe('succeeded');
    const log2 = (await request(t, { path: `/api/v1/runs/${done.id}/log`, headers: auth })).json() as { log: string };
    expect(log2.log).toMatch(/hot-sets: could not pause every hot-set \(Syncthing at \S+ did not answer GET \/rest\/config\/folders: .*\); the backup runs anyway/);
    s = await status();
    expect(leftoverWarnings(s)).toHaveLength(2);

    // 4. Syncthing comes up: serve resumes both within its poll, and the warning goes
    await st.up();
    await until('both hot-sets resumed', async () => {
      const p = await paused();
      return !p['hot-notes'] && !p['hot-papers'];
    });
    await until('the warning gone', async () => leftoverWarnings(await status()).length === 0);

    // 5. the next backup pauses and resumes them again, in its log
    const third = (await request(t, { method: 'POST', path: '/api/v1/jobs/flux-backup/run', headers: auth })).json() as { runId: string };
    const r3 = await until('the third backup', async () => {
      const r = (await runs('flux-backup')).find((x) => x.id === third.runId);
      return r && ['succeeded', 'failed', 'blocked'].includes(r.status) ? (r as Run) : undefined;
    });
    expect(r3.status, r3.error ?? '').toBe('succeeded');
    const log3 = ((await request(t, { path: `/api/v1/runs/${r3.id}/log`, headers: auth })).json() as { log: string }).log;
    expect(log3).toContain('hot-sets: paused hot-notes, hot-papers for flux-backup');
    expect(log3).toContain('hot-sets: resumed hot-notes, hot-papers');
    expect(await paused()).toEqual({ 'hot-notes': false, 'hot-papers': false });
    expect(existsSync(path.join(sb.repo, 'config'))).toBe(true);
    await srv.stop();
  });
});
