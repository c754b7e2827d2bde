// The engine as the rest of pillarsd sees it: the EngineApi the HTTP layer serves, and what the
// commands and the scheduler call (enqueue, waitFor, recover, stop). It composes the queue and
// claim (queue.ts), one run's execution (execution.ts) and start-up recovery (recovery.ts).
import path from 'node:path';
import { LIVE_STATUSES, SUCCESS_STATUSES, TERMINAL_STATUSES } from '../contract/api';
import type { ApproveRequest, ChangeSetPage, JobInfo, Run, RunsPage, RunTask, RunTrigger } from '../contract/api';
import type { Config, JobConfig } from '../config/schema';
import { canTransition, followsAfter } from '../domain/run-state';
import { isOverdue, nextRun } from '../domain/schedule';
import type { EngineApi, RunQuery } from '../ports/services';
import { BadRequestError, ConflictError, NotFoundError } from '../ports/errors';
import { readRunLog } from '../infra/run-log';
import { ChangeSetStore } from '../store/change-sets';
import { toWire } from '../store/runs';
import type { RunRecord, RunStore, StateStore } from '../store/runs';
import { abortRun, activeRun, executeRun } from './execution';
import type { ActiveRun, AroundRun, ExecutionDeps } from './execution';
import { RunQueue } from './queue';
import { recoverRuns } from './recovery';
import { toolchain } from './toolchain';
import { removeFileQuiet } from './files';
import { hiddenBytesPerDay, seedJobOf, seedProgress, windowOf } from './seed-status';
import type { Toolchain } from './toolchain';

/** What one run's execution needs, with the engine's defaults for the rest. */
export interface EngineDeps extends Pick<ExecutionDeps, 'config' | 'runs' | 'state' | 'hub' | 'exec' | 'clock' | 'env' | 'secretBackends' | 'expected'> {
  /** wrappers around each attempt, outermost first (e.g. pause Syncthing hot-sets during the Flux backup) */
  aroundRun?: AroundRun[];
  tools?: Toolchain;
  logCapBytes?: number;
  /** how often to look again for runs waiting on another process (ms) */
  pollMs?: number;
  /** queue the jobs that run `after:` a successful one (off for the foreground `pillarsd run`) */
  dependents?: boolean;
}

export class Engine implements EngineApi {
  private readonly runs: RunStore;
  private readonly state: StateStore;
  /** the tools (restic, rclone) as found on this machine; the snapshot service shares them */
  readonly tools: Toolchain;
  private readonly queue: RunQueue;
  private readonly active = new Map<string, ActiveRun>();
  readonly logsDir: string;
  readonly runtimeDir: string;
  readonly cacheDir: string;
  readonly changeSets: ChangeSetStore;

  constructor(private readonly d: EngineDeps) {
    this.runs = d.runs;
    this.state = d.state;
    this.tools = d.tools ?? toolchain(d.exec, d.env);
    this.logsDir = path.join(d.config.stateDir, 'logs');
    this.runtimeDir = path.join(d.config.stateDir, 'runtime');
    this.cacheDir = path.join(d.config.stateDir, 'cache');
    this.changeSets = new ChangeSetStore(d.config.stateDir);
    this.queue = new RunQueue({
      runs: d.runs,
      hub: d.hub,
      clock: d.clock,
      config: () => this.d.config,
      pollMs: d.pollMs,
      isActive: (id) => this.active.has(id),
      isEnabled: (id) => this.enabled(id),
      start: (id) => this.start(id),
    });
  }

  get config(): Config {
    return this.d.config;
  }

  /**
   * Replaces one job's configuration (a schedule changed through the API); runs under way keep
   * theirs. Every status answer and open pane learns of it through status.changed.
   */
  updateJob(jobId: string, job: JobConfig, reason: string): void {
    if (!this.d.config.jobs[jobId]) throw new NotFoundError(`no job "${jobId}"`);
    this.d.config = { ...this.d.config, jobs: { ...this.d.config.jobs, [jobId]: job } };
    this.d.hub.publish({ type: 'status.changed', reason });
  }

  /** Adds a wrapper around every attempt (innermost so far); the composition root calls this. */
  addAroundRun(fn: AroundRun): void {
    this.d.aroundRun = [...(this.d.aroundRun ?? []), fn];
  }

  /** The run is queued or running in a live pillarsd process (this one or another). */
  isRunLive(runId: string): boolean {
    const r = this.runs.get(runId);
    return !!r && (r.status === 'running' || r.status === 'queued') && this.queue.ownerAlive(r);
  }

  /** Rule 5: runs whose process died become `interrupted`; their children die; their repository gets unlocked. */
  recover(): Promise<RunRecord[]> {
    return recoverRuns({ config: this.d.config, runs: this.runs, state: this.state, hub: this.d.hub, clock: this.d.clock, runtimeDir: this.runtimeDir, ownerAlive: (r) => this.queue.ownerAlive(r) });
  }

  private now(): string {
    return this.d.clock.now().toISOString();
  }

  // ---- queue -------------------------------------------------------------------------------

  /** Queues a run. Non-manual triggers skip disabled jobs and jobs that already have a queued run. */
  enqueue(jobId: string, trigger: RunTrigger): RunRecord | null {
    return this.queue.enqueue(jobId, trigger);
  }

  /** Queues a restore or a recovery (tasks.ts). */
  enqueueTask(task: RunTask): RunRecord {
    return this.queue.enqueueTask(task);
  }

  /** Resolves when the run reaches a final state or `blocked`. */
  waitFor(runId: string): Promise<RunRecord> {
    return this.queue.waitFor(runId);
  }

  /** Starts every queued run of this process that may start now. */
  pump(): void {
    this.queue.pump();
  }

  private execution(): ExecutionDeps {
    const d = this.d;
    return {
      config: d.config,
      runs: d.runs,
      state: d.state,
      hub: d.hub,
      exec: d.exec,
      clock: d.clock,
      env: d.env,
      secretBackends: d.secretBackends,
      tools: this.tools,
      aroundRun: d.aroundRun ?? [],
      logsDir: this.logsDir,
      runtimeDir: this.runtimeDir,
      cacheDir: this.cacheDir,
      logCapBytes: d.logCapBytes,
      changeSets: this.changeSets,
      expected: d.expected,
    };
  }

  private start(runId: string): void {
    const a = activeRun(this.runs.get(runId)!);
    this.active.set(runId, a);
    a.done = executeRun(this.execution(), a)
      .then((rec) => {
        this.queue.settle(rec);
        if (!this.queue.stopping && this.d.dependents !== false) {
          for (const [id, j] of Object.entries(this.d.config.jobs)) if (j.after.includes(rec.jobId) && followsAfter(rec.status, j.afterWarnings)) this.enqueue(id, 'dependency');
        }
        return rec;
      })
      .finally(() => {
        this.active.delete(runId);
        this.queue.pump();
      });
  }

  /** Stops taking work; running runs are aborted and end `interrupted`. */
  async stop(): Promise<void> {
    this.queue.halt();
    for (const a of this.active.values()) abortRun(a, { kind: 'stopping' });
    await Promise.allSettled([...this.active.values()].map((a) => a.done));
    this.queue.interruptQueued();
  }

  // ---- EngineApi ---------------------------------------------------------------------------

  private enabled(jobId: string): boolean {
    const o = this.state.get(`enabled:${jobId}`);
    return o === null ? this.d.config.jobs[jobId]!.enabled : o === '1';
  }

  jobInfo(id: string, liveRuns: RunRecord[] = this.liveRuns()): JobInfo {
    const job = this.d.config.jobs[id]!;
    const now = this.d.clock.now();
    const live = liveRuns.filter((r) => r.jobId === id);
    const running = live.find((r) => r.status === 'running' && this.queue.ownerAlive(r));
    const queued = live.find((r) => r.status === 'queued' && this.queue.ownerAlive(r));
    const blocked = live.find((r) => r.status === 'blocked');
    const lastRun = this.runs.last(id, [...TERMINAL_STATUSES, 'blocked']);
    const lastSuccess = this.runs.last(id, SUCCESS_STATUSES);
    const since = this.state.get('scheduler.since');
    const enabled = this.enabled(id);
    const tz = job.timezone ?? null;
    const repo = 'repository' in job ? job.repository : null;
    return {
      id,
      type: job.type,
      schedule: job.schedule ?? null,
      timezone: tz,
      enabled,
      after: job.after,
      repository: repo,
      source: 'source' in job ? job.source : null,
      destination: 'destination' in job ? job.destination : null,
      state: running ? 'running' : queued ? 'queued' : blocked && lastRun?.id === blocked.id ? 'blocked' : 'idle',
      nextRunAt: job.schedule && enabled ? (nextRun(job.schedule, tz, now)?.toISOString() ?? null) : null,
      lastRun: lastRun ? toWire(lastRun) : null,
      lastSuccessAt: lastSuccess?.finishedAt ?? null,
      seed: job.type === 'rclone-copy' ? seedProgress(job, this.runs.list({ job: id, limit: 60 }).records, this.d.config.b2plan?.uplinkMbps, now) : undefined,
      overdue: isOverdue({
        schedule: job.schedule ?? null,
        timezone: tz,
        enabled,
        now,
        lastSuccessAt: lastSuccess?.finishedAt ? new Date(lastSuccess.finishedAt) : null,
        active: !!(running || queued),
        graceMinutes: 60,
        since: since ? new Date(since) : null,
      }),
    };
  }

  listJobs(): JobInfo[] {
    // one indexed query for every job's live runs, not a page of history per job
    const live = this.liveRuns();
    return Object.keys(this.d.config.jobs).map((id) => this.jobInfo(id, live));
  }

  getJob(id: string): JobInfo | undefined {
    return this.d.config.jobs[id] ? this.jobInfo(id, this.liveRuns()) : undefined;
  }

  /** queued, running and blocked runs, newest first: few, and found through the status index */
  private liveRuns(): RunRecord[] {
    return this.runs.withStatus([...LIVE_STATUSES]).reverse();
  }

  runNow(jobId: string, _actor: string): Run {
    return toWire(this.enqueue(jobId, 'manual')!);
  }

  cancel(runId: string, actor: string): Run {
    const r = this.runs.get(runId);
    if (!r) throw new NotFoundError(`no run ${runId}`);
    const a = this.active.get(runId);
    if (a) {
      abortRun(a, { kind: 'cancelled', by: actor });
      return toWire(this.runs.get(runId)!);
    }
    if (r.status === 'queued' || r.status === 'blocked') {
      if (r.status === 'queued' && !this.queue.has(runId) && this.queue.ownerAlive(r)) throw new ConflictError(`run ${runId} belongs to another pillarsd process (pid ${r.ownerPid})`);
      this.queue.drop(runId);
      const u = this.runs.update(runId, { status: 'cancelled', finishedAt: this.now(), error: `cancelled by ${actor}` });
      this.d.hub.publish({ type: 'run.finished', run: toWire(u) });
      this.queue.settle(u);
      return toWire(u);
    }
    if (r.status === 'running') throw new ConflictError(`run ${runId} is running in another pillarsd process (pid ${r.ownerPid})`);
    throw new ConflictError(`run ${runId} is already ${r.status}`);
  }

  approve(runId: string, actor: string, seen: ApproveRequest | null): Run {
    const r = this.runs.get(runId);
    if (!r) throw new NotFoundError(`no run ${runId}`);
    if (r.status !== 'blocked' || !r.block?.needsApproval) {
      throw new ConflictError(
        r.status === 'blocked' ? `run ${runId} is blocked by ${r.block?.guard ?? 'a guard'}, which an approval cannot lift: ${r.block?.message ?? ''}` : `run ${runId} is ${r.status}, not waiting for approval`,
      );
    }
    const listed = r.block.approval;
    // a block from before approvals named their set (or without one) can only be listed again
    if (!listed) throw new ConflictError(`run ${runId} lists no set an approval could name: run ${r.jobId} again to list it`);
    if (!seen) throw new BadRequestError(`approving run ${runId} names the set you were shown: its count (${listed.count}) and digest (GET /api/v1/runs/${runId}/deletions)`);
    if (seen.count !== listed.count || seen.digest !== listed.digest) {
      throw new ConflictError(`run ${runId} lists ${listed.count} file(s) with digest ${listed.digest.slice(0, 12)}…, not the ${seen.count} (digest ${seen.digest.slice(0, 12)}…) you approved: look at the set again`);
    }
    // the set on disk is what the run will work from: it must still be the one named
    const stored = this.changeSets.summary(runId, 'approval');
    if (stored && stored.digest !== listed.digest) throw new ConflictError(`run ${runId}'s stored set changed since it was listed; run ${r.jobId} again`);
    if (!canTransition('blocked', 'queued')) throw new ConflictError('cannot approve');
    const u = this.runs.update(runId, {
      status: 'queued',
      approvedBy: actor,
      approvedCount: listed.count,
      approvedDigest: listed.digest,
      ownerPid: process.pid,
      ownerStart: this.queue.ownerStart,
      trigger: 'approval',
    });
    this.queue.adopt(u);
    return toWire(u);
  }

  changeSet(runId: string, kind: 'deletions' | 'overwrites', q: { offset: number; limit: number; set?: 'approval' | 'run' }): ChangeSetPage {
    if (!this.runs.get(runId)) throw new NotFoundError(`no run ${runId}`);
    const set = q.set ?? (this.changeSets.has(runId, 'approval') ? 'approval' : 'run');
    const page = this.changeSets.page(runId, set, kind, q.offset, q.limit);
    if (!page) throw new NotFoundError(`run ${runId} has no ${set === 'approval' ? 'set listed for approval' : 'change set'}`);
    return page;
  }

  reject(runId: string, actor: string): Run {
    const r = this.runs.get(runId);
    if (!r) throw new NotFoundError(`no run ${runId}`);
    if (r.status !== 'blocked') throw new ConflictError(`run ${runId} is ${r.status}, not blocked`);
    const u = this.runs.update(runId, { status: 'cancelled', finishedAt: this.now(), error: `rejected by ${actor}` });
    this.d.hub.publish({ type: 'run.finished', run: toWire(u) });
    return toWire(u);
  }

  listRuns(q: RunQuery): RunsPage {
    const { runs, next } = this.runs.list(q);
    return { runs, next };
  }

  getRun(id: string): Run | undefined {
    const r = this.runs.get(id);
    return r ? toWire(r) : undefined;
  }

  async readLog(runId: string, opts: { tailLines?: number } = {}): Promise<string> {
    const r = this.runs.get(runId);
    if (!r) throw new NotFoundError(`no run ${runId}`);
    if (!r.logFile) return r.logTail;
    this.active.get(runId)?.log?.flush();
    const text = await readRunLog(r.logFile, opts.tailLines);
    return text || r.logTail;
  }

  setEnabled(jobId: string, enabled: boolean, _actor: string): JobInfo {
    if (!this.d.config.jobs[jobId]) throw new NotFoundError(`no job "${jobId}"`);
    this.state.set(`enabled:${jobId}`, enabled ? '1' : '0');
    this.d.hub.publish({ type: 'status.changed', reason: `job ${jobId} ${enabled ? 'enabled' : 'disabled'}` });
    return this.jobInfo(jobId);
  }

  /** The run of a job waiting for an approval, if any (what `pillarsd run JOB --approve` points at). */
  blockedForApproval(jobId: string): RunRecord | undefined {
    if (!this.d.config.jobs[jobId]) throw new NotFoundError(`no job "${jobId}"`);
    const blocked = this.runs.list({ job: jobId, status: 'blocked', limit: 1 }).records[0];
    return blocked?.block?.needsApproval ? blocked : undefined;
  }

  /** What the B2 plan takes from history: the seed job (its timetable, window and what is left) and the bytes syncs hide a day. */
  b2History(): { seed?: { jobId: string; bwlimit?: string; window?: ReturnType<typeof windowOf>; remainingBytes: number | null }; hiddenBytesPerDay: number | null } {
    const now = this.d.clock.now();
    const c = this.d.config;
    const seedId = seedJobOf(c);
    const seedJob = seedId ? c.jobs[seedId] : undefined;
    let seed;
    if (seedId && seedJob?.type === 'rclone-copy') {
      const p = seedProgress(seedJob, this.runs.list({ job: seedId, limit: 60 }).records, c.b2plan?.uplinkMbps, now);
      seed = { jobId: seedId, bwlimit: seedJob.bwlimit, window: windowOf(seedJob), remainingBytes: p ? p.bytesTotal - p.bytesDone : null };
    }
    const recent = this.runs.list({ limit: 500 }).records;
    return { seed, hiddenBytesPerDay: hiddenBytesPerDay(c, recent, now) };
  }

  /** What runs history no longer keeps leave in the state folder (logs, change sets) goes with them. */
  forgetRuns(ids: readonly string[], now: Date): void {
    for (const id of ids) {
      removeFileQuiet(this.logsDir, `${id}.log`);
      this.changeSets.remove(id);
    }
    this.d.expected.expire(now);
  }

  isIdle(): boolean {
    return this.active.size === 0 && this.queue.size === 0;
  }
}
