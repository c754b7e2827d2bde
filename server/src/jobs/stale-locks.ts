// restic 0.14 leaves its lock behind when it is killed. A run that was aborted, or found the
// repository locked, or died with pillarsd, marks its repository in the engine state; the
// repository's next user runs `restic unlock` (stale locks only) first.
import type { Config } from '../config/schema';
import { locationKey } from '../config/locations';
import { jobTypeOf } from './types/registry';
import type { RunnableJob } from './tasks';

/** The engine-state key marking the job's repository for an unlock, or null when its tool leaves no locks. */
export function staleLockKey(c: Config, job: RunnableJob): string | null {
  if (!jobTypeOf(job).leavesStaleLocks || !('repository' in job)) return null;
  return `unlock:${locationKey(c, job.repository)}`;
}
