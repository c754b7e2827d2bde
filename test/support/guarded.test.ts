// A folder guarded by the product itself (src/platform/linux/guard.ts: mount root and pillar folder
// 0555, the pillar folder immutable as root) defeats a plain recursive rm; removeTree, and so every
// tempDir cleanup, lifts the guard and removes it.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeTree } from './guarded';
import { tempDir } from './tmp';
import { createExec, createFs } from '../../src/platform/host';
import { createLinuxGuard } from '../../src/platform/linux/guard';

async function guardedTree(): Promise<{ dir: string; flux: string; cleanup: () => Promise<void> }> {
  const d = tempDir('pillars-guarded-');
  const root = path.join(d.path, 'home', '.mkt');
  mkdirSync(path.dirname(root));
  const guard = createLinuxGuard({ fs: createFs(), exec: createExec(), root, asRoot: process.getuid?.() === 0 });
  const flux = path.join(root, 'flux');
  await guard.withRootWritable(async () => mkdirSync(flux));
  await guard.guardFolder(flux);
  await guard.guardRoot();
  return { dir: d.path, flux, cleanup: d.cleanup };
}

describe('removing guarded mount folders', () => {
  it('a plain recursive rm is refused; removeTree lifts the guard and removes the tree', async () => {
    const { dir, flux } = await guardedTree();
    expect(() => rmSync(dir, { recursive: true, force: true })).toThrow(/EPERM|EACCES/);
    expect(existsSync(flux)).toBe(true);
    removeTree(dir);
    expect(existsSync(dir)).toBe(false);
  });

  it('a tempDir cleanup removes a tree the client guarded', async () => {
    const { dir, cleanup } = await guardedTree();
    await cleanup();
    expect(existsSync(dir)).toBe(false);
  });
});
