// restic really snapshots and restores the awkward sample tree byte for byte, with the password
// only in the 0600 file.
import { statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeResticRepo } from './restic';
import { hashTree, makeTree, NEWLINE_NAME } from './trees';
import { useCleanup } from './tmp';

describe('makeResticRepo', () => {
  const cleanup = useCleanup();

  it('initialises a repository whose password lives only in a 0600 file', async () => {
    const r = cleanup.track(await makeResticRepo());
    expect(statSync(r.passwordFile).mode & 0o777).toBe(0o600);
    expect(r.env).toMatchObject({ RESTIC_REPOSITORY: r.repo, RESTIC_PASSWORD_FILE: r.passwordFile });
    const cat = await r.restic(['cat', 'config']);
    expect(cat.code, cat.stderr).toBe(0);
    const wrong = await r.restic(['snapshots'], { env: { RESTIC_PASSWORD_FILE: '', RESTIC_PASSWORD: 'not it' } });
    expect(wrong.code).not.toBe(0);
  });

  it('snapshots a tree and restores it exactly', async () => {
    const r = cleanup.track(await makeResticRepo());
    const src = path.join(cleanup.tempDir().path, 'flux');
    const made = await makeTree(src, { bigFileBytes: 3 << 20 });
    expect(made).toContain(NEWLINE_NAME);
    const before = await hashTree(src);

    const backup = await r.restic(['backup', '--json', src]);
    expect(backup.code, backup.stderr).toBe(0);
    const summary = backup.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { message_type: string; snapshot_id?: string })
      .find((m) => m.message_type === 'summary');
    expect(summary?.snapshot_id).toMatch(/^[0-9a-f]{8,64}$/); // restic 0.14 prints the short id here

    const snaps = await r.resticJson<Array<{ paths: string[] }>>(['snapshots']);
    expect(snaps).toHaveLength(1);
    expect(snaps[0]?.paths).toEqual([src]);

    const target = cleanup.tempDir().path;
    const restore = await r.restic(['restore', 'latest', '--target', target]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(await hashTree(path.join(target, src))).toEqual(before);
  });
});
