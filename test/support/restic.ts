// A real, initialised restic repository in a temp folder. The password is only ever in a 0600
// file named by RESTIC_PASSWORD_FILE (never argv), and the cache stays inside the temp folder.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { run, runOk } from './proc';
import type { RunOptions, RunResult } from './proc';
import { once, tempDir } from './tmp';

export interface ResticRepo {
  /** repository path (RESTIC_REPOSITORY) */
  readonly repo: string;
  readonly password: string;
  /** 0600 file holding the password (RESTIC_PASSWORD_FILE) */
  readonly passwordFile: string;
  /** the temp folder holding repo, password file and cache */
  readonly dir: string;
  /** RESTIC_REPOSITORY, RESTIC_PASSWORD_FILE, RESTIC_CACHE_DIR: merge into a child's env */
  readonly env: Readonly<Record<string, string>>;
  /** runs `restic ARGS` against this repository (never rejects on a non-zero exit) */
  restic(args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** like restic() but parses stdout as JSON (adds --json) and throws on a non-zero exit */
  resticJson<T = unknown>(args: readonly string[], opts?: RunOptions): Promise<T>;
  /** removes the whole temp folder. Idempotent. */
  stop(): Promise<void>;
}

export interface ResticRepoOptions {
  password?: string;
  /** skip `restic init` (to test what the code does with a missing repository) */
  noInit?: boolean;
}

export async function makeResticRepo(opts: ResticRepoOptions = {}): Promise<ResticRepo> {
  const tmp = tempDir('pillars-restic-');
  try {
    const repo = path.join(tmp.path, 'repo');
    const secrets = path.join(tmp.path, 'secrets');
    mkdirSync(secrets, { mode: 0o700 });
    const password = opts.password ?? randomBytes(12).toString('base64url');
    const passwordFile = path.join(secrets, 'restic-password');
    writeFileSync(passwordFile, password, { mode: 0o600 });
    const env = {
      RESTIC_REPOSITORY: repo,
      RESTIC_PASSWORD_FILE: passwordFile,
      RESTIC_CACHE_DIR: path.join(tmp.path, 'cache'),
    };
    const restic = (args: readonly string[], o: RunOptions = {}) => run('restic', args, { ...o, env: { ...process.env, ...env, ...(o.env ?? {}) } });
    if (!opts.noInit) await runOk('restic', ['init'], { env: { ...process.env, ...env } });
    return {
      repo,
      password,
      passwordFile,
      dir: tmp.path,
      env,
      restic,
      async resticJson<T>(args: readonly string[], o: RunOptions = {}) {
        const r = await restic([...args, '--json'], o);
        if (r.code !== 0) throw new Error(`restic ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
        return JSON.parse(r.stdout) as T;
      },
      stop: once(() => tmp.cleanup()),
    };
  } catch (e) {
    await tmp.cleanup();
    throw e;
  }
}
