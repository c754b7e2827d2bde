// Disaster recovery from the offsite remote (issue 16), with real rclone 1.60 and restic 0.14. B2
// cannot run here: a `type: local` remote (a folder) stands in for it, which takes the same argv
// (rclone size, copy, check --one-way) through the same rclone. Space is copied offsite by the
// sandbox's space-offsite sync, then wiped; `pillarsd recover space --from cloud` brings it back into
// the empty "new disk", is killed -9 in the middle, run again and goes on without copying again what
// it had; restic check passes on the recovered repository and Flux restores from it identical to
// its snapshot. The remote is only read, and a pillar holding data the recovery did not bring is
// refused. A recovery starts only on the plan confirmed (asked, or named by its digest): a plan
// that changed since it was shown (the remote, the disk) starts nothing and writes nothing.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Run } from '../../../server/src/contract/api';
import { makeSandbox, runJob, sandboxRuntime } from '../jobs/sandbox';
import { runPillarsd, spawnPillarsd } from '../../support/cli';
import { isAlive, runOk, sleep } from '../../support/proc';
import { hashTree, makeTree } from '../../support/trees';
import { useCleanup } from '../../support/tmp';

const reg = useCleanup();
const MEDIA_FILES = 16;
const MEDIA_BYTES = 512 * 1024;

describe('pillarsd recover', () => {
  it('brings Space back from the offsite copy, goes on after a kill -9 without copying again, and Flux restores from the recovered repository', { timeout: 300_000 }, async () => {
    const sb = makeSandbox(reg);
    await makeTree(path.join(sb.flux, 'w'), { bigFileBytes: 2 << 20 });
    mkdirSync(path.join(sb.space, 'media'));
    for (let i = 0; i < MEDIA_FILES; i++) writeFileSync(path.join(sb.space, 'media', `m${String(i).padStart(2, '0')}.bin`), randomBytes(MEDIA_BYTES));
    const rt = sandboxRuntime(reg, sb);
    const b = await runJob(rt, 'flux-backup');
    expect(b.status, b.error ?? '').toBe('succeeded');
    const off = await runJob(rt, 'space-offsite');
    expect(off.status, off.error ?? '').toBe('succeeded');
    await rt.engine.stop();
    rt.close();
    const spaceBefore = await hashTree(sb.space);
    const cloudBefore = await hashTree(sb.cloud);
    const cfg = ['--config', sb.configFile];

    // a pillar holding data the recovery did not bring: refused, nothing written
    const busy = await runPillarsd(['recover', 'space', '--from', 'cloud', ...cfg]);
    expect(busy.code, busy.stderr).toBe(2);
    expect(busy.stderr).toMatch(/pillar space \(.*\) is not empty \("backups", "media"\): a recovery only writes into an empty or new disk/);
    expect(existsSync(path.join(sb.space, '.pillars-recover'))).toBe(false);

    // Space is lost: a new, empty disk is mounted in its place (no sentinel yet)
    rmSync(sb.space, { recursive: true });
    mkdirSync(sb.space);
    const plan = await runPillarsd(['recover', 'space', '--from', 'cloud', '--plan', '--json', ...cfg]);
    expect(plan.code, plan.stderr).toBe(0);
    const planned = JSON.parse(plan.stdout) as {
      digest: string;
      remoteHolds: Array<{ files: number; bytes: number }>;
      pillarState: { empty: boolean; sentinel: string | null };
      task: { pairs: Array<{ repositories: string[] }> };
    };
    expect(planned.pillarState).toMatchObject({ empty: true, sentinel: null });
    // every file of the offsite copy but a sentinel (the disk's own, never taken from the remote)
    const remoteFiles = Object.entries(cloudBefore).filter(([k, v]) => v.startsWith('file:') && k !== '.pillar');
    const remoteBytes = remoteFiles.reduce((n, [k]) => n + statSync(path.join(sb.cloud, k)).size, 0);
    expect(planned.remoteHolds).toEqual([{ from: `cloud:${sb.cloud}`, files: remoteFiles.length, bytes: remoteBytes }]);
    expect(planned.task.pairs[0]!.repositories).toEqual(['space:/backups/restic/flux']);
    const noSentinel = await runPillarsd(['recover', 'space', '--from', 'cloud', ...cfg]);
    expect(noSentinel.code).toBe(2);
    expect(noSentinel.stderr).toMatch(/no \.pillar sentinel: .*--write-sentinel/);

    // the first attempt, slowed to 1 MiB/s so that it is met in the middle, and killed -9
    const p = reg.track(spawnPillarsd(['recover', 'space', '--from', 'cloud', '--write-sentinel', '--bwlimit', '1M', '--digest', planned.digest, ...cfg]));
    const { openDb } = await import('../../../server/src/store/db');
    const runRow = () => {
      const db = openDb(path.join(sb.state, 'pillarsd.db'));
      try {
        return db.prepare("SELECT id, status, child_pid FROM runs WHERE job_id = 'recover:space'").get() as { id: string; status: string; child_pid: number | null } | undefined;
      } finally {
        db.close();
      }
    };
    const isCopy = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('copy');
      } catch {
        return false;
      }
    };
    const mediaDir = path.join(sb.space, 'media');
    const whole = () => (existsSync(mediaDir) ? readdirSync(mediaDir).filter((n) => statSync(path.join(mediaDir, n)).size === MEDIA_BYTES) : []);
    let rclone: number | null = null;
    for (let i = 0; i < 2400 && (!rclone || whole().length < 2); i++) {
      await sleep(50);
      const pid: number | null = rclone ?? runRow()?.child_pid ?? null;
      if (pid && isCopy(pid)) rclone = pid;
    }
    expect(rclone, `pillarsd never started rclone copy (stderr: ${p.stderr()})`).toBeTruthy();
    // held where it is, so the kill meets it mid-copy (see the kill -9 test of a backup)
    process.kill(rclone!, 'SIGSTOP');
    reg.add(() => {
      if (isAlive(rclone!)) process.kill(rclone!, 'SIGKILL');
    });
    const wholeBefore = whole();
    expect(wholeBefore.length).toBeGreaterThanOrEqual(2);
    expect(wholeBefore.length, 'the copy was not met in the middle').toBeLessThan(MEDIA_FILES);
    process.kill(p.pid, 'SIGKILL');
    await p.exited;
    expect(readFileSync(path.join(sb.space, '.pillar'), 'utf8')).toBe('space\n');
    expect(JSON.parse(readFileSync(path.join(sb.space, '.pillars-recover'), 'utf8'))).toMatchObject({ remote: 'cloud' });
    const kept = Object.fromEntries(wholeBefore.map((n) => [n, statSync(path.join(mediaDir, n)).ino]));

    // the half-recovered Space is never synced over the cloud copy it is being recovered from
    const cloudNow = await hashTree(sb.cloud);
    const sync = await runPillarsd(['run', 'space-offsite', '--json', ...cfg], { timeoutMs: 120_000 });
    expect(sync.code, sync.stderr).toBe(3);
    expect(JSON.parse(sync.stdout)).toMatchObject({ status: 'blocked', block: { guard: 'recovery-in-progress', message: expect.stringContaining('pillar space is being recovered') } });
    expect(await hashTree(sb.cloud)).toEqual(cloudNow);

    // the plan confirmed first is not the plan now (it goes on with a started recovery): refused,
    // naming the plan as it is (another process listed the first one, so only the digest is known)
    const stale = await runPillarsd(['recover', 'space', '--from', 'cloud', '--digest', planned.digest, '--json', ...cfg]);
    expect(stale.code, stale.stderr).toBe(2);
    expect(stale.stderr).toMatch(
      /the plan to recover pillar space from cloud is not the one confirmed \(digest [0-9a-f]{12}…\): listed again now, it copies .*sentinel "space"\) going on with the recovery from cloud started .*Nothing was started or written/,
    );
    const replanned = JSON.parse((await runPillarsd(['recover', 'space', '--from', 'cloud', '--plan', '--json', ...cfg])).stdout) as { digest: string; resumes: unknown };
    expect(replanned.resumes).toMatchObject({ remote: 'cloud' });

    // run again: the orphan rclone dies, the run goes on with what is here, and verifies
    const again = await runPillarsd(['recover', 'space', '--from', 'cloud', '--digest', replanned.digest, '--json', ...cfg], { timeoutMs: 180_000 });
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect(isAlive(rclone!)).toBe(false);
    const done = JSON.parse(again.stdout) as Run;
    expect(done).toMatchObject({ jobId: 'recover:space', status: 'succeeded' });
    const s = done.summary as Extract<Run['summary'], { kind: 'recover' }>;
    expect(s.verified).toBe(true);
    expect(s.repositories).toEqual([{ repository: 'space:/backups/restic/flux', checkOk: true }]);
    const pair = s.pairs[0]!;
    expect(pair.localFiles).toBe(pair.remoteFiles);
    expect(pair.localBytes).toBe(pair.remoteBytes);
    // what came before the kill was not copied again: fewer files this time, the same inodes
    expect(pair.transferredFiles).toBeGreaterThan(0);
    expect(pair.transferredFiles).toBeLessThanOrEqual(pair.remoteFiles - wholeBefore.length);
    for (const [n, ino] of Object.entries(kept)) expect(statSync(path.join(mediaDir, n)).ino, n).toBe(ino);
    // Space is whole again (its sentinel is the new disk's own), the marker is gone, the remote
    // untouched; restic's empty data/xx folders are not in the offsite copy (rclone sync carries
    // files), and restic makes them again as it writes
    const filesOf = (t: Record<string, string>) => Object.fromEntries(Object.entries(t).filter(([, v]) => v !== 'dir'));
    expect(filesOf(await hashTree(sb.space))).toEqual(filesOf(spaceBefore));
    expect(existsSync(path.join(sb.space, '.pillars-recover'))).toBe(false);
    expect(await hashTree(sb.cloud)).toEqual(cloudBefore);
    const runs = JSON.parse((await runPillarsd(['runs', '--job', 'recover:space', '--json', ...cfg])).stdout) as { runs: Array<{ status: string }> };
    expect(runs.runs.map((r) => r.status)).toEqual(['succeeded', 'interrupted']);

    // restic itself agrees, and Flux restores from the recovered repository identical to its snapshot
    await runOk('restic', ['check', '--read-data'], { env: { ...process.env, ...sb.resticEnv } });
    const work = path.join(sb.flux, 'w');
    const restored = await runPillarsd(['restore', 'flux-backup', 'latest', work, '--json', ...cfg], { timeoutMs: 120_000 });
    expect(restored.code, restored.stderr).toBe(0);
    const dest = (JSON.parse(restored.stdout) as { summary: { destination: string } }).summary.destination;
    expect(await hashTree(path.join(dest, 'w'))).toEqual(await hashTree(work));

    // once recovered, Space holds data of its own: another recovery is refused
    rmSync(dest, { recursive: true });
    const twice = await runPillarsd(['recover', 'space', '--from', 'cloud', ...cfg]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/is not empty/);
  });

  it('leaves out a folder whose offsite job never finished a copy, saying so; once that job has copied, its folder missing from the remote is refused', { timeout: 300_000 }, async () => {
    // the demo's media-seed: a seed copy that has not run yet has nothing on the remote, and that
    // must not stop the recovery of everything else (rclone size answers "directory not found")
    const sb = makeSandbox(reg, { extraJobs: (dir) => `  media-seed:\n    type: rclone-copy\n    source: space:/media\n    destination: cloud:${dir}/seed-media\n    retries: { count: 0 }\n` });
    const seedDir = path.join(sb.dir, 'seed-media');
    mkdirSync(path.join(sb.space, 'media'));
    for (let i = 0; i < 3; i++) writeFileSync(path.join(sb.space, 'media', `m${i}.bin`), randomBytes(4096));
    writeFileSync(path.join(sb.flux, 'notes.txt'), 'kept in the repository inside Space');
    const cfg = ['--config', sb.configFile];
    const backup = await runPillarsd(['run', 'flux-backup', '--json', ...cfg], { timeoutMs: 120_000 });
    expect(backup.code, backup.stderr).toBe(0);
    const off = await runPillarsd(['run', 'space-offsite', '--json', ...cfg], { timeoutMs: 120_000 });
    expect(off.code, off.stderr).toBe(0);
    const lose = () => {
      rmSync(sb.space, { recursive: true });
      mkdirSync(sb.space);
    };
    lose();

    const plan = await runPillarsd(['recover', 'space', '--from', 'cloud', '--plan', '--json', ...cfg]);
    expect(plan.code, plan.stderr).toBe(0);
    const planned = JSON.parse(plan.stdout) as {
      digest: string;
      remoteHolds: Array<{ from: string; files: number }>;
      notOnRemote: Array<{ job: string; from: string }>;
      task: { pairs: Array<{ job: string }>; notOnRemote?: unknown };
    };
    expect(planned.notOnRemote).toEqual([{ job: 'media-seed', from: `cloud:${seedDir}` }]);
    expect(planned.task.pairs.map((x) => x.job)).toEqual(['space-offsite']);
    expect(planned.remoteHolds.map((h) => h.from)).toEqual([`cloud:${sb.cloud}`]);
    expect(planned.task.notOnRemote).toEqual(planned.notOnRemote);
    const shown = await runPillarsd(['recover', 'space', '--from', 'cloud', '--plan', ...cfg]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stderr).toContain(`cloud:${seedDir}: not on the remote, job media-seed never finished a copy there`);

    expect(shown.stderr).toContain(`plan digest ${planned.digest}`);
    expect(shown.stderr).toContain(`to start exactly this plan: pillarsd recover space --from cloud --digest ${planned.digest} --write-sentinel`);

    // a start is confirmed: not answered yes, nothing starts
    const no = await runPillarsd(['recover', 'space', '--from', 'cloud', '--write-sentinel', ...cfg], { input: 'n\n' });
    expect(no.code, no.stderr).toBe(2);
    expect(no.stderr).toContain('Start this recovery of space from cloud? [y/N] not started ("n" is not yes): nothing was written');
    expect(readdirSync(sb.space)).toEqual([]);

    // the remote changes after the plan was shown: its digest starts nothing, and nothing is written
    writeFileSync(path.join(sb.cloud, 'added after the plan.txt'), 'new\n');
    const stale = await runPillarsd(['recover', 'space', '--from', 'cloud', '--write-sentinel', '--digest', planned.digest, '--json', ...cfg]);
    expect(stale.code, stale.stderr).toBe(2);
    expect(stale.stderr).toContain(`listed again now, it copies cloud:${sb.cloud} → space:/ (${planned.remoteHolds[0]!.files + 1} files, `);
    expect(stale.stderr).toContain(`leaves out cloud:${seedDir} (job media-seed) (not on the remote)`);
    expect(readdirSync(sb.space)).toEqual([]);
    const none = JSON.parse((await runPillarsd(['runs', '--job', 'recover:space', '--json', ...cfg])).stdout) as { runs: unknown[] };
    expect(none.runs).toEqual([]);

    // the plan shown now, answered yes: it starts (the same process lists it again and finds it unchanged)
    const rec = await runPillarsd(['recover', 'space', '--from', 'cloud', '--write-sentinel', ...cfg], { input: 'y\n', timeoutMs: 180_000 });
    expect(rec.code, rec.stderr + rec.stdout).toBe(0);
    expect(rec.stderr).toContain(`cloud:${sb.cloud} (${planned.remoteHolds[0]!.files + 1} files, `);
    expect(rec.stdout).toMatch(/^recover space: succeeded\n/);
    const done = (JSON.parse((await runPillarsd(['runs', '--job', 'recover:space', '--json', ...cfg])).stdout) as { runs: Run[] }).runs[0]!;
    expect(done.status).toBe('succeeded');
    expect((done.summary as Extract<Run['summary'], { kind: 'recover' }>).pairs.map((x) => x.from)).toEqual([`cloud:${sb.cloud}`]);
    expect(readdirSync(path.join(sb.space, 'media')).sort()).toEqual(['m0.bin', 'm1.bin', 'm2.bin']);
    const { openDb } = await import('../../../server/src/store/db');
    const db = openDb(path.join(sb.state, 'pillarsd.db'));
    const logFile = (db.prepare('SELECT log_file FROM runs WHERE id = ?').get(done.id) as { log_file: string }).log_file;
    db.close();
    expect(readFileSync(logFile, 'utf8')).toContain(`left out: cloud:${seedDir} is not on the remote and job media-seed never finished a copy there`);

    // the seed runs once; later its folder is gone from the remote: a loss there, never "nothing to bring"
    const seed = await runPillarsd(['run', 'media-seed', '--json', ...cfg], { timeoutMs: 120_000 });
    expect(seed.code, seed.stderr).toBe(0);
    expect(readdirSync(seedDir).sort()).toEqual(['m0.bin', 'm1.bin', 'm2.bin']);
    rmSync(seedDir, { recursive: true });
    lose();
    const refused = await runPillarsd(['recover', 'space', '--from', 'cloud', '--plan', ...cfg]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(new RegExp(`cloud:${seedDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not on the remote \\(rclone: directory not found\\), though job media-seed finished a copy there at \\d{4}-`));
    expect(existsSync(path.join(sb.space, '.pillars-recover'))).toBe(false);
  });
});
