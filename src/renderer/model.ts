// The pane's live model as pure functions: how a server event changes what we know about runs and
// jobs. Kept free of React and the DOM so it is tested in plain Node.
import { LIVE_STATUSES, SUCCESS_STATUSES, type JobInfo, type Progress, type Run, type RunStatus, type ServerEvent, type StatusResponse } from '../../server/src/contract/api';

export interface LiveModel {
  status: StatusResponse | null;
  /** Every run we have seen (fetched or pushed), by id. */
  runs: ReadonlyMap<string, Run>;
}

export function isActive(s: RunStatus): boolean {
  return LIVE_STATUSES.includes(s);
}

function jobStateFor(run: Run): JobInfo['state'] {
  if (run.status === 'queued' || run.status === 'running' || run.status === 'blocked') return run.status;
  return 'idle';
}

/** A run replaces the job's lastRun when it is the same run or a newer one. */
function patchJob(job: JobInfo, run: Run): JobInfo {
  if (job.id !== run.jobId) return job;
  const last = job.lastRun;
  if (last && last.id !== run.id && last.queuedAt > run.queuedAt) return job;
  const success = SUCCESS_STATUSES.includes(run.status);
  return {
    ...job,
    lastRun: run,
    state: jobStateFor(run),
    lastSuccessAt: success ? (run.finishedAt ?? job.lastSuccessAt) : job.lastSuccessAt,
    overdue: success ? false : job.overdue,
  };
}

export function withRun(m: LiveModel, run: Run): LiveModel {
  const runs = new Map(m.runs);
  runs.set(run.id, run);
  const status = m.status ? { ...m.status, jobs: m.status.jobs.map((j) => patchJob(j, run)) } : null;
  return { status, runs };
}

export function withProgress(m: LiveModel, runId: string, jobId: string, progress: Progress): LiveModel {
  const known = m.runs.get(runId) ?? m.status?.jobs.find((j) => j.lastRun?.id === runId)?.lastRun ?? null;
  if (!known) return m; // a run we never saw: the resync after the next started/finished event brings it
  const run: Run = { ...known, jobId, progress, status: known.status === 'queued' ? 'running' : known.status };
  return withRun(m, run);
}

/** Applies one event; `status.changed` and `run.log` change nothing here (the store refetches / streams them). */
export function applyEvent(m: LiveModel, e: ServerEvent): LiveModel {
  switch (e.type) {
    case 'run.queued':
    case 'run.started':
    case 'run.finished':
    case 'run.blocked':
      return withRun(m, e.run);
    case 'run.progress':
      return withProgress(m, e.runId, e.jobId, e.progress);
    default:
      return m;
  }
}

/** A fresh status replaces the old one, but runs we know to be newer (pushed since) stay in the jobs. */
export function withStatus(m: LiveModel, status: StatusResponse): LiveModel {
  const runs = new Map(m.runs);
  for (const j of status.jobs) if (j.lastRun) runs.set(j.lastRun.id, j.lastRun);
  return { status, runs };
}

export function withRuns(m: LiveModel, list: readonly Run[]): LiveModel {
  const runs = new Map(m.runs);
  for (const r of list) runs.set(r.id, r);
  return { status: m.status, runs };
}

/** The run a "Cancel" on the job's row acts on: its newest queued, running or blocked run. */
export function activeRunOf(m: LiveModel, jobId: string): Run | null {
  let best: Run | null = null;
  for (const r of m.runs.values()) {
    if (r.jobId === jobId && isActive(r.status) && (!best || r.queuedAt > best.queuedAt)) best = r;
  }
  return best;
}
