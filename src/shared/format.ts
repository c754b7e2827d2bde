// Human-readable numbers for the admin pane, the tray and the CLI: bytes, rates, durations and
// ages. Pure and locale-independent (1 KiB = 1024 bytes, English units) so every surface and every
// test prints the same text.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** 1536 → "1.5 KiB"; null/undefined/NaN → "—". One decimal below 100 units, none above. */
export function formatBytes(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '—';
  const sign = n < 0 ? '-' : '';
  let v = Math.abs(n);
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${sign}${Math.round(v)} B`;
  const digits = v < 100 ? 1 : 0;
  return `${sign}${v.toFixed(digits)} ${UNITS[i]}`;
}

/** Bytes per second → "12.3 MiB/s". */
export function formatRate(bytesPerSecond: number | null | undefined): string {
  if (bytesPerSecond == null || !Number.isFinite(bytesPerSecond)) return '—';
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Seconds → "3 h 05 min", "4 min 10 s", "12 s", "2 d 3 h". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  const d = Math.floor(h / 24);
  return `${d} d ${h % 24} h`;
}

/** How long ago `iso` was, relative to `now` (ms): "just now", "5 min ago", "3 h ago", "2 d ago"; future → "in 5 min". */
export function formatAge(iso: string | null | undefined, now: number): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const diff = Math.round((now - t) / 1000);
  const future = diff < 0;
  const a = Math.abs(diff);
  let text: string;
  // Clocks of server and browser differ by a little, and a page's "now" ticks only now and then:
  // a moment either way is "just now", not "in a moment".
  if (a < 45 || (future && a < 300)) return 'just now';
  if (a < 3600) text = `${Math.max(1, Math.round(a / 60))} min`;
  else if (a < 48 * 3600) text = `${Math.round(a / 3600)} h`;
  else text = `${Math.round(a / 86400)} d`;
  return future ? `in ${text}` : `${text} ago`;
}

/** 0.4567 → "45.7 %"; percentages given as 0..100 use formatPercent(x / 100). */
export function formatShare(share: number | null | undefined): string {
  if (share == null || !Number.isFinite(share)) return '—';
  const p = share * 100;
  return `${p < 10 ? p.toFixed(1) : Math.round(p)} %`;
}

/** A money amount with its ISO currency code: (6.123, "USD") → "6.12 USD". */
export function formatMoney(amount: number | null | undefined, currency: string): string {
  if (amount == null || !Number.isFinite(amount)) return '—';
  return `${amount.toFixed(2)} ${currency}`;
}

/** A local date-time without seconds, stable across locales: "2026-11-25 02:00". */
export function formatDateTime(iso: string | Date | null | undefined): string {
  if (!iso) return '—';
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(d.getTime())) return '—';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** Parses sizes as people write them in configs ("4T", "500G", "1.5 TiB", "1024") into bytes; null when not a size. */
export function parseBytes(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b?)\s*$/i.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  const power = ' kmgtp'.indexOf((m[2] || ' ').toLowerCase());
  return Math.round(n * 1024 ** power);
}
