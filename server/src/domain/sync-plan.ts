// What a sync or copy would do, from one listing of each side (issue 14: the destination is listed
// once per run). Pure: the listings arrive as lines sorted byte-wise (`LC_ALL=C sort`) in the form
// `sortLine` writes, and a merge walks both in step, so memory stays the same for ten files or ten
// million. rclone itself still decides, file by file, what is equal (the copy runs with the list).

const PLAIN_KEY = /^[ !#-[\]-~]*$/;

/**
 * A sort key for a path that sorts the same way in `sort` (C locale, bytes) and in JavaScript
 * (`<` on UTF-16 units): the path as a JSON string body with every non-ASCII character escaped, so
 * the key is printable ASCII and holds no tab or newline. `keyPath` reverses it.
 */
export function pathKey(p: string): string {
  // printable ASCII without a quote or backslash is its own JSON string body (most paths: no work)
  if (PLAIN_KEY.test(p)) return p;
  return JSON.stringify(p)
    .slice(1, -1)
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function keyPath(key: string): string {
  // a key with no escape in it is the path itself
  if (!key.includes('\\')) return key;
  return JSON.parse(`"${key}"`) as string;
}

/** One listing entry as a line for `sort`: key, size and time, tab-separated. */
export function sortLine(f: { path: string; size: number; modTime: string }): string {
  return `${pathKey(f.path)}\t${f.size}\t${f.modTime}`;
}

export interface SortedEntry {
  key: string;
  size: number;
  modTime: string;
}

export function parseSortLine(line: string): SortedEntry {
  const a = line.indexOf('\t');
  const b = line.indexOf('\t', a + 1);
  if (a < 0 || b < 0) throw new Error(`malformed listing line: ${line.slice(0, 200)}`);
  return { key: line.slice(0, a), size: Number(line.slice(a + 1, b)), modTime: line.slice(b + 1) };
}

/**
 * rclone's "time not supported" precision (100 years in ns): with it on either side rclone compares
 * sizes (and hashes where both have one); pillarsd then compares sizes only and says so.
 */
export const MODTIME_NOT_SUPPORTED_NS = 100 * 365 * 24 * 3600 * 1e9;

const RFC3339 = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** An RFC 3339 time as [whole ms since the epoch, ns within the second]. */
function splitTime(s: string): [number, number] {
  const m = RFC3339.exec(s);
  if (!m) {
    const ms = Date.parse(s);
    if (Number.isNaN(ms)) throw new Error(`unreadable modification time "${s}"`);
    return [ms, 0];
  }
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) throw new Error(`unreadable modification time "${s}"`);
  return [ms, Number((m[2] ?? '').padEnd(9, '0'))];
}

/** Nanoseconds between two RFC 3339 times (b − a), exact to the nanosecond within ±104 days. */
export function modTimeDiffNs(a: string, b: string): number {
  const [ams, ans] = splitTime(a);
  const [bms, bns] = splitTime(b);
  return (bms - ams) * 1e6 + (bns - ans);
}

export type PlanStep =
  | { kind: 'new'; key: string; size: number }
  /**
   * on both sides but different by size or time: rclone overwrites it, or, when only the times
   * differ (`sameSize`) and the hashes are equal, fixes the destination's time without a copy
   */
  | { kind: 'update'; key: string; size: number; destinationSize: number; sameSize: boolean }
  | { kind: 'same'; key: string; size: number }
  | { kind: 'delete'; key: string; size: number };

/**
 * Merges two sorted listings. `windowNs` is rclone's modify window for the pair (the larger of the
 * two precisions). A key listed twice on one side (a backend with duplicate names) counts once.
 */
export function* mergeListings(source: () => string | null, destination: () => string | null, windowNs: number): Generator<PlanStep> {
  const sizeOnly = windowNs >= MODTIME_NOT_SUPPORTED_NS;
  const reader = (next: () => string | null) => {
    let last: string | null = null;
    return (): SortedEntry | null => {
      for (;;) {
        const l = next();
        if (l === null) return null;
        if (l === '') continue;
        const e = parseSortLine(l);
        if (e.key === last) continue;
        if (last !== null && e.key < last) throw new Error(`listing not sorted at "${keyPath(e.key)}"`);
        last = e.key;
        return e;
      }
    };
  };
  const src = reader(source);
  const dst = reader(destination);
  let s = src();
  let d = dst();
  while (s || d) {
    if (s && (!d || s.key < d.key)) {
      yield { kind: 'new', key: s.key, size: s.size };
      s = src();
    } else if (d && (!s || d.key < s.key)) {
      yield { kind: 'delete', key: d.key, size: d.size };
      d = dst();
    } else {
      // the same text is the same time (an unchanged file, listed the same way on both sides): nothing to parse
      const differs = s!.size < 0 || d!.size < 0 || s!.size !== d!.size || (!sizeOnly && s!.modTime !== d!.modTime && Math.abs(modTimeDiffNs(d!.modTime, s!.modTime)) >= windowNs);
      const sameSize = s!.size >= 0 && s!.size === d!.size;
      yield differs ? { kind: 'update', key: s!.key, size: s!.size, destinationSize: d!.size, sameSize } : { kind: 'same', key: s!.key, size: s!.size };
      s = src();
      d = dst();
    }
  }
}

/** The folder a path is counted under for per-folder totals: its first `depth` components. */
export function folderOf(p: string, depth: number): string {
  const parts = p.split('/');
  return parts.length <= 1 ? '' : parts.slice(0, Math.min(depth, parts.length - 1)).join('/');
}
