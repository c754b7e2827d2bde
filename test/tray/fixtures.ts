// Plain-data builders for the tray scenarios: a status as pillarsd would send it, runs, jobs, and
// the client's view of its pillars. Times are fixed so ages in labels are predictable.
import type { JobInfo, Run, StatusResponse } from '../../server/src/contract/api';
import type { PillarView, TrayInput } from '../../src/main/core/tray/types';
import type { Timers } from '../../src/main/core/tray/throttle';
import type { MountsPort } from '../../src/main/core/tray/controller';
import type { PillarState } from '../../src/platform/types';

export const NOW = Date.parse('2026-11-25T12:00:00Z');
export const hoursAgo = (h: number) => new Date(NOW - h * 3600_000).toISOString();
export const TiB = 1024 ** 4;

let seq = 0;
export function run(jobId: string, status: Run['status'], over: Partial<Run> = {}): Run {
  seq++;
  return {
    id: `r${seq}-${jobId}`,
    jobId,
    status,
    trigger: 'schedule',
    attempt: 1,
    queuedAt: hoursAgo(3),
    startedAt: hoursAgo(3),
    finishedAt: status === 'running' || status === 'queued' ? null : hoursAgo(3),
    exitCode: status === 'succeeded' ? 0 : status === 'failed' ? 1 : null,
    error: status === 'failed' ? 'restic: repository is locked' : null,
    progress: null,
    summary: null,
    block: null,
    approvedBy: null,
    logTail: '',
    ...over,
  };
}

export function job(id: string, type: JobInfo['type'], lastRun: Run | null, over: Partial<JobInfo> = {}): JobInfo {
  const isSync = type === 'rclone-sync';
  return {
    id,
    type,
    schedule: '0 2 * * *',
    timezone: null,
    enabled: true,
    after: [],
    repository: type.startsWith('restic') ? 'space:/backups/restic/flux' : null,
    source: type === 'restic-backup' ? 'flux:/' : isSync ? 'space:/' : null,
    destination: isSync ? 'b2:miket-space' : null,
    state: lastRun?.status === 'running' ? 'running' : lastRun?.status === 'blocked' ? 'blocked' : 'idle',
    nextRunAt: hoursAgo(-14),
    lastRun,
    lastSuccessAt: lastRun?.status === 'succeeded' ? lastRun.finishedAt : null,
    overdue: false,
    ...over,
  };
}

export function status(jobs: JobInfo[]): StatusResponse {
  return {
    version: '0.1.0',
    time: new Date(NOW).toISOString(),
    pillars: ['flux', 'space', 'time'].map((id) => ({ id, path: `/${id}`, online: true, sentinel: true, mounted: true, totalBytes: 12 * TiB, freeBytes: 4 * TiB, usedBytes: 8 * TiB, warnings: [] })),
    jobs,
    timeMachine: [],
    hotSets: [],
    b2: null,
    samba: { drift: null, reloadFailed: null },
    warnings: [],
  };
}

export function healthyJobs(): JobInfo[] {
  return [
    job('flux-backup', 'restic-backup', run('flux-backup', 'succeeded')),
    job('space-offsite', 'rclone-sync', run('space-offsite', 'succeeded', { finishedAt: hoursAgo(2) })),
    job('flux-retention', 'restic-forget', run('flux-retention', 'succeeded')),
  ];
}

export function pillars(over: Partial<Record<string, Partial<PillarView>>> = {}): PillarView[] {
  return [
    { id: 'flux', label: 'Flux', state: 'mounted', reason: null, freeBytes: 1.5 * TiB, ...over.flux },
    { id: 'space', label: 'Space', state: 'mounted', reason: null, freeBytes: 4 * TiB, ...over.space },
    { id: 'time', label: 'Time', state: 'mounted', reason: null, freeBytes: 2 * TiB, ...over.time },
  ];
}

export function input(over: Partial<TrayInput> = {}): TrayInput {
  return {
    now: NOW,
    os: 'darwin',
    location: 'home',
    pillars: pillars(),
    server: { connection: 'connected', status: status(healthyJobs()), host: 'motoko' },
    timeMachine: { latestBackupAt: hoursAgo(2) },
    startAtLogin: true,
    ...over,
  };
}

/** A manual clock: timers fire only when the test advances time. */
export function manualTimers(start = 0): Timers & { advance(ms: number): void; pending(): number } {
  let now = start;
  let seq = 0;
  const queue = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq;
      queue.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout(h) {
      queue.delete(h as number);
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const next = [...queue.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!next) break;
        queue.delete(next[0]);
        now = next[1].at;
        next[1].fn();
      }
      now = end;
    },
    pending: () => queue.size,
  };
}

/** A mounts port that records calls (the MountManager itself is tested against a real smbd). */
export class RecordingMounts implements MountsPort {
  calls: Array<[string, ...unknown[]]> = [];
  private listeners = new Set<() => void>();
  pillars: Array<{ id: string; label: string; state: PillarState; reason: string; freeBytes: number | null }> = [
    { id: 'flux', label: 'Flux', state: 'mounted', reason: '', freeBytes: 2 * 1024 ** 4 },
    { id: 'space', label: 'Space', state: 'mounted', reason: '', freeBytes: 5 * 1024 ** 4 },
  ];
  statusReads = 0;
  status() {
    this.statusReads++;
    return this.pillars.map((p) => ({ ...p }));
  }
  onChange(fn: () => void) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  set(id: string, state: PillarState, reason = '') {
    const p = this.pillars.find((x) => x.id === id)!;
    p.state = state;
    p.reason = reason;
    for (const fn of this.listeners) fn();
  }
  start() {
    this.calls.push(['start']);
  }
  async stop() {
    this.calls.push(['stop']);
  }
  openFiles: Record<string, number> = {};
  async countOpenFiles() {
    return Object.values(this.openFiles).reduce((a, b) => a + b, 0);
  }
  async remount(ids?: string[], opts?: { force?: boolean }) {
    this.calls.push(opts?.force ? ['remount', ids, 'force'] : ['remount', ids]);
    return this.pillars.filter((p) => !ids || ids.includes(p.id)).map((p) => ({ id: p.id, label: p.label, ...(this.openFiles[p.id] && !opts?.force ? { openFiles: this.openFiles[p.id] } : {}) }));
  }
  async open(id: string) {
    this.calls.push(['open', id]);
  }
  nudge(why: 'wake' | 'network-change' | 'user') {
    this.calls.push(['nudge', why]);
  }
}
