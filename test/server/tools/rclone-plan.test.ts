// The plan's dry run (issue 14) against the installed rclone (Debian 12: 1.60): what its JSON log
// really says for each kind of change, and that pillarsd's parser and fold read it back into the
// steps two listings would give. Real folders, the argv exactly as rcloneSyncPlan builds it.
import { describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { dryRunLine, dryRunSteps } from '../../../server/src/domain/sync-plan';
import type { PlanStep } from '../../../server/src/domain/sync-plan';
import * as rclone from '../../../server/src/tools/rclone';
import { hashTree } from '../../support/trees';
import { run } from '../../support/proc';
import { useCleanup } from '../../support/tmp';

const reg = useCleanup();
const OLD = new Date('2026-01-01T00:00:00Z');

function put(root: string, rel: string, data: string | Buffer, time?: Date) {
  const f = path.join(root, rel);
  mkdirSync(path.dirname(f), { recursive: true });
  writeFileSync(f, data);
  if (time) utimesSync(f, time, time);
}

/** Runs the plan's dry run and folds what rclone logged into steps, as the job does (sorted in memory). */
async function planOf(src: string, dst: string, exclude: string[]) {
  const c = rclone.rcloneSyncPlan('rclone', rclone.rcloneEnv([], { PATH: process.env.PATH, HOME: path.dirname(src) }), { source: src, destination: dst, sourceType: 'local', destinationType: 'local', exclude });
  const res = await run(c.cmd, c.args, { env: c.env, timeoutMs: 120_000 });
  expect(res.code, res.stderr).toBe(0);
  const raw = res.stderr.split('\n').filter((l) => l.trim());
  const parsed = raw.map((l) => rclone.parseSyncPlanLine(l));
  const files = parsed.filter((p): p is rclone.SyncPlanFile => p !== null && 'path' in p);
  const stats = parsed.filter((p) => p?.kind === 'stats').pop() as { stats: rclone.RcloneStats } | undefined;
  const lines = files.map(dryRunLine).sort();
  let i = 0;
  const steps: PlanStep[] = [...dryRunSteps(() => (i < lines.length ? lines[i++]! : null))];
  return { raw, files, stats: stats?.stats, steps };
}

describe("the plan's dry run, read from rclone 1.60's own output", () => {
  it('tells a new file, an overwrite (by size, by hash), a time-only difference and a deletion apart; excluded files are not named', async () => {
    const dir = reg.tempDir('pillars-rclone-plan-').path;
    const src = path.join(dir, 'space');
    const dst = path.join(dir, 'cloud');
    const big = randomBytes(3 * 1024 * 1024);
    // unchanged (same bytes, same time), several folders deep and with awkward names
    for (const rel of ['same.txt', 'a b/ünï cødé.txt', 'deep/er/still.bin']) {
      put(src, rel, `same ${rel}`, OLD);
      put(dst, rel, `same ${rel}`, OLD);
    }
    put(src, 'new/fresh.txt', 'only at the source');
    put(src, 'big.bin', big);
    put(dst, 'big.bin', big.subarray(0, 1024 * 1024), OLD);
    // same size and content, another time: equal hashes, rclone only sets the time
    put(src, 'touched.txt', 'identical', new Date());
    put(dst, 'touched.txt', 'identical', OLD);
    // same size, other content, another time: the hashes differ
    put(src, 'rewritten.txt', 'AAAA-encrypted', new Date());
    put(dst, 'rewritten.txt', 'BBBB-original.', OLD);
    // only at the destination, one in a folder the source no longer has
    put(dst, 'gone.txt', 'removed at the source');
    put(dst, 'old album/photo.jpg', 'x'.repeat(1234));
    // excluded: on both sides, and only at the destination (a sync leaves both alone)
    put(src, 'backups/restic/data/pack', 'pack at the source');
    put(dst, 'backups/restic/data/pack', 'another pack');
    put(dst, 'backups/restic/data/only-dst', 'pack only at the destination');
    put(src, '.pillar', 'space');
    const before = await hashTree(dst);

    const { raw, files, stats, steps } = await planOf(src, dst, ['/.pillar', '/backups/restic/**']);

    // what rclone 1.60 says, as it says it: one NOTICE line per change, with the action and size as fields
    const said = (obj: string) =>
      raw
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((o) => o.object === obj)
        .map((o) => [o.level, o.skipped, o.size, o.msg]);
    expect(said('new/fresh.txt')).toEqual([['warning', 'copy', 18, 'Skipped copy as --dry-run is set (size 18)']]);
    expect(said('big.bin').sort()).toEqual([
      ['warning', 'copy', 3 * 1024 * 1024, 'Skipped copy as --dry-run is set (size 3Mi)'],
      ['warning', 'move', 1024 * 1024, 'Skipped move as --dry-run is set (size 1Mi)'],
    ]);
    expect(said('touched.txt')).toEqual([['warning', 'update modification time', 9, 'Skipped update modification time as --dry-run is set (size 9)']]);
    expect(said('gone.txt')).toEqual([['warning', 'move into backup dir', 21, 'Skipped move into backup dir as --dry-run is set (size 21)']]);
    expect(said('same.txt')).toEqual([]);
    expect(raw.some((l) => l.includes('backups/restic') || l.includes('.pillar'))).toBe(false);

    expect(files).toHaveLength(8);
    expect(steps).toEqual([
      { kind: 'update', key: 'big.bin', size: 3 * 1024 * 1024, destinationSize: 1024 * 1024, sameSize: false },
      { kind: 'delete', key: 'gone.txt', size: 21 },
      { kind: 'new', key: 'new/fresh.txt', size: 18 },
      { kind: 'delete', key: 'old album/photo.jpg', size: 1234 },
      { kind: 'update', key: 'rewritten.txt', size: 14, destinationSize: 14, sameSize: true },
      { kind: 'touch', key: 'touched.txt', size: 9 },
    ]);
    // its stats agree with its lines, and its checks less its renames are the destination's files
    expect(stats).toMatchObject({ transfers: 3, renames: 2, deletes: 2, errors: 0 });
    expect(stats!.checks! - stats!.renames!).toBe(8);
    // a dry run: nothing moved aside, nothing copied, nothing deleted
    expect(await hashTree(dst)).toEqual(before);
    expect(readdirSync(dst, { recursive: true }).some((f) => String(f).endsWith(rclone.PLAN_SUFFIX))).toBe(false);
  });

  it('an unknown action stops the plan; a replace with no copy is not one change', () => {
    expect(() => rclone.parseSyncPlanLine('{"level":"warning","msg":"Skipped frobnicate as --dry-run is set","object":"a.txt","skipped":"frobnicate"}')).toThrow(/would frobnicate "a.txt", which pillarsd cannot judge/);
    expect(rclone.parseSyncPlanLine('{"level":"warning","msg":"Skipped remove directory as --dry-run is set","object":"old","skipped":"remove directory"}')).toEqual({ kind: 'folder' });
    const lines = [dryRunLine({ kind: 'replace', path: 'x', size: 3 })];
    expect(() => [...dryRunSteps(() => lines.shift() ?? null)]).toThrow(/named "x" for replace: not one change pillarsd can judge/);
  });
});
