// A local folder standing in for the cloud, as an rclone remote defined only through the
// environment (`RCLONE_CONFIG_<NAME>_TYPE=local`), so no rclone.conf holds anything. RCLONE_CONFIG
// points at an empty file in the temp folder so the host's own rclone.conf is never read.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { run } from './proc';
import type { RunOptions, RunResult } from './proc';
import { once, tempDir } from './tmp';

export interface RcloneRemote {
  /** remote name as rclone sees it (lower case), e.g. `cloud3fa2` */
  readonly name: string;
  /** the folder that plays the bucket */
  readonly dir: string;
  /** `name:dir`, the remote's root as an rclone path */
  readonly root: string;
  /** RCLONE_CONFIG_<NAME>_TYPE=local and RCLONE_CONFIG: merge into a child's env */
  readonly env: Readonly<Record<string, string>>;
  /** `name:dir/sub` */
  path(sub?: string): string;
  /** runs `rclone ARGS` with the remote defined (never rejects on a non-zero exit) */
  rclone(args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** removes the temp folder. Idempotent. */
  stop(): Promise<void>;
}

export async function makeRcloneRemote(opts: { name?: string } = {}): Promise<RcloneRemote> {
  const name = (opts.name ?? `cloud${randomBytes(3).toString('hex')}`).toLowerCase();
  if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`rclone helper: remote name ${JSON.stringify(name)} cannot be spelled as an env var`);
  const tmp = tempDir('pillars-rclone-');
  const dir = path.join(tmp.path, 'bucket');
  mkdirSync(dir);
  const config = path.join(tmp.path, 'rclone.conf');
  writeFileSync(config, '', { mode: 0o600 });
  const env = {
    [`RCLONE_CONFIG_${name.toUpperCase()}_TYPE`]: 'local',
    RCLONE_CONFIG: config,
    RCLONE_CACHE_DIR: path.join(tmp.path, 'cache'),
  };
  const sub = (s = '') => `${name}:${s ? path.join(dir, s) : dir}`;
  return {
    name,
    dir,
    root: sub(),
    env,
    path: sub,
    rclone: (args, o = {}) => run('rclone', args, { ...o, env: { ...process.env, ...env, ...(o.env ?? {}) } }),
    stop: once(() => tmp.cleanup()),
  };
}
