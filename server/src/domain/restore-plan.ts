// Where a restore writes (issue 16), pure. restic 0.14 recreates a snapshot's absolute paths under
// its --target, so a restore goes into a staging folder first; these functions say which staged
// entry lands where, and judge the paths asked for against the snapshot and the target pillar.
import path from 'node:path';
import { pathContains } from '../config/locations';

/** `/a/b/` → `/a/b`; `/` stays. */
export function normalizeSnapshotPath(p: string): string {
  const n = path.posix.normalize(p);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

/** The components of `p` below `root`, or null when `p` is not `root` or inside it. */
export function partsBelow(root: string, p: string): string[] | null {
  if (!pathContains(root, p)) return null;
  const rel = path.posix.relative(root, p);
  return rel ? rel.split('/') : [];
}

export type RestoreMode = 'new' | 'original' | 'folder';

/** A staged entry (`srcBase/parts…`) and where it goes (`dstBase/parts…`). */
export interface Placement {
  srcBase: string;
  dstBase: string;
  parts: string[];
  /** the absolute path the item is written to */
  target: string;
}

/**
 * - new: the paths keep their place below the snapshot root inside the new folder;
 * - folder: each path lands in the folder by its name (the snapshot root: its contents);
 * - original: each path goes back to where it was.
 */
export function placementOf(o: { mode: RestoreMode; root: string; destination: string | null; staging: string }, item: string): Placement {
  const stage = (p: string) => path.posix.join(o.staging, p);
  if (o.mode === 'original') {
    const parts = item.split('/').filter(Boolean);
    return { srcBase: o.staging, dstBase: '/', parts, target: item };
  }
  const dest = o.destination!;
  if (o.mode === 'new' || item === o.root) {
    const parts = partsBelow(o.root, item) ?? [];
    return { srcBase: stage(o.root), dstBase: dest, parts, target: path.posix.join(dest, ...parts) };
  }
  const name = path.posix.basename(item);
  return { srcBase: stage(path.posix.dirname(item)), dstBase: dest, parts: [name], target: path.posix.join(dest, name) };
}

/** `20250104-031500`: a restore folder's time, sortable and free of characters Windows refuses. */
export function folderStamp(d: Date): string {
  return d
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/[-:]/g, '')
    .replace('T', '-');
}

/** Paths asked for that are not in the snapshot root (refused before anything runs). */
export function outsideRoot(root: string, paths: readonly string[]): string[] {
  return paths.filter((p) => partsBelow(root, p) === null);
}

/** Paths that lie inside another path of the same request (restored with it already). */
export function dropNested(paths: readonly string[]): string[] {
  const sorted = [...new Set(paths)].sort((a, b) => a.length - b.length);
  const out: string[] = [];
  for (const p of sorted) if (!out.some((q) => pathContains(q, p))) out.push(p);
  return out;
}

/**
 * Why a restore may not write to `target` (absolute, its real path as far as it exists), or null:
 * it must be inside a pillar and not inside a restic repository of any job.
 */
export function targetProblem(target: string, realTarget: string, pillars: ReadonlyArray<{ id: string; path: string; realPath: string }>, repositories: readonly string[]): string | null {
  const p = pillars.find((x) => pathContains(x.path, target));
  if (!p) return `${target} is not inside a pillar (${pillars.map((x) => `${x.id}: ${x.path}`).join(', ') || 'none configured'})`;
  if (!pathContains(p.realPath, realTarget)) return `${target} leads out of pillar ${p.id} through a symbolic link (to ${realTarget})`;
  const repo = repositories.find((r) => pathContains(r, target) || pathContains(r, realTarget));
  if (repo) return `${target} is inside the restic repository ${repo}: a restore never writes into a repository`;
  return null;
}
