// rclone syncs into the env-only local remote, and the tree fingerprint notices any change.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRcloneRemote } from './rclone';
import { hashTree, makeTree } from './trees';
import { useCleanup } from './tmp';

describe('makeRcloneRemote', () => {
  const cleanup = useCleanup();

  it('defines the remote through env only and syncs a tree into it', async () => {
    const remote = cleanup.track(await makeRcloneRemote());
    expect(remote.env[`RCLONE_CONFIG_${remote.name.toUpperCase()}_TYPE`]).toBe('local');
    const listed = await remote.rclone(['listremotes']);
    expect(listed.stdout.split('\n')).toContain(`${remote.name}:`);

    const src = path.join(cleanup.tempDir().path, 'space');
    await makeTree(src, { symlinks: false });
    const sync = await remote.rclone(['sync', '--create-empty-src-dirs', src, remote.path('space')]); // empty folders travel only with this flag;
    expect(sync.code, sync.stderr).toBe(0);
    expect(await hashTree(path.join(remote.dir, 'space'))).toEqual(await hashTree(src));

    const check = await remote.rclone(['check', src, remote.path('space')]);
    expect(check.code, check.stderr).toBe(0);
  });

  it('hashTree tells a touched destination from an untouched one', async () => {
    const dir = cleanup.tempDir().path;
    await makeTree(dir);
    const before = await hashTree(dir);
    expect(await hashTree(dir)).toEqual(before);
    writeFileSync(path.join(dir, 'plain.txt'), 'changed');
    expect(await hashTree(dir)).not.toEqual(before);
    expect(before['link-to-plain']).toBe('link:plain.txt');
    expect(before['empty-dir']).toBe('dir');
  });
});
