// Guards' decisions (rules 1–3 of docs/architecture.md), pure: the runner gathers the facts, these decide.
import type { BlockInfo, RunStatus } from '../contract/api';

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

/**
 * Rule 3: a source that vanished or holds nothing is refused (an empty snapshot or sync wipes
 * history). `files` (for a snapshot): what a walk found, so folders with no file in them are no
 * more than an empty source.
 */
export function sourceGuard(s: { path: string; exists: boolean; hasEntries: boolean; files?: { found: true } | { found: false; folders: number } }): BlockInfo | null {
  if (!s.exists) return { guard: 'missing-source', needsApproval: false, message: `source ${s.path} does not exist` };
  if (!s.hasEntries) return { guard: 'empty-source', needsApproval: false, message: `source ${s.path} is empty: refusing to back up or sync nothing over real data` };
  if (s.files && !s.files.found) {
    return {
      guard: 'empty-source',
      needsApproval: false,
      message: `source ${s.path} holds no files, only ${s.files.folders} empty folder${s.files.folders === 1 ? '' : 's'}: refusing to snapshot nothing over real data (a disk not mounted under it? files moved away?)`,
    };
  }
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
  // the one rounding (domain/size.ts formatBytes; test/server/domain/size.test.ts holds them equal)
  return `${i === 0 ? v : v.toFixed(v < 100 ? 1 : 0)} ${u[i]}`;
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

/** A snapshot's size as restic's backup summary counts it (files, not folders; bytes of their content). */
export interface SnapshotSize {
  files: number;
  bytes: number;
}

export interface ShrinkFacts {
  previous: { id: string } & SnapshotSize;
  /** the snapshot just written */
  current: { id: string } & SnapshotSize;
  maxFilesDropPercent: number;
  maxBytesDropPercent: number;
  /** what an admin approved when this run blocked before: a snapshot at least this large stands */
  approved: SnapshotSize | null;
}

const dropPercent = (before: number, after: number) => (before <= 0 || after >= before ? 0 : ((before - after) / before) * 100);

/**
 * Rule 3, backup side: a snapshot with far fewer files or bytes than the previous one of the same
 * path waits for approval (a deleted or encrypted tree must not look like a good backup). An
 * approval is for what was shown: a snapshot no smaller than the approved one stands; a smaller
 * one blocks again. A drop of exactly the limit passes; 100 % switches a measure off.
 */
export function shrinkGuard(f: ShrinkFacts): BlockInfo | null {
  const { previous: p, current: c } = f;
  if (f.approved && c.files >= f.approved.files && c.bytes >= f.approved.bytes) return null;
  const filesDrop = dropPercent(p.files, c.files);
  const bytesDrop = dropPercent(p.bytes, c.bytes);
  const over: string[] = [];
  if (f.maxFilesDropPercent < 100 && filesDrop > f.maxFilesDropPercent) over.push(`files fell ${Number(filesDrop.toFixed(1))}% (limit ${f.maxFilesDropPercent}%)`);
  if (f.maxBytesDropPercent < 100 && bytesDrop > f.maxBytesDropPercent) over.push(`bytes fell ${Number(bytesDrop.toFixed(1))}% (limit ${f.maxBytesDropPercent}%)`);
  if (over.length === 0) return null;
  const again = f.approved ? `, smaller than the ${f.approved.files} files and ${formatBytes(f.approved.bytes)} approved` : '';
  return {
    guard: 'backup-shrunk',
    needsApproval: true,
    shrink: { previousSnapshot: p.id, withdrawnSnapshot: c.id, files: { before: p.files, after: c.files }, bytes: { before: p.bytes, after: c.bytes } },
    message:
      `the backup shrank against snapshot ${p.id.slice(0, 8)}: ${p.files} → ${c.files} files, ${formatBytes(p.bytes)} → ${formatBytes(c.bytes)} ` +
      `(${over.join(', ')})${again}; snapshot ${c.id.slice(0, 8)} was withdrawn (restic forget, its data stays). ` +
      'Approve the run if the files were removed on purpose: it backs up again and keeps a snapshot at least this large',
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

/** The latest run of one job that tells something about a repository's health. */
export interface HealthRun {
  jobId: string;
  run: { id: string; status: RunStatus; error: string | null; finishedAt: string | null; queuedAt: string } | undefined;
}

export interface RetentionHealthFacts {
  /** the repository as pillarsd.yaml names it */
  repository: string;
  /** each restic-check job of the repository with its latest succeeded or failed run */
  checks: HealthRun[];
  /** each restic-backup job into it with its latest run that succeeded, failed, was blocked or interrupted */
  backups: HealthRun[];
  gate: { check: boolean; backup: boolean };
}

/** The statuses that say something about health: a cancel by someone says nothing either way. */
export const CHECK_VERDICTS: readonly RunStatus[] = ['succeeded', 'succeeded-with-warnings', 'failed'];
export const BACKUP_VERDICTS: readonly RunStatus[] = ['succeeded', 'succeeded-with-warnings', 'failed', 'blocked', 'interrupted'];

/**
 * Rule 3, health: forget and prune wait while the latest check of the repository failed (a
 * damaged repository is repaired first, not thinned out) or the latest backup into it did not
 * save its snapshot (failed, blocked by a guard, interrupted): retention would drop old snapshots
 * while no new one replaces them. Each side can be turned off (`healthGate`).
 */
export function retentionHealthGate(f: RetentionHealthFacts): BlockInfo | null {
  const reasons: string[] = [];
  const needs = new Set<string>();
  const what = (h: HealthRun) => `${h.jobId}, run ${h.run!.id} of ${(h.run!.finishedAt ?? h.run!.queuedAt).slice(0, 16).replace('T', ' ')}`;
  const why = (h: HealthRun) => (h.run!.error ? `: ${h.run!.error}` : '');
  if (f.gate.check) {
    for (const h of f.checks) {
      if (h.run?.status !== 'failed') continue;
      reasons.push(`the latest check (${what(h)}) failed${why(h)}`);
      needs.add('a check passes');
    }
  }
  if (f.gate.backup) {
    for (const h of f.backups) {
      const s = h.run?.status;
      if (s !== 'failed' && s !== 'blocked' && s !== 'interrupted') continue;
      reasons.push(`the latest backup into it (${what(h)}) ${s === 'failed' ? 'failed' : s === 'blocked' ? 'was blocked' : 'was interrupted'}${why(h)}`);
      needs.add(`${h.jobId} saves a snapshot`);
    }
  }
  if (reasons.length === 0) return null;
  return {
    guard: 'repository-unhealthy',
    needsApproval: false,
    message: `retention of ${f.repository} waits: ${reasons.join('; ')}. It goes on once ${[...needs].join(' and ')} (healthGate in pillarsd.yaml turns this off)`,
  };
}
