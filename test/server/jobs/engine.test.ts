// The engine against the real restic 0.14 and rclone 1.60, in-process (the CLI tests cover the
// same paths through `pillarsd`): byte-identical restores, guards, the Space sync
// waiting for a backup into Space, hooks, cancel/timeout of whole process groups, retention.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openRuntime } from '../../../server/src/jobs/runtime';
import type { Runtime } from '../../../server/src/jobs/runtime';
import { makeSandbox, runJob, sandboxRuntime } from './sandbox';
import { hashTree, makeTree } from '../../support/trees';
import { diesWithin, run, runOk, isAlive, sleep } from '../../support/proc';
import { useCleanup } from '../../support/tmp';
import { processState } from '../../../server/src/infra/process';

const reg = useCleanup();

const runtime = (sb: ReturnType<typeof makeSandbox>, o: Parameters<typeof openRuntime>[1] = {}): Runtime => sandboxRuntime(reg, sb, o);

describe('restic backup', () => {
  it('backs up a tree of awkward names (and a 100 MB file) that plain restic restores byte-identical', async () => {
    const sb = makeSandbox(reg);
    await makeTree(path.join(sb.flux, 'work'), { bigFileBytes: 100 << 20 });
    mkdirSync(path.join(sb.flux, 'work/node_modules/x'), { recursive: true });
    writeFileSync(path.join(sb.flux, 'work/node_modules/x/index.js'), 'excluded');
    const rt = runtime(sb);
    const events: Array<{ type: string; at: number; percent?: number | null }> = [];
    rt.hub.subscribe((e) => events.push({ type: e.event.type, at: Date.now(), percent: e.event.type === 'run.progress' ? e.event.progress.percent : undefined }));
    const done = await runJob(rt, 'flux-backup');
    expect(done.status, done.error ?? '').toBe('succeeded');
    // stored, then published: queued → started → progress… → finished, progress at most 4 a second
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('run.queued');
    expect(types[1]).toBe('run.started');
    expect(types.at(-1)).toBe('run.finished');
    const progress = events.filter((e) => e.type === 'run.progress');
    expect(progress.length).toBeGreaterThan(0);
    for (let i = 4; i < progress.length; i++) expect(progress[i]!.at - progress[i - 4]!.at).toBeGreaterThanOrEqual(990);
    expect(rt.hub.since(0).map((e) => e.event.type)).toEqual(types);
    expect(done.summary).toMatchObject({ kind: 'restic-backup', snapshotId: expect.stringMatching(/^[0-9a-f]{8}/) });
    expect(await rt.engine.readLog(done.id)).toMatch(/initialising a new one \(restic init\)/);
    const target = path.join(sb.dir, 'restore');
    await runOk('restic', ['restore', 'latest', '--target', target], { env: { ...process.env, ...sb.resticEnv } });
    const original = await hashTree(path.join(sb.flux, 'work'));
    const restored = await hashTree(path.join(target, sb.flux, 'work'));
    delete original['node_modules'];
    delete original['node_modules/x'];
    delete original['node_modules/x/index.js'];
    expect(restored).toEqual(original);
    expect(Object.keys(restored)).toContain('line\nbreak.txt');
  });
});

describe('guards (rules 1–3) keep destinations untouched', () => {
  it('Space without its sentinel: backup and sync end blocked, nothing written', async () => {
    const sb = makeSandbox(reg);
    writeFileSync(path.join(sb.flux, 'a.txt'), 'a');
    writeFileSync(path.join(sb.space, 'keep.txt'), 'archive');
    writeFileSync(path.join(sb.cloud, 'keep.txt'), 'archive');
    writeFileSync(path.join(sb.cloud, 'only-in-cloud.txt'), 'must survive');
    rmSync(path.join(sb.space, '.pillar'));
    const spaceBefore = await hashTree(sb.space);
    const cloudBefore = await hashTree(sb.cloud);
    const rt = runtime(sb);
    const b = await runJob(rt, 'flux-backup');
    expect(b.status).toBe('blocked');
    expect(b.block).toMatchObject({ guard: 'pillar-sentinel', needsApproval: false });
    expect(b.error).toMatch(/\.pillar is missing/);
    const s = await runJob(rt, 'space-offsite');
    expect(s.status).toBe('blocked');
    expect(await hashTree(sb.space)).toEqual(spaceBefore);
    expect(await hashTree(sb.cloud)).toEqual(cloudBefore);
    expect(() => rt.engine.approve(s.id, 'admin', null)).toThrow(/an approval cannot lift/);
  });

  it('an empty Flux: the backup is refused and the repository gets no snapshot', async () => {
    const sb = makeSandbox(reg);
    await makeTree(path.join(sb.flux, 'w'), { newlineName: false });
    const rt = runtime(sb);
    expect((await runJob(rt, 'flux-backup')).status).toBe('succeeded');
    rmSync(path.join(sb.flux, 'w'), { recursive: true });
    const repoBefore = await hashTree(sb.repo);
    const r = await runJob(rt, 'flux-backup');
    expect(r.status).toBe('blocked');
    expect(r.block?.guard).toBe('empty-source');
    expect(await hashTree(sb.repo)).toEqual(repoBefore);
  });

  it('retention refuses to keep an empty snapshot in place of one with data', async () => {
    const sb = makeSandbox(reg);
    writeFileSync(path.join(sb.flux, 'data.txt'), 'precious');
    const rt = runtime(sb);
    expect((await runJob(rt, 'flux-backup')).status).toBe('succeeded');
    // an empty snapshot of the same path made behind our back (plain restic has no guard)
    renameSync(path.join(sb.flux, 'data.txt'), path.join(sb.dir, 'data.txt'));
    rmSync(path.join(sb.flux, '.pillar'));
    await runOk('restic', ['backup', sb.flux + '/'], { env: { ...process.env, ...sb.resticEnv } });
    const r = await runJob(rt, 'flux-retention');
    expect(r.status).toBe('blocked');
    expect(r.block?.guard).toBe('retention-minimum');
    const snaps = JSON.parse((await runOk('restic', ['snapshots', '--json'], { env: { ...process.env, ...sb.resticEnv } })).stdout) as unknown[];
    expect(snaps).toHaveLength(2);
  });
});

describe('queue, hooks and process groups', () => {
  it('never runs the Space sync while a backup writes the repository inside Space; after: follows success', async () => {
    const sb = makeSandbox(reg, {
      extraJobs: `  nightly-offsite:
    type: rclone-sync
    source: space:/
    destination: cloud:${'${CLOUD}'}/n
    after: [flux-backup]
    retries: { count: 0 }
`,
    });
    const yaml = sb.yaml.replace('${CLOUD}', sb.cloud);
    writeFileSync(sb.configFile, yaml);
    await makeTree(path.join(sb.flux, 'w'), { bigFileBytes: 20 << 20 });
    writeFileSync(path.join(sb.space, 'x.txt'), 'x');
    const { parseConfig } = await import('../../../server/src/config/load');
    const rt = openRuntime({ file: sb.configFile, config: parseConfig(yaml, sb.configFile) });
    reg.add(async () => {
      await rt.engine.stop();
      rt.close();
    });
    const backup = rt.engine.enqueue('flux-backup', 'manual')!;
    const sync = rt.engine.enqueue('space-offsite', 'manual')!;
    const [b, s] = await Promise.all([rt.engine.waitFor(backup.id), rt.engine.waitFor(sync.id)]);
    expect(b.status).toBe('succeeded');
    expect(s.status, s.error ?? '').toBe('succeeded');
    expect(Date.parse(s.startedAt!)).toBeGreaterThanOrEqual(Date.parse(b.finishedAt!));
    // the dependent job was queued by the backup's success and ran
    let dep = rt.runs.last('nightly-offsite');
    for (let i = 0; i < 200 && (!dep || dep.status === 'queued' || dep.status === 'running'); i++) {
      await sleep(100);
      dep = rt.runs.last('nightly-offsite');
    }
    expect(dep).toMatchObject({ trigger: 'dependency', status: 'succeeded' });
  });

  it('a failing pre hook fails the run; the post hook always runs with the status', async () => {
    const sb = makeSandbox(reg, {
      jobs: `  guarded:
    type: restic-check
    repository: space:/backups/restic/flux
    password: restic
    retries: { count: 0 }
    pre: [{ argv: ["sh", "-c", "echo dumping; exit 4"], timeoutSeconds: 5 }]
    post: [{ argv: ["sh", "-c", "echo $PILLARS_RUN_STATUS > \\"$0\\"", "MARK"], timeoutSeconds: 5 }]
`,
    });
    const mark = path.join(sb.dir, 'post-ran');
    writeFileSync(sb.configFile, sb.yaml.replace('"MARK"', JSON.stringify(mark)));
    const { parseConfig } = await import('../../../server/src/config/load');
    const rt = openRuntime({ file: sb.configFile, config: parseConfig(readFileSync(sb.configFile, 'utf8'), sb.configFile) });
    reg.add(async () => {
      await rt.engine.stop();
      rt.close();
    });
    const r = await runJob(rt, 'guarded');
    expect(r.status).toBe('failed');
    expect(r.error).toBe('pre hook sh exited 4');
    expect(readFileSync(mark, 'utf8').trim()).toBe('failed');
    expect(await rt.engine.readLog(r.id)).toMatch(/\[pre\] dumping/);
  });

  it('cancel and timeout end the whole process group; aroundRun wraps each attempt', async () => {
    const sb = makeSandbox(reg, {
      jobs: `  slow:
    type: restic-check
    repository: space:/backups/restic/flux
    password: restic
    retries: { count: 0 }
    pre: [{ argv: ["sh", "-c", "sleep 60 & echo child $!; wait"], timeoutSeconds: 120 }]
  slower:
    type: restic-check
    repository: space:/backups/restic/db
    password: restic
    timeoutMinutes: 0.02
    retries: { count: 0 }
    pre: [{ argv: ["sh", "-c", "sleep 60 & echo child $!; wait"], timeoutSeconds: 120 }]
`,
    });
    const seen: string[] = [];
    const rt = runtime(sb, {
      aroundRun: [
        async (job, next) => {
          seen.push(`before ${job.id}`);
          await next();
          seen.push(`after ${job.id}`);
        },
      ],
    });
    const q = rt.engine.enqueue('slow', 'manual')!;
    let log = '';
    for (let i = 0; i < 100 && !/child \d+/.test(log); i++) {
      await sleep(100);
      log = await rt.engine.readLog(q.id);
    }
    const grandchild = Number(/child (\d+)/.exec(log)![1]);
    expect(isAlive(grandchild)).toBe(true);
    rt.engine.cancel(q.id, 'tester');
    const c = await rt.engine.waitFor(q.id);
    expect(c.status).toBe('cancelled');
    expect(c.error).toBe('cancelled by tester');
    expect(await diesWithin(grandchild)).toBe(true);
    const t = await runJob(rt, 'slower');
    expect(t.status).toBe('failed');
    expect(t.error).toBe('timed out after 0.02 minutes');
    expect(seen).toEqual(['before slow', 'after slow', 'before slower', 'after slower']);
  });
});

describe('secrets stay out of argv, logs and the database (rule 6)', () => {
  it('samples /proc/*/cmdline during runs and reads every log and database byte', async () => {
    const sb = makeSandbox(reg, { passwordRef: 'env:PILLARS_TEST_RESTIC_PW' });
    await makeTree(path.join(sb.flux, 'w'), { bigFileBytes: 30 << 20 });
    writeFileSync(path.join(sb.space, 'x'), 'x');
    const rt = runtime(sb, { env: { ...process.env, PILLARS_TEST_RESTIC_PW: sb.password } });
    let sampling = true;
    let samples = 0;
    const leaks: string[] = [];
    const sampler = (async () => {
      while (sampling) {
        for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
          try {
            const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
            samples++;
            if (cmd.includes(sb.password)) leaks.push(cmd.replace(/\0/g, ' '));
          } catch {
            /* gone */
          }
        }
        await sleep(15);
      }
    })();
    for (const job of ['flux-backup', 'flux-verify', 'flux-retention', 'space-offsite']) {
      const r = await runJob(rt, job);
      expect(r.status, `${job}: ${r.error}`).toBe('succeeded');
    }
    sampling = false;
    await sampler;
    expect(samples).toBeGreaterThan(100);
    expect(leaks).toEqual([]);
    rt.db.pragma('wal_checkpoint(TRUNCATE)');
    const files = [
      ...readdirSync(path.join(sb.state, 'logs')).map((f) => path.join(sb.state, 'logs', f)),
      ...readdirSync(sb.state)
        .filter((f) => f.startsWith('pillarsd.db'))
        .map((f) => path.join(sb.state, f)),
    ];
    expect(files.length).toBeGreaterThan(4);
    for (const f of files) expect(readFileSync(f).includes(Buffer.from(sb.password)), f).toBe(false);
    // and no password file is left in the runtime folder
    expect(readdirSync(path.join(sb.state, 'runtime'))).toEqual([]);
    const plain = await run('restic', ['snapshots'], { env: { ...process.env, ...sb.resticEnv } });
    expect(plain.code).toBe(0);
  });
});

describe('retries and rclone remotes', () => {
  it('retries a backup that found the repository locked by a live restic, with backoff', { timeout: 180_000 }, async () => {
    const sb = makeSandbox(reg, {
      jobs: `  flux-backup:
    type: restic-backup
    source: flux:/
    repository: space:/backups/restic/flux
    password: restic
    retries: { count: 3, backoffSeconds: 1 }
`,
    });
    await makeTree(path.join(sb.flux, 'w'), { bigFileBytes: 40 << 20, newlineName: false });
    const rt = runtime(sb);
    expect((await runJob(rt, 'flux-backup')).status).toBe('succeeded');
    // a real exclusive lock held by a live restic: `check --read-data`, paused once it has the lock
    const { spawnProcess } = await import('../../support/cli');
    const check = reg.track(spawnProcess('restic', ['check', '--read-data'], { env: { ...sb.resticEnv } }));
    const locks = path.join(sb.repo, 'locks');
    // Stop it only once the lock is whole: restic 0.14 writes the lock file in place and marks it
    // read-only after the fsync and close. A backup ignores a half-written lock and goes through on
    // its first attempt, which is how a fixed sleep here lost the race on a loaded CI runner.
    const lockWritten = (): boolean => {
      const names = readdirSync(locks);
      if (names.length !== 1) return false;
      const st = statSync(path.join(locks, names[0]!));
      return st.size > 0 && (st.mode & 0o222) === 0;
    };
    for (let i = 0; i < 4000 && !lockWritten(); i++) await sleep(5);
    process.kill(check.pid, 'SIGSTOP');
    expect(lockWritten()).toBe(true);
    const q = rt.engine.enqueue('flux-backup', 'manual')!;
    let attempt = 1;
    let status = 'queued';
    for (let i = 0; i < 600 && attempt < 2 && !['succeeded', 'failed', 'cancelled', 'interrupted', 'blocked'].includes(status); i++) {
      await sleep(100);
      ({ attempt, status } = rt.runs.get(q.id)!);
    }
    expect(attempt, `${status}: ${await rt.engine.readLog(q.id)}`).toBe(2);
    expect(await rt.engine.readLog(q.id)).toMatch(
      /attempt 1 failed \(restic backup: the repository at \S+ is locked by another restic process \(PID \d+ on \S+, since [^)]+\); a lock left by a process that died is removed by the next run\); retrying in 1s/,
    );
    // the other restic dies without removing its lock: the next attempt unlocks the stale lock
    // (owner gone on this host) and goes through
    process.kill(check.pid, 'SIGKILL');
    const done = await rt.engine.waitFor(q.id);
    expect(done.status, done.error ?? '').toBe('succeeded');
    expect(done.attempt).toBeGreaterThanOrEqual(2);
    expect(await rt.engine.readLog(q.id)).toMatch(/restic unlock \(an earlier attempt was interrupted or found the repository locked\)/);
  });

  it('recovery ends a restic a killed pillarsd never recorded, found by the run id in its environment', async () => {
    const sb = makeSandbox(reg);
    const rt = runtime(sb);
    // a run left running by a dead owner, with no child pid recorded (killed right after the spawn)
    const rec = rt.runs.create({ id: 'r-orphan-0001', jobId: 'flux-backup', trigger: 'manual', queuedAt: new Date().toISOString(), resources: [], ownerPid: 2 ** 22 + 1, ownerStart: null });
    rt.runs.update(rec.id, { status: 'running', startedAt: new Date().toISOString() });
    // the orphan: a process named restic in its own group, carrying the run id as the runner sets it
    const bin = path.join(sb.dir, 'bin');
    mkdirSync(bin);
    symlinkSync('/bin/sleep', path.join(bin, 'restic'));
    const { spawn } = await import('node:child_process');
    const orphan = spawn(path.join(bin, 'restic'), ['60'], { detached: true, stdio: 'ignore', env: { PATH: process.env.PATH, PILLARS_RUN_ID: rec.id } });
    reg.add(() => {
      try {
        process.kill(-orphan.pid!, 'SIGKILL');
      } catch {
        /* ended */
      }
    });
    await sleep(100);
    expect(isAlive(orphan.pid!)).toBe(true);
    const recovered = await rt.engine.recover();
    expect(recovered.map((r) => [r.id, r.status])).toContainEqual([rec.id, 'interrupted']);
    expect(isAlive(orphan.pid!)).toBe(false);
  });

  it('recovery waits until a dead orphan leaves the process table (restic takes a zombie for the live owner of its lock)', async () => {
    const sb = makeSandbox(reg);
    const rt = runtime(sb);
    // a restic that died of SIGPIPE after pillarsd was killed: a zombie until something reaps it.
    // Here its parent blocks for 2 s before it can reap, as a slow init does.
    const { spawn } = await import('node:child_process');
    const parent = spawn(
      process.execPath,
      ['-e', "const c = require('node:child_process').spawn('/bin/true', { stdio: 'ignore' }); process.stdout.write(c.pid + '\\n'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);"],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    reg.add(() => parent.kill('SIGKILL'));
    const zombie = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()))));
    for (let i = 0; i < 100 && processState(zombie) !== 'Z'; i++) await sleep(10);
    expect(processState(zombie)).toBe('Z');
    const rec = rt.runs.create({ id: 'r-zombie-0001', jobId: 'flux-retention', trigger: 'manual', queuedAt: new Date().toISOString(), resources: [], ownerPid: 2 ** 22 + 2, ownerStart: null });
    rt.runs.update(rec.id, { status: 'running', startedAt: new Date().toISOString(), childPid: zombie });
    const recovered = await rt.engine.recover();
    expect(recovered.map((r) => [r.id, r.status])).toContainEqual([rec.id, 'interrupted']);
    expect(processState(zombie), 'recovery returned while the zombie still held its pid').toBeNull();
  });

  it('defines remotes from env only and obscures passwords through stdin (a crypt remote round-trips)', async () => {
    const sb = makeSandbox(reg, {
      jobs: `  offsite-crypt:
    type: rclone-sync
    source: space:/
    destination: "vault:"
    retries: { count: 0 }
`,
    });
    const store = path.join(sb.dir, 'crypt-store');
    const cryptPw = `crypt-${Date.now().toString(36)}-secret`;
    const yaml = sb.yaml
      .replace('  cloud: { type: local }', `  cloud: { type: local }\n  vault: { type: crypt, remote: "${store}", password: cryptpw }`)
      .replace('secrets:\n', 'secrets:\n  cryptpw: env:PILLARS_TEST_CRYPT_PW\n');
    const { parseConfig } = await import('../../../server/src/config/load');
    writeFileSync(path.join(sb.space, 'secret plan.txt'), 'the plan');
    const rt = openRuntime({ file: sb.configFile, config: parseConfig(yaml, sb.configFile) }, { env: { ...process.env, PILLARS_TEST_CRYPT_PW: cryptPw } });
    reg.add(async () => {
      await rt.engine.stop();
      rt.close();
    });
    const r = await runJob(rt, 'offsite-crypt');
    expect(r.status, r.error ?? '').toBe('succeeded');
    // names are encrypted in the store…
    expect(readdirSync(store).some((n) => n.includes('secret plan'))).toBe(false);
    // …and plain rclone with the same password (obscured by rclone itself) reads them back
    const obscured = (await runOk('rclone', ['obscure', '-'], { input: cryptPw })).stdout.trim();
    const cat = await runOk('rclone', ['cat', 'v:secret plan.txt'], {
      env: { ...process.env, RCLONE_CONFIG: '/dev/null', RCLONE_CONFIG_V_TYPE: 'crypt', RCLONE_CONFIG_V_REMOTE: store, RCLONE_CONFIG_V_PASSWORD: obscured },
    });
    expect(cat.stdout).toBe('the plan');
    expect(await rt.engine.readLog(r.id)).not.toContain(cryptPw);
  });
});

describe('status', () => {
  it('reports pillars (mount, sentinel, space) and jobs, and lets contributors add theirs', async () => {
    const sb = makeSandbox(reg);
    const yaml = sb.yaml.replace(`flux: { path: ${sb.flux}, requireMount: false }`, `flux: { path: ${sb.flux} }`);
    const { parseConfig } = await import('../../../server/src/config/load');
    const rt = openRuntime({ file: sb.configFile, config: parseConfig(yaml, sb.configFile) });
    reg.add(() => rt.close());
    rmSync(path.join(sb.dir, 'time', '.pillar'));
    rt.status.contributors.push((s) => {
      s.hotSets.push({ id: 'h', label: 'hot', path: '/flux/hot', state: 'idle', completion: 100, errors: 0, conflicts: [] });
    });
    rt.status.contributors.push(() => {
      throw new Error('syncthing unreachable');
    });
    const s = await rt.status.status();
    const byId = Object.fromEntries(s.pillars.map((p) => [p.id, p]));
    expect(byId.flux).toMatchObject({ online: false, mounted: false, sentinel: true });
    expect(byId.flux!.warnings[0]).toMatch(/is not a mount point/);
    expect(byId.space).toMatchObject({ online: true, sentinel: true, totalBytes: expect.any(Number), freeBytes: expect.any(Number) });
    expect(byId.time).toMatchObject({ online: false, sentinel: false });
    expect(s.jobs.map((j) => j.id)).toEqual(['flux-backup', 'flux-retention', 'flux-verify', 'space-offsite']);
    expect(s.hotSets).toHaveLength(1);
    expect(s.warnings).toContain('status: syncthing unreachable');
    const { isMountPoint } = await import('../../../server/src/infra/fs');
    expect(isMountPoint('/')).toBe(true);
    expect(isMountPoint(sb.space)).toBe(false);
  });
});

describe('rclone-copy (seeding)', () => {
  it('copies without deleting anything at the destination and needs no approval', async () => {
    const sb = makeSandbox(reg, {
      extraJobs: `  seed:
    type: rclone-copy
    source: space:/
    destination: cloud:CLOUD/seed
    retries: { count: 0 }
`,
    });
    const yaml = sb.yaml.replace('cloud:CLOUD/seed', `cloud:${sb.cloud}/seed`);
    const { parseConfig } = await import('../../../server/src/config/load');
    const rt = openRuntime({ file: sb.configFile, config: parseConfig(yaml, sb.configFile) });
    reg.add(async () => {
      await rt.engine.stop();
      rt.close();
    });
    for (let i = 0; i < 10; i++) writeFileSync(path.join(sb.space, `f${i}`), `${i}`);
    mkdirSync(path.join(sb.cloud, 'seed'), { recursive: true });
    writeFileSync(path.join(sb.cloud, 'seed', 'only-in-cloud'), 'stays');
    const r = await runJob(rt, 'seed');
    expect(r.status, r.error ?? '').toBe('succeeded');
    expect(r.summary).toMatchObject({ kind: 'rclone-copy', filesTransferred: 10, filesDeleted: 0 });
    expect(readFileSync(path.join(sb.cloud, 'seed', 'only-in-cloud'), 'utf8')).toBe('stays');
    expect(existsSync(path.join(sb.cloud, 'seed', '.pillar'))).toBe(false);
  });
});
