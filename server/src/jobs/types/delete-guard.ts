// rclone-sync's deletion guard (rule 2): how many files the sync would delete, counted by dry
// runs before it deletes anything, judged by domain/guards.ts' deleteGuard.
import type { RcloneSyncJob } from '../../config/schema';
import type { Location } from '../../config/locations';
import { deleteGuard } from '../../domain/guards';
import * as rclone from '../../tools/rclone';
import { block, fail } from '../job-type';
import type { RunContext } from '../job-type';
import { runTool } from '../tool-child';
import { target } from './rclone-remotes';
import type { RcloneErrors } from './rclone-remotes';

/**
 * Rule 2: a dry run counts what the sync would delete, and above the guard the run blocks.
 *
 * The count comes from a quiet dry run: rclone's own tally (`deletes` in its final stats), with
 * no line per file. Reading, parsing and logging a JSON line per file of the tree cost the server
 * as much CPU as the dry run itself (docs/benchmarks.md), for a list nobody reads unless the run
 * blocks; so only then does a second dry run list the deletions (paths and sizes) for the block
 * message, and the verdict is taken again on that list. Without a tally (an rclone that printed
 * none) the list is taken too: a missing count never passes as zero.
 *
 * Returns the number of deletions the sync may make: the real sync runs with `--max-delete` at
 * that number, so a source that changed between the dry run and the sync (or a tally that
 * undercounted) makes rclone stop before deleting more than was counted and guarded.
 */
export async function guardDeletions(
  ctx: RunContext,
  job: RcloneSyncJob,
  bin: string,
  env: Record<string, string>,
  opts: Omit<rclone.TransferOptions, 'op'>,
  dst: Location,
  errors: RcloneErrors,
): Promise<number> {
  const dryRun = async (mode: 'count' | 'list'): Promise<rclone.DryRunCount | null> => {
    let tally: number | null = null;
    let listed = rclone.countDryRunDeletes([]);
    const batch: string[] = [];
    const add = () => {
      const more = rclone.countDryRunDeletes(batch.splice(0));
      listed = { count: listed.count + more.count, bytes: listed.bytes + more.bytes, sample: [...listed.sample, ...more.sample].slice(0, 10) };
    };
    const r = await runTool(ctx, rclone.rcloneTransfer(bin, env, { ...opts, op: 'sync', dryRun: mode }), {
      onStderr: (l) => {
        if (mode === 'list') {
          // a cheap test first: most lines of a listing dry run are files it would copy
          if (l.includes('"skipped":"delete"')) {
            batch.push(l);
            if (batch.length >= 5000) add();
            return;
          }
          if (!l.includes('"level":"error"') && l.trimStart().startsWith('{')) return;
        }
        const p = rclone.parseRcloneLine(l);
        if (p?.kind === 'stats') {
          if (typeof p.stats.deletes === 'number') tally = p.stats.deletes;
          return;
        }
        errors.keep(l, p);
      },
    });
    if (r.code !== 0) fail(rclone.rcloneFailureMessage('rclone sync --dry-run', r.code, errors.last), { exitCode: r.code, transient: rclone.rcloneTransient(r.code) });
    if (mode === 'count') return tally === null ? null : { count: tally, bytes: 0, sample: [] };
    add();
    // the list and the tally of the same run should agree; if not, the larger one is the safe one
    return { ...listed, count: Math.max(listed.count, tally ?? 0) };
  };

  ctx.log('dry run: counting what the sync would delete (rule 2)');
  let deletes = await dryRun('count');
  let listed = false;
  if (deletes === null) {
    ctx.log('dry run: rclone printed no tally of deletions; listing them instead');
    deletes = (await dryRun('list'))!;
    listed = true;
  }
  let destinationCount = 0;
  const verdict = (d: rclone.DryRunCount) =>
    deleteGuard({ ...d, destinationCount, maxDeletePercent: job.guard.maxDeletePercent, maxDeleteCount: job.guard.maxDeleteCount, approvedCount: ctx.approvedCount });
  if (deletes.count > 0) {
    const size = await runTool(ctx, rclone.rcloneSize(bin, env, target(dst), opts.destinationType === 'b2'), { quiet: true });
    const parsed = size.code === 0 ? rclone.parseRcloneSize(size.stdout) : null;
    if (!parsed) fail(rclone.rcloneFailureMessage('rclone size', size.code, errors.last), { exitCode: size.code });
    destinationCount = parsed!.count;
  }
  let b = verdict(deletes);
  if (b && !listed) {
    ctx.log(`dry run: ${deletes.count} deletion(s) would cross the guard; listing them for the approval`);
    deletes = (await dryRun('list'))!;
    b = verdict(deletes);
  }
  ctx.log(`dry run: ${deletes.count} deletion(s) of ${destinationCount} file(s) at the destination`);
  if (b) block(b);
  if (ctx.approvedCount !== null) ctx.log(`deletions approved (up to ${ctx.approvedCount === Infinity ? 'any number' : ctx.approvedCount})`);
  return deletes.count;
}

