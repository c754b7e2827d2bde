// Schedules in words and their next runs, computed in the browser with the same libraries the
// server uses (cronstrue for words, croner for the calendar) so the preview matches what runs.
import cronstrue from 'cronstrue';
import { Cron } from 'croner';

export interface SchedulePreview {
  ok: boolean;
  error: string | null;
  words: string | null;
  next: Date[];
}

export function describeSchedule(expr: string | null): string {
  if (!expr) return 'manual only';
  try {
    return cronstrue.toString(expr, { use24HourTimeFormat: true, verbose: false });
  } catch {
    return expr;
  }
}

/** Validates a 5-field cron expression and lists its next `count` runs after `from`. */
export function previewSchedule(expr: string, from: Date, count = 5, timezone?: string | null): SchedulePreview {
  const e = expr.trim();
  if (!e) return { ok: false, error: 'Enter a cron expression such as "0 2 * * *" (every day at 02:00).', words: null, next: [] };
  const fields = e.split(/\s+/);
  if (fields.length !== 5 && !e.startsWith('@')) {
    return { ok: false, error: `A schedule has 5 fields (minute hour day-of-month month day-of-week); "${e}" has ${fields.length}.`, words: null, next: [] };
  }
  try {
    const cron = new Cron(e, { paused: true, timezone: timezone ?? undefined });
    const next = cron.nextRuns(count, from);
    cron.stop();
    if (next.length === 0) return { ok: false, error: `"${e}" never runs.`, words: null, next: [] };
    return { ok: true, error: null, words: describeSchedule(e), next };
  } catch (err) {
    return { ok: false, error: `"${e}" is not a valid schedule: ${err instanceof Error ? err.message : String(err)}`, words: null, next: [] };
  }
}
