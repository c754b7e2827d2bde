// Work on a repository or a remote that is not a run (issue 16): listing snapshots, browsing,
// finding, downloading, planning a recovery. It goes through the same pieces as a run — the
// pillar guard and the 0600 password file of resticTarget, remotes through the environment,
// runTool's argv logging — with a context of its own: nothing is recorded in history, a guard
// that would block a run is a ConflictError that names it, and the caller's signal ends the child.
import type { Config } from '../config/schema';
import type { Exec } from '../infra/exec';
import { runSecrets } from '../secrets/resolver';
import type { SecretBackends } from '../secrets/resolver';
import { ConflictError } from '../ports/errors';
import type { RunContext } from './job-type';
import { Stop } from './job-type';
import type { Toolchain } from './toolchain';

export interface AdhocDeps {
  config(): Config;
  exec: Exec;
  env: NodeJS.ProcessEnv;
  tools: Toolchain;
  secretBackends: SecretBackends;
  runtimeDir: string;
  cacheDir: string;
}

/** A context for one piece of work outside a run; `dispose()` forgets the secrets it resolved. */
export function adhocContext(d: AdhocDeps, what: string, signal: AbortSignal = new AbortController().signal): RunContext & { dispose(): void } {
  const config = d.config();
  const secrets = runSecrets(config.secrets, d.secretBackends);
  return {
    config,
    jobId: what,
    // what a job type reads from its job is passed to it directly; a context for no job has none
    job: undefined as unknown as RunContext['job'],
    runId: what,
    exec: d.exec,
    env: d.env,
    tools: d.tools,
    secrets,
    log: () => {},
    signal,
    onProgress: () => {},
    onChild: () => {},
    runtimeDir: d.runtimeDir,
    cacheDir: d.cacheDir,
    approvedCount: null,
    approvedBlock: null,
    snapshotFiles: new Map(),
    // browsing and listing never decide by history (only a forget's health gate does)
    lastRun: () => undefined,
    unlockFirst: false,
    onUnlocked: () => {},
    dispose: () => secrets.dispose(),
  };
}

/** A guard refused the work (a pillar not mounted, no sentinel): the CLI exits 3 for it. */
export class GuardConflict extends ConflictError {
  override name = 'GuardConflict';
}

/** Runs `fn`; a guard that stopped it becomes a GuardConflict (409 over HTTP). */
export async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof Stop) {
      const msg = e.outcome.error ?? e.outcome.block?.message ?? e.outcome.status;
      throw e.outcome.status === 'blocked' ? new GuardConflict(msg) : new ConflictError(msg);
    }
    throw e;
  }
}
