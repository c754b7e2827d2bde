// restic-check: verifies the repository (optionally a subset of its data), stale locks removed first.
import type { RunSummary } from '../../contract/api';
import type { ResticCheckJob } from '../../config/schema';
import * as restic from '../../tools/restic';
import type { JobType, Outcome, RunContext } from '../job-type';
import { runTool } from '../tool-child';
import { repositoryRef, resticTarget, unlock } from './restic-repository';

async function run(ctx: RunContext, job: ResticCheckJob): Promise<Outcome> {
  const { bin, caps, t, failed, cleanup } = await resticTarget(ctx, job);
  try {
    await unlock(ctx, bin, t, 'before check');
    const r = await runTool(ctx, restic.resticCheck(bin, t, ctx.env, { readDataSubset: job.readDataSubset, caps }));
    const summary = (ok: boolean): RunSummary => ({ kind: 'restic-check', ok, readDataSubset: job.readDataSubset ?? null });
    if (r.code === 0) return { status: 'succeeded', summary: summary(true), exitCode: 0 };
    const outcome = failed('restic check', r);
    // only a check that read the repository says anything about its health: a wrong password, a
    // missing repository or a held lock get no "repository not OK" summary
    return restic.classifyResticExit(r.code, r.stderr, caps) === 'damaged' ? { ...outcome, summary: summary(false) } : outcome;
  } finally {
    cleanup();
  }
}

export const resticCheck: JobType<ResticCheckJob> = {
  tool: 'restic',
  refs: (job) => [repositoryRef(job)],
  leavesStaleLocks: true,
  run,
};
