// Guards' decisions (rules 1–3 of docs/architecture.md), pure: the runner gathers the facts, these decide.
import type { BlockInfo } from '../contract/api';

export interface PillarFacts {
  id: string;
  path: string;
  requireMount: boolean;
  exists: boolean;
  mounted: boolean;
  /** content of `<path>/.pillar`, null when missing or unreadable */
  sentinel: string | null;
}

/** The sentinel holds the pillar id: either the bare id or a line `id: <id>`. */
export function sentinelId(text: string | null): string | null {
  if (text === null) return null;
  const t = text.trim();
  const m = /^id\s*[:=]\s*["']?([\w-]+)["']?\s*$/m.exec(t);
  if (m) return m[1]!;
  const first = t.split(/\s+/)[0];
  return first ? first : null;
}

/** Rule 1: a pillar must be a mount point (unless allowed as a folder) carrying its sentinel. */
export function pillarGuard(p: PillarFacts): BlockInfo | null {
  if (!p.exists) return { guard: 'pillar-not-mounted', needsApproval: false, message: `pillar ${p.id}: ${p.path} does not exist` };
  if (p.requireMount && !p.mounted) {
    return {
      guard: 'pillar-not-mounted',
      needsApproval: false,
      message: `pillar ${p.id}: ${p.path} is not a mount point (mount it, or set pillars.${p.id}.requireMount: false for a plain folder)`,
    };
  }
  const id = sentinelId(p.sentinel);
  if (id === null) {
    return {
      guard: 'pillar-sentinel',
      needsApproval: false,
      message: `pillar ${p.id}: ${p.path}/.pillar is missing, so ${p.path} may not be the ${p.id} pillar (write "${p.id}" into ${p.path}/.pillar once it is)`,
    };
  }
  if (id !== p.id) {
    return { guard: 'pillar-sentinel', needsApproval: false, message: `pillar ${p.id}: ${p.path}/.pillar names "${id}", not "${p.id}": a different disk is mounted there` };
  }
  return null;
}

/** Rule 3: a source that vanished or holds nothing is refused (an empty snapshot or sync wipes history). */
export function sourceGuard(s: { path: string; exists: boolean; hasEntries: boolean }): BlockInfo | null {
  if (!s.exists) return { guard: 'missing-source', needsApproval: false, message: `source ${s.path} does not exist` };
  if (!s.hasEntries) return { guard: 'empty-source', needsApproval: false, message: `source ${s.path} is empty: refusing to back up or sync nothing over real data` };
  return null;
}

export interface DeleteFacts {
  count: number;
  bytes: number;
  sample: string[];
  /** files at the destination before the sync */
  destinationCount: number;
  maxDeletePercent: number;
  maxDeleteCount: number;
  /** an admin approved up to this many deletions (Infinity for `run --approve`) */
  approvedCount: number | null;
}

export function formatBytes(n: number): string {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${u[i]}`;
}

/** Rule 2: the dry run's deletions above the guard block the sync until an admin approves them. */
export function deleteGuard(d: DeleteFacts): BlockInfo | null {
  const percent = d.destinationCount > 0 ? (d.count / d.destinationCount) * 100 : d.count > 0 ? 100 : 0;
  const over = d.count > d.maxDeleteCount || percent > d.maxDeletePercent;
  if (!over) return null;
  if (d.approvedCount !== null && d.count <= d.approvedCount) return null;
  const pct = percent < 10 ? percent.toFixed(1) : percent.toFixed(0);
  const sample = d.sample.slice(0, 5).join(', ');
  const again = d.approvedCount !== null ? ` (more than the ${d.approvedCount} approved)` : '';
  return {
    guard: 'delete-threshold',
    needsApproval: true,
    deletes: { count: d.count, bytes: d.bytes, percent, sample: d.sample },
    message:
      `the sync would delete ${d.count} files${again} (${formatBytes(d.bytes)}, ${pct}% of the destination), ` +
      `above the guard (${d.maxDeleteCount} files or ${d.maxDeletePercent}%); e.g. ${sample}. Approve the run to let it go on`,
  };
}

export interface RetentionFacts {
  keep: string[];
  remove: string[];
  /** snapshot id → true when it holds no files */
  empty: (id: string) => boolean | undefined;
}

/**
 * Rule 3, retention side: forget must not drop a snapshot with data while it keeps an empty one in
 * its place (restic's own policy would: `--keep-last 1` keeps the newest, even if empty).
 */
export function retentionGuard(f: RetentionFacts): BlockInfo | null {
  const emptyKept = f.keep.filter((id) => f.empty(id) === true);
  if (emptyKept.length === 0) return null;
  const realRemoved = f.remove.filter((id) => f.empty(id) === false);
  if (realRemoved.length === 0) return null;
  return {
    guard: 'retention-minimum',
    needsApproval: false,
    message:
      `retention would keep ${emptyKept.length} empty snapshot(s) (${emptyKept.map((s) => s.slice(0, 8)).join(', ')}) and remove ` +
      `${realRemoved.length} with data (${realRemoved
        .slice(0, 5)
        .map((s) => s.slice(0, 8))
        .join(', ')}): remove the empty snapshots with restic forget first`,
  };
}
