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
  /** on both sides, equal but for the time (rclone's dry run found the hashes equal): rclone only sets the time */
  | { kind: 'touch'; key: string; size: number }
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

/** What a plan's dry run said of one file, by the letter it sorts under. */
const DRY_RUN_CODE = { copy: 'c', delete: 'd', replace: 'r', touch: 't' } as const;
type DryRunKind = keyof typeof DRY_RUN_CODE;
const DRY_RUN_KIND: Record<string, DryRunKind> = { c: 'copy', d: 'delete', r: 'replace', t: 'touch' };

/**
 * One file a dry run named, as a line for `sort`: key, what rclone would do, size. All lines of a key
 * sort together (the tab sorts below every character a key holds), so `dryRunSteps` sees a file's
 * "replace" and "copy" side by side however rclone's checkers interleaved them.
 */
export function dryRunLine(f: { kind: DryRunKind; path: string; size: number }): string {
  return `${pathKey(f.path)}\t${DRY_RUN_CODE[f.kind]}\t${f.size}`;
}

/**
 * The plan steps of a dry run's sorted lines (dryRunLine), in key order: a copy alone is a new file, a
 * copy beside a replace an overwrite (the replace has the destination's size), a delete and a touch
 * are what they say. Any other mix for one file (a replace with no copy, a copy and a delete) throws:
 * rclone said something pillarsd cannot turn into one judged change.
 */
export function* dryRunSteps(next: () => string | null): Generator<PlanStep> {
  let pending: { key: string; kinds: Partial<Record<DryRunKind, number>> } | null = null;
  const step = (p: { key: string; kinds: Partial<Record<DryRunKind, number>> }): PlanStep => {
    const k = p.kinds;
    const named = Object.keys(k).sort().join(' + ');
    if (named === 'copy') return { kind: 'new', key: p.key, size: k.copy! };
    if (named === 'copy + replace') return { kind: 'update', key: p.key, size: k.copy!, destinationSize: k.replace!, sameSize: k.copy! >= 0 && k.copy === k.replace };
    if (named === 'delete') return { kind: 'delete', key: p.key, size: k.delete! };
    if (named === 'touch') return { kind: 'touch', key: p.key, size: k.touch! };
    throw new Error(`rclone's dry run named "${keyPath(p.key)}" for ${named}: not one change pillarsd can judge`);
  };
  let last: string | null = null;
  for (let l = next(); l !== null; l = next()) {
    if (l === '') continue;
    const a = l.indexOf('\t');
    const b = l.indexOf('\t', a + 1);
    const kind = DRY_RUN_KIND[l.slice(a + 1, b)];
    if (a < 0 || b < 0 || !kind) throw new Error(`malformed dry-run line: ${l.slice(0, 200)}`);
    const key = l.slice(0, a);
    if (last !== null && key < last) throw new Error(`dry-run lines not sorted at "${keyPath(key)}"`);
    last = key;
    if (pending && pending.key !== key) {
      yield step(pending);
      pending = null;
    }
    pending ??= { key, kinds: {} };
    if (pending.kinds[kind] !== undefined) throw new Error(`rclone's dry run named "${keyPath(key)}" twice for ${kind}`);
    pending.kinds[kind] = Number(l.slice(b + 1));
  }
  if (pending) yield step(pending);
}

/** The folder a path is counted under for per-folder totals: its first `depth` components. */
export function folderOf(p: string, depth: number): string {
  const parts = p.split('/');
  return parts.length <= 1 ? '' : parts.slice(0, Math.min(depth, parts.length - 1)).join('/');
}
