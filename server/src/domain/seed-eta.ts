// How long a first upload takes as configured (issue 22): rclone's `bwlimit` timetable caps the rate
// by time of day, and a seed job with a window (`schedule` + `maxDuration`) uploads only inside
// it. The estimate walks the calendar from one change of rate or window to the next.
import { lastDue, nextRun } from './schedule';

/** A rate from this minute of the week on (0 = Monday 00:00, as rclone's `Mon-`); null: no limit. */
export interface RatePeriod {
  minuteOfWeek: number;
  bytesPerSecond: number | null;
}

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const UNITS: Record<string, number> = { B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4, P: 1024 ** 5 };

/** rclone's rate: KiB/s by default, a B|K|M|G|T|P suffix (binary), `off` or 0 for none; `UP:DOWN` takes the upload. */
export function parseRate(s: string): number | null {
  const up = s.split(':')[0]!.trim();
  if (/^off$/i.test(up)) return null;
  const m = /^(\d+(?:\.\d+)?)([BKMGTP])?$/i.exec(up);
  if (!m) throw new Error(`"${s}" is not an rclone bandwidth (such as 4M, 512k or off)`);
  const v = Number(m[1]) * UNITS[(m[2] ?? 'K').toUpperCase()]!;
  // rclone takes 0 as no limit
  return v === 0 ? null : v;
}

/**
 * rclone's `--bwlimit`: one rate, or a timetable of `HH:MM,RATE` / `Ddd-HH:MM,RATE` entries. An
 * entry without a day applies every day; the rate in force is the latest entry at or before now,
 * wrapping round the week.
 */
export function parseBwlimit(s: string): RatePeriod[] {
  const entries = s.trim().split(/\s+/);
  if (entries.length === 1 && !entries[0]!.includes(',')) return [{ minuteOfWeek: 0, bytesPerSecond: parseRate(entries[0]!) }];
  const out: RatePeriod[] = [];
  for (const e of entries) {
    const m = /^(?:(Mon|Tue|Wed|Thu|Fri|Sat|Sun)-)?(\d{1,2}):(\d\d),(.+)$/i.exec(e);
    if (!m) throw new Error(`"${e}" is not a bwlimit timetable entry (such as 08:00,4M or Sat-00:00,off)`);
    const minute = Number(m[2]) * 60 + Number(m[3]);
    if (Number(m[2]) > 23 || Number(m[3]) > 59) throw new Error(`"${e}": no such time of day`);
    const rate = parseRate(m[4]!);
    const days = m[1] ? [DAYS.findIndex((d) => d.toLowerCase() === m[1]!.toLowerCase())] : [0, 1, 2, 3, 4, 5, 6];
    for (const d of days) out.push({ minuteOfWeek: d * 1440 + minute, bytesPerSecond: rate });
  }
  return out.sort((a, b) => a.minuteOfWeek - b.minuteOfWeek);
}

/** Minute of the week (Monday 00:00 = 0) of `t` on the wall clock of `tz` (the machine's when null). */
export function minuteOfWeek(t: Date, tz: string | null): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: tz ?? undefined, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(t);
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return DAYS.indexOf(get('weekday')) * 1440 + Number(get('hour')) * 60 + Number(get('minute'));
}

function rateAt(periods: readonly RatePeriod[], mow: number): number | null {
  let r = periods[periods.length - 1]!;
  for (const p of periods) if (p.minuteOfWeek <= mow) r = p;
  return r.bytesPerSecond;
}

/** Seconds from `t` to the next minute of the week at which the timetable changes rate. */
function toNextChange(periods: readonly RatePeriod[], t: Date, tz: string | null): number {
  if (periods.length < 2) return Infinity;
  const now = minuteOfWeek(t, tz);
  const next = periods.find((p) => p.minuteOfWeek > now) ?? { minuteOfWeek: periods[0]!.minuteOfWeek + 7 * 1440 };
  // to the start of that minute: the seconds already gone in this one come off
  return (next.minuteOfWeek - now) * 60 - t.getUTCSeconds() - t.getUTCMilliseconds() / 1000;
}

export interface SeedEtaInput {
  bytes: number;
  /** what the line carries (or what past runs reached), bytes per second */
  uplinkBytesPerSecond: number;
  bwlimit?: string;
  /** a seed with a window uploads only from each scheduled start for maxDuration */
  window?: { schedule: string; timezone: string | null; maxDurationSeconds: number };
  /** the wall clock the timetable follows (rclone's: the machine's; null = this process's) */
  timezone?: string | null;
  from: Date;
}

const HORIZON_S = 10 * 365 * 86_400;

/** Seconds until `bytes` are up, or null when the configuration never lets them go (or past 10 years). */
export function seedEtaSeconds(o: SeedEtaInput): number | null {
  if (o.bytes <= 0) return 0;
  if (!(o.uplinkBytesPerSecond > 0)) return null;
  const periods = o.bwlimit ? parseBwlimit(o.bwlimit) : [{ minuteOfWeek: 0, bytesPerSecond: null }];
  const tz = o.timezone ?? null;
  let left = o.bytes;
  let t = o.from.getTime();
  while (t - o.from.getTime() < HORIZON_S * 1000) {
    const now = new Date(t);
    let open = true;
    let untilWindowChange = Infinity;
    if (o.window) {
      const start = lastDue(o.window.schedule, o.window.timezone, now);
      const end = start ? start.getTime() + o.window.maxDurationSeconds * 1000 : -Infinity;
      open = end > t;
      if (open) untilWindowChange = (end - t) / 1000;
      else {
        const n = nextRun(o.window.schedule, o.window.timezone, now);
        if (!n) return null;
        untilWindowChange = (n.getTime() - t) / 1000;
      }
    }
    const limit = rateAt(periods, minuteOfWeek(now, tz));
    const rate = open ? Math.min(o.uplinkBytesPerSecond, limit ?? Infinity) : 0;
    const span = Math.max(1, Math.min(untilWindowChange, toNextChange(periods, now, tz)));
    if (rate > 0 && rate * span >= left) return Math.round((t - o.from.getTime()) / 1000 + left / rate);
    left -= rate * span;
    t += span * 1000;
  }
  return null;
}

/** A Go-style duration of a job (`6h`, `5h30m`, `90s`) in seconds. */
export function durationSeconds(s: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * units[m[2]!]!;
  return total;
}
