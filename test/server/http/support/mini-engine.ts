// A small in-test engine: the EngineApi over the real RunStore and EventStore (SQLite), with runs
// that the test drives by hand (start, progress, finish, block). It stands in for the job runner
// only, so API tests don't wait on restic; the real engine has its own acceptance test here too.
import type { ApproveRequest, JobInfo, Progress, Run } from '../../../../server/src/contract/api';
import { ConflictError, NotFoundError } from '../../../../server/src/ports/errors';
import type { EngineApi, RunQuery } from '../../../../server/src/ports/services';
import type { EventStore } from '../../../../server/src/store/events';
import { newRunId, toWire, type RunStore } from '../../../../server/src/store/runs';

export function job(id: string, over: Partial<JobInfo> = {}): JobInfo {
  return {
    id,
    type: 'restic-backup',
    schedule: '0 2 * * *',
    timezone: null,
    enabled: true,
    after: [],
    repository: 'space:/backups/restic/flux',
    source: 'flux:/',
    destination: null,
    state: 'idle',
    nextRunAt: null,
    lastRun: null,
    lastSuccessAt: null,
    overdue: false,
    ...over,
  };
}

/** The set every run the mini engine blocks lists (what an approval must name). */
export const MINI_APPROVAL = { count: 12, digest: 'c'.repeat(64) };

export class MiniEngine implements EngineApi {
  readonly logs = new Map<string, string[]>();
  private readonly jobs = new Map<string, JobInfo>();
  private seq = 0;

  constructor(
    readonly runs: RunStore,
    readonly hub: EventStore,
    jobs: JobInfo[],
  ) {
    for (const j of jobs) this.jobs.set(j.id, j);
  }

  listJobs(): JobInfo[] {
    return [...this.jobs.values()];
  }
  getJob(id: string): JobInfo | undefined {
    return this.jobs.get(id);
  }
  runNow(jobId: string): Run {
    if (!this.jobs.has(jobId)) throw new NotFoundError(`no job ${jobId}`);
    const now = new Date(Date.now() + this.seq++);
    const r = this.runs.create({ id: newRunId(now), jobId, trigger: 'manual', queuedAt: now.toISOString(), resources: [], ownerPid: null, ownerStart: null });
    this.hub.publish({ type: 'run.queued', run: toWire(r) });
    return toWire(r);
  }
  start(id: string): Run {
    const r = toWire(this.runs.update(id, { status: 'running', startedAt: new Date().toISOString() }));
    this.hub.publish({ type: 'run.started', run: r });
    return r;
  }
  progress(id: string, percent: number): void {
    const p: Progress = { percent, bytesDone: percent * 10, bytesTotal: 1000, filesDone: percent, filesTotal: 100, rate: null, etaSeconds: null, current: [] };
    const r = this.runs.update(id, { progress: p });
    this.hub.publish({ type: 'run.progress', runId: id, jobId: r.jobId, progress: p });
  }
  log(id: string, lines: string[]): void {
    this.logs.set(id, [...(this.logs.get(id) ?? []), ...lines]);
    this.hub.publish({ type: 'run.log', runId: id, lines });
  }
  finish(id: string, status: 'succeeded' | 'failed' = 'succeeded'): Run {
    const r = toWire(this.runs.update(id, { status, finishedAt: new Date().toISOString(), exitCode: status === 'succeeded' ? 0 : 1 }));
    this.hub.publish({ type: 'run.finished', run: r });
    return r;
  }
  block(id: string): Run {
    const r = toWire(this.runs.update(id, { status: 'blocked', block: { guard: 'delete-threshold', message: '12 deletions exceed the guard', needsApproval: true, approval: MINI_APPROVAL } }));
    this.hub.publish({ type: 'run.blocked', run: r });
    return r;
  }
  cancel(runId: string, actor: string): Run {
    const r = this.runs.get(runId);
    if (!r) throw new NotFoundError(`no run ${runId}`);
    if (!['queued', 'running', 'blocked'].includes(r.status)) throw new ConflictError(`run ${runId} is already ${r.status}`);
    const out = toWire(this.runs.update(runId, { status: 'cancelled', finishedAt: new Date().toISOString(), error: `cancelled by ${actor}` }));
    this.hub.publish({ type: 'run.finished', run: out });
    return out;
  }
  approve(runId: string, actor: string, seen: ApproveRequest | null): Run {
    const r = this.runs.get(runId);
    if (!r) throw new NotFoundError(`no run ${runId}`);
    if (r.status !== 'blocked' || !r.block?.needsApproval) throw new ConflictError(`run ${runId} is ${r.status}, not blocked awaiting approval`);
    if (seen?.count !== r.block.approval?.count || seen?.digest !== r.block.approval?.digest) throw new ConflictError(`run ${runId} lists another set`);
    const out = toWire(this.runs.update(runId, { status: 'queued', approvedBy: actor, block: null }));
    this.hub.publish({ type: 'run.queued', run: out });
    return out;
  }
  listRuns(q: RunQuery) {
    const { runs, next } = this.runs.list(q);
    return { runs, next };
  }
  getRun(id: string): Run | undefined {
    const r = this.runs.get(id);
    return r ? toWire(r) : undefined;
  }
  async readLog(runId: string, opts?: { tailLines?: number }): Promise<string> {
    const lines = this.logs.get(runId) ?? [];
    return (opts?.tailLines ? lines.slice(-opts.tailLines) : lines).join('\n');
  }
}
