// The one size parser (config schema, Samba render, the Time Machine watcher and the API all use
// it), for the Time Machine cap. Samba reads `fruit:time machine max size` with conv_str_size:
// digits and one optional K/M/G/T/P suffix (powers of 1024), multiplied in 64 bits without an
// overflow check: `16384P` wraps to 0, which switches the cap off. vfs_fruit then reports the
// cap as the share's size in 512-byte units and smbd answers in 1 KiB blocks, so a cap that is
// not a whole number of KiB is rounded down by Samba. We accept what a person writes, check it
// against bounds far from the wrap, round it down to whole KiB ourselves, and render it in the
// form Samba reads exactly; the bytes we report are the bytes a Mac (and `smbclient du`) sees.

const BINARY: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4, P: 1024 ** 5 };
const DECIMAL: Record<string, number> = { K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 };

/** No Mac backup fits in less; anything smaller is a typo (4G for 4T). */
export const MIN_CAP_BYTES = 1024 ** 3;
/** 8 PiB: exact in a JavaScript number, and 2048 times below Samba's 64-bit wrap. */
export const MAX_CAP_BYTES = 8 * 1024 ** 5;

export interface ParsedSize {
  /** Whole KiB, what Samba reports. */
  bytes: number;
  /** The value for smb.conf: `<n><unit>` in the largest exact unit, e.g. 4T, 3725G, 1048576K. */
  samba: string;
}

const GRAMMAR = /^(\d{1,20})(?:\.(\d{1,6}))?\s?(?:([KMGTP])(i?B)?|B)?$/i;

function describe(v: unknown): string {
  const s = String(v);
  return JSON.stringify(s.slice(0, 24).replace(/[^\x20-\x7e]/g, '?')) + (s.length > 24 ? '…' : '');
}

/**
 * Parses a cap: a whole number of bytes, or a number with a unit. K, M, G, T, P, KiB … PiB are
 * powers of 1024 (Samba's meaning); KB, MB, GB, TB, PB are powers of 1000 (what Finder shows).
 * Returns the size or the rule it broke.
 */
export function parseSize(v: unknown): { ok: true; size: ParsedSize } | { ok: false; error: string } {
  let bytes: number;
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v > MAX_CAP_BYTES) return { ok: false, error: `is too large: at most 8P (8 PiB; got ${describe(v)})` };
    if (!Number.isSafeInteger(v) || v < 0) return { ok: false, error: `must be a whole number of bytes or a size such as 4T, 500G or 2TB (got ${describe(v)})` };
    bytes = v;
  } else if (typeof v === 'string') {
    const m = GRAMMAR.exec(v.trim() === v ? v : '\0');
    if (!m) return { ok: false, error: `must be a size such as 4T, 500G, 3.5TiB or 2TB (digits, then K, M, G, T or P; got ${describe(v)})` };
    const unit = (m[3] ?? '').toUpperCase();
    const decimal = m[4] !== undefined && m[4].toUpperCase() === 'B';
    const mult = decimal ? DECIMAL[unit]! : BINARY[unit]!;
    if (m[2] !== undefined && unit === '') return { ok: false, error: `a number of bytes must be whole (got ${describe(v)})` };
    // Work in whole units of the fraction to stay exact: 3.5T = 35 × T / 10.
    const frac = m[2] ?? '';
    const scaled = Number(m[1]! + frac);
    bytes = Math.floor((scaled * mult) / 10 ** frac.length);
    if (!Number.isFinite(bytes) || m[1]!.length > 16) return { ok: false, error: `is too large: at most 8P (got ${describe(v)})` };
  } else return { ok: false, error: 'must be a size such as 4T, 500G or 2TB' };
  bytes = Math.floor(bytes / 1024) * 1024;
  if (bytes > MAX_CAP_BYTES) return { ok: false, error: `is too large: at most 8P (8 PiB; Samba's 64-bit size would wrap far above that; got ${describe(v)})` };
  if (bytes < MIN_CAP_BYTES) return { ok: false, error: `is too small: at least 1G (1 GiB; got ${describe(v)})` };
  return { ok: true, size: { bytes, samba: sambaSize(bytes) } };
}

/** Bytes (a whole number of KiB) in the largest unit that divides them exactly. */
export function sambaSize(bytes: number): string {
  for (const u of ['P', 'T', 'G', 'M'] as const) if (bytes % BINARY[u]! === 0) return `${bytes / BINARY[u]!}${u}`;
  return `${bytes / 1024}K`;
}

/** The rule a cap broke, or null. */
export function sizeProblem(v: unknown): string | null {
  const r = parseSize(v);
  return r.ok ? null : r.error;
}

/** Bytes of a cap that passed parseSize (throws otherwise). */
export function sizeBytes(v: unknown): number {
  const r = parseSize(v);
  if (!r.ok) throw new Error(r.error);
  return r.size.bytes;
}

// ---- sizes and shares as people read them -------------------------------------------------------
// The one rounding of pillarsd's messages (guards, warnings, notifications), the same as the pane's,
// the tray's and the CLI's (src/shared/format.ts, a package pillarsd does not ship): the same
// number never reads 197.2 KiB in one place and 197 KiB in another. test/server/domain/size.test.ts
// holds the two to the same text.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** 1536 → "1.5 KiB"; one decimal below 100 units, none above. */
export function formatBytes(n: number): string {
  const sign = n < 0 ? '-' : '';
  let v = Math.abs(n);
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${sign}${Math.round(v)} B`;
  return `${sign}${v.toFixed(v < 100 ? 1 : 0)} ${UNITS[i]}`;
}

/** A percentage (0..100) without its sign: one decimal below 10, none above ("8.3", "25"). */
export function percentText(p: number): string {
  return p < 10 ? p.toFixed(1) : String(Math.round(p));
}
