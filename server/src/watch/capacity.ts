// Capacity per pillar: total, free and used from statfs, samples stored for a trend, and
// thresholds that turn into warnings in status.
import type { Db } from '../store/db';
import { formatBytes, percentText } from '../domain/size';

export interface FsUsage {
  totalBytes: number;
  /** Available to unprivileged writers (f_bavail), which is what fills up first for users. */
  freeBytes: number;
  usedBytes: number;
}

export interface StatfsPort {
  statfs(path: string): Promise<FsUsage>;
}

export interface CapacityThresholds {
  warnFreePercent: number;
  critFreePercent: number;
}

export const DEFAULT_THRESHOLDS: CapacityThresholds = { warnFreePercent: 10, critFreePercent: 5 };

export interface CapacitySample extends FsUsage {
  pillar: string;
  at: string;
}

export function capacityWarnings(pillar: string, u: FsUsage, t: CapacityThresholds = DEFAULT_THRESHOLDS): string[] {
  if (u.totalBytes <= 0) return [];
  const pct = (u.freeBytes / u.totalBytes) * 100;
  const shown = `${percentText(pct)}% free (${formatBytes(u.freeBytes)} of ${formatBytes(u.totalBytes)})`;
  if (pct < t.critFreePercent) return [`${pillar}: critically low on space: ${shown}`];
  if (pct < t.warnFreePercent) return [`${pillar}: low on space: ${shown}`];
  return [];
}

export interface Trend {
  /** Growth of used bytes per day (least squares over the samples); null with fewer than 2 samples. */
  bytesPerDay: number | null;
  /** At that rate, days until free space runs out; null when not growing. */
  daysUntilFull: number | null;
}

export function trend(samples: readonly CapacitySample[]): Trend {
  if (samples.length < 2) return { bytesPerDay: null, daysUntilFull: null };
  const t0 = Date.parse(samples[0]!.at);
  const xs = samples.map((s) => (Date.parse(s.at) - t0) / 86_400_000);
  const ys = samples.map((s) => s.usedBytes);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  if (den === 0) return { bytesPerDay: null, daysUntilFull: null };
  const slope = num / den;
  const last = samples[samples.length - 1]!;
  return { bytesPerDay: Math.round(slope), daysUntilFull: slope > 0 ? Math.round((last.freeBytes / slope) * 10) / 10 : null };
}

/** Samples in SQLite (migration 20). */
export class CapacityStore {
  constructor(private readonly db: Db) {}
  insert(s: CapacitySample): void {
    this.db.prepare('INSERT INTO capacity_samples (pillar, at, total_bytes, free_bytes, used_bytes) VALUES (?, ?, ?, ?, ?)').run(s.pillar, s.at, s.totalBytes, s.freeBytes, s.usedBytes);
  }
  since(pillar: string, sinceIso: string): CapacitySample[] {
    const rows = this.db.prepare('SELECT pillar, at, total_bytes, free_bytes, used_bytes FROM capacity_samples WHERE pillar = ? AND at >= ? ORDER BY at').all(pillar, sinceIso) as Array<{
      pillar: string;
      at: string;
      total_bytes: number;
      free_bytes: number;
      used_bytes: number;
    }>;
    return rows.map((r) => ({ pillar: r.pillar, at: r.at, totalBytes: r.total_bytes, freeBytes: r.free_bytes, usedBytes: r.used_bytes }));
  }
  /** Drops samples older than the cut-off; returns how many. */
  prune(beforeIso: string): number {
    return this.db.prepare('DELETE FROM capacity_samples WHERE at < ?').run(beforeIso).changes;
  }
}
