// B2 planning: how long the first upload of Space takes and what keeping it there costs.
import type { B2Plan } from '../contract/api';

/**
 * Backblaze B2 pay-as-you-go storage: US$6 per TB-month since 2023-10-03 (it was US$5 before);
 * B2 bills decimal terabytes (10^12 bytes). Override `b2plan.pricePerTbMonth` and `priceDate`
 * in pillarsd.yaml when the price changes.
 */
export const B2_DEFAULT_PRICE = { pricePerTbMonth: 6, currency: 'USD', priceDate: '2023-10-03' } as const;

export interface B2PlanInput {
  uplinkMbps?: number;
  pricePerTbMonth?: number;
  currency?: string;
  priceDate?: string;
}

/** Seed time at full line rate: bytes × 8 ÷ (Mbit/s × 10^6). 12 TB at 1 Mbit/s ≈ 1,111 days. */
function seedSeconds(bytes: number, uplinkMbps: number): number {
  return (bytes * 8) / (uplinkMbps * 1e6);
}

export function planB2(spaceBytes: number, cfg: B2PlanInput = {}): B2Plan {
  const price = cfg.pricePerTbMonth ?? B2_DEFAULT_PRICE.pricePerTbMonth;
  const uplink = cfg.uplinkMbps ?? null;
  return {
    spaceBytes,
    uplinkMbps: uplink,
    seedEtaSeconds: uplink && uplink > 0 ? Math.round(seedSeconds(spaceBytes, uplink)) : null,
    monthlyCost: Math.round((spaceBytes / 1e12) * price * 100) / 100,
    currency: cfg.currency ?? B2_DEFAULT_PRICE.currency,
    pricePerTbMonth: price,
    priceDate: cfg.pricePerTbMonth !== undefined ? (cfg.priceDate ?? 'configured') : B2_DEFAULT_PRICE.priceDate,
  };
}
