// restic-backup's shrink guard (rule 3): the snapshot just written is compared with the previous
// one of the same job (or, before pillarsd's first, restic's latest of the path and host), judged by domain/guards.ts'
// shrinkGuard. A shrunk snapshot is withdrawn before the run blocks, so it never sits in the
// repository unapproved: retention's per-day (week, month) slots keep only snapshots that stand,
// and a shrunk one cannot push a good one of the same day out. Approving backs up again; the new
// snapshot stands if it is at least as large as the one shown.
import { posix } from 'node:path';
import type { ResticBackupJob } from '../../config/schema';
import { SUCCESS_STATUSES, type ResticBackupSummary } from '../../contract/api';
import { shrinkGuard, type SnapshotSize } from '../../domain/guards';
import type { ExecResult } from '../../infra/exec';
import { hostName } from '../../infra/process';
import * as restic from '../../tools/restic';
import type { ResticSnapshot, ResticTarget } from '../../tools/restic';
import type { ResticCaps } from '../../tools/versions';
import { block, fail, Stop } from '../job-type';
import type { Outcome, RunContext } from '../job-type';
import { runTool } from '../tool-child';
import { approvalDigest } from '../../store/change-sets';

export interface ShrinkTarget {
  bin: string;
  caps: ResticCaps;
  t: ResticTarget;
  failed: (what: string, r: ExecResult) => Outcome;
}

/** The snapshot a backup is compared with; its size when pillarsd's own history has it. */
export interface PreviousSnapshot {
  id: string;
  size: SnapshotSize | null;
}

/**
 * The previous snapshot, before the backup; null for a first backup. The job's latest backup that
 * stood is it, with the sizes its summary counted (no restic call: opening the repository costs a
 * key derivation, which the nightly run should not pay twice). Without one (a repository that had
 * snapshots before pillarsd backed up into it), restic's latest of this path from this host.
 */
export async function previousSnapshot(ctx: RunContext, job: ResticBackupJob, r: ShrinkTarget, path: string): Promise<PreviousSnapshot | null> {
  const last = ctx.lastRun(ctx.jobId, SUCCESS_STATUSES)?.summary;
  if (last?.kind === 'restic-backup') return { id: last.snapshotId, size: { files: last.totalFilesProcessed, bytes: last.totalBytesProcessed } };
  // restic records the path cleaned (no trailing slash) and filters on exactly that
  const recorded = posix.normalize(path).replace(/(.)\/+$/, '$1');
  const res = await runTool(ctx, restic.resticSnapshots(r.bin, r.t, ctx.env, { path: recorded, host: job.host ?? hostName() }), { quiet: true });
  if (res.code !== 0) throw new Stop(r.failed('restic snapshots', res));
  let list: ResticSnapshot[];
  try {
    list = restic.parseSnapshots(res.stdout);
  } catch {
    // without the list, "no previous snapshot" would exempt a shrunk backup from the guard
    return fail('restic snapshots exited 0 but printed no list: the backup is not compared with the previous one, so it is not taken');
  }
  const latest = list.reduce<ResticSnapshot | null>((a, s) => (a === null || s.time > a.time ? s : a), null);
  return latest && { id: latest.id, size: null };
}

async function statsSize(ctx: RunContext, r: ShrinkTarget, id: string): Promise<SnapshotSize> {
  const res = await runTool(ctx, restic.resticStats(r.bin, r.t, ctx.env, id), { quiet: true });
  if (res.code !== 0) throw new Stop(r.failed(`restic stats ${id.slice(0, 8)}`, res));
  const size = restic.parseStatsSize(res.stdout);
  if (!size) fail(`restic stats ${id.slice(0, 8)} printed no size: the backup cannot be compared with the previous one`);
  return size!;
}

/** Judges the snapshot a backup just wrote; returns when it stands, ends the attempt otherwise. */
export async function guardShrink(ctx: RunContext, job: ResticBackupJob, r: ShrinkTarget, previous: PreviousSnapshot, summary: ResticBackupSummary): Promise<void> {
  const prevId = previous.id.slice(0, 8);
  // sizes from two backup summaries, or else from restic stats for both (it counts folders too)
  const [before, after] = previous.size ? [previous.size, { files: summary.totalFilesProcessed, bytes: summary.totalBytesProcessed }] : [await statsSize(ctx, r, previous.id), await statsSize(ctx, r, summary.snapshotId)];
  const shown = ctx.approvedBlock?.guard === 'backup-shrunk' ? ctx.approvedBlock.shrink : undefined;
  const verdict = shrinkGuard({
    previous: { id: previous.id, ...before },
    current: { id: summary.snapshotId, ...after },
    maxFilesDropPercent: job.shrinkGuard.maxFilesDropPercent,
    maxBytesDropPercent: job.shrinkGuard.maxBytesDropPercent,
    approved: shown ? { files: shown.files.after, bytes: shown.bytes.after } : null,
  });
  if (!verdict) {
    if (shown) ctx.log(`snapshot ${summary.snapshotId} stands: approved shrink (${before.files} → ${after.files} files against ${prevId})`);
    return;
  }
  ctx.log(`snapshot ${summary.snapshotId} shrank against ${prevId} (${before.files} → ${after.files} files, ${before.bytes} → ${after.bytes} bytes): withdrawing it`);
  const res = await runTool(ctx, restic.resticForgetSnapshots(r.bin, r.t, ctx.env, [summary.snapshotId], r.caps));
  if (res.code !== 0) {
    const o = r.failed(`restic forget ${summary.snapshotId} (withdrawing the shrunk snapshot)`, res);
    throw new Stop({ ...o, error: `${o.error}; snapshot ${summary.snapshotId} shrank and is still in the repository: ${verdict.message.split('; ')[0]}` });
  }
  // what an approval names (issue 14): the withdrawn snapshot and the sizes that were shown
  const named = `${previous.id}\n${summary.snapshotId}\n${before.files} ${after.files}\n${before.bytes} ${after.bytes}\n`;
  block({ ...verdict, approval: { count: after.files, digest: approvalDigest(named) } });
}
