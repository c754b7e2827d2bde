// The queue of runs and the cross-process claim: a queued run starts once no live running run (of
// this process or another one sharing the database) conflicts with what it reads and writes — one
// queue per restic repository, no sync of Space while a job writes into it (rule 4) — and once
// the jobs it runs `after:` are neither queued nor running anywhere.
import type { RunStatus, RunTask, RunTrigger } from '../contract/api';
import type { Config } from '../config/schema';
import { conflicts } from '../domain/resources';
import type { Clock } from '../ports/clock';
import { NotFoundError } from '../ports/errors';
import { isAlive, processStartTicks } from '../infra/process';
import type { EventStore } from '../store/events';
import { newRunId, toWire } from '../store/runs';
import type { RunRecord, RunStore } from '../store/runs';
import { jobResources } from './types/registry';
import { jobOfRun, taskJob, taskJobId } from './tasks';

/** a run still waiting for, or holding, its place */
export const LIVE: RunStatus[] = ['queued', 'running'];

export interface QueueDeps {
  runs: RunStore;
  hub: EventStore;
  clock: Clock;
  config(): Config;
  /** how often to look again for runs waiting on another process (ms) */
  pollMs?: number;
  /** the run executes in this process now */
  isActive(runId: string): boolean;
  /** the job's enabled flag (the API's override, else pillarsd.yaml) */
  isEnabled(jobId: string): boolean;
  /** a claimed run: execute it */
  start(runId: string): void;
}

export class RunQueue {
  /** identifies this process across pid reuse */
  readonly ownerStart: string | null = processStartTicks(process.pid);
  /** queued runs this process will execute */
  private readonly mine = new Set<string>();
  private readonly waiters = new Map<string, Array<(r: RunRecord) => void>>();
  private pollTimer: { cancel(): void } | null = null;
  private pumping = false;
  /** a timer that keeps the process alive while someone waits for a run */
  private holdOpen: ReturnType<typeof setInterval> | null = null;
  stopping = false;

  constructor(private readonly d: QueueDeps) {}

  /** The run's owner is a live pillarsd process (this one: the run is queued or running here). */
  ownerAlive(r: RunRecord): boolean {
    if (r.ownerPid === null) return false;
    if (r.ownerPid === process.pid) return r.ownerStart === this.ownerStart && (this.d.isActive(r.id) || this.mine.has(r.id));
    return isAlive(r.ownerPid) && (r.ownerStart === null || processStartTicks(r.ownerPid) === r.ownerStart);
  }

  /** Queues a run. Non-manual triggers skip disabled jobs and jobs that already have a queued run. */
  enqueue(jobId: string, trigger: RunTrigger, opts: { approvedCount?: number; approvedBy?: string } = {}): RunRecord | null {
    const config = this.d.config();
    const job = config.jobs[jobId];
    if (!job) throw new NotFoundError(`no job "${jobId}" (known: ${Object.keys(config.jobs).join(', ') || 'none'})`);
    const manual = trigger === 'manual' || trigger === 'approval';
    if (!manual && !this.d.isEnabled(jobId)) return null;
    const queued = this.d.runs.list({ job: jobId, status: 'queued', limit: 1 }).records[0];
    if (queued && this.ownerAlive(queued) && opts.approvedCount === undefined) return queued;
    const now = this.d.clock.now();
    let rec = this.d.runs.create({
      id: newRunId(now),
      jobId,
      trigger,
      queuedAt: now.toISOString(),
      resources: jobResources(config, job),
      ownerPid: process.pid,
      ownerStart: this.ownerStart,
    });
    if (opts.approvedCount !== undefined) rec = this.d.runs.update(rec.id, { approvedCount: opts.approvedCount, approvedBy: opts.approvedBy ?? null });
    this.adopt(rec);
    return rec;
  }

  /** Queues a restore or a recovery (tasks.ts): never merged with another queued one. */
  enqueueTask(task: RunTask, trigger: RunTrigger = 'manual'): RunRecord {
    const config = this.d.config();
    const job = taskJob(config, task);
    const now = this.d.clock.now();
    const rec = this.d.runs.create({
      id: newRunId(now),
      jobId: taskJobId(task),
      trigger,
      queuedAt: now.toISOString(),
      resources: jobResources(config, job),
      ownerPid: process.pid,
      ownerStart: this.ownerStart,
      task,
    });
    this.adopt(rec);
    return rec;
  }

  /** A run this process queued (or re-queued after an approval) waits for its turn here. */
  adopt(rec: RunRecord): void {
    this.mine.add(rec.id);
    this.d.hub.publish({ type: 'run.queued', run: toWire(rec) });
    queueMicrotask(() => this.pump());
  }

  has(runId: string): boolean {
    return this.mine.has(runId);
  }

  /** Takes a queued run out of this process's queue (cancelled). */
  drop(runId: string): void {
    this.mine.delete(runId);
  }

  get size(): number {
    return this.mine.size;
  }

  /**
   * Resolves when the run reaches a final state or `blocked`. While anyone waits, the process stays
   * up: the engine's own timers (a queue poll, a retry's backoff) never hold it open, and a
   * foreground `pillarsd run` waiting on them alone would end with Node's exit 13 (an unsettled
   * top-level await) and leave its run `running`.
   */
  waitFor(runId: string): Promise<RunRecord> {
    const r = this.d.runs.get(runId);
    if (r && !LIVE.includes(r.status)) return Promise.resolve(r);
    this.holdOpen ??= setInterval(() => {}, 1 << 30);
    return new Promise((resolve) => {
      const list = this.waiters.get(runId) ?? [];
      list.push(resolve);
      this.waiters.set(runId, list);
    });
  }

  /** Tells those waiting for the run that it ended (or blocked). */
  settle(rec: RunRecord): void {
    const list = this.waiters.get(rec.id);
    this.waiters.delete(rec.id);
    if (this.waiters.size === 0 && this.holdOpen) {
      clearInterval(this.holdOpen);
      this.holdOpen = null;
    }
    for (const fn of list ?? []) fn(rec);
  }

  /** Starts every queued run of this process that may start now. */
  pump(): void {
    if (this.pumping || this.stopping) return;
    this.pumping = true;
    try {
      let waiting = false;
      const config = this.d.config();
      for (const id of [...this.mine].sort()) {
        const rec = this.d.runs.get(id);
        if (!rec || rec.status !== 'queued') {
          this.mine.delete(id);
          continue;
        }
        const job = jobOfRun(config, rec);
        if (!job) continue;
        // `after:` ordering: wait while a job we run after is queued or running anywhere
        const before = job.after.some((a) => this.d.runs.withStatus(LIVE).some((x) => x.jobId === a && x.id < rec.id && this.ownerAlive(x)));
        if (before || !this.claim(rec)) {
          waiting = true;
          continue;
        }
        this.mine.delete(id);
        this.d.start(rec.id);
      }
      if (waiting && !this.pollTimer) {
        this.pollTimer = this.d.clock.setTimeout(() => {
          this.pollTimer = null;
          this.pump();
        }, this.d.pollMs ?? 1000);
      }
    } finally {
      this.pumping = false;
    }
  }

  /** The cross-process claim: in one IMMEDIATE transaction, no live running run conflicts → mine. */
  private claim(rec: RunRecord): boolean {
    const runs = this.d.runs;
    return runs.exclusive(() => {
      const running = runs.withStatus(['running']).filter((r) => r.id !== rec.id && this.ownerAlive(r));
      if (running.some((r) => conflicts(r.resources, rec.resources))) return false;
      // earlier queued runs of another live process that conflict go first (FIFO across processes)
      const earlier = runs.withStatus(['queued']).filter((r) => r.id < rec.id && !this.mine.has(r.id) && this.ownerAlive(r));
      if (earlier.some((r) => conflicts(r.resources, rec.resources))) return false;
      runs.update(rec.id, { status: 'running', startedAt: this.d.clock.now().toISOString(), ownerPid: process.pid, ownerStart: this.ownerStart });
      return true;
    });
  }

  /** Starts nothing more. */
  halt(): void {
    this.stopping = true;
    this.pollTimer?.cancel();
  }

  /** After a halt: this process's queued runs end `interrupted`. */
  interruptQueued(): void {
    for (const id of this.mine) {
      const r = this.d.runs.get(id);
      if (r && r.status === 'queued') {
        const u = this.d.runs.update(id, { status: 'interrupted', finishedAt: this.d.clock.now().toISOString(), error: 'pillarsd stopped before this run started' });
        this.d.hub.publish({ type: 'run.finished', run: toWire(u) });
        this.settle(u);
      }
    }
    this.mine.clear();
  }
}
