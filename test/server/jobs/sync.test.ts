// rclone-sync and rclone-copy against the real rclone 1.60 (and restic 0.14 for the prune), in
// process: one listing of each side, copy and delete lists, approvals bound to the listed set,
// the mass-change guard, the prune's expected deletions, and seed windows (issues 14 and 22).
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { openRuntime } from '../../../server/src/jobs/runtime';
import { windowLeft } from '../../../server/src/jobs/types/rclone-transfer';
import { nodeExec } from '../../../server/src/infra/exec';
import type { Exec } from '../../../server/src/infra/exec';
import { makeSandbox, runJob, sandboxRuntime } from './sandbox';
import { hashTree, makeTree } from '../../support/trees';
import { sleep } from '../../support/proc';
import { manualClock } from '../../support/clock';
import { Scheduler } from '../../../server/src/jobs/scheduler';
import { useCleanup } from '../../support/tmp';

const reg = useCleanup();

const runtime = (sb: ReturnType<typeof makeSandbox>, o: Parameters<typeof sandboxRuntime>[2] = {}) => sandboxRuntime(reg, sb, o);

/** A tree's files (rclone carries no empty folder without --create-empty-src-dirs), without the sentinel. */
const files = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).filter(([k, v]) => k !== '.pillar' && v !== 'dir'));

/** An Exec that records every command and can act just before one starts. */
function recording(before?: (args: readonly string[]) => void): { exec: Exec; commands: string[][] } {
  const commands: string[][] = [];
  return {
    commands,
    exec: (req) => {
      commands.push([req.cmd, ...req.args]);
      before?.(req.args);
      return nodeExec(req);
    },
  };
}

/** A first copy, then a run that lists both sides and finds them equal: from then on the job's runs plan from rclone's dry run. */
async function seeded(rt: ReturnType<typeof runtime>): Promise<void> {
  for (const what of ['first copy', 'listed run']) {
    const r = await runJob(rt, 'space-offsite');
    expect(r.status, `${what}: ${r.error ?? ''}`).toBe('succeeded');
  }
}

/** What a run's log says it planned from. */
const DRY_RUN = /\$ rclone sync .* --dry-run --suffix \.pillars-plan/;

describe('one listing of each side, then exactly the lists', () => {
  it("first sync (an empty destination listed once), a listed run, then a day's changes from one dry run of rclone: copy and delete of the lists only, no per-file log", async () => {
    const sb = makeSandbox(reg);
    await makeTree(path.join(sb.space, 'tree'), { symlinks: false });
    for (let i = 0; i < 100; i++) writeFileSync(path.join(sb.space, `doc-${i}.txt`), `d${i}`);
    const { exec, commands } = recording();
    const rt = runtime(sb, { exec });
    const first = await runJob(rt, 'space-offsite');
    expect(first.status, first.error ?? '').toBe('succeeded');
    const sourceFiles = Object.keys(files(await hashTree(sb.space))).length;
    // an empty destination: only it is listed, and the first copy walks the source itself
    expect(first.summary).toMatchObject({
      kind: 'rclone-sync',
      filesDeleted: 0,
      filesTransferred: sourceFiles,
      plan: { firstCopy: true, destinationFiles: 0, deletions: 0, overwrites: 0, sourceFiles, toCopy: sourceFiles },
    });
    const firstRclone = commands.filter((c) => c[0] === 'rclone');
    expect(firstRclone.map((c) => c[1]).filter((c) => c !== 'version')).toEqual(['lsjson', 'copy']);
    expect(firstRclone.find((c) => c[1] === 'lsjson')).toContain(`cloud:${sb.cloud}`);
    const firstCopy = firstRclone.find((c) => c[1] === 'copy')!;
    expect(firstCopy).toEqual(expect.arrayContaining(['--ignore-existing', '--exclude', '/.pillar', '--log-level', 'NOTICE']));
    expect(firstCopy).not.toContain('--files-from-raw');
    expect(rt.engine.changeSet(first.id, 'deletions', { set: 'run', offset: 0, limit: 10 })).toMatchObject({ files: 0 });
    // everything but the sentinel, awkward names included (the newline name rides as rclone's ␊)
    expect(files(await hashTree(sb.cloud))).toEqual(files(await hashTree(sb.space)));
    commands.length = 0;
    // the run after a first copy lists both sides (the first copy found no file at the destination)
    const listed = await runJob(rt, 'space-offsite');
    expect(listed.summary).toMatchObject({ filesTransferred: 0, filesDeleted: 0, plan: { toCopy: 0, deletions: 0, destinationFiles: sourceFiles, sourceFiles } });
    expect(commands.filter((c) => c[1] === 'lsjson')).toHaveLength(2);
    expect(commands.some((c) => c.includes('--dry-run'))).toBe(false);
    commands.length = 0;

    for (let i = 0; i < 3; i++) rmSync(path.join(sb.space, `doc-${i}.txt`));
    writeFileSync(path.join(sb.space, 'doc-50.txt'), 'changed, and longer');
    writeFileSync(path.join(sb.space, 'new.txt'), 'new');
    rmSync(path.join(sb.space, 'tree', 'nested'), { recursive: true });
    commands.length = 0;
    const r = await runJob(rt, 'space-offsite');
    expect(r.status, r.error ?? '').toBe('succeeded');
    expect(r.summary).toMatchObject({ filesDeleted: 4, filesTransferred: 2, plan: { toCopy: 2, overwrites: 1, deletions: 4, deferredDeletions: 0 } });
    // the folder the source lost goes too, as rclone sync would take it
    expect(existsSync(path.join(sb.cloud, 'tree', 'nested'))).toBe(false);
    const rclone = commands.filter((c) => c[0] === 'rclone').map((c) => c[1]);
    // the destination held files at the last run: one rclone process lists and compares both sides
    // (a dry run of the sync), nothing lists them again, and only the plan is a dry run
    expect(rclone.filter((c) => c === 'lsjson' || c === 'size')).toEqual([]);
    const dry = commands.filter((c) => c.includes('--dry-run'));
    expect(dry).toHaveLength(1);
    expect(dry[0]!.slice(1, 2)).toEqual(['sync']);
    expect(dry[0]).toEqual(expect.arrayContaining(['--suffix', '.pillars-plan', '--exclude', '/.pillar', '--log-level', 'NOTICE']));
    expect(dry[0]).not.toContain('-v');
    const copy = commands.find((c) => c[1] === 'copy')!;
    expect(copy).toEqual(expect.arrayContaining(['--files-from-raw', '--no-traverse', '--log-level', 'NOTICE']));
    expect(copy).not.toContain('-v');
    // the overwrite (doc-50) and the new file go in two lists: only the new one's copy ignores what exists
    const copies = commands.filter((c) => c[1] === 'copy');
    expect(copies.map((c) => [path.basename(c[c.indexOf('--files-from-raw') + 1]!), c.includes('--ignore-existing')])).toEqual([
      ['copy.list', false],
      ['copy-new.list', true],
    ]);
    const del = commands.find((c) => c[1] === 'delete')!;
    expect(del.slice(del.indexOf('--max-delete'), del.indexOf('--max-delete') + 2)).toEqual(['--max-delete', '4']);
    const log = await rt.engine.readLog(r.id);
    expect(log).toMatch(/plan: 2 file\(s\) to copy \(1 overwrite\(s\)\), 4 deletion\(s\)/);
    expect(log).toMatch(/deleted 4 of the 4 listed file\(s\)/);
    expect(files(await hashTree(sb.cloud))).toEqual(files(await hashTree(sb.space)));
    // nothing to do: no copy, no delete at all
    commands.length = 0;
    const idle = await runJob(rt, 'space-offsite');
    expect(idle.summary).toMatchObject({ filesTransferred: 0, filesDeleted: 0, plan: { toCopy: 0, deletions: 0 } });
    expect(commands.filter((c) => c[1] === 'copy' || c[1] === 'delete')).toEqual([]);
    // one dry run again, and the destination's features as rclone reported them at the run before
    expect(commands.filter((c) => c[0] === 'rclone' && c[1] !== 'version').map((c) => c[1])).toEqual(['sync']);
    expect(commands.filter((c) => c[1] === 'backend')).toEqual([]);
    expect(await rt.engine.readLog(idle.id)).toMatch(/rclone backend features of cloud:.*: as rclone reported them earlier \(precision \d+ ns/);
    // the destination emptied behind pillarsd's back: the plan of the dry run (made on the guess that
    // it still holds files) is dropped, and the run is the first copy an empty destination gets
    for (const e of readdirSync(sb.cloud)) rmSync(path.join(sb.cloud, e), { recursive: true });
    commands.length = 0;
    const again = await runJob(rt, 'space-offsite');
    expect(again.status, again.error ?? '').toBe('succeeded');
    expect(again.summary).toMatchObject({ filesDeleted: 0, plan: { firstCopy: true, destinationFiles: 0, overwrites: 0, deletions: 0 } });
    expect(commands.find((c) => c[1] === 'copy')).toEqual(expect.arrayContaining(['--ignore-existing']));
    expect(await rt.engine.readLog(again.id)).toMatch(/holds none now: the plan of the dry run started on that guess is not used/);
    expect(files(await hashTree(sb.cloud))).toEqual(files(await hashTree(sb.space)));
  });

  it('a first copy overwrites nothing that turns up at the destination after its listing', async () => {
    const sb = makeSandbox(reg);
    for (let i = 0; i < 20; i++) writeFileSync(path.join(sb.space, `doc-${i}.txt`), `source ${i}`);
    // someone writes into the cloud folder between pillarsd's listing (empty) and the copy
    const { exec } = recording((args) => {
      if (args[0] === 'copy') writeFileSync(path.join(sb.cloud, 'doc-7.txt'), 'written at the destination meanwhile');
    });
    const rt = runtime(sb, { exec });
    const r = await runJob(rt, 'space-offsite');
    expect(r.status, r.error ?? '').toBe('succeeded');
    expect(readFileSync(path.join(sb.cloud, 'doc-7.txt'), 'utf8')).toBe('written at the destination meanwhile');
    expect(readFileSync(path.join(sb.cloud, 'doc-8.txt'), 'utf8')).toBe('source 8');
    expect(r.summary).toMatchObject({ filesTransferred: 19, filesDeleted: 0, plan: { firstCopy: true, sourceFiles: 20, toCopy: 19, overwrites: 0 } });
    expect(await rt.engine.readLog(r.id)).toMatch(/1 that turned up at the destination after its listing were left as they were/);
  });

  it('a nightly sync overwrites no new file that turns up at the destination after its listing; the overwrites it judged it makes', async () => {
    const sb = makeSandbox(reg);
    for (let i = 0; i < 20; i++) writeFileSync(path.join(sb.space, `doc-${i}.txt`), `source ${i}`);
    await seeded(runtime(sb));
    writeFileSync(path.join(sb.space, 'doc-0.txt'), 'changed at the source, and longer');
    for (const n of ['new-1', 'new-2', 'new-3']) writeFileSync(path.join(sb.space, `${n}.txt`), `source ${n}`);
    // someone writes new-2 into the cloud folder between pillarsd's listing (it lacked new-2) and the copy
    const { exec, commands } = recording((args) => {
      if (args[0] === 'copy' && args.includes('--ignore-existing')) {
        writeFileSync(path.join(sb.cloud, 'new-2.txt'), 'written at the destination meanwhile');
        // and new-3 is gone from the source again: not copied, and not counted as one that turned up
        rmSync(path.join(sb.space, 'new-3.txt'));
      }
    });
    const rt = runtime(sb, { exec });
    const r = await runJob(rt, 'space-offsite');
    expect(r.status, r.error ?? '').toBe('succeeded');
    expect(readFileSync(path.join(sb.cloud, 'new-2.txt'), 'utf8')).toBe('written at the destination meanwhile');
    expect(readFileSync(path.join(sb.cloud, 'new-1.txt'), 'utf8')).toBe('source new-1');
    expect(existsSync(path.join(sb.cloud, 'new-3.txt'))).toBe(false);
    expect(readFileSync(path.join(sb.cloud, 'doc-0.txt'), 'utf8')).toBe('changed at the source, and longer');
    expect(r.summary).toMatchObject({ filesTransferred: 2, filesDeleted: 0, plan: { toCopy: 4, overwrites: 1, deletions: 0 } });
    expect(commands.filter((c) => c[1] === 'copy')).toHaveLength(2);
    expect(await rt.engine.readLog(r.id)).toMatch(/1 new file\(s\) that turned up at the destination after its listing were left as they were/);
  });

  it("a window spans both copy lists: the second gets what the first left of it, as rclone's --max-duration reads it", () => {
    expect(windowLeft('6h', 0)).toBe('21600000ms');
    expect(windowLeft('5h30m', 30 * 60_000)).toBe('18000000ms');
    expect(windowLeft('1.5s', 1000)).toBe('500ms');
    expect(windowLeft('90s', 90_000)).toBeNull();
    expect(windowLeft('250ms', 300)).toBeNull();
  });

  it('a listing that fails is an error, never an empty side', async () => {
    const sb = makeSandbox(reg, {
      remotes: '  nowhere: { type: sftp, host: 127.0.0.1, port: 1, user: x }',
      jobs: `  space-offsite:
    type: rclone-sync
    source: space:/
    destination: "nowhere:bucket"
    retries: { count: 0 }`,
    });
    writeFileSync(path.join(sb.space, 'a.txt'), 'a');
    const rt = runtime(sb);
    const r = await runJob(rt, 'space-offsite');
    expect(r.status).toBe('failed');
    // the destination is listed first (the source and the feature reads wait for its first file)
    expect(r.error).toMatch(/rclone lsjson \(destination\): rclone exited \d/);
    expect(r.summary).toBeNull();
  });
});

describe('approval binds to what was shown (issue 14)', () => {
  it('30 % of Space deleted: blocked with the whole set; an approval must name its count and digest; approved, the cloud matches', async () => {
    const sb = makeSandbox(reg);
    for (let i = 0; i < 40; i++) writeFileSync(path.join(sb.space, `photo-${i}.jpg`), `p${i}`);
    const rt = runtime(sb);
    await seeded(rt);
    for (let i = 0; i < 12; i++) rmSync(path.join(sb.space, `photo-${i}.jpg`));
    const cloudBefore = await hashTree(sb.cloud);
    const blocked = await runJob(rt, 'space-offsite');
    expect(blocked.status).toBe('blocked');
    expect(blocked.block).toMatchObject({ guard: 'delete-threshold', needsApproval: true, deletes: { count: 12, bytes: 12 * 2 + 2 }, approval: { count: 12 } });
    expect(blocked.error).toMatch(/would delete 12 files .*30% of the destination/);
    expect(blocked.error).toContain(`pillarsd approve ${blocked.id}`);
    expect(await hashTree(sb.cloud)).toEqual(cloudBefore);
    // the whole set, paged, with sizes and per-folder totals
    const page = rt.engine.changeSet(blocked.id, 'deletions', { offset: 0, limit: 5 });
    expect(page).toMatchObject({ set: 'approval', files: 12, bytes: 26, approvalCount: 12, next: 5, digest: blocked.block!.approval!.digest });
    expect(page.entries[0]).toEqual({ path: 'photo-0.jpg', size: 2, expected: false });
    const rest = rt.engine.changeSet(blocked.id, 'deletions', { offset: 5, limit: 100 });
    expect([...page.entries, ...rest.entries].map((e) => e.path).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `photo-${i}.jpg`).sort());
    expect(rest.next).toBeNull();
    // a blanket or stale approval is refused
    const { digest } = blocked.block!.approval!;
    expect(() => rt.engine.approve(blocked.id, 'admin', null)).toThrow(/names the set you were shown/);
    expect(() => rt.engine.approve(blocked.id, 'admin', { count: 1e9, digest })).toThrow(/lists 12 file\(s\)/);
    expect(() => rt.engine.approve(blocked.id, 'admin', { count: 12, digest: 'f'.repeat(64) })).toThrow(/not the 12 .* you approved/);
    rt.engine.approve(blocked.id, 'admin (t1)', { count: 12, digest });
    const done = await rt.engine.waitFor(blocked.id);
    expect(done.status, done.error ?? '').toBe('succeeded');
    expect(done).toMatchObject({ approvedBy: 'admin (t1)', trigger: 'approval', summary: { filesDeleted: 12 } });
    expect(files(await hashTree(sb.cloud))).toEqual(files(await hashTree(sb.space)));
  });

  it('the race: files vanish and come back around an approved sync; nothing outside the approved set is deleted and the count is what went', async () => {
    const sb = makeSandbox(reg);
    for (let i = 0; i < 200; i++) writeFileSync(path.join(sb.space, `f-${String(i).padStart(3, '0')}.txt`), `x${i}`);
    let during: (() => void) | null = null;
    const { exec } = recording((args) => {
      if (args[0] === 'delete' && during) {
        during();
        during = null;
      }
    });
    const rt = runtime(sb, { exec });
    await seeded(rt);
    const name = (i: number) => `f-${String(i).padStart(3, '0')}.txt`;
    for (let i = 0; i < 150; i++) rmSync(path.join(sb.space, name(i)));
    const blocked = await runJob(rt, 'space-offsite');
    expect(blocked.block?.approval?.count).toBe(150);
    // before the approved run: 2 more vanish, 2 approved ones come back
    for (const i of [150, 151]) rmSync(path.join(sb.space, name(i)));
    for (const i of [0, 1]) writeFileSync(path.join(sb.space, name(i)), `x${i}`);
    // and while it deletes, 3 more vanish
    during = () => {
      for (const i of [152, 153, 154]) rmSync(path.join(sb.space, name(i)));
    };
    const before = new Set(readdirSync(sb.cloud));
    rt.engine.approve(blocked.id, 'admin', blocked.block!.approval!);
    const done = await rt.engine.waitFor(blocked.id);
    expect(done.status, done.error ?? '').toBe('succeeded');
    const after = new Set(readdirSync(sb.cloud));
    const gone = [...before].filter((f) => !after.has(f));
    const approved = new Set(Array.from({ length: 150 }, (_, i) => name(i)));
    expect(gone.every((f) => approved.has(f))).toBe(true);
    expect(gone).toHaveLength(148);
    expect(after.has(name(0)) && after.has(name(1)) && after.has(name(150)) && after.has(name(151))).toBe(true);
    expect(done.summary).toMatchObject({ filesDeleted: 148, plan: { deletions: 150, deferredDeletions: 2 } });
    expect(await rt.engine.readLog(done.id)).toMatch(DRY_RUN);
    expect(await rt.engine.readLog(done.id)).toMatch(/2 not in the approved set \(left for the next run\)/);
    // the next run lists the 5 that vanished since; they are under the guard's 1000 files but 5 % of 52: blocked
    const next = await runJob(rt, 'space-offsite');
    expect(next.status).toBe('blocked');
    expect(next.block?.deletes?.count).toBe(5);
  });
});

describe('the mass-change guard (issue 14)', () => {
  it('ransomware rewrote 60 % of Space: the sync is blocked and the offsite copy is unchanged', async () => {
    const sb = makeSandbox(reg);
    for (let i = 0; i < 100; i++) writeFileSync(path.join(sb.space, `doc-${i}.txt`), `precious ${i}`);
    const rt = runtime(sb);
    await seeded(rt);
    const cloudBefore = await hashTree(sb.cloud);
    for (let i = 0; i < 60; i++) writeFileSync(path.join(sb.space, `doc-${i}.txt`), randomBytes(64));
    const r = await runJob(rt, 'space-offsite');
    expect(r.status).toBe('blocked');
    expect(r.block).toMatchObject({ guard: 'mass-change', needsApproval: true, changes: { count: 60, percent: 60 }, approval: { count: 60 } });
    expect(await rt.engine.readLog(r.id)).toMatch(DRY_RUN);
    expect(r.error).toMatch(/overwrite 60 files .*60% of the 100 files at the destination, above the mass-change guard \(25%\)/);
    expect(await hashTree(sb.cloud)).toEqual(cloudBefore);
    expect(rt.engine.changeSet(r.id, 'overwrites', { offset: 0, limit: 1 }).entries[0]).toMatchObject({ path: 'doc-0.txt', size: 64, destinationSize: 10 });
  });

  it('a touch of every file is no mass change (equal hashes); the same sizes rewritten in place are', async () => {
    const sb = makeSandbox(reg);
    const name = (i: number) => path.join(sb.space, `doc-${String(i).padStart(2, '0')}.txt`);
    for (let i = 0; i < 100; i++) writeFileSync(name(i), `precious ${String(i).padStart(2, '0')}`);
    const rt = runtime(sb);
    await seeded(rt);
    const later = new Date(Date.now() + 3_600_000);
    for (let i = 0; i < 100; i++) utimesSync(name(i), later, later);
    const touched = await runJob(rt, 'space-offsite');
    expect(touched.status, touched.error ?? '').toBe('succeeded');
    expect(touched.summary).toMatchObject({ plan: { toCopy: 100, overwrites: 0 }, filesDeleted: 0 });
    expect(await rt.engine.readLog(touched.id)).toMatch(/100 file\(s\) differ from the destination's only in time \(equal hashes, as rclone compared them\)/);
    const cloudBefore = await hashTree(sb.cloud);
    // ransomware that encrypts in place keeps the sizes: the hashes tell
    for (let i = 0; i < 60; i++) writeFileSync(name(i), randomBytes(11).toString('hex').slice(0, 11));
    const r = await runJob(rt, 'space-offsite');
    expect(r.status).toBe('blocked');
    expect(r.block).toMatchObject({ guard: 'mass-change', changes: { count: 60 } });
    expect(await hashTree(sb.cloud)).toEqual(cloudBefore);
  });
});

describe("the prune's own deletions are expected (issue 22)", () => {
  it('a prune that removes 2,000 packs does not block the next sync; 2,000 user files removed still do', { timeout: 300_000 }, async () => {
    const sb = makeSandbox(reg);
    for (let i = 0; i < 2000; i++) {
      const d = path.join(sb.space, 'archive', `d${i % 20}`);
      if (i < 20) mkdirSync(d, { recursive: true });
      writeFileSync(path.join(d, `file-${i}.txt`), `u${i}`);
    }
    writeFileSync(path.join(sb.flux, 'work.txt'), 'one');
    const rt = runtime(sb);
    expect((await runJob(rt, 'flux-backup')).status).toBe('succeeded');
    writeFileSync(path.join(sb.flux, 'work.txt'), 'two');
    expect((await runJob(rt, 'flux-backup')).status).toBe('succeeded');
    // 2,000 packs nothing references (an interrupted backup leaves such): the next prune removes them
    for (let i = 0; i < 2000; i++) {
      const h = randomBytes(32).toString('hex');
      mkdirSync(path.join(sb.repo, 'data', h.slice(0, 2)), { recursive: true });
      writeFileSync(path.join(sb.repo, 'data', h.slice(0, 2), h), randomBytes(16));
    }
    await seeded(rt);
    const prune = await runJob(rt, 'flux-retention');
    expect(prune.status, prune.error ?? '').toBe('succeeded');
    expect(await rt.engine.readLog(prune.id)).toMatch(/recorded (\d{4,}) file\(s\) the prune removed/);
    const after = await runJob(rt, 'space-offsite');
    expect(after.status, after.error ?? '').toBe('succeeded');
    const plan = (after.summary as { plan: { deletions: number; expectedDeletions: number } }).plan;
    expect(plan.expectedDeletions).toBeGreaterThanOrEqual(2000);
    expect(plan.deletions).toBe(plan.expectedDeletions);
    expect(await rt.engine.readLog(after.id)).toMatch(DRY_RUN);
    expect(after.summary).toMatchObject({ filesDeleted: plan.deletions });
    expect(files(await hashTree(path.join(sb.cloud, 'backups')))).toEqual(files(await hashTree(path.join(sb.space, 'backups'))));
    // the same number of user files gone is a mass deletion
    rmSync(path.join(sb.space, 'archive'), { recursive: true });
    const users = await runJob(rt, 'space-offsite');
    expect(users.status).toBe('blocked');
    expect(users.block).toMatchObject({ guard: 'delete-threshold', deletes: { count: 2000 } });
    expect(existsSync(path.join(sb.cloud, 'archive', 'd0', 'file-0.txt'))).toBe(true);
  });
});

describe('seed windows (issue 22)', () => {
  it('a throttled seed runs its window beside the Flux backup, stops softly, and the next run goes on where it stopped', { timeout: 240_000 }, async () => {
    const seedDest = (dir: string) => path.join(dir, 'seed');
    const sb = makeSandbox(reg, {
      extraJobs: (dir) => `  media-seed:
    type: rclone-copy
    source: space:/
    destination: cloud:${seedDest(dir)}
    exclude: ["/backups/**"]
    bwlimit: 200k
    transfers: 1
    maxDuration: 8s
    retries: { count: 0 }`,
    });
    // 24 MiB at 200 KiB/s: two minutes of seeding at full throttle
    mkdirSync(path.join(sb.space, 'media'), { recursive: true });
    for (let i = 0; i < 24; i++) writeFileSync(path.join(sb.space, 'media', `clip-${i}.bin`), randomBytes(1 << 20));
    writeFileSync(path.join(sb.flux, 'notes.txt'), 'n');
    const rt = runtime(sb);
    const seed = rt.engine.enqueue('media-seed', 'manual')!;
    // the seed is copying (its copy child is up) when the backup is asked for
    for (let t = 0; !existsSync(seedDest(sb.dir)) && t < 600; t++) await sleep(100);
    const backup = rt.engine.enqueue('flux-backup', 'manual')!;
    const b = await rt.engine.waitFor(backup.id);
    expect(b.status, b.error ?? '').toBe('succeeded');
    expect(rt.runs.get(seed.id)!.status).toBe('running');
    const first = await rt.engine.waitFor(seed.id);
    expect(first.status, first.error ?? '').toBe('succeeded');
    expect(first.summary).toMatchObject({ kind: 'rclone-copy', windowEnded: true, plan: { sourceFiles: 24, toCopy: 24 } });
    const copied = first.summary?.kind === 'rclone-copy' ? first.summary.filesTransferred : 0;
    expect(copied).toBeGreaterThan(0);
    expect(copied).toBeLessThan(24);
    const second = await rt.engine.waitFor(rt.engine.enqueue('media-seed', 'manual')!.id);
    expect(second.status, second.error ?? '').toBe('succeeded');
    // it lists again and copies only what the first window did not
    expect(second.summary).toMatchObject({ plan: { toCopy: 24 - copied } });
    // progress over the nights, from each run's listings
    const seedInfo = rt.engine.getJob('media-seed')!.seed!;
    expect(seedInfo.history).toHaveLength(2);
    expect(seedInfo.history[0]!.bytesDone).toBe(copied * (1 << 20));
    expect(seedInfo.history[1]!.bytesDone).toBeGreaterThan(seedInfo.history[0]!.bytesDone);
    expect(seedInfo).toMatchObject({ bytesTotal: 24 * (1 << 20), filesTotal: 24 });
    expect(seedInfo.complete).toBe(seedInfo.filesDone === 24);
  });

  it('on a manual clock: the 02:00 Flux backup starts at 02:00 while the 23:00 seed window still runs', { timeout: 120_000 }, async () => {
    const sb = makeSandbox(reg, {
      extraJobs: (dir) => `  media-seed:
    type: rclone-copy
    source: space:/
    destination: cloud:${path.join(dir, 'seed')}
    exclude: ["/backups/**"]
    schedule: "0 23 * * *"
    maxDuration: 6h
    retries: { count: 0 }`,
    });
    const loaded = sb.loaded();
    (loaded.config.jobs['flux-backup'] as { schedule?: string }).schedule = '0 2 * * *';
    writeFileSync(path.join(sb.space, 'big.bin'), 'x');
    writeFileSync(path.join(sb.flux, 'notes.txt'), 'n');
    const mc = manualClock('2026-12-07T22:59:00Z');
    // the seed's copy holds until the test ends its window, as a slow upload would
    let endWindow: (() => void) | null = null;
    const exec: Exec = (req) => {
      if (req.args[0] === 'copy' && req.args.includes('--max-duration')) {
        req.onSpawn?.(process.pid);
        return new Promise((resolve) => {
          const line = JSON.stringify({ level: 'error', msg: 'max transfer duration reached as set by --max-duration' });
          const done = (aborted: boolean) => {
            req.onStderrLine?.(line);
            resolve({ code: 7, signal: null, stdout: '', stderr: line, timedOut: false, aborted });
          };
          endWindow = () => done(false);
          req.signal?.addEventListener('abort', () => done(true), { once: true });
        });
      }
      return nodeExec(req);
    };
    const rt = openRuntime(loaded, { exec, clock: mc.clock, env: { ...process.env, TZ: 'UTC' } });
    reg.add(async () => (endWindow?.(), await rt.engine.stop(), rt.close()));
    const scheduler = new Scheduler({ engine: rt.engine, runs: rt.runs, state: rt.state, hub: rt.hub, clock: mc.clock });
    scheduler.start();
    reg.add(() => scheduler.stop());
    mc.advanceTo('2026-12-07T23:00:30Z');
    const seed = rt.runs.list({ job: 'media-seed', limit: 1 }).records[0]!;
    for (let t = 0; !endWindow && t < 600; t++) await sleep(100);
    expect(endWindow, 'the seed reached its copy').not.toBeNull();
    mc.advanceTo('2026-12-08T02:00:30Z');
    const backup = rt.runs.list({ job: 'flux-backup', limit: 1 }).records[0]!;
    expect(backup.queuedAt).toBe('2026-12-08T02:00:00.000Z');
    const b = await rt.engine.waitFor(backup.id);
    expect(b.status, b.error ?? '').toBe('succeeded');
    expect(b.startedAt).toBe('2026-12-08T02:00:30.000Z');
    expect(rt.runs.get(seed.id)!.status).toBe('running');
    mc.advanceTo('2026-12-08T05:00:00Z');
    endWindow!();
    const s = await rt.engine.waitFor(seed.id);
    expect(s).toMatchObject({ status: 'succeeded', summary: { windowEnded: true } });
  });
});
