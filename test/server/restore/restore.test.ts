// Restore as a run (issue 16), against real restic 0.14: the awkward-names tree (spaces, a newline,
// unicode, leading dashes, symlinks, hard links, empty files and folders) restored through the CLI
// and through the API is identical to the source (content, links, modes, hard links); a restore
// never overwrites or deletes unless told, and `skip` onto an existing folder changes nothing there;
// paths outside the snapshot or the pillars are refused; the pillar guards hold.
import { chmodSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../server/src/config/load';
import { startServe } from '../../../server/src/cli/commands/serve';
import { openRuntime } from '../../../server/src/jobs/runtime';
import type { Runtime } from '../../../server/src/jobs/runtime';
import { BadRequestError } from '../../../server/src/ports/errors';
import { makeSandbox } from '../jobs/sandbox';
import { runPillarsd } from '../../support/cli';
import { run } from '../../support/proc';
import { hashTree, makeTree } from '../../support/trees';
import { useCleanup } from '../../support/tmp';

const reg = useCleanup();

/** The sample tree plus what it lacks: leading dashes, hard links, odd modes. */
async function awkwardTree(dir: string): Promise<void> {
  await makeTree(dir);
  writeFileSync(path.join(dir, '--leading-dash'), 'dash');
  writeFileSync(path.join(dir, '-n'), 'looks like a flag');
  writeFileSync(path.join(dir, 'hard-a'), 'one inode, two names');
  linkSync(path.join(dir, 'hard-a'), path.join(dir, 'nested', 'hard-b'));
  writeFileSync(path.join(dir, 'script.sh'), '#!/bin/sh\n');
  chmodSync(path.join(dir, 'script.sh'), 0o750);
  chmodSync(path.join(dir, 'with space'), 0o700);
  chmodSync(path.join(dir, 'plain.txt'), 0o600);
}

/** rel path → permission bits (links: not compared, their mode is not theirs to keep). */
function modes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (abs: string, rel: string) => {
    for (const n of readdirSync(abs).sort()) {
      const a = path.join(abs, n);
      const r = rel ? `${rel}/${n}` : n;
      const st = lstatSync(a);
      if (st.isSymbolicLink()) continue;
      out[r] = (st.mode & 0o7777).toString(8);
      if (st.isDirectory()) walk(a, r);
    }
  };
  walk(dir, '');
  return out;
}

async function sameTree(restored: string, source: string): Promise<void> {
  expect(await hashTree(restored)).toEqual(await hashTree(source));
  expect(modes(restored)).toEqual(modes(source));
  // diff -r agrees (links compared as links, not followed)
  const d = await run('diff', ['-r', '--no-dereference', source, restored]);
  expect(d.code, d.stdout + d.stderr).toBe(0);
  // the hard link is still one file
  expect(statSync(path.join(restored, 'nested', 'hard-b')).ino).toBe(statSync(path.join(restored, 'hard-a')).ino);
}

function runtime(sb: ReturnType<typeof makeSandbox>): Runtime {
  const rt = openRuntime(sb.loaded());
  reg.add(async () => {
    await rt.engine.stop();
    rt.close();
  });
  return rt;
}

async function backup(rt: Runtime): Promise<string> {
  const r = await rt.engine.waitFor(rt.engine.enqueue('flux-backup', 'manual')!.id);
  expect(r.status, r.error ?? '').toBe('succeeded');
  return (r.summary as { snapshotId: string }).snapshotId;
}

describe('restore through the CLI', () => {
  it('restores the awkward tree into a new folder of the restore area, identical, and records the run', async () => {
    const sb = makeSandbox(reg);
    const work = path.join(sb.flux, 'work');
    await awkwardTree(work);
    const rt = runtime(sb);
    const snap = await backup(rt);
    await rt.engine.stop();

    const cfg = ['--config', sb.configFile];
    const r = await runPillarsd(['restore', 'flux-backup', snap, work, '--json', ...cfg], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const done = JSON.parse(r.stdout) as { id: string; jobId: string; status: string; summary: { destination: string; files: number; skippedCount: number } };
    expect(done).toMatchObject({ jobId: 'restore:flux-backup', status: 'succeeded' });
    const dest = done.summary.destination;
    expect(path.dirname(dest)).toBe(path.join(sb.space, 'restores', 'flux-backup'));
    expect(path.basename(dest)).toMatch(new RegExp(`^${snap}-\\d{8}-\\d{6}$`));
    // the snapshot root is flux: the folder keeps its place below it
    await sameTree(path.join(dest, 'work'), work);
    expect(done.summary.skippedCount).toBe(0);
    // no staging left behind
    expect(readdirSync(path.join(sb.space, '.pillars-restore'))).toEqual([]);

    // a second restore of the same snapshot goes into another new folder, never into the first
    const again = await runPillarsd(['restore', 'flux-backup', snap, path.join(work, 'plain.txt'), '--json', ...cfg], { timeoutMs: 120_000 });
    expect(again.code, again.stderr).toBe(0);
    const d2 = (JSON.parse(again.stdout) as { summary: { destination: string } }).summary.destination;
    expect(d2).not.toBe(dest);
    expect(readFileSync(path.join(d2, 'work', 'plain.txt'), 'utf8')).toBe('plain text\n');
    expect(readdirSync(d2)).toEqual(['work']);

    const runs = await runPillarsd(['runs', '--job', 'restore:flux-backup', '--json', ...cfg]);
    expect((JSON.parse(runs.stdout) as { runs: unknown[] }).runs).toHaveLength(2);

    // refusals: exit 2, nothing queued
    const outside = await runPillarsd(['restore', 'flux-backup', snap, '/etc/passwd', ...cfg]);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(/not in snapshot/);
    const noChoice = await runPillarsd(['restore', 'flux-backup', snap, work, '--to', 'original', ...cfg]);
    expect(noChoice.code).toBe(2);
    expect(noChoice.stderr).toMatch(/explicit choice/);
  }, 300_000);
});

describe('restore onto what exists', () => {
  it('skip changes nothing there; keep-both puts the restored copy beside; overwrite replaces files and deletes nothing', async () => {
    const sb = makeSandbox(reg);
    const work = path.join(sb.flux, 'work');
    await awkwardTree(work);
    const rt = runtime(sb);
    const snap = await backup(rt);
    // since the snapshot: one file changed, one added, one removed
    writeFileSync(path.join(work, 'plain.txt'), 'changed since\n');
    writeFileSync(path.join(work, 'new-since.txt'), 'not in the snapshot\n');
    rmSync(path.join(work, 'nested', 'a', 'b', 'c', 'deep.txt'));
    const restoreAndWait = async (existing: 'skip' | 'keep-both' | 'overwrite', paths = [work]) => {
      const { run: q } = await rt.snapshots.restore('flux-backup', snap, { paths, to: 'original', existing });
      const done = await rt.engine.waitFor(q.id);
      expect(done.status, done.error ?? '').toBe('succeeded');
      return done.summary as { skippedCount: number; keptBoth: string[]; overwritten: string[]; files: number };
    };

    // skip, over a file that exists in the snapshot and here: nothing there changes
    const before = await hashTree(work);
    const mtimes = Object.fromEntries(readdirSync(work).map((n) => [n, lstatSync(path.join(work, n)).mtimeMs]));
    const skipOne = await restoreAndWait('skip', [path.join(work, 'plain.txt')]);
    expect(skipOne).toMatchObject({ skippedCount: 1, files: 0 });
    expect(await hashTree(work)).toEqual(before);
    expect(Object.fromEntries(readdirSync(work).map((n) => [n, lstatSync(path.join(work, n)).mtimeMs]))).toEqual(mtimes);

    // skip over the whole folder: only what is missing comes back
    const skipped = await restoreAndWait('skip');
    expect(skipped.skippedCount).toBeGreaterThan(5);
    const afterSkip = await hashTree(work);
    expect(afterSkip).toEqual({ ...before, 'nested/a/b/c/deep.txt': afterSkip['nested/a/b/c/deep.txt'] });
    expect(readFileSync(path.join(work, 'nested/a/b/c/deep.txt'), 'utf8')).toBe('deep\n');
    expect(readFileSync(path.join(work, 'plain.txt'), 'utf8')).toBe('changed since\n');

    // keep both: the restored plain.txt lands beside the changed one
    const kept = await restoreAndWait('keep-both', [path.join(work, 'plain.txt')]);
    expect(kept.keptBoth).toEqual([path.join(work, `plain (restored ${snap}).txt`)]);
    expect(readFileSync(path.join(work, 'plain.txt'), 'utf8')).toBe('changed since\n');
    expect(readFileSync(path.join(work, `plain (restored ${snap}).txt`), 'utf8')).toBe('plain text\n');

    // overwrite: the file is the snapshot's again; what was added since is still there
    const over = await restoreAndWait('overwrite');
    expect(over.overwritten).toContain(path.join(work, 'plain.txt'));
    expect(readFileSync(path.join(work, 'plain.txt'), 'utf8')).toBe('plain text\n');
    expect(existsSync(path.join(work, 'new-since.txt'))).toBe(true);
    expect(existsSync(path.join(work, `plain (restored ${snap}).txt`))).toBe(true);
  }, 300_000);

  it('refuses targets outside the pillars, inside a repository or through a link, and the pillar guards hold', async () => {
    const sb = makeSandbox(reg);
    const work = path.join(sb.flux, 'work');
    mkdirSync(work);
    writeFileSync(path.join(work, 'a.txt'), 'a');
    const rt = runtime(sb);
    const snap = await backup(rt);
    const req = (to: string, existing?: 'skip') => rt.snapshots.planRestore('flux-backup', snap, { paths: [work], to, existing });
    await expect(req('/etc', 'skip')).rejects.toThrow(BadRequestError);
    await expect(req('/etc', 'skip')).rejects.toThrow(/not inside a pillar/);
    await expect(req('space:/backups/restic/flux/data', 'skip')).rejects.toThrow(/restic repository/);
    await expect(req('space:/../outside', 'skip')).rejects.toThrow(BadRequestError);
    symlinkSync('/tmp', path.join(sb.space, 'escape'));
    await expect(req('space:/escape/x', 'skip')).rejects.toThrow(/symbolic link/);
    await expect(rt.snapshots.planRestore('flux-backup', snap, { paths: [work], existing: 'skip' })).rejects.toThrow(/new folder has nothing/);
    await expect(rt.snapshots.planRestore('flux-backup', snap, { paths: ['/etc'] })).rejects.toThrow(/not in snapshot/);

    // the plan says where each path goes and what is there
    const plan = await req('space:/put-here', 'skip');
    expect(plan.items).toEqual([{ path: work, type: 'dir', target: path.join(sb.space, 'put-here', 'work'), exists: false }]);

    // Flux without its sentinel (a disk that is not Flux mounted there): the restore back to it is blocked, nothing written
    rmSync(path.join(sb.flux, '.pillar'));
    writeFileSync(path.join(work, 'a.txt'), 'changed');
    const { run: q } = await rt.snapshots.restore('flux-backup', snap, { paths: [work], to: 'original', existing: 'overwrite' });
    const done = await rt.engine.waitFor(q.id);
    expect(done.status).toBe('blocked');
    expect(done.block).toMatchObject({ guard: 'pillar-sentinel' });
    expect(readFileSync(path.join(work, 'a.txt'), 'utf8')).toBe('changed');
  }, 180_000);
});

describe('restore through the API', () => {
  it('admin only and audited; the awkward tree restored identical into a folder asked for', async () => {
    const sb = makeSandbox(reg);
    const work = path.join(sb.flux, 'work');
    await awkwardTree(work);
    const s = await startServe({ file: sb.configFile, config: parseConfig(sb.yaml, sb.configFile), text: sb.yaml }, { host: '127.0.0.1', port: 0, tls: 'off' });
    reg.add(() => s.stop());
    const admin = s.tokens.create({ role: 'admin', name: 'restore admin' }).token;
    const viewer = s.tokens.create({ role: 'viewer', name: 'restore viewer' }).token;
    const snap = await backup(s.rt);
    const post = (url: string, token: string, body: unknown) => fetch(`${s.url}${url}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const body = { paths: [work], to: 'space:/from-api', existing: 'skip' };

    expect((await post(`/api/v1/jobs/flux-backup/snapshots/${snap}/restore`, viewer, body)).status).toBe(403);
    const preview = await post(`/api/v1/jobs/flux-backup/snapshots/${snap}/restore/preview`, admin, body);
    expect(preview.status).toBe(200);
    expect(((await preview.json()) as { items: Array<{ target: string }> }).items[0]!.target).toBe(path.join(sb.space, 'from-api', 'work'));
    const bad = await post(`/api/v1/jobs/flux-backup/snapshots/${snap}/restore`, admin, { paths: ['relative'] });
    expect(bad.status).toBe(400);

    const res = await post(`/api/v1/jobs/flux-backup/snapshots/${snap}/restore`, admin, body);
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    const done = await s.rt.engine.waitFor(runId);
    expect(done.status, done.error ?? '').toBe('succeeded');
    await sameTree(path.join(sb.space, 'from-api', 'work'), work);

    const runRes = await fetch(`${s.url}/api/v1/runs/${runId}`, { headers: { authorization: `Bearer ${viewer}` } });
    expect(await runRes.json()).toMatchObject({ jobId: 'restore:flux-backup', task: { kind: 'restore', snapshotId: expect.stringMatching(new RegExp(`^${snap}`)), destination: 'space:/from-api' } });
    const audit = (await (await fetch(`${s.url}/api/v1/audit?limit=20`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { entries: Array<{ action: string; detail: string }> };
    const entry = audit.entries.find((e) => e.action === 'snapshot.restore' && e.detail.includes(runId));
    expect(entry?.detail).toContain(JSON.stringify(work));
  }, 240_000);
});
