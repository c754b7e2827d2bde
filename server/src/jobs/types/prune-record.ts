// The prune's own deletions are expected (issue 22): around a call that prunes a local repository,
// every file under it is listed before and after, and what was there before and is gone after is
// recorded (expected-deletions store) with the run. A sync mirroring the repository then deletes
// those at the destination without counting them against its guard; anything else gone still counts.
import { resolveLocation } from '../../config/locations';
import { listFilesUnder } from '../../infra/fs';
import type { RunContext } from '../job-type';

/**
 * Runs `fn` (the restic call that prunes) and records the files it removed under `repository`
 * (a job's `repository:` ref). Recorded even when `fn` fails or throws: a prune stopped half-way
 * has removed what it removed. A repository on a remote is left alone (nothing of ours mirrors it).
 */
export async function recordRemovals<T>(ctx: RunContext, repository: string, fn: () => Promise<T>): Promise<T> {
  const loc = resolveLocation(ctx.config, repository);
  if (loc.kind !== 'pillar') return fn();
  const before = listFilesUnder(loc.path);
  try {
    return await fn();
  } finally {
    const after = new Set(listFilesUnder(loc.path));
    const gone = before.filter((f) => !after.has(f));
    if (gone.length) {
      ctx.expectedDeletions.record(gone);
      ctx.log(`recorded ${gone.length} file(s) the prune removed from ${loc.path}: a sync of them expects their deletion`);
    }
  }
}
