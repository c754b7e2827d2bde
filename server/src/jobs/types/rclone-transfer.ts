// rclone-sync and rclone-copy: a pillar folder to a remote (or another pillar). A sync deletes at
// the destination only within its guard (delete-guard.ts) and never past the count it guarded.
import type { RcloneCopyJob, RcloneSyncJob } from '../../config/schema';
import { resolveLocation } from '../../config/locations';
import type { Location } from '../../config/locations';
import * as rclone from '../../tools/rclone';
import type { JobType, Outcome, RunContext } from '../job-type';
import { checkPillar, checkSource } from '../pillar-guards';
import { runTool } from '../tool-child';
import { guardDeletions } from './delete-guard';
import { rcloneErrors, remoteDefs, target } from './rclone-remotes';

/** what rclone logs when `--max-delete` stops a sync */
const MAX_DELETE_HIT = '--max-delete threshold reached';

async function run(ctx: RunContext, job: RcloneSyncJob | RcloneCopyJob): Promise<Outcome> {
  const src = resolveLocation(ctx.config, job.source);
  const dst = resolveLocation(ctx.config, job.destination);
  checkPillar(ctx.config, src);
  checkPillar(ctx.config, dst);
  checkSource(src);
  const { bin } = await ctx.tools.rclone();
  const remotes = [src, dst].filter((l): l is Extract<Location, { kind: 'remote' }> => l.kind === 'remote').map((l) => l.remote);
  const env = rclone.rcloneEnv(await remoteDefs(ctx, bin, [...new Set(remotes)]), ctx.env);
  const typeOf = (l: Location) => (l.kind === 'pillar' ? 'local' : ctx.config.remotes[l.remote]!.type);
  // a sentinel belongs to its own pillar: never copy one over another pillar's
  const exclude = [...job.exclude, ...(src.kind === 'pillar' ? ['/.pillar'] : [])];
  const opts = { source: target(src), destination: target(dst), sourceType: typeOf(src), destinationType: typeOf(dst), bwlimit: job.bwlimit, transfers: job.transfers, checkers: job.checkers, exclude };
  const errors = rcloneErrors();

  const maxDelete = job.type === 'rclone-sync' ? await guardDeletions(ctx, job, bin, env, opts, dst, errors) : undefined;

  let stats: rclone.RcloneStats | null = null;
  let hitMaxDelete = false;
  const r = await runTool(ctx, rclone.rcloneTransfer(bin, env, { ...opts, op: job.type === 'rclone-sync' ? 'sync' : 'copy', maxDelete }), {
    onStderr: (l) => {
      const p = rclone.parseRcloneLine(l);
      if (p?.kind === 'stats') {
        stats = p.stats;
        ctx.onProgress(rclone.rcloneProgress(p.stats));
        return;
      }
      errors.keep(l, p);
      if (p?.kind === 'log' && p.msg.includes(MAX_DELETE_HIT)) hitMaxDelete = true;
      if (p?.kind === 'log') ctx.log(`${p.level}: ${p.object ? `${p.object}: ` : ''}${p.msg}`);
      else if (l.trim()) ctx.log(l);
    },
  });
  const summary = rclone.rcloneSummary(job.type, stats);
  if (r.code === 0) return { status: 'succeeded', summary, exitCode: 0 };
  if (maxDelete !== undefined && hitMaxDelete)
    return {
      status: 'failed',
      summary,
      exitCode: r.code,
      error: `rclone sync stopped at the ${maxDelete} deletion(s) its dry run counted: the source changed during the run and more would be deleted now. Nothing beyond them was deleted; the next run counts and guards again`,
    };
  return { status: 'failed', summary, exitCode: r.code, transient: rclone.rcloneTransient(r.code), error: rclone.rcloneFailureMessage(`rclone ${job.type === 'rclone-sync' ? 'sync' : 'copy'}`, r.code, errors.last) };
}

export const rcloneTransfer: JobType<RcloneSyncJob | RcloneCopyJob> = {
  tool: 'rclone',
  refs: (job) => [
    { ref: job.source, mode: 'r', source: true },
    { ref: job.destination, mode: 'w' },
  ],
  run,
};
