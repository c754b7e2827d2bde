// Restore drills (issue 16), against real restic 0.14: over a healthy repository the drill restores
// its sample into scratch, compares what did not change since the snapshot with its source and
// reads the pack data, and succeeds; a source changed behind restic's back (same size and time)
// is a mismatch named in the error; a damaged pack file fails the drill and names the files whose
// data it held (restic find --pack). The scratch folder is gone afterwards, and a scratch that an
// offsite copy would upload is refused before anything is restored.
import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DrillSummary } from '../../../server/src/contract/api';
import { makeSandbox, runJob, sandboxRuntime } from '../jobs/sandbox';
import { makeTree } from '../../support/trees';
import { useCleanup } from '../../support/tmp';

const reg = useCleanup();

const BACKUP_AND_DRILL = (dir: string, offsiteExclude: string) => `  flux-backup:
    type: restic-backup
    source: flux:/
    repository: space:/backups/restic/flux
    password: restic
    retries: { count: 0 }
  flux-drill:
    type: restic-drill
    repository: space:/backups/restic/flux
    password: restic
    sample: 1000
    readDataSubset: 100%
    retries: { count: 0 }
  space-offsite:
    type: rclone-sync
    source: space:/
    destination: cloud:${path.join(dir, 'cloud')}
    exclude: ${offsiteExclude}
    guard: { maxDeletePercent: 5, maxDeleteCount: 1000 }
    retries: { count: 0 }
`;

function sandbox(offsiteExclude = '["/restores/**", "/.pillars-restore/**"]') {
  return makeSandbox(reg, { jobs: (dir) => BACKUP_AND_DRILL(dir, offsiteExclude) });
}

/** Three 1.5 MiB random files (restic packs their data apart from the small files' trees) and the sample tree. */
async function fill(flux: string): Promise<string[]> {
  await makeTree(path.join(flux, 'docs'));
  const big = ['big-1.bin', 'big-2.bin', 'big-3.bin'].map((n) => path.join(flux, 'media', n));
  for (const f of big) {
    await makeTree(path.dirname(f), { newlineName: false, symlinks: false });
    writeFileSync(f, randomBytes(1536 * 1024));
  }
  return big;
}

const scratchOf = (space: string) => path.join(space, 'restores', '.drills');

describe('restore drill', () => {
  it('passes over a healthy repository, leaves no scratch, and names a source that differs from its unchanged-looking snapshot', async () => {
    const sb = sandbox();
    await fill(sb.flux);
    const rt = sandboxRuntime(reg, sb);
    const b = await runJob(rt, 'flux-backup');
    expect(b.status, b.error ?? '').toBe('succeeded');

    // one file changed since the snapshot (its size and time differ): restored and checked by size only
    writeFileSync(path.join(sb.flux, 'docs', 'plain.txt'), 'changed since the snapshot\n');

    const ok = await runJob(rt, 'flux-drill');
    expect(ok.status, ok.error ?? '').toBe('succeeded');
    const s = ok.summary as DrillSummary;
    expect(s.kind).toBe('restic-drill');
    expect(s.sampled).toBeGreaterThanOrEqual(10);
    expect(s.restored).toBe(s.sampled);
    expect(s.changedSinceSnapshot).toBe(1);
    expect(s.compared).toBe(s.sampled - 1);
    expect(s).toMatchObject({ mismatches: [], unreadable: [], checkOk: true, damaged: [], readDataSubset: '100%' });
    // the scratch folder this run made is gone, the restore area is otherwise untouched
    expect(readdirSync(scratchOf(sb.space))).toEqual([]);
    const log = await rt.engine.readLog(ok.id);
    expect(log).toMatch(/compared with their source/);

    // a source rewritten with the same size and time (restic would not notice it changed): the
    // drill compares the bytes and names the file
    const victim = path.join(sb.flux, 'media', 'big-2.bin');
    const st = statSync(victim);
    const bytes = readFileSync(victim);
    bytes[1000] ^= 0xff;
    writeFileSync(victim, bytes);
    utimesSync(victim, st.atime, st.mtime);
    const bad = await runJob(rt, 'flux-drill');
    expect(bad.status).toBe('failed');
    expect(bad.error).toContain(`1 restored file(s) differ: ${victim}`);
    expect((bad.summary as DrillSummary).mismatches).toEqual([victim]);
    expect(readdirSync(scratchOf(sb.space))).toEqual([]);
  }, 240_000);

  it('fails over a damaged pack file and names the files whose data it held', async () => {
    const sb = sandbox();
    const big = await fill(sb.flux);
    const rt = sandboxRuntime(reg, sb);
    const b = await runJob(rt, 'flux-backup');
    expect(b.status, b.error ?? '').toBe('succeeded');

    // damage the largest pack (the big files' data): a few bytes in its middle
    const dataDir = path.join(sb.repo, 'data');
    const packs = readdirSync(dataDir).flatMap((d) => readdirSync(path.join(dataDir, d)).map((p) => path.join(dataDir, d, p)));
    const largest = packs.sort((x, y) => statSync(y).size - statSync(x).size)[0]!;
    const buf = readFileSync(largest);
    for (let i = 0; i < 64; i++) buf[Math.floor(buf.length / 3) + i] ^= 0x5a;
    writeFileSync(largest, buf);

    const r = await runJob(rt, 'flux-drill');
    expect(r.status).toBe('failed');
    const s = r.summary as DrillSummary;
    expect(s.checkOk).toBe(false);
    // the sample's restore could not bring the damaged file back, and says which
    expect(s.unreadable.length, JSON.stringify(s)).toBe(1);
    const lost = s.unreadable[0]!;
    expect(big).toContain(lost);
    expect(r.error).toContain(`1 of ${s.sampled} sampled file(s) could not be restored: ${lost}`);
    // restic find --pack named the files with data in the damaged pack, the lost one first
    expect(s.damaged[0]).toBe(lost);
    expect(r.error).toContain(`damaged data of: ${lost}`);
    expect(readdirSync(scratchOf(sb.space))).toEqual([]);
  }, 240_000);

  it('refuses a scratch folder that the offsite copy would upload, before restoring anything', async () => {
    const sb = sandbox('[]');
    await fill(sb.flux);
    const rt = sandboxRuntime(reg, sb);
    expect((await runJob(rt, 'flux-backup')).status).toBe('succeeded');
    const r = await runJob(rt, 'flux-drill');
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/scratch space:\/restores\/\.drills would be uploaded by space-offsite/);
    expect(existsSync(scratchOf(sb.space))).toBe(false);
  }, 180_000);
});
