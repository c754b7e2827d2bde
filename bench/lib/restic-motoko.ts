// A motoko with a restic repository for the restore benches (issue 16): Flux backed up by a
// flux-backup job into Space, the repository's password in a 0600 file, and the environment a raw
// restic command needs to read the same repository with the same cache (so pillarsd and restic are
// compared on equal terms).
import { writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { openRuntime } from '../../server/src/jobs/runtime';
import { benchMotoko } from './motoko';

export interface ResticMotoko {
  root: string;
  flux: string;
  configFile: string;
  snapshotId: string;
  /** RESTIC_REPOSITORY, RESTIC_PASSWORD_FILE and RESTIC_CACHE_DIR for a raw restic */
  resticEnv: Record<string, string>;
}

/** Fills Flux with `fill(flux)`, then runs flux-backup through the engine. */
export async function resticMotoko(root: string, fill: (flux: string) => void | Promise<void>): Promise<ResticMotoko> {
  const pw = path.join(root, 'restic.pw');
  writeFileSync(pw, `bench-${randomBytes(8).toString('hex')}`, { mode: 0o600 });
  const { loaded } = benchMotoko(root, { resticSecret: `file:${pw}`, jobs: { backup: {} } });
  const flux = path.join(root, 'flux');
  await fill(flux);
  const rt = openRuntime(loaded);
  try {
    const r = await rt.engine.waitFor(rt.engine.enqueue('flux-backup', 'manual')!.id);
    if (r.status !== 'succeeded') throw new Error(`the bench's backup ${r.status}: ${r.error}`);
    const snapshotId = (r.summary as { snapshotId: string }).snapshotId;
    return {
      root,
      flux,
      configFile: loaded.file,
      snapshotId,
      resticEnv: { RESTIC_REPOSITORY: path.join(root, 'space/backups/restic/flux'), RESTIC_PASSWORD_FILE: pw, RESTIC_CACHE_DIR: path.join(rt.engine.cacheDir, 'restic') },
    };
  } finally {
    await rt.engine.stop();
    rt.close();
  }
}
