// restic's read side (issue 16): argv for snapshots, ls, find, restore and dump, and parsers of what
// restic 0.14 prints for them. Pure, like restic.ts; the password reaches restic only through
// RESTIC_PASSWORD_FILE (resticEnv).
//
// What restic 0.14 does, checked by hand and by test/server/tools/restic-browse.test.ts:
// - `ls --json SNAP DIR` prints the snapshot line, then DIR's own node, then its children (one
//   level, by name); an unknown snapshot is "Ignoring …" on stderr with exit 0 and no snapshot
//   line; a path not in the snapshot prints the snapshot line alone, exit 0.
// - `find --json` prints one JSON array (per snapshot `{matches: [...], hits, snapshot}`) on one
//   line: FindScanner reads the matches as they stream and the caller may stop early.
// - `restore` has no `SNAP:subfolder`, no progress and no overwrite choice: it recreates the
//   absolute paths under --target and overwrites. Include patterns are filepath.Match patterns.
// - `dump` of a folder writes a tar (or zip) whose names are the absolute paths without the
//   leading slash.
import path from 'node:path';
import type { Command, ResticTarget } from './restic';
import { parseJsonObject, resticEnv } from './restic';

type Env = Record<string, string | undefined>;

export function resticSnapshots(bin: string, t: ResticTarget, base: Env): Command {
  return { cmd: bin, args: ['snapshots', '--json'], env: resticEnv(t, base) };
}

/** One folder level (or one file) of a snapshot. */
export function resticLsDir(bin: string, t: ResticTarget, base: Env, snapshotId: string, dirs: readonly string[], o: { recursive?: boolean } = {}): Command {
  return { cmd: bin, args: ['ls', '--json', ...(o.recursive ? ['--recursive'] : []), '--', snapshotId, ...dirs], env: resticEnv(t, base) };
}

export function resticFind(bin: string, t: ResticTarget, base: Env, snapshotId: string, pattern: string, o: { ignoreCase?: boolean } = {}): Command {
  return { cmd: bin, args: ['find', '--json', '--snapshot', snapshotId, ...(o.ignoreCase ? ['--ignore-case'] : []), '--', pattern], env: resticEnv(t, base) };
}

/** `restic find --pack ID…`: the files whose data lies in these packs (to name what a damaged pack holds). */
export function resticFindPacks(bin: string, t: ResticTarget, base: Env, packIds: readonly string[]): Command {
  return { cmd: bin, args: ['find', '--json', '--pack', '--', ...packIds], env: resticEnv(t, base) };
}

/** Go's filepath.Match treats these as pattern syntax; restic 0.14 takes a backslash as "this one literally". */
export function escapeIncludePattern(p: string): string {
  return p.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
}

/** Restores the snapshot (or only `paths`, with everything below them) under `target`, absolute paths recreated. */
export function resticRestore(bin: string, t: ResticTarget, base: Env, o: { snapshotId: string; target: string; paths: readonly string[] | null; verify?: boolean }): Command {
  const args = ['restore', '--target', o.target];
  for (const p of o.paths ?? []) args.push('--include', escapeIncludePattern(p));
  if (o.verify) args.push('--verify');
  args.push('--', o.snapshotId);
  return { cmd: bin, args, env: resticEnv(t, base) };
}

/** A file's bytes, or a folder as a tar or zip stream, on stdout. */
export function resticDump(bin: string, t: ResticTarget, base: Env, o: { snapshotId: string; path: string; archive?: 'tar' | 'zip' }): Command {
  return { cmd: bin, args: ['dump', ...(o.archive ? ['--archive', o.archive] : []), '--', o.snapshotId, o.path], env: resticEnv(t, base) };
}

// ---- parsers --------------------------------------------------------------------------------

export interface SnapshotRecord {
  id: string;
  shortId: string;
  time: string;
  hostname: string;
  username: string | null;
  paths: string[];
  tags: string[];
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function toSnapshot(o: Record<string, unknown>): SnapshotRecord | null {
  const id = str(o.id);
  const time = str(o.time);
  if (!id || !time) return null;
  return { id, shortId: str(o.short_id) ?? id.slice(0, 8), time, hostname: str(o.hostname) ?? '', username: str(o.username), paths: strs(o.paths), tags: strs(o.tags) };
}

/** `snapshots --json`: one JSON array. Oldest first. Throws when restic printed no array (never read as "none"). */
export function parseSnapshots(stdout: string): SnapshotRecord[] {
  const t = stdout.trim();
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch {
    throw new Error('restic snapshots printed no JSON list');
  }
  if (!Array.isArray(v)) throw new Error('restic snapshots printed no JSON list');
  const out = v.flatMap((o: unknown) => (o && typeof o === 'object' ? (toSnapshot(o as Record<string, unknown>) ?? []) : []));
  return out.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

/** The folder browsing starts at: the deepest folder every path of the snapshot is in. */
export function snapshotRoot(paths: readonly string[]): string {
  if (!paths.length) return '/';
  const split = paths.map((p) => path.posix.normalize(p).split('/').filter(Boolean));
  if (split.length === 1) return `/${split[0]!.join('/')}`;
  const common: string[] = [];
  for (let i = 0; ; i++) {
    const c = split[0]![i];
    if (c === undefined || !split.every((s) => s[i] === c)) break;
    common.push(c);
  }
  return `/${common.join('/')}`;
}

export interface SnapshotNode {
  name: string;
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number | null;
  mtime: string | null;
  permissions: string | null;
}

export type LsLine = { kind: 'snapshot'; id: string } | { kind: 'node'; node: SnapshotNode };

function nodeOf(o: Record<string, unknown>): SnapshotNode | null {
  const p = str(o.path);
  if (!p) return null;
  const t = str(o.type);
  return {
    name: str(o.name) ?? path.posix.basename(p),
    path: p,
    type: t === 'file' || t === 'dir' || t === 'symlink' ? t : 'other',
    size: typeof o.size === 'number' ? o.size : t === 'file' ? 0 : null,
    mtime: str(o.mtime),
    permissions: str(o.permissions),
  };
}

/** One line of `ls --json`: the snapshot it lists, or a node; null for anything else. */
export function parseLsLine(line: string): LsLine | null {
  const o = parseJsonObject(line);
  if (!o) return null;
  if (o.struct_type === 'snapshot') return typeof o.id === 'string' ? { kind: 'snapshot', id: o.id } : null;
  if (o.struct_type === 'node') {
    const n = nodeOf(o);
    return n ? { kind: 'node', node: n } : null;
  }
  return null;
}

/**
 * Reads the matches out of `find --json` output as it streams, without holding the whole array:
 * each complete `{…}` object inside a `"matches":[ … ]` array is handed on. Strings are followed
 * (escapes included) so braces in names do not count.
 */
export class FindScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private str = '';
  private lastString = '';
  /** the key whose value comes next (set by ':') */
  private pendingKey: string | null = null;
  /** depth inside the current matches array, -1 outside one */
  private arrayDepth = -1;
  private capturing = false;
  private buf = '';

  constructor(private readonly onMatch: (n: SnapshotNode) => void) {}

  push(chunk: string): void {
    for (const ch of chunk) {
      if (this.capturing) this.buf += ch;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (ch === '\\') this.escaped = true;
        else if (ch === '"') {
          this.inString = false;
          this.lastString = this.str;
          continue;
        }
        this.str += ch;
        continue;
      }
      switch (ch) {
        case '"':
          this.inString = true;
          this.str = '';
          this.pendingKey = null;
          break;
        case ':':
          this.pendingKey = this.lastString;
          break;
        case ',':
          this.pendingKey = null;
          break;
        case '[':
          this.depth++;
          if (!this.capturing && this.arrayDepth < 0 && this.pendingKey === 'matches') this.arrayDepth = this.depth;
          this.pendingKey = null;
          break;
        case '{':
          if (!this.capturing && this.arrayDepth >= 0 && this.depth === this.arrayDepth) {
            this.capturing = true;
            this.buf = '{';
          }
          this.depth++;
          this.pendingKey = null;
          break;
        case '}':
          this.depth--;
          if (this.capturing && this.depth === this.arrayDepth) {
            this.capturing = false;
            try {
              const n = nodeOf(JSON.parse(this.buf) as Record<string, unknown>);
              if (n) this.onMatch(n);
            } catch {
              /* not a match object: skipped, never invented */
            }
          }
          break;
        case ']':
          if (!this.capturing && this.depth === this.arrayDepth) this.arrayDepth = -1;
          this.depth--;
          break;
      }
    }
  }
}

/** Files named by `restic restore` as not restored: `ignoring error for /path: reason`. */
export function parseRestoreErrors(stderr: string): Array<{ path: string; reason: string }> {
  const out = new Map<string, string>();
  for (const line of stderr.split('\n')) {
    const m = /^ignoring error for (\/.*?): (.*)$/.exec(line.trim());
    // the first reason is the cause; restic then fails to set the times of the file it dropped
    if (m && !out.has(m[1]!)) out.set(m[1]!, m[2]!);
  }
  return [...out].map(([path, reason]) => ({ path, reason }));
}

/**
 * Pack ids `restic check` names as damaged: "Pack ID does not match, want <id>, got <hash>" (the
 * wanted id is the pack's name), "pack <id>: …" and "<id>: …" lines of its errors.
 */
export function parseCheckDamagedPacks(output: string): string[] {
  const ids = new Set<string>();
  for (const line of output.split('\n')) {
    const want = /want ([0-9a-f]{64})\b/.exec(line);
    if (want) {
      ids.add(want[1]!);
      continue;
    }
    const pack = /\bpack ([0-9a-f]{64})\b/i.exec(line);
    if (pack) ids.add(pack[1]!.toLowerCase());
  }
  return [...ids];
}

/** The file paths `find --json --pack` names (deduplicated; read even from a cut-off answer). */
export function parseFindPackPaths(stdout: string): string[] {
  const out = new Set<string>();
  for (const m of stdout.matchAll(/"path":("(?:[^"\\]|\\.)*")/g)) {
    try {
      out.add(JSON.parse(m[1]!) as string);
    } catch {
      /* a cut-off string at the end */
    }
  }
  return [...out];
}
