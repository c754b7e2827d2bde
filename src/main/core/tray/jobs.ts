// What a job's state means to the user, shared by the tray model and the notification policy so
// the icon and the notifications never disagree about what counts as a failure.
import type { JobInfo, Run } from '../../../../server/src/contract/api';

export type JobHealth =
  | { kind: 'ok'; run: Run | null }
  | { kind: 'warning'; run: Run } // it did its work, with something to look at (files restic could not read)
  | { kind: 'never' }
  | { kind: 'running'; run: Run }
  | { kind: 'failed'; run: Run } // failed or interrupted: the data did not get where it should
  | { kind: 'blocked'; run: Run } // a guard stopped it; maybe awaiting approval
  | { kind: 'overdue'; run: Run | null }; // the schedule's due time passed without a success: a missed run

const cap = (s: string) => (s.length <= 2 ? s.toUpperCase() : s[0]!.toUpperCase() + s.slice(1));
const before = (s: string | null) => (s ? s.split(':')[0]! : null);

/** "Flux snapshot", "Space → B2", "flux-retention (retention)", …; falls back to the job id. */
export function jobLabel(job: Pick<JobInfo, 'id' | 'type' | 'source' | 'destination'>): string {
  const src = before(job.source);
  switch (job.type) {
    case 'restic-backup':
      return src ? `${cap(src)} snapshot` : job.id;
    case 'restic-forget':
      return `${job.id} (retention)`;
    case 'restic-check':
      return `${job.id} (check)`;
    case 'rclone-sync':
    case 'rclone-copy': {
      const dst = before(job.destination);
      return src && dst ? `${cap(src)} → ${cap(dst)}` : job.id;
    }
    default:
      return job.id;
  }
}

/** A job that carries data somewhere (a snapshot or the offsite copy): these get their own menu line. */
export function isBackupLine(job: JobInfo): boolean {
  return job.type === 'restic-backup' || job.type === 'rclone-sync' || job.type === 'rclone-copy';
}

export function jobHealth(job: JobInfo): JobHealth {
  const run = job.lastRun;
  if (run && (run.status === 'running' || run.status === 'queued')) return { kind: 'running', run };
  if (run && run.status === 'blocked') return { kind: 'blocked', run };
  if (run && (run.status === 'failed' || run.status === 'interrupted')) return { kind: 'failed', run };
  if (job.overdue) return { kind: 'overdue', run };
  if (!run) return { kind: 'never' };
  if (run.status === 'succeeded-with-warnings') return { kind: 'warning', run };
  return { kind: 'ok', run };
}

export function isAlarm(h: JobHealth): boolean {
  return h.kind === 'failed' || h.kind === 'blocked' || h.kind === 'overdue';
}
