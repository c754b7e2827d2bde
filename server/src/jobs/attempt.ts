// One attempt of one job: the pillar guards first (rule 1, and no source under recovery), then pre
// hooks, the source guard (rule 3: on what the hooks left), the job type's run, post hooks. It
// decides nothing about queues or retries (execution.ts) and stores nothing.
import type { JobType, Outcome, RunContext } from './job-type';
import { fail, Stop, cancelled } from './job-type';
import { runHook } from './hooks';
import { preflight, sourcesBeforeTool } from './pillar-guards';
import { jobTypeOf } from './types/registry';
import { ToolMissingError } from './toolchain';

export async function runAttempt(ctx: RunContext): Promise<Outcome> {
  const type: JobType = jobTypeOf(ctx.job);
  let outcome: Outcome;
  let preRan = false;
  try {
    const refs = type.refs(ctx.job);
    preflight(ctx.config, refs);
    preRan = ctx.job.pre.length > 0;
    for (const h of ctx.job.pre) {
      const err = await runHook(ctx, 'pre', h, 'running');
      if (err && ctx.signal.aborted) cancelled(ctx);
      if (err) fail(err);
    }
    // blocked here, the tool never runs; the post hooks still do once a pre hook ran (below)
    sourcesBeforeTool(ctx.config, refs);
    outcome = await type.run(ctx, ctx.job);
  } catch (e) {
    if (e instanceof Stop) outcome = e.outcome;
    else if (e instanceof ToolMissingError) outcome = { status: 'failed', error: e.message };
    else if (e instanceof Error && e.name === 'SecretError') outcome = { status: 'failed', error: e.message };
    else if (e instanceof Error && e.name === 'ExecError') outcome = { status: 'failed', error: e.message };
    else outcome = { status: 'failed', error: `internal error: ${(e as Error).message}` };
  }
  if (preRan || (ctx.job.post.length > 0 && outcome.status !== 'blocked')) {
    for (const h of ctx.job.post) {
      const err = await runHook(ctx, 'post', h, outcome.status);
      if (err) {
        ctx.log(err);
        if (outcome.status === 'succeeded') outcome = { ...outcome, status: 'failed', error: err };
      }
    }
  }
  return outcome;
}
