// Running a tool as the run's child: the command logged (never a secret: those go by env, stdin or
// a 0600 file), its pid recorded as it spawns and the run id in its environment, so recovery finds
// it even if a killed pillarsd never recorded the pid (rule 5), and an abort ends the attempt.
import path from 'node:path';
import type { ExecResult } from '../infra/exec';
import type { Command } from '../tools/restic';
import { cancelled } from './job-type';
import type { RunContext } from './job-type';

/** What marks a tool process as this run's child. */
export function runChild(ctx: RunContext, c: Command): { env: Record<string, string | undefined>; onSpawn: (pid: number) => void } {
  return { env: { ...c.env, PILLARS_RUN_ID: ctx.runId }, onSpawn: (pid) => ctx.onChild(pid) };
}

export interface ToolRunOptions {
  stdin?: string;
  onStdout?: (l: string) => void;
  onStderr?: (l: string) => void;
  /** stdout is not logged (a dry run's listing) */
  quiet?: boolean;
  /** ends this child alone (the run's own signal ends every child); the attempt then ends cancelled */
  signal?: AbortSignal;
}

export async function runTool(ctx: RunContext, c: Command, opts: ToolRunOptions = {}): Promise<ExecResult> {
  ctx.log(`$ ${path.basename(c.cmd)} ${c.args.map((a) => (/[\s"'$]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  let r: ExecResult;
  try {
    r = await ctx.exec({
      cmd: c.cmd,
      args: c.args,
      ...runChild(ctx, c),
      stdin: opts.stdin,
      signal: opts.signal ? AbortSignal.any([ctx.signal, opts.signal]) : ctx.signal,
      onStdoutLine: opts.onStdout ?? ((l) => !opts.quiet && l.trim() && ctx.log(l)),
      onStderrLine: opts.onStderr ?? ((l) => l.trim() && ctx.log(l)),
      keepBytes: 256 << 10,
    });
  } finally {
    ctx.onChild(null);
  }
  if (r.aborted || ctx.signal.aborted) cancelled(ctx, { exitCode: r.code });
  return r;
}
