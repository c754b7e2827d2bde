// restic-check: verifies the repository (optionally a subset of its data), stale locks removed first.
import type { RunSummary } from '../../contract/api';
import type { ResticCheckJob } from '../../config/schema';
import * as restic from '../../tools/restic';
import type { JobType, Outcome, RunContext } from '../job-type';
import { runTool } from '../tool-child';
import { repositoryRef, resticFailed, resticTarget, unlock } from './restic-repository';

async function run(ctx: RunContext, job: ResticCheckJob): Promise<Outcome> {
  const { bin, caps, t, cleanup } = await resticTarget(ctx, job);
  try {
    await unlock(ctx, bin, t, 'before check');
    const r = await runTool(ctx, restic.resticCheck(bin, t, ctx.env, { readDataSubset: job.readDataSubset, caps }));
    const summary: RunSummary = { kind: 'restic-check', ok: r.code === 0, readDataSubset: job.readDataSubset ?? null };
    if (r.code === 0) return { status: 'succeeded', summary, exitCode: 0 };
    return { ...resticFailed('restic check', r, caps), summary };
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
