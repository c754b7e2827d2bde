// One attempt of one job: the pillar guards first (rule 1, and no source under recovery), then,
// inside the wrappers around the run (the hot-set pause), pre hooks, the source guard (rule 3: on
// what the hooks left), the job type's run, post hooks. It decides nothing about queues or retries
// (execution.ts) and stores nothing.
import type { JobType, Outcome, RunContext } from './job-type';
import { fail, Stop, cancelled } from './job-type';
import { runHook } from './hooks';
import { preflight, sourcesBeforeTool } from './pillar-guards';
import { jobTypeOf } from './types/registry';
import { ToolMissingError } from './toolchain';

/**
 * What wraps an attempt's hooks and tool (the hot-set pause around the Flux backup). A run its
 * pillar guards block has run nothing, so nothing wraps it: Syncthing is neither paused nor resumed.
 */
export type AttemptAround = (inner: () => Promise<void>) => Promise<void>;

export async function runAttempt(ctx: RunContext, around: AttemptAround = (inner) => inner()): Promise<Outcome> {
  const type: JobType = jobTypeOf(ctx.job);
  let refs: ReturnType<JobType['refs']>;
  try {
    refs = type.refs(ctx.job);
    preflight(ctx.config, refs);
  } catch (e) {
    return outcomeOf(e);
  }
  let outcome: Outcome = { status: 'failed', error: 'not run' };
  await around(async () => {
    let preRan = false;
    try {
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
      outcome = outcomeOf(e);
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
  });
  return outcome;
}

function outcomeOf(e: unknown): Outcome {
  if (e instanceof Stop) return e.outcome;
  if (e instanceof ToolMissingError) return { status: 'failed', error: e.message };
  if (e instanceof Error && (e.name === 'SecretError' || e.name === 'ExecError')) return { status: 'failed', error: e.message };
  return { status: 'failed', error: `internal error: ${(e as Error).message}` };
}
