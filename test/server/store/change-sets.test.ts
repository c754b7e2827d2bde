import { describe, expect, it } from 'vitest';
import { ChangeSetStore, OTHER_FOLDERS } from '../../../server/src/store/change-sets';
import { pathKey } from '../../../server/src/domain/sync-plan';
import { useCleanup } from '../../support/tmp';

const reg = useCleanup();

describe('change sets in the state folder', () => {
  it('store a sorted set with totals, per-folder totals and a digest, and page through it', () => {
    const store = new ChangeSetStore(reg.tempDir('pillars-sets-').path);
    const { writer } = store.begin('r1');
    const paths = Array.from({ length: 2500 }, (_, i) => `album ${String(Math.floor(i / 1000))}/sub/img-${String(i).padStart(5, '0')}.jpg`);
    for (const [i, p] of paths.entries()) writer.addDeletion(pathKey(p), 10 + (i % 3), i < 5);
    writer.addOverwrite(pathKey('doc é.txt'), 7, 9);
    const s = writer.finish();
    store.commit('r1', 'approval');
    expect(s.files).toEqual({ deletions: 2500, overwrites: 1 });
    expect(s.expected).toEqual({ files: 5, bytes: 10 + 11 + 12 + 10 + 11 });
    expect(s.digest).toMatch(/^[0-9a-f]{64}$/);
    const p = store.page('r1', 'approval', 'deletions', 1998, 5)!;
    expect(p.entries.map((e) => e.path)).toEqual(paths.slice(1998, 2003));
    expect(p).toMatchObject({ files: 2500, approvalCount: 2501, next: 2003, digest: s.digest, set: 'approval', expected: { files: 5 } });
    expect(p.folders.find((f) => f.folder === 'album 1')).toEqual({ folder: 'album 1', files: 1000, bytes: expect.any(Number) });
    expect(p.folders.find((f) => f.folder === 'album 2/sub')?.files).toBe(500);
    const last = store.page('r1', 'approval', 'deletions', 2498, 100)!;
    expect(last.entries).toHaveLength(2);
    expect(last.next).toBeNull();
    expect(store.page('r1', 'approval', 'overwrites', 0, 10)!.entries).toEqual([{ path: 'doc é.txt', size: 7, destinationSize: 9 }]);
    expect(store.page('r1', 'run', 'deletions', 0, 10)).toBeNull();
    // the same set gives the same digest; another set another one
    const again = store.begin('r2').writer;
    for (const [i, p2] of paths.entries()) again.addDeletion(pathKey(p2), 10 + (i % 3), i < 5);
    again.addOverwrite(pathKey('doc é.txt'), 7, 9);
    expect(again.finish().digest).toBe(s.digest);
    const other = store.begin('r3').writer;
    other.addDeletion(pathKey('x'), 1, false);
    expect(other.finish().digest).not.toBe(s.digest);
    store.remove('r1');
    expect(store.summary('r1', 'approval')).toBeNull();
  });

  it('lumps folders past its limit together instead of growing without bound', () => {
    const store = new ChangeSetStore(reg.tempDir('pillars-sets-').path);
    const { writer } = store.begin('r1');
    const keys = Array.from({ length: 6000 }, (_, i) => pathKey(`d${String(i).padStart(5, '0')}/f`)).sort();
    for (const k of keys) writer.addDeletion(k, 1, false);
    const s = writer.finish();
    expect(s.folders.deletions.length).toBe(5001);
    expect(s.folders.deletions.find((f) => f.folder === OTHER_FOLDERS)?.files).toBe(1000);
  });
});
