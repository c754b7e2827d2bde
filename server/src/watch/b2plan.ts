// B2 planning: how long the first upload of Space takes as the seed job is configured (its bwlimit
// timetable and window), and what keeping it there costs, old versions included.
import type { B2Plan } from '../contract/api';
import { seedEtaSeconds } from '../domain/seed-eta';

/**
 * Backblaze B2 pay-as-you-go storage: US$6 per TB-month since 2023-10-03 (it was US$5 before);
 * B2 bills decimal terabytes (10^12 bytes), hidden (old) versions included, until its lifecycle
 * rule deletes them. Override `b2plan.pricePerTbMonth` and `priceDate` in pillarsd.yaml when the
 * price changes.
 */
export const B2_DEFAULT_PRICE = { pricePerTbMonth: 6, currency: 'USD', priceDate: '2023-10-03' } as const;

/** The lifecycle rule pillarsd assumes (and `pillarsd check` compares with the bucket's) when none is configured. */
export const DEFAULT_KEEP_VERSIONS_DAYS = 30;

export interface B2PlanInput {
  uplinkMbps?: number;
  pricePerTbMonth?: number;
  currency?: string;
  priceDate?: string;
  /** days B2 keeps a hidden version (the bucket's daysFromHidingToDeleting) */
  keepVersionsDays?: number;
  /** the seed job: its bwlimit and window, and what its last listing left to copy */
  seed?: { jobId: string; bwlimit?: string; window?: { schedule: string; timezone: string | null; maxDurationSeconds: number }; remainingBytes: number | null };
  /** bytes a day the offsite syncs hid at the destination lately (deleted or replaced versions) */
  hiddenBytesPerDay?: number | null;
  /** now, for the timetable */
  now?: Date;
}

/** Seed time at full line rate: bytes × 8 ÷ (Mbit/s × 10^6). 12 TB at 1 Mbit/s ≈ 1,111 days. */
function seedSeconds(bytes: number, uplinkMbps: number): number {
  return (bytes * 8) / (uplinkMbps * 1e6);
}

export function planB2(spaceBytes: number, cfg: B2PlanInput = {}): B2Plan {
  const price = cfg.pricePerTbMonth ?? B2_DEFAULT_PRICE.pricePerTbMonth;
  const uplink = cfg.uplinkMbps ?? null;
  const keepDays = cfg.keepVersionsDays ?? DEFAULT_KEEP_VERSIONS_DAYS;
  const remaining = cfg.seed?.remainingBytes ?? spaceBytes;
  const fullRate = uplink && uplink > 0 ? Math.round(seedSeconds(remaining, uplink)) : null;
  let eta = fullRate;
  if (uplink && uplink > 0 && cfg.seed && (cfg.seed.bwlimit || cfg.seed.window)) {
    eta = seedEtaSeconds({ bytes: remaining, uplinkBytesPerSecond: (uplink * 1e6) / 8, bwlimit: cfg.seed.bwlimit, window: cfg.seed.window, from: cfg.now ?? new Date() });
  }
  // B2 bills the hidden versions a sync leaves behind until the lifecycle rule deletes them
  const versionBytes = cfg.hiddenBytesPerDay != null ? Math.round(cfg.hiddenBytesPerDay * keepDays) : null;
  return {
    spaceBytes,
    uplinkMbps: uplink,
    seedEtaSeconds: eta,
    fullRateEtaSeconds: fullRate,
    seedJob: cfg.seed?.jobId ?? null,
    seedRemainingBytes: cfg.seed ? remaining : null,
    keepVersionsDays: keepDays,
    versionBytes,
    monthlyCost: Math.round(((spaceBytes + (versionBytes ?? 0)) / 1e12) * price * 100) / 100,
    currency: cfg.currency ?? B2_DEFAULT_PRICE.currency,
    pricePerTbMonth: price,
    priceDate: cfg.pricePerTbMonth !== undefined ? (cfg.priceDate ?? 'configured') : B2_DEFAULT_PRICE.priceDate,
  };
}
