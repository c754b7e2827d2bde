// Snapshots from the repository and browsing one folder level (issue 16), against real restic 0.14:
// the list is what `restic snapshots` says (a pruned snapshot is gone from it, a snapshot made by
// hand appears on demand), each with the run that made it; a folder is listed one page at a time,
// names with newlines and leading dashes intact; the CLI prints the same.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRuntime } from '../../../server/src/jobs/runtime';
import type { Runtime } from '../../../server/src/jobs/runtime';
import { NotFoundError } from '../../../server/src/ports/errors';
import { makeSandbox } from '../jobs/sandbox';
import { runPillarsd } from '../../support/cli';
import { runOk } from '../../support/proc';
import { makeTree, NEWLINE_NAME } from '../../support/trees';
import { useCleanup } from '../../support/tmp';

const reg = useCleanup();

function runtime(sb: ReturnType<typeof makeSandbox>): Runtime {
  const rt = openRuntime(sb.loaded());
  reg.add(async () => {
    await rt.engine.stop();
    rt.close();
  });
  return rt;
}

async function runJob(rt: Runtime, job: string) {
  const r = await rt.engine.waitFor(rt.engine.enqueue(job, 'manual')!.id);
  expect(r.status, r.error ?? '').toBe('succeeded');
  return r;
}

describe('snapshots from the repository', () => {
  it('lists what restic holds, with the run that made each; a pruned snapshot is gone, a snapshot made by hand appears on refresh', async () => {
    const sb = makeSandbox(reg);
    writeFileSync(path.join(sb.flux, 'a.txt'), 'one');
    const rt = runtime(sb);
    const first = await runJob(rt, 'flux-backup');
    writeFileSync(path.join(sb.flux, 'b.txt'), 'two');
    const second = await runJob(rt, 'flux-backup');

    const listed = await rt.snapshots.list('flux-backup');
    expect(listed.repository).toBe('space:/backups/restic/flux');
    expect(listed.jobs.sort()).toEqual(['flux-backup', 'flux-retention', 'flux-verify']);
    const ids = (await resticJson(sb, ['snapshots'])).map((s) => s.id);
    expect(listed.snapshots.map((s) => s.id)).toEqual(ids);
    expect(listed.snapshots).toHaveLength(2);
    const made = (r: typeof first) => (r.summary as { snapshotId: string }).snapshotId;
    expect(listed.snapshots.map((s) => s.runId)).toEqual([first.id, second.id]);
    expect(listed.snapshots[0]!.shortId).toBe(made(first));
    expect(listed.snapshots[1]).toMatchObject({ jobId: 'flux-backup', root: sb.flux, paths: [sb.flux], files: 3 }); // a.txt, b.txt, .pillar
    // the same list from the cache: restic is not asked again while no run ended
    expect((await rt.snapshots.list('flux-retention')).refreshedAt).toBe(listed.refreshedAt);

    // forget with prune (keep last 1): the older snapshot is gone, without asking for a refresh
    await runJob(rt, 'flux-retention');
    const after = await rt.snapshots.list('flux-verify');
    expect(after.snapshots.map((s) => s.shortId)).toEqual([made(second)]);

    // a snapshot made outside pillarsd: not in the cached list until asked for
    await runOk('restic', ['backup', '--tag', 'by-hand', sb.flux], { env: { ...process.env, ...sb.resticEnv } });
    expect((await rt.snapshots.list('flux-backup')).snapshots).toHaveLength(1);
    const fresh = await rt.snapshots.list('flux-backup', { refresh: true });
    expect(fresh.snapshots).toHaveLength(2);
    expect(fresh.snapshots[1]).toMatchObject({ tags: ['by-hand'], runId: null, files: null });

    await expect(rt.snapshots.list('space-offsite')).rejects.toThrow(NotFoundError);
    await expect(rt.snapshots.list('nope')).rejects.toThrow(/no job "nope"/);
  }, 120_000);

  it('a repository that cannot be read is an error, never an empty list', async () => {
    const sb = makeSandbox(reg);
    const rt = runtime(sb);
    // no backup yet: no repository at all
    await expect(rt.snapshots.list('flux-backup')).rejects.toThrow(/restic snapshots/);
  }, 60_000);
});

describe('browsing one folder level', () => {
  it('pages through a folder, keeps awkward names, answers files and refuses paths outside the snapshot', async () => {
    const sb = makeSandbox(reg);
    const work = path.join(sb.flux, 'work');
    await makeTree(work);
    writeFileSync(path.join(work, '--leading-dash'), 'dash');
    mkdirSync(path.join(work, 'many'));
    for (let i = 0; i < 25; i++) writeFileSync(path.join(work, 'many', `f${String(i).padStart(2, '0')}`), String(i));
    const rt = runtime(sb);
    const b = await runJob(rt, 'flux-backup');
    const snap = (b.summary as { snapshotId: string }).snapshotId;

    const root = await rt.snapshots.ls('flux-backup', 'latest', { offset: 0, limit: 100 });
    expect(root).toMatchObject({ path: sb.flux, parent: null, root: sb.flux, total: 2, more: false });
    expect(root.entries.map((e) => e.name)).toEqual(['.pillar', 'work']);

    const w = await rt.snapshots.ls('flux-backup', snap, { path: work, offset: 0, limit: 100 });
    expect(w.parent).toBe(sb.flux);
    const names = w.entries.map((e) => e.name);
    expect(names).toEqual(expect.arrayContaining(['--leading-dash', NEWLINE_NAME, 'with space', 'unicode-ü', 'link-to-plain', 'empty-file', 'many']));
    expect(w.entries.find((e) => e.name === 'link-to-plain')!.type).toBe('symlink');
    expect(w.entries.find((e) => e.name === 'many')).toMatchObject({ type: 'dir', size: null });
    expect(w.entries.find((e) => e.name === NEWLINE_NAME)).toMatchObject({ type: 'file', size: 22, path: path.join(work, NEWLINE_NAME) });

    // pages: 10 + 10 + 5, in order, nothing lost or repeated
    const seen: string[] = [];
    for (let offset = 0; ; offset += 10) {
      const p = await rt.snapshots.ls('flux-backup', snap, { path: path.join(work, 'many'), offset, limit: 10 });
      seen.push(...p.entries.map((e) => e.name));
      if (!p.more) {
        expect(p.total).toBe(25);
        break;
      }
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `f${String(i).padStart(2, '0')}`));

    // a file answers with itself
    const f = await rt.snapshots.ls('flux-backup', snap, { path: path.join(work, 'plain.txt'), offset: 0, limit: 10 });
    expect(f.entries).toMatchObject([{ name: 'plain.txt', type: 'file', size: 11 }]);

    await expect(rt.snapshots.ls('flux-backup', snap, { path: path.join(work, 'not-there'), offset: 0, limit: 10 })).rejects.toThrow(NotFoundError);
    await expect(rt.snapshots.ls('flux-backup', 'deadbeef', { offset: 0, limit: 10 })).rejects.toThrow(/no snapshot "deadbeef"/);
    await expect(rt.snapshots.ls('flux-backup', snap.slice(0, 4), { offset: 0, limit: 10 })).resolves.toBeDefined();

    // search by name
    const found = await rt.snapshots.find('flux-backup', snap, { pattern: '*.txt', limit: 100 });
    expect(found.matches.map((m) => m.path)).toEqual(expect.arrayContaining([path.join(work, 'plain.txt'), path.join(work, NEWLINE_NAME), path.join(work, 'nested/a/b/c/deep.txt')]));
    expect(found.truncated).toBe(false);
    const few = await rt.snapshots.find('flux-backup', snap, { pattern: 'f*', limit: 3 });
    expect(few).toMatchObject({ truncated: true });
    expect(few.matches).toHaveLength(3);
  }, 120_000);

  it('pillarsd snapshots, ls and find print the same (text and --json), with exit 2 for what is not there', async () => {
    const sb = makeSandbox(reg);
    await makeTree(path.join(sb.flux, 'work'));
    const rt = runtime(sb);
    const b = await runJob(rt, 'flux-backup');
    const snap = (b.summary as { snapshotId: string }).snapshotId;
    await rt.engine.stop();

    const cfg = ['--config', sb.configFile];
    const slow = { timeoutMs: 240_000 };
    // independent commands, started together (each is a Node process of its own)
    const [list, text, ls, lsJson, missing, relative, find] = await Promise.all([
      runPillarsd(['snapshots', 'flux-backup', '--json', ...cfg], slow),
      runPillarsd(['snapshots', 'flux-backup', ...cfg], slow),
      runPillarsd(['ls', 'flux-backup', snap, path.join(sb.flux, 'work'), ...cfg], slow),
      runPillarsd(['ls', 'flux-backup', 'latest', path.join(sb.flux, 'work'), '--limit', '2', '--json', ...cfg], slow),
      runPillarsd(['ls', 'flux-backup', snap, path.join(sb.flux, 'nope'), ...cfg], slow),
      runPillarsd(['ls', 'flux-backup', snap, 'work', ...cfg], slow),
      runPillarsd(['find', 'flux-backup', snap, 'deep*', '--json', ...cfg], slow),
    ]);
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { snapshots: Array<{ shortId: string; runId: string }> }).snapshots).toMatchObject([{ shortId: snap, runId: b.id }]);
    expect(text.stdout).toMatch(new RegExp(`^${snap}  \\S+  \\S+  ${sb.flux}  \\d+ files, .*run ${b.id}\\n$`));

    expect(ls.code, ls.stderr).toBe(0);
    // a name with a newline stays on its line, escaped
    expect(ls.stdout).toContain(JSON.stringify(NEWLINE_NAME));
    expect(ls.stdout).toMatch(/^d .* with space\/$/m);
    expect(JSON.parse(lsJson.stdout)).toMatchObject({ more: true, offset: 0 });
    expect(lsJson.stderr).toBe('');

    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/is not in snapshot/);
    expect(relative.code).toBe(2);
    expect(relative.stderr).toMatch(/must be absolute/);

    expect(find.code, find.stderr).toBe(0);
    expect((JSON.parse(find.stdout) as { matches: Array<{ path: string }> }).matches.map((m) => m.path)).toEqual([path.join(sb.flux, 'work/nested/a/b/c/deep.txt')]);

    // the pillar holding the repository loses its sentinel: a guard refusal, exit 3
    rmSync(path.join(sb.space, '.pillar'));
    const guarded = await runPillarsd(['snapshots', 'flux-backup', '--refresh', ...cfg], slow);
    expect(guarded.code, guarded.stderr).toBe(3);
  }, 400_000);
});

async function resticJson(sb: ReturnType<typeof makeSandbox>, args: string[]): Promise<Array<{ id: string }>> {
  const r = await runOk('restic', [...args, '--json'], { env: { ...process.env, ...sb.resticEnv } });
  return JSON.parse(r.stdout) as Array<{ id: string }>;
}
