// The job's pre and post hooks. A pre hook that fails fails the run; post hooks always run once a
// pre hook ran or the run got past its guards, and they run even after a cancel (they clean up).
import type { Hook } from '../config/schema';
import type { RunContext } from './job-type';

/** Runs one hook; null when it succeeded, else why not. */
export async function runHook(ctx: RunContext, kind: 'pre' | 'post', h: Hook, status: string): Promise<string | null> {
  const env: Record<string, string | undefined> = { PATH: ctx.env.PATH, HOME: ctx.env.HOME, LANG: ctx.env.LANG, ...h.env, PILLARS_JOB: ctx.jobId, PILLARS_RUN_ID: ctx.runId, PILLARS_RUN_STATUS: status };
  ctx.log(`${kind} hook: ${h.argv.join(' ')}`);
  try {
    const r = await ctx.exec({
      cmd: h.argv[0]!,
      args: h.argv.slice(1),
      env,
      cwd: h.cwd,
      timeoutMs: h.timeoutSeconds * 1000,
      // a post hook runs even after a cancel: it is the clean-up
      signal: kind === 'pre' ? ctx.signal : undefined,
      onStdoutLine: (l) => ctx.log(`[${kind}] ${l}`),
      onStderrLine: (l) => ctx.log(`[${kind}] ${l}`),
      onSpawn: (pid) => ctx.onChild(pid),
    });
    ctx.onChild(null);
    if (r.timedOut) return `${kind} hook ${h.argv[0]} timed out after ${h.timeoutSeconds}s`;
    if (r.aborted) return `${kind} hook ${h.argv[0]} cancelled`;
    if (r.code !== 0) return `${kind} hook ${h.argv[0]} exited ${r.code ?? r.signal}`;
    return null;
  } catch (e) {
    ctx.onChild(null);
    return `${kind} hook ${h.argv[0]}: ${(e as Error).message}`;
  }
}
