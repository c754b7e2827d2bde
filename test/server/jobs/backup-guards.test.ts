// The guards of a restic backup against the real restic 0.14 (rule 3): a source with its sentinel
// but no file in its folders is refused like an empty one, never "succeeded with 0 files".
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runOk } from '../../support/proc';
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
