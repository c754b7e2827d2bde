// Runs in SQLite. The row also records who owns a live run (pid + start time of the process) and
// its child's process group, so a restart can tell its own dead runs from another live process's.
import { randomBytes } from 'node:crypto';
import { TERMINAL_STATUSES } from '../contract/api';
import type { BlockInfo, Progress, Run, RunStatus, RunSummary, RunTask, RunTrigger, RunsPage } from '../contract/api';
import type { Resource } from '../domain/resources';
import type { Db } from './db';

interface Row {
  id: string;
  job_id: string;
  status: RunStatus;
  trigger: RunTrigger;
  attempt: number;
  queued_at: string;
  started_at: string | null;
  finished_at: string | null;
  exit_code: number | null;
  error: string | null;
  progress_json: string | null;
  summary_json: string | null;
  block_json: string | null;
  approved_by: string | null;
  approved_count: number | null;
  approved_digest: string | null;
  log_tail: string;
  log_file: string | null;
  owner_pid: number | null;
  owner_start: string | null;
  child_pid: number | null;
  resources_json: string;
  task_json: string | null;
}

export interface RunRecord extends Run {
  task: RunTask | null;
  /** the approval: how many files and which set (digest) an admin let the run change */
  approvedCount: number | null;
  approvedDigest: string | null;
  logFile: string | null;
  ownerPid: number | null;
  ownerStart: string | null;
  childPid: number | null;
  resources: Resource[];
}

const parse = <T>(s: string | null): T | null => (s ? (JSON.parse(s) as T) : null);

function toRecord(r: Row): RunRecord {
  return {
    id: r.id,
    jobId: r.job_id,
    status: r.status,
    trigger: r.trigger,
    attempt: r.attempt,
    queuedAt: r.queued_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    exitCode: r.exit_code,
    error: r.error,
    progress: parse<Progress>(r.progress_json),
    summary: parse<RunSummary>(r.summary_json),
    block: parse<BlockInfo>(r.block_json),
    approvedBy: r.approved_by,
    logTail: r.log_tail,
    approvedCount: r.approved_count === null ? null : r.approved_count,
    approvedDigest: r.approved_digest,
    logFile: r.log_file,
    ownerPid: r.owner_pid,
    ownerStart: r.owner_start,
    childPid: r.child_pid,
    resources: JSON.parse(r.resources_json) as Resource[],
    task: parse<RunTask>(r.task_json),
  };
}

/** The wire shape: no owner pids, no file paths. */
export function toWire(r: RunRecord): Run {
  return {
    id: r.id,
    jobId: r.jobId,
    status: r.status,
    trigger: r.trigger,
    attempt: r.attempt,
    queuedAt: r.queuedAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    exitCode: r.exitCode,
    error: r.error,
    progress: r.progress,
    summary: r.summary,
    block: r.block,
    approvedBy: r.approvedBy,
    logTail: r.logTail,
    task: r.task ?? null,
  };
}

let lastMs = 0;
let seq = 0;

/**
 * Time-sortable ids: ordering by id is ordering by creation (FIFO for the queue, trivial cursors).
 * A counter keeps two runs created in the same millisecond in order; the random tail keeps ids of
 * different processes apart.
 */
export function newRunId(now: Date): string {
  const ms = Math.max(now.getTime(), lastMs);
  seq = ms === lastMs ? seq + 1 : 0;
  lastMs = ms;
  return `r${ms.toString(36).padStart(9, '0')}${seq.toString(36).padStart(3, '0')}${randomBytes(3).toString('hex')}`;
}

export interface RunPatch {
  status?: RunStatus;
  attempt?: number;
  startedAt?: string | null;
  finishedAt?: string | null;
  exitCode?: number | null;
  error?: string | null;
  progress?: Progress | null;
  summary?: RunSummary | null;
  block?: BlockInfo | null;
  approvedBy?: string | null;
  approvedCount?: number | null;
  approvedDigest?: string | null;
  logTail?: string;
  logFile?: string | null;
  ownerPid?: number | null;
  ownerStart?: string | null;
  childPid?: number | null;
  resources?: Resource[];
  trigger?: RunTrigger;
}

const COLUMNS: Record<keyof RunPatch, [string, (v: unknown) => unknown]> = {
  status: ['status', (v) => v],
  attempt: ['attempt', (v) => v],
  startedAt: ['started_at', (v) => v],
  finishedAt: ['finished_at', (v) => v],
  exitCode: ['exit_code', (v) => v],
  error: ['error', (v) => v],
  progress: ['progress_json', (v) => (v ? JSON.stringify(v) : null)],
  summary: ['summary_json', (v) => (v ? JSON.stringify(v) : null)],
  block: ['block_json', (v) => (v ? JSON.stringify(v) : null)],
  approvedBy: ['approved_by', (v) => v],
  approvedCount: ['approved_count', (v) => v],
  approvedDigest: ['approved_digest', (v) => v],
  logTail: ['log_tail', (v) => v],
  logFile: ['log_file', (v) => v],
  ownerPid: ['owner_pid', (v) => v],
  ownerStart: ['owner_start', (v) => v],
  childPid: ['child_pid', (v) => v],
  resources: ['resources_json', (v) => JSON.stringify(v)],
  trigger: ['trigger', (v) => v],
};

export class RunStore {
  constructor(private readonly db: Db) {}

  create(r: { id: string; jobId: string; trigger: RunTrigger; queuedAt: string; resources: Resource[]; ownerPid: number | null; ownerStart: string | null; attempt?: number; task?: RunTask }): RunRecord {
    this.db
      .prepare('INSERT INTO runs (id, job_id, status, trigger, attempt, queued_at, resources_json, owner_pid, owner_start, task_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(r.id, r.jobId, 'queued', r.trigger, r.attempt ?? 1, r.queuedAt, JSON.stringify(r.resources), r.ownerPid, r.ownerStart, r.task ? JSON.stringify(r.task) : null);
    return this.get(r.id)!;
  }

  get(id: string): RunRecord | undefined {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as Row | undefined;
    return row ? toRecord(row) : undefined;
  }

  update(id: string, patch: RunPatch): RunRecord {
    const sets: string[] = [];
    const vals: unknown[] = [];
    for (const [k, v] of Object.entries(patch) as Array<[keyof RunPatch, unknown]>) {
      if (v === undefined) continue;
      const [col, conv] = COLUMNS[k];
      sets.push(`${col} = ?`);
      vals.push(conv(v));
    }
    if (sets.length) this.db.prepare(`UPDATE runs SET ${sets.join(', ')} WHERE id = ?`).run(...vals, id);
    const r = this.get(id);
    if (!r) throw new Error(`run ${id} not found`);
    return r;
  }

  list(q: { job?: string; status?: RunStatus; limit: number; before?: string }): RunsPage & { records: RunRecord[] } {
    const where: string[] = [];
    const vals: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      where.push(sql);
      vals.push(v);
    };
    if (q.job) add('job_id = ?', q.job);
    if (q.status) add('status = ?', q.status);
    if (q.before) add('id < ?', q.before);
    const limit = Math.max(1, Math.min(500, q.limit));
    const rows = this.db.prepare(`SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`).all(...vals, limit + 1) as Row[];
    const records = rows.slice(0, limit).map(toRecord);
    return { records, runs: records.map(toWire), next: rows.length > limit ? records[records.length - 1]!.id : null };
  }

  withStatus(statuses: readonly RunStatus[]): RunRecord[] {
    const rows = this.db.prepare(`SELECT * FROM runs WHERE status IN (${statuses.map(() => '?').join(',')}) ORDER BY id`).all(...statuses) as Row[];
    return rows.map(toRecord);
  }

  last(jobId: string, statuses?: readonly RunStatus[]): RunRecord | undefined {
    const row = (
      statuses
        ? this.db.prepare(`SELECT * FROM runs WHERE job_id = ? AND status IN (${statuses.map(() => '?').join(',')}) ORDER BY id DESC LIMIT 1`).get(jobId, ...statuses)
        : this.db.prepare('SELECT * FROM runs WHERE job_id = ? ORDER BY id DESC LIMIT 1').get(jobId)
    ) as Row | undefined;
    return row ? toRecord(row) : undefined;
  }

  /** Files of restic backups this store knows (snapshot id → files processed), for the retention guard. */
  snapshotFileCounts(): Map<string, number> {
    const m = new Map<string, number>();
    const rows = this.db.prepare('SELECT summary_json FROM runs WHERE summary_json LIKE \'%"restic-backup"%\'').all() as Array<{ summary_json: string }>;
    for (const r of rows) {
      const s = JSON.parse(r.summary_json) as { snapshotId?: string; totalFilesProcessed?: number };
      if (s.snapshotId) m.set(s.snapshotId, s.totalFilesProcessed ?? 0);
    }
    return m;
  }

  /** The backup runs that made snapshots (short or full id as restic printed it → run), for the snapshot list. */
  snapshotRuns(jobIds: readonly string[]): Map<string, { runId: string; jobId: string; files: number; bytes: number }> {
    const m = new Map<string, { runId: string; jobId: string; files: number; bytes: number }>();
    if (!jobIds.length) return m;
    const rows = this.db.prepare(`SELECT id, job_id, summary_json FROM runs WHERE job_id IN (${jobIds.map(() => '?').join(',')}) AND summary_json LIKE '%"restic-backup"%'`).all(...jobIds) as Array<{
      id: string;
      job_id: string;
      summary_json: string;
    }>;
    for (const r of rows) {
      const s = JSON.parse(r.summary_json) as { snapshotId?: string; totalFilesProcessed?: number; totalBytesProcessed?: number };
      if (s.snapshotId) m.set(s.snapshotId, { runId: r.id, jobId: r.job_id, files: s.totalFilesProcessed ?? 0, bytes: s.totalBytesProcessed ?? 0 });
    }
    return m;
  }

  /** When a run of one of these jobs last ended (ISO), or null: what may have changed a repository. */
  lastFinished(jobIds: readonly string[]): string | null {
    if (!jobIds.length) return null;
    const r = this.db.prepare(`SELECT MAX(finished_at) AS at FROM runs WHERE job_id IN (${jobIds.map(() => '?').join(',')}) AND finished_at IS NOT NULL`).get(...jobIds) as { at: string | null };
    return r.at;
  }

  /** Runs a function in an IMMEDIATE transaction: the cross-process claim of resources happens here. */
  exclusive<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** Deletes finished runs older than `keepDays` and beyond the newest `keepRuns`; returns their ids. */
  prune(opts: { keepDays: number; keepRuns: number; now: Date }): string[] {
    const cutoff = new Date(opts.now.getTime() - opts.keepDays * 86_400_000).toISOString();
    const finished = `status IN (${TERMINAL_STATUSES.map((s) => `'${s}'`).join(',')})`;
    const old = this.db.prepare(`SELECT id FROM runs WHERE ${finished} AND (queued_at < ? OR id NOT IN (SELECT id FROM runs ORDER BY id DESC LIMIT ?))`).all(cutoff, opts.keepRuns) as Array<{ id: string }>;
    const ids = old.map((r) => r.id);
    const del = this.db.prepare('DELETE FROM runs WHERE id = ?');
    this.db.transaction(() => ids.forEach((id) => del.run(id)))();
    return ids;
  }
}

export class StateStore {
  constructor(private readonly db: Db) {}
  get(key: string): string | null {
    const r = this.db.prepare('SELECT value FROM engine_state WHERE key = ?').get(key) as { value: string } | undefined;
    return r ? r.value : null;
  }
  set(key: string, value: string): void {
    this.db.prepare('INSERT INTO engine_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }
}
