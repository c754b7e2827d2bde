// What runs of rclone jobs tell about the days ahead (issue 22): a seed's progress over its nights
// (each run's listings say what is left), its ETA at its timetable and window, and for the B2 plan
// how many bytes a day the offsite syncs hide at the destination (B2 keeps and bills them).
import type { Config, RcloneCopyJob } from '../config/schema';
import type { RcloneSummary, SeedProgress } from '../contract/api';
import { durationSeconds, seedEtaSeconds } from '../domain/seed-eta';
import type { RunRecord } from '../store/runs';

const HISTORY = 60;

function point(r: RunRecord): { at: string; bytesDone: number; bytesTotal: number; filesDone: number; filesTotal: number; s: RcloneSummary } | null {
  const s = r.summary;
  // a seed's plan comes from listings, which size the source (a dry run's plan does not)
  if (s?.kind !== 'rclone-copy' || !s.plan || s.plan.sourceBytes === undefined || !r.finishedAt) return null;
  const p = { ...s.plan, sourceBytes: s.plan.sourceBytes };
  const clamp = (v: number, max: number) => Math.max(0, Math.min(max, v));
  return {
    at: r.finishedAt,
    bytesTotal: p.sourceBytes,
    bytesDone: clamp(p.sourceBytes - p.toCopyBytes + s.bytesTransferred, p.sourceBytes),
    filesTotal: p.sourceFiles,
    filesDone: clamp(p.sourceFiles - p.toCopy + s.filesTransferred, p.sourceFiles),
    s,
  };
}

/** The window a job uploads in, when it has one (a schedule and a maxDuration). */
export function windowOf(job: { schedule?: string; timezone?: string; maxDuration?: string }): { schedule: string; timezone: string | null; maxDurationSeconds: number } | undefined {
  return job.schedule && job.maxDuration ? { schedule: job.schedule, timezone: job.timezone ?? null, maxDurationSeconds: durationSeconds(job.maxDuration) } : undefined;
}

/** A seed's progress from its runs (newest first); null before its first listing. */
export function seedProgress(job: RcloneCopyJob, runs: readonly RunRecord[], uplinkMbps: number | undefined, now: Date): SeedProgress | null {
  const points = runs.map(point).filter((p): p is NonNullable<typeof p> => p !== null);
  const last = points[0];
  if (!last) return null;
  const complete = last.s.plan!.toCopy === 0 || (!last.s.windowEnded && last.s.errors === 0 && last.filesDone === last.filesTotal);
  // the rate its windows reached, unless the uplink is configured
  const moved = points.reduce((n, p) => n + p.s.bytesTransferred, 0);
  const took = points.reduce((n, p) => n + p.s.durationSeconds, 0);
  const rate = uplinkMbps ? (uplinkMbps * 1e6) / 8 : took > 0 ? moved / took : 0;
  const left = last.bytesTotal - last.bytesDone;
  return {
    bytesTotal: last.bytesTotal,
    bytesDone: last.bytesDone,
    filesTotal: last.filesTotal,
    filesDone: last.filesDone,
    complete,
    updatedAt: last.at,
    etaSeconds: complete ? 0 : seedEtaSeconds({ bytes: left, uplinkBytesPerSecond: rate, bwlimit: job.bwlimit, window: windowOf(job), from: now }),
    history: points
      .slice(0, HISTORY)
      .reverse()
      .map((p) => ({ at: p.at, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal })),
  };
}

/** The job that seeds B2: b2plan.seedJob, else the one rclone-copy job whose destination is a b2 remote. */
export function seedJobOf(c: Config): string | null {
  if (c.b2plan?.seedJob) return c.b2plan.seedJob;
  const toB2 = Object.entries(c.jobs).filter(([, j]) => j.type === 'rclone-copy' && c.remotes[j.destination.split(':')[0]!]?.type === 'b2');
  return toB2.length === 1 ? toB2[0]![0] : null;
}

/** Syncs to b2 remotes: bytes a day they hid at the destination over their recent runs, or null with none. */
export function hiddenBytesPerDay(c: Config, runs: readonly RunRecord[], now: Date, days = 30): number | null {
  const since = now.getTime() - days * 86_400_000;
  const b2Syncs = new Set(
    Object.entries(c.jobs)
      .filter(([, j]) => j.type === 'rclone-sync' && c.remotes[j.destination.split(':')[0]!]?.type === 'b2')
      .map(([id]) => id),
  );
  let bytes = 0;
  let first = Infinity;
  for (const r of runs) {
    if (!b2Syncs.has(r.jobId) || !r.finishedAt || r.summary?.kind !== 'rclone-sync' || !r.summary.plan) continue;
    const t = Date.parse(r.finishedAt);
    if (t < since) continue;
    bytes += r.summary.plan.hiddenBytes ?? 0;
    first = Math.min(first, t);
  }
  if (first === Infinity) return null;
  return bytes / Math.max(1, (now.getTime() - first) / 86_400_000);
}
