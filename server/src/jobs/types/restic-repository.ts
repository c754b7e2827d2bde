// What every restic job type shares: the repository as restic's target (its pillar guarded, the
// password in a 0600 file for the attempt only: rule 6), stale-lock removal, and failure messages.
import path from 'node:path';
import type { Config, ResticBackupJob, ResticCheckJob, ResticForgetJob } from '../../config/schema';
import { locationKey, resolveLocation } from '../../config/locations';
import type { ExecResult } from '../../infra/exec';
import { removeFile, writePrivateFile } from '../../infra/fs';
import * as restic from '../../tools/restic';
import type { ResticTarget } from '../../tools/restic';
import type { ResticCaps } from '../../tools/versions';
import type { JobRef, Outcome, RunContext } from '../job-type';
import { checkPillar } from '../pillar-guards';
import { runTool } from '../tool-child';

type ResticJob = ResticBackupJob | ResticForgetJob | ResticCheckJob;

/** The jobs of this type that use the same repository (however its path is spelt). */
export function jobsOfRepository(config: Config, repository: string, type: ResticJob['type']): string[] {
  const key = locationKey(config, repository);
  return Object.entries(config.jobs)
    .filter(([, j]) => j.type === type && locationKey(config, j.repository) === key)
    .map(([id]) => id);
}

/** The repository: restic jobs that only read or prune it still want it to themselves. */
export const repositoryRef = (job: Pick<ResticJob, 'repository'>): JobRef => ({ ref: job.repository, mode: 'w' });

export async function resticTarget(ctx: RunContext, job: Pick<ResticJob, 'repository' | 'password'>) {
  const { bin, caps } = await ctx.tools.restic();
  const repoLoc = resolveLocation(ctx.config, job.repository);
  checkPillar(ctx.config, repoLoc);
  const repository = repoLoc.kind === 'pillar' ? repoLoc.path : `rclone:${repoLoc.remote}:${repoLoc.path}`;
  const password = await ctx.secrets.get(job.password);
  // the pid in the name lets a later start remove what a killed process left behind
  const passwordFile = writePrivateFile(ctx.runtimeDir, `restic-pw-${process.pid}`, password);
  const t: ResticTarget = { repository, passwordFile, cacheDir: path.join(ctx.cacheDir, 'restic') };
  const where: restic.FailureContext = { repository: repoLoc.kind === 'pillar' ? repoLoc.path : job.repository, secret: job.password };
  /** the outcome of a failed restic command on this repository */
  const failed = (what: string, r: ExecResult): Outcome => resticFailed(what, r, caps, where);
  return { bin, caps, t, repoLoc, failed, cleanup: () => removeFile(passwordFile) };
}

export async function unlock(ctx: RunContext, bin: string, t: ResticTarget, why: string): Promise<void> {
  ctx.log(`restic unlock (${why}); stale locks only, never --remove-all`);
  const r = await runTool(ctx, restic.resticUnlock(bin, t, ctx.env));
  if (r.code !== 0) ctx.log(`restic unlock exited ${r.code}; going on`);
  else ctx.onUnlocked();
}

/** A failed restic command as the attempt's outcome: known causes in plain words, a held lock retried. */
export function resticFailed(what: string, r: ExecResult, caps: ResticCaps, where: restic.FailureContext = {}): Outcome {
  const f = restic.classifyResticExit(r.code, r.stderr, caps) ?? 'other';
  return { status: 'failed', error: restic.resticFailureMessage(what, f, r.code, r.stderr, where), exitCode: r.code, transient: f === 'locked' };
}
