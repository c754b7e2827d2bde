// Guards' decisions (rules 1–3 of docs/architecture.md), pure: the runner gathers the facts, these decide.
import type { BlockInfo, RunStatus } from '../contract/api';
import { RECOVER_MARKER } from './recover-plan';

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

/**
 * A pillar a recovery from the cloud is still filling (its marker at the top): a backup or sync
 * that reads it would take a half-made disk for the truth, and an offsite sync would delete the
 * cloud copies of files not recovered yet (below its deletion threshold, unasked).
 */
export function recoveryGuard(p: { pillar: string; recovering: boolean }): BlockInfo | null {
  if (!p.recovering) return null;
  return {
    guard: 'recovery-in-progress',
    needsApproval: false,
    message: `pillar ${p.pillar} is being recovered (its ${RECOVER_MARKER} marker is there): nothing is backed up or synced from it until the recovery has been verified (pillarsd recover ${p.pillar} --from REMOTE finishes it)`,
  };
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

const pct = (p: number) => (p < 10 ? p.toFixed(1) : p.toFixed(0));

export interface ChangeCount {
  count: number;
  bytes: number;
  sample: string[];
}

export interface ChangeFacts {
  runId: string;
  /** deletions the guard counts: at the destination, gone at the source, no prune of ours explains them */
  deletes: ChangeCount;
  /** files the run would overwrite at the destination */
  overwrites: ChangeCount;
  /** files at the destination before the run (from its listing) */
  destinationCount: number;
  /** the delete guard (rclone-sync only) */
  maxDeleteCount?: number;
  maxDeletePercent?: number;
  /** the mass-change guard: (overwrites + deletions) as a share of the destination */
  maxChangePercent: number;
  /** the whole set the run listed: what an approval must name */
  approval: { count: number; digest: string };
}

/**
 * Rules 2 and the mass-change guard (issue 14): a sync that would delete more than its guard allows,
 * or a run that would overwrite and delete more than a share of the destination, waits for an
 * admin to approve exactly the set it listed.
 */
export function changeGuard(f: ChangeFacts): BlockInfo | null {
  const share = (n: number) => (f.destinationCount > 0 ? (n / f.destinationCount) * 100 : n > 0 ? 100 : 0);
  const delPercent = share(f.deletes.count);
  const changed = f.deletes.count + f.overwrites.count;
  const changePercent = share(changed);
  const deleteOver = f.maxDeleteCount !== undefined && f.maxDeletePercent !== undefined && (f.deletes.count > f.maxDeleteCount || delPercent > f.maxDeletePercent);
  const changeOver = f.overwrites.count > 0 && changePercent > f.maxChangePercent;
  if (!deleteOver && !changeOver) return null;
  const parts: string[] = [];
  if (f.deletes.count > 0) parts.push(`delete ${f.deletes.count} files (${formatBytes(f.deletes.bytes)}, ${pct(delPercent)}% of the destination; e.g. ${f.deletes.sample.slice(0, 3).join(', ')})`);
  if (f.overwrites.count > 0) parts.push(`overwrite ${f.overwrites.count} files (${formatBytes(f.overwrites.bytes)}; e.g. ${f.overwrites.sample.slice(0, 3).join(', ')})`);
  const why = deleteOver
    ? `above the delete guard (${f.maxDeleteCount} files or ${f.maxDeletePercent}%)`
    : `${pct(changePercent)}% of the ${f.destinationCount} files at the destination, above the mass-change guard (${f.maxChangePercent}%)`;
  return {
    guard: deleteOver ? 'delete-threshold' : 'mass-change',
    needsApproval: true,
    deletes: { count: f.deletes.count, bytes: f.deletes.bytes, percent: delPercent, sample: f.deletes.sample },
    changes: { count: f.overwrites.count, bytes: f.overwrites.bytes, percent: share(f.overwrites.count), sample: f.overwrites.sample },
    approval: f.approval,
    message: `the run would ${parts.join(' and ')}: ${why}. Nothing was changed. ` + `See the whole set (${f.approval.count} files) and approve exactly it with: pillarsd approve ${f.runId}`,
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
