// Schedules through croner (cron with time zones): next runs, the last due time, overdue, catch-up.
import { Cron } from 'croner';

// a paused Cron is a parsed pattern and nothing else: parse each (pattern, zone) once, since every
// status answer asks each job for its next and last due times
const parsed = new Map<string, Cron>();

function cron(expr: string, tz: string | null | undefined): Cron {
  const key = `${expr}\u0000${tz ?? ''}`;
  let c = parsed.get(key);
  if (!c) {
    c = new Cron(expr, { paused: true, mode: '5-or-6-parts', ...(tz ? { timezone: tz } : {}) });
    if (parsed.size < 256) parsed.set(key, c);
  }
  return c;
}

export function nextRun(expr: string, tz: string | null | undefined, from: Date): Date | null {
  return cron(expr, tz).nextRun(from);
}

export function nextRuns(expr: string, tz: string | null | undefined, from: Date, n: number): Date[] {
  return cron(expr, tz).nextRuns(n, from);
}

/** The latest scheduled time at or before `now`, or null when there is none in the last ~13 months. */
export function lastDue(expr: string, tz: string | null | undefined, now: Date): Date | null {
  const c = cron(expr, tz);
  // previousRuns is strict ("before"); nudge by a second so a run due exactly now counts
  const ref = new Date(now.getTime() + 1000);
  const [prev] = c.previousRuns(1, ref);
  if (!prev || now.getTime() - prev.getTime() > 400 * 86_400_000) return null;
  return prev;
}

export interface OverdueFacts {
  schedule: string | null;
  timezone: string | null;
  enabled: boolean;
  now: Date;
  lastSuccessAt: Date | null;
  active: boolean; // queued or running right now
  /** grace after the due time before a missing run counts as overdue */
  graceMinutes: number;
  /** when the scheduler first ran with this job: nothing was due before that */
  since: Date | null;
}

/** An overdue schedule counts as missed (USERS.md "silent failure"). */
export function isOverdue(f: OverdueFacts): boolean {
  if (!f.schedule || !f.enabled || f.active) return false;
  const due = lastDue(f.schedule, f.timezone, f.now);
  if (!due) return false;
  // before the scheduler first ran nothing was ours to run
  if (!f.since || due < f.since) return false;
  if (f.now.getTime() - due.getTime() < f.graceMinutes * 60_000) return false;
  return !f.lastSuccessAt || f.lastSuccessAt < due;
}

/**
 * Catch-up once at start: the last due time passed while the server was down (after `since`) and
 * no run was queued for it. One run, however many were missed.
 */
export function needsCatchUp(f: { schedule: string | null; timezone: string | null; enabled: boolean; catchUp: boolean; now: Date; lastQueuedAt: Date | null; since: Date | null }): Date | null {
  if (!f.schedule || !f.enabled || !f.catchUp || !f.since) return null;
  const due = lastDue(f.schedule, f.timezone, f.now);
  if (!due || due < f.since) return null;
  if (f.lastQueuedAt && f.lastQueuedAt >= due) return null;
  return due;
}
