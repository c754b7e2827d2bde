// restic-forget: retention. It waits while the repository's health is in doubt (rule 3: latest
// check failed, latest backup saved no snapshot); then a dry run, and a policy that would keep an
// empty snapshot while removing one with data is refused (retentionGuard); then forget (and prune)
// for real. Every restic exit is checked: a failing `restic ls` is an error, never "empty".
import type { ResticForgetJob } from '../../config/schema';
import { BACKUP_VERDICTS, CHECK_VERDICTS, retentionGuard, retentionHealthGate } from '../../domain/guards';
import * as restic from '../../tools/restic';
import type { ResticTarget } from '../../tools/restic';
import type { ExecResult } from '../../infra/exec';
import { block, cancelled, fail, Stop } from '../job-type';
import type { JobType, Outcome, RunContext } from '../job-type';
import { runChild, runTool } from '../tool-child';
import { recordRemovals } from './prune-record';
import { jobsOfRepository, repositoryRef, resticTarget, unlock } from './restic-repository';

/** Rule 3: the latest check and backup of the repository, judged before anything runs. */
function checkHealth(ctx: RunContext, job: ResticForgetJob): void {
  const of = (type: 'restic-check' | 'restic-backup', statuses: typeof CHECK_VERDICTS) => jobsOfRepository(ctx.config, job.repository, type).map((jobId) => ({ jobId, run: ctx.lastRun(jobId, statuses) }));
  const b = retentionHealthGate({ repository: job.repository, checks: of('restic-check', CHECK_VERDICTS), backups: of('restic-backup', BACKUP_VERDICTS), gate: job.healthGate });
  if (b) block(b);
}

async function snapshotIsEmpty(ctx: RunContext, bin: string, t: ResticTarget, id: string, failed: (what: string, r: ExecResult) => Outcome): Promise<boolean> {
  const known = ctx.snapshotFiles.get(id) ?? ctx.snapshotFiles.get(id.slice(0, 8));
  if (known !== undefined) return known === 0;
  // ls streams every node: stop at the first file, so a large snapshot costs one tree walk step
  const inner = new AbortController();
  const onOuter = () => inner.abort();
  ctx.signal.addEventListener('abort', onOuter, { once: true });
  let found = false;
  let r: ExecResult;
  try {
    const c = restic.resticLs(bin, t, ctx.env, id);
    r = await ctx.exec({
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
  if (ctx.signal.aborted) cancelled(ctx);
  if (found) return false;
  // a snapshot restic cannot list (a missing tree pack, a lock, a wrong password) is not empty: it is unknown
  if (r.code !== 0) throw new Stop(failed(`restic ls ${id.slice(0, 8)}`, r));
  return true;
}

/** The JSON result of a forget that exited 0; without one, what it did is not claimed. */
function forgetResult(stdout: string, what: string, dryRun: boolean): restic.ForgetGroup[] {
  try {
    return restic.parseForgetOutput(stdout);
  } catch {
    return fail(`${what}: restic exited 0 but printed no result${dryRun ? ', so there is no plan to judge: nothing was removed' : ': what it removed is not known (see restic snapshots)'}`);
  }
}

async function run(ctx: RunContext, job: ResticForgetJob): Promise<Outcome> {
  checkHealth(ctx, job);
  const { bin, caps, t, failed, cleanup } = await resticTarget(ctx, job);
  try {
    await unlock(ctx, bin, t, 'before retention');
    const dry = await runTool(ctx, restic.resticForget(bin, t, ctx.env, { keep: job.keep, prune: false, dryRun: true, caps }), { quiet: true });
    if (dry.code !== 0) return failed('restic forget --dry-run', dry);
    const groups = forgetResult(dry.stdout, 'restic forget --dry-run', true);
    const keep = groups.flatMap((g) => g.keep.map((s) => s.id));
    const remove = groups.flatMap((g) => (g.remove ?? []).map((s) => s.id));
    ctx.log(`retention plan: keep ${keep.length}, remove ${remove.length}`);
    const empties = new Map<string, boolean>();
    for (const id of keep) empties.set(id, await snapshotIsEmpty(ctx, bin, t, id, failed));
    if ([...empties.values()].some(Boolean)) for (const id of remove) empties.set(id, await snapshotIsEmpty(ctx, bin, t, id, failed));
    const b = retentionGuard({ keep, remove, empty: (id) => empties.get(id) });
    if (b) block(b);
    if (remove.length === 0 && !job.prune) return { status: 'succeeded', summary: { kind: 'restic-forget', kept: keep.length, removed: 0, pruned: false }, exitCode: 0 };
    const what = job.prune ? 'restic forget --prune' : 'restic forget';
    // the files a prune removes are recorded: a sync mirroring the repository expects their deletion
    const r = await recordRemovals(ctx, job.repository, () => runTool(ctx, restic.resticForget(bin, t, ctx.env, { keep: job.keep, prune: job.prune, dryRun: false, caps }), { quiet: false }));
    if (r.code !== 0) return failed(what, r);
    const done = forgetResult(r.stdout, what, false);
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
