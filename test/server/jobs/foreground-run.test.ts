// `pillarsd run` in the foreground ends with one of its documented exit codes and never leaves its
// run `running`: a retry's backoff (the engine's timers do not hold the process open) once made
// Node exit 13 ("unsettled top-level await") with the run still `running` until the next start.
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPillarsd, spawnPillarsd, spawnProcess } from '../../support/cli';
import { useCleanup } from '../../support/tmp';
import { openRuntime } from '../../../server/src/jobs/runtime';
import { makeSandbox } from './sandbox';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('pillarsd run in the foreground', () => {
  const reg = useCleanup();

  it('waits through a retry backoff and exits 1 with the run failed, naming who holds the lock', { timeout: 180_000 }, async () => {
    const sb = makeSandbox(reg, {
      jobs: `  flux-backup:
    type: restic-backup
    source: flux:/
    repository: space:/backups/restic/flux
    password: restic
    retries: { count: 0 }
  flux-retention:
    type: restic-forget
    repository: space:/backups/restic/flux
    password: restic
    keep: { last: 1 }
    retries: { count: 1, backoffSeconds: 1 }
`,
    });
    writeFileSync(path.join(sb.flux, 'notes.txt'), 'something to keep\n');
    const env = { PILLARS_CONFIG: sb.configFile, HOME: sb.dir };
    const first = await runPillarsd(['run', 'flux-backup'], { env });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    // a live restic holds a lock (a backup reading stdin that never ends); forget needs an exclusive one
    const holder = reg.track(spawnProcess('restic', ['backup', '--stdin', '--stdin-filename', 'hold'], { env: { ...sb.resticEnv } }));
    const locks = path.join(sb.repo, 'locks');
    const held = () => readdirSync(locks).some((n) => (statSync(path.join(locks, n)).mode & 0o222) === 0);
    for (let i = 0; i < 4000 && !held(); i++) await sleep(5);
    expect(held()).toBe(true);

    const r = await runPillarsd(['run', 'flux-retention'], { env, timeoutMs: 120_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`flux-retention: failed — restic forget --dry-run: the repository at ${sb.repo} is locked by another restic process \\(PID ${holder.pid} on `));
    const rt = openRuntime(sb.loaded());
    try {
      const run = rt.runs.last('flux-retention')!;
      expect(run.status).toBe('failed');
      expect(run.attempt).toBe(2);
      expect(await rt.engine.readLog(run.id)).toMatch(/attempt 1 failed .*; retrying in 1s/);
    } finally {
      rt.close();
    }
    await holder.stop();
  });

  it('a closed terminal (SIGHUP) cancels the run, which ends cancelled with exit 1', { timeout: 120_000 }, async () => {
    const sb = makeSandbox(reg);
    // enough data that restic is still reading when the signal comes
    writeFileSync(path.join(sb.flux, 'big.bin'), randomBytes(64 << 20));
    const env = { PILLARS_CONFIG: sb.configFile, HOME: sb.dir };
    const p = reg.track(spawnPillarsd(['run', 'flux-backup'], { env }));
    const id = (await p.waitForLine(/^run (\S+) of flux-backup queued/))[1]!;
    const rt = openRuntime(sb.loaded());
    try {
      for (let i = 0; i < 2000 && !rt.runs.get(id)?.childPid; i++) await sleep(10);
      expect(rt.runs.get(id)?.childPid).toBeTruthy();
      process.kill(p.pid, 'SIGHUP');
      expect((await p.exited).code).toBe(1);
      expect(rt.runs.get(id)).toMatchObject({ status: 'cancelled', error: 'cancelled by signal SIGHUP' });
    } finally {
      rt.close();
    }
  });
});
