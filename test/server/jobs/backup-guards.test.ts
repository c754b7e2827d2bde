// The guards of a restic backup against the real restic 0.14 (rule 3): a source with its sentinel
// but no file in its folders is refused like an empty one, never "succeeded with 0 files".
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RECOVER_MARKER } from '../../../server/src/domain/recover-plan';
import { runOk } from '../../support/proc';
import { hashTree } from '../../support/trees';
import { useCleanup } from '../../support/tmp';
import { makeSandbox, runJob, sandboxRuntime } from './sandbox';

const reg = useCleanup();
const snapshots = async (env: Record<string, string>) => JSON.parse((await runOk('restic', ['snapshots', '--json'], { env: { ...process.env, ...env } })).stdout) as Array<{ short_id: string }>;

describe('restic backup guards', () => {
  it('a Flux emptied to empty folders (sentinel present) is blocked and writes no snapshot', { timeout: 120_000 }, async () => {
    const sb = makeSandbox(reg);
    mkdirSync(path.join(sb.flux, 'proj/src'), { recursive: true });
    writeFileSync(path.join(sb.flux, 'proj/src/main.c'), 'int main;');
    const rt = sandboxRuntime(reg, sb);
    expect((await runJob(rt, 'flux-backup')).status).toBe('succeeded');
    // every file gone, the folders and the sentinel left: what a wiped or half-mounted disk looks like
    rmSync(path.join(sb.flux, 'proj/src/main.c'));
    mkdirSync(path.join(sb.flux, 'models/empty'), { recursive: true });
    const r = await runJob(rt, 'flux-backup');
    expect(r.status).toBe('blocked');
    expect(r.block).toEqual({
      guard: 'empty-source',
      needsApproval: false,
      message: `source ${sb.flux}/ holds no files, only 4 empty folders: refusing to snapshot nothing over real data (a disk not mounted under it? files moved away?)`,
    });
    expect(await rt.engine.readLog(r.id)).not.toMatch(/\$ restic backup/);
    expect(await snapshots(sb.resticEnv)).toHaveLength(1);
  });
});

describe('a repository folder that is not a repository', () => {
  it('is never initialised over: files of the owner are refused, and what an interrupted restic init left is named as such and kept', { timeout: 120_000 }, async () => {
    const sb = makeSandbox(reg);
    writeFileSync(path.join(sb.flux, 'a.txt'), 'a');
    mkdirSync(sb.repo, { recursive: true });
    writeFileSync(path.join(sb.repo, 'notes.txt'), 'mine');
    const rt = sandboxRuntime(reg, sb);
    const owned = await runJob(rt, 'flux-backup');
    expect(owned.status).toBe('failed');
    expect(owned.error).toBe(`${sb.repo} is not empty and holds no restic repository: refusing to initialise one there`);
    expect(readFileSync(path.join(sb.repo, 'notes.txt'), 'utf8')).toBe('mine');

    // a real restic init, its config taken away: the state a kill before its last write leaves
    rmSync(sb.repo, { recursive: true });
    await runOk('restic', ['init'], { env: { ...process.env, ...sb.resticEnv } });
    rmSync(path.join(sb.repo, 'config'));
    const keys = readdirSync(path.join(sb.repo, 'keys'));
    const half = await runJob(rt, 'flux-backup');
    expect(half.status).toBe('failed');
    expect(half.error).toBe(`${sb.repo} holds restic's folders but no config: an interrupted restic init? Nothing was backed up; check it holds nothing of yours, remove it, and run again`);
    expect(readdirSync(path.join(sb.repo, 'keys'))).toEqual(keys);
  });
});

describe('the shrink guard', () => {
  const ids = async (sb: { resticEnv: Record<string, string> }) => (await snapshots(sb.resticEnv)).map((s) => s.short_id);

  it('a backup that lost most of its files is withdrawn and waits for approval; rejection leaves retention only good snapshots; approval is for what was shown', { timeout: 240_000 }, async () => {
    const sb = makeSandbox(reg);
    mkdirSync(path.join(sb.flux, 'proj'), { recursive: true });
    for (let i = 0; i < 9; i++) writeFileSync(path.join(sb.flux, 'proj', `f${i}.txt`), `file ${i} `.repeat(100));
    const rt = sandboxRuntime(reg, sb);
    // a first backup has nothing to shrink from; 10 files with the sentinel
    const first = await runJob(rt, 'flux-backup');
    expect(first.status, first.error ?? '').toBe('succeeded');
    const good = await ids(sb);
    expect(good).toHaveLength(1);

    for (let i = 0; i < 6; i++) rmSync(path.join(sb.flux, 'proj', `f${i}.txt`));
    const blocked = await runJob(rt, 'flux-backup');
    expect(blocked.status, await rt.engine.readLog(blocked.id)).toBe('blocked');
    const shrunkId = (blocked.summary as { snapshotId?: string } | null)?.snapshotId;
    expect(blocked.block).toMatchObject({
      guard: 'backup-shrunk',
      needsApproval: true,
      shrink: { files: { before: 10, after: 4 }, bytes: { before: 9 * 700 + 5, after: 3 * 700 + 5 } },
    });
    expect(blocked.block!.shrink!.previousSnapshot.slice(0, 8)).toBe(good[0]);
    expect(blocked.error).toMatch(/^the backup shrank against snapshot \w{8}: 10 → 4 files, .*\(files fell 60% \(limit 50%\), bytes fell 66.6% \(limit 50%\)\); snapshot \w{8} was withdrawn/);
    expect(shrunkId).toBeUndefined();
    // the shrunk snapshot was written, then removed again: only the good one is in the repository
    const log = await rt.engine.readLog(blocked.id);
    expect(log).toMatch(/\$ restic forget --retry-lock 2m -- \w{8}|\$ restic forget -- \w{8}/);
    expect(await ids(sb)).toEqual(good);
    // retention waits while the backup is blocked
    expect((await runJob(rt, 'flux-retention')).block?.guard).toBe('repository-unhealthy');

    // rejected: nothing shrunk is left to take a keep slot (keep: last 1 keeps the good snapshot)
    rt.engine.reject(blocked.id, 'admin');
    const ret = await runJob(rt, 'flux-retention');
    expect(ret.status, ret.error ?? '').toBe('succeeded');
    expect(await ids(sb)).toEqual(good);

    // blocked again; one more file goes before the approval: what was shown is no longer what would stand
    const again = await runJob(rt, 'flux-backup');
    expect(again.block?.shrink?.files).toEqual({ before: 10, after: 4 });
    rmSync(path.join(sb.flux, 'proj', 'f6.txt'));
    rt.engine.approve(again.id, 'admin', again.block!.approval!);
    const smaller = await rt.engine.waitFor(again.id);
    expect(smaller.status).toBe('blocked');
    expect(smaller.error).toMatch(/10 → 3 files.*smaller than the 4 files and \S+ \S+ approved/);
    expect(await ids(sb)).toEqual(good);

    // the file back: the approved size stands, and the next backup compares with it
    writeFileSync(path.join(sb.flux, 'proj', 'f6.txt'), `file 6 `.repeat(100));
    rt.engine.approve(smaller.id, 'admin', smaller.block!.approval!);
    const done = await rt.engine.waitFor(smaller.id);
    expect(done.status, done.error ?? '').toBe('succeeded');
    expect(done.summary).toMatchObject({ totalFilesProcessed: 4 });
    expect(await rt.engine.readLog(done.id)).toMatch(/stands: approved shrink \(10 → 4 files against \w{8}\)/);
    expect(await ids(sb)).toHaveLength(2);
    const next = await runJob(rt, 'flux-backup');
    expect(next.status, next.error ?? '').toBe('succeeded');
  });
});

describe('the shrink guard against a snapshot pillarsd did not write', () => {
  it('compares restic stats of both snapshots (the argv through the real restic 0.14)', { timeout: 120_000 }, async () => {
    const sb = makeSandbox(reg);
    for (let i = 0; i < 8; i++) writeFileSync(path.join(sb.flux, `f${i}.txt`), `x${i}`);
    const env = { ...process.env, ...sb.resticEnv };
    await runOk('restic', ['init'], { env });
    // written by hand with restic, as pillarsd would (same host, same cleaned path)
    await runOk('restic', ['backup', '--json', '--', sb.flux], { env });
    for (let i = 0; i < 8; i++) rmSync(path.join(sb.flux, `f${i}.txt`));
    writeFileSync(path.join(sb.flux, 'only.txt'), 'left');
    const rt = sandboxRuntime(reg, sb);
    const r = await runJob(rt, 'flux-backup');
    expect(r.status, await rt.engine.readLog(r.id)).toBe('blocked');
    const log = await rt.engine.readLog(r.id);
    expect(log.match(/\$ restic stats --json --mode restore-size \w+/g)).toHaveLength(2);
    // stats counts the folders on the path too: the same in both, so the drop is still seen
    const files = r.block!.shrink!.files;
    expect(files.before - files.after).toBe(7);
    expect(await snapshots(sb.resticEnv)).toHaveLength(1);
  });
});

describe('what a backup takes', () => {
  it('/scratch/ drops only the top scratch folder; a disk mounted inside Flux is not taken (oneFileSystem, a real tmpfs)', { timeout: 120_000 }, async () => {
    const sb = makeSandbox(reg, {
      jobs: `  flux-backup:
    type: restic-backup
    source: flux:/
    repository: space:/backups/restic/flux
    password: restic
    exclude: ["/scratch/", "cache"]
    options: { excludeCaches: true, excludeLargerThan: 1M }
    retries: { count: 0 }
`,
    });
    const put = (rel: string, text = 'x') => {
      mkdirSync(path.dirname(path.join(sb.flux, rel)), { recursive: true });
      writeFileSync(path.join(sb.flux, rel), text);
    };
    put('active-dev/proj/scratch/notes.txt', 'keep me');
    put('scratch/tmp.bin');
    put('big/huge.bin', 'y'.repeat(2 << 20));
    const disk = path.join(sb.flux, 'usb-disk');
    mkdirSync(disk);
    await runOk('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'pillars-test', disk]);
    reg.add(async () => {
      await runOk('umount', [disk]);
    });
    writeFileSync(path.join(disk, 'on-the-other-disk.txt'), 'not flux');
    const rt = sandboxRuntime(reg, sb);
    const r = await runJob(rt, 'flux-backup');
    expect(r.status, r.error ?? '').toBe('succeeded');
    const log = await rt.engine.readLog(r.id);
    expect(log).toContain(`$ restic backup --json --one-file-system --exclude ${sb.flux}/scratch/ --exclude cache --exclude-larger-than 1M --exclude-caches -- ${sb.flux}`);
    expect(log).toMatch(/warning: exclude cache is not anchored: restic drops it at any depth \(write \/cache for the top of the source, or \*\*\/cache to mean everywhere\)/);
    const ls = (await runOk('restic', ['ls', '--json', 'latest'], { env: { ...process.env, ...sb.resticEnv } })).stdout;
    const paths = ls
      .split('\n')
      .filter((l) => l.includes('"struct_type":"node"'))
      .map((l) => (JSON.parse(l) as { path: string }).path);
    expect(paths).toContain(`${sb.flux}/active-dev/proj/scratch/notes.txt`);
    expect(paths.filter((p) => p.includes('/scratch/tmp.bin') || p.includes('huge.bin') || p.includes('on-the-other-disk'))).toEqual([]);
  });

  it('an option the installed restic lacks fails the run naming the key, before restic runs', { timeout: 60_000 }, async () => {
    const sb = makeSandbox(reg, {
      jobs: `  flux-backup:
    type: restic-backup
    source: flux:/
    repository: space:/backups/restic/flux
    password: restic
    options: { readConcurrency: 4 }
    retries: { count: 0 }
`,
    });
    writeFileSync(path.join(sb.flux, 'a.txt'), 'a');
    const rt = sandboxRuntime(reg, sb);
    const r = await runJob(rt, 'flux-backup');
    expect(r.status).toBe('failed');
    expect(r.error).toBe('jobs.flux-backup.options.readConcurrency (--read-concurrency) needs restic 0.15 or newer (installed: restic 0.14.0)');
    expect(await rt.engine.readLog(r.id)).not.toMatch(/\$ restic backup/);
  });
});

describe('pre hooks and the source guard (issue 22)', () => {
  // a dump folder only the pre hook fills, as docs/hook-recipes.md recommends; the post hook leaves
  // the run's status where the test reads it
  const dumpJobs = (preScript: string) => (dir: string) => {
    const post = [{ argv: ['sh', '-c', 'echo "$PILLARS_RUN_STATUS" > "$MARK"'], env: { MARK: path.join(dir, 'post-ran') }, timeoutSeconds: 30 }];
    const job = (id: string, folder: string) => `  ${id}:
    type: restic-backup
    source: flux:/${folder}
    repository: space:/backups/restic/flux
    password: restic
    retries: { count: 0 }
    pre: ${JSON.stringify([{ argv: ['sh', '-c', preScript], env: { OUT: path.join(dir, 'flux', folder, 'app.sql') }, timeoutSeconds: 30 }])}
    post: ${JSON.stringify(post)}
`;
    return job('db-backup', 'db-dumps') + job('new-db-backup', 'new-dumps');
  };
  const DUMP = 'mkdir -p "$(dirname "$OUT")"; echo "dump of run $PILLARS_RUN_ID" > "$OUT.part"; mv -f "$OUT.part" "$OUT"';
  const dumped = async (sb: ReturnType<typeof makeSandbox>, file: string) => (await runOk('restic', ['dump', 'latest', file], { env: { ...process.env, ...sb.resticEnv } })).stdout;

  it('a source only the pre hook fills: the first run succeeds and its snapshot holds the dump (also when the hook makes the folder)', { timeout: 120_000 }, async () => {
    const sb = makeSandbox(reg, { jobs: dumpJobs(DUMP) });
    mkdirSync(path.join(sb.flux, 'db-dumps'));
    const rt = sandboxRuntime(reg, sb);
    const r = await runJob(rt, 'db-backup');
    expect(r.status, await rt.engine.readLog(r.id)).toBe('succeeded');
    expect(await dumped(sb, `${sb.flux}/db-dumps/app.sql`)).toBe(`dump of run ${r.id}\n`);
    expect(readFileSync(path.join(sb.dir, 'post-ran'), 'utf8')).toBe('succeeded\n');

    // a source folder that is not there before the hook makes it
    const n = await runJob(rt, 'new-db-backup');
    expect(n.status, await rt.engine.readLog(n.id)).toBe('succeeded');
    expect(await dumped(sb, `${sb.flux}/new-dumps/app.sql`)).toBe(`dump of run ${n.id}\n`);
  });

  it('a pre hook that writes nothing: blocked as an empty source, restic never runs, the post hook still does', { timeout: 120_000 }, async () => {
    const sb = makeSandbox(reg, { jobs: dumpJobs('echo "nothing to dump today"') });
    mkdirSync(path.join(sb.flux, 'db-dumps'));
    await runOk('restic', ['init'], { env: { ...process.env, ...sb.resticEnv } });
    const repoBefore = await hashTree(sb.repo);
    const rt = sandboxRuntime(reg, sb);
    const r = await runJob(rt, 'db-backup');
    expect(r.status).toBe('blocked');
    expect(r.block).toEqual({ guard: 'empty-source', needsApproval: false, message: `source ${sb.flux}/db-dumps is empty: refusing to back up or sync nothing over real data` });
    expect(r.error).toBe(r.block!.message);
    const log = await rt.engine.readLog(r.id);
    expect(log).toContain('[pre] nothing to dump today');
    expect(log).not.toMatch(/\$ restic/);
    expect(await hashTree(sb.repo)).toEqual(repoBefore);
    expect(await snapshots(sb.resticEnv)).toEqual([]);
    // a pre hook ran, so its post hook runs too (what a pause would be undone by), told the status
    expect(readFileSync(path.join(sb.dir, 'post-ran'), 'utf8')).toBe('blocked\n');

    // a source the hook did not even make: the same block, for a missing source
    const n = await runJob(rt, 'new-db-backup');
    expect(n.block).toEqual({ guard: 'missing-source', needsApproval: false, message: `source ${sb.flux}/new-dumps does not exist` });
    expect(await snapshots(sb.resticEnv)).toEqual([]);
  });

  it('a pillar without its sentinel, or under recovery, blocks before the pre hook: the hook writes nothing', { timeout: 60_000 }, async () => {
    const sb = makeSandbox(reg, { jobs: dumpJobs(DUMP) });
    mkdirSync(path.join(sb.flux, 'db-dumps'));
    const dump = path.join(sb.flux, 'db-dumps/app.sql');
    const rt = sandboxRuntime(reg, sb);

    rmSync(path.join(sb.flux, '.pillar'));
    const r = await runJob(rt, 'db-backup');
    expect(r.status).toBe('blocked');
    expect(r.block?.guard).toBe('pillar-sentinel');
    expect(existsSync(dump)).toBe(false);
    expect(await rt.engine.readLog(r.id)).not.toMatch(/pre hook/);
    // no pre hook ran: nothing to undo, no post hook
    expect(existsSync(path.join(sb.dir, 'post-ran'))).toBe(false);

    writeFileSync(path.join(sb.flux, '.pillar'), 'flux\n');
    writeFileSync(path.join(sb.flux, RECOVER_MARKER), '');
    const rec = await runJob(rt, 'db-backup');
    expect(rec.block?.guard).toBe('recovery-in-progress');
    expect(existsSync(dump)).toBe(false);
    expect(existsSync(path.join(sb.dir, 'post-ran'))).toBe(false);
  });
});
