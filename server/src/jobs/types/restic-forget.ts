// restic-forget: retention. A dry run first; a policy that would keep an empty snapshot while
// removing one with data is refused (rule 2, retentionGuard), then forget (and prune) for real.
import type { ResticForgetJob } from '../../config/schema';
import { retentionGuard } from '../../domain/guards';
import * as restic from '../../tools/restic';
import type { ResticTarget } from '../../tools/restic';
import { block, Stop } from '../job-type';
import type { JobType, Outcome, RunContext } from '../job-type';
import { runChild, runTool } from '../tool-child';
import { repositoryRef, resticFailed, resticTarget, unlock } from './restic-repository';

async function snapshotIsEmpty(ctx: RunContext, bin: string, t: ResticTarget, id: string): Promise<boolean> {
  const known = ctx.snapshotFiles.get(id) ?? ctx.snapshotFiles.get(id.slice(0, 8));
  if (known !== undefined) return known === 0;
  // ls streams every node: stop at the first file, so a large snapshot costs one tree walk step
  const inner = new AbortController();
  const onOuter = () => inner.abort();
  ctx.signal.addEventListener('abort', onOuter, { once: true });
  let found = false;
  try {
    const c = restic.resticLs(bin, t, ctx.env, id);
    await ctx.exec({
      cmd: c.cmd,
      args: c.args,
      ...runChild(ctx, c),
      signal: inner.signal,
      keepBytes: 64 << 10,
      onStdoutLine: (l) => {
        if (!found && restic.isFileNode(l)) {
          found = true;
          inner.abort();
        }
      },
    });
  } finally {
    ctx.onChild(null);
    ctx.signal.removeEventListener('abort', onOuter);
  }
  if (ctx.signal.aborted) throw new Stop({ status: 'cancelled', error: 'cancelled' });
  return !found;
}

async function run(ctx: RunContext, job: ResticForgetJob): Promise<Outcome> {
  const { bin, caps, t, cleanup } = await resticTarget(ctx, job);
  try {
    await unlock(ctx, bin, t, 'before retention');
    const dry = await runTool(ctx, restic.resticForget(bin, t, ctx.env, { keep: job.keep, prune: false, dryRun: true, caps }), { quiet: true });
    if (dry.code !== 0) return resticFailed('restic forget --dry-run', dry, caps);
    const groups = restic.parseForgetOutput(dry.stdout);
    const keep = groups.flatMap((g) => g.keep.map((s) => s.id));
    const remove = groups.flatMap((g) => (g.remove ?? []).map((s) => s.id));
    ctx.log(`retention plan: keep ${keep.length}, remove ${remove.length}`);
    const empties = new Map<string, boolean>();
    for (const id of keep) empties.set(id, await snapshotIsEmpty(ctx, bin, t, id));
    if ([...empties.values()].some(Boolean)) for (const id of remove) empties.set(id, await snapshotIsEmpty(ctx, bin, t, id));
    const b = retentionGuard({ keep, remove, empty: (id) => empties.get(id) });
    if (b) block(b);
    if (remove.length === 0 && !job.prune) return { status: 'succeeded', summary: { kind: 'restic-forget', kept: keep.length, removed: 0, pruned: false }, exitCode: 0 };
    const r = await runTool(ctx, restic.resticForget(bin, t, ctx.env, { keep: job.keep, prune: job.prune, dryRun: false, caps }), { quiet: false });
    if (r.code !== 0) return resticFailed(job.prune ? 'restic forget --prune' : 'restic forget', r, caps);
    const done = restic.parseForgetOutput(r.stdout);
    return {
      status: 'succeeded',
      exitCode: 0,
      summary: { kind: 'restic-forget', kept: done.reduce((n, g) => n + g.keep.length, 0), removed: done.reduce((n, g) => n + (g.remove?.length ?? 0), 0), pruned: job.prune },
    };
  } finally {
    cleanup();
  }
}

export const resticForget: JobType<ResticForgetJob> = {
  tool: 'restic',
  refs: (job) => [repositoryRef(job)],
  leavesStaleLocks: true,
  run,
};
