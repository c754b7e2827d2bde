// Cron schedules (croner, with time zones): one timer for the earliest next run, re-armed after
// each tick and at least hourly (so clock changes and long sleeps are noticed); catch-up once at
// start for runs missed while the server was down; history retention on the same timer.
import { needsCatchUp, nextRun } from '../domain/schedule';
import type { Clock } from '../ports/clock';
import type { Engine } from './engine';
import type { RunStore, StateStore } from '../store/runs';
import type { EventStore } from '../store/events';
import { removeFileQuiet } from './files';

export interface SchedulerDeps {
  engine: Engine;
  runs: RunStore;
  state: StateStore;
  hub: EventStore;
  clock: Clock;
}

const MAX_SLEEP_MS = 3_600_000;

export class Scheduler {
  private timer: { cancel(): void } | null = null;
  private lastTick: Date;
  private stopped = false;
  private lastPrune = 0;

  constructor(private readonly d: SchedulerDeps) {
    this.lastTick = d.clock.now();
  }

  /** Catches up missed runs once, then arms the timer. Returns the runs queued for catch-up. */
  start(): string[] {
    const now = this.d.clock.now();
    const sinceRaw = this.d.state.get('scheduler.since');
    if (!sinceRaw) this.d.state.set('scheduler.since', now.toISOString());
    const since = sinceRaw ? new Date(sinceRaw) : null;
    const caught: string[] = [];
    for (const [id, job] of Object.entries(this.d.engine.config.jobs)) {
      const last = this.d.runs.last(id);
      const due = needsCatchUp({
        schedule: job.schedule ?? null,
        timezone: job.timezone ?? null,
        enabled: this.d.engine.getJob(id)?.enabled ?? job.enabled,
        catchUp: job.catchUp,
        now,
        lastQueuedAt: last ? new Date(last.queuedAt) : null,
        since,
      });
      if (due && this.d.engine.enqueue(id, 'catch-up')) caught.push(id);
    }
    this.lastTick = now;
    this.prune();
    this.arm();
    return caught;
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  /**
   * Applies a change of schedules (`apply` changes the engine's configuration). What was due under
   * the old schedules until now is queued first; the new ones count from now, so a time that passed
   * a moment ago under a new schedule does not start a run at once.
   */
  reschedule(apply: () => void): void {
    this.timer?.cancel();
    this.tick();
    apply();
    this.timer?.cancel();
    this.arm();
  }

  nextRunAt(jobId: string): Date | null {
    const job = this.d.engine.config.jobs[jobId];
    return job?.schedule ? nextRun(job.schedule, job.timezone ?? null, this.d.clock.now()) : null;
  }

  private arm(): void {
    if (this.stopped) return;
    const now = this.d.clock.now();
    let earliest = now.getTime() + MAX_SLEEP_MS;
    for (const job of Object.values(this.d.engine.config.jobs)) {
      if (!job.schedule) continue;
      const n = nextRun(job.schedule, job.timezone ?? null, this.lastTick);
      if (n && n.getTime() < earliest) earliest = n.getTime();
    }
    this.timer = this.d.clock.setTimeout(() => this.tick(), Math.max(0, earliest - now.getTime()));
  }

  /** Queues every job with a scheduled time in (lastTick, now]. */
  tick(): void {
    if (this.stopped) return;
    const now = this.d.clock.now();
    for (const [id, job] of Object.entries(this.d.engine.config.jobs)) {
      if (!job.schedule) continue;
      const n = nextRun(job.schedule, job.timezone ?? null, this.lastTick);
      if (n && n <= now) this.d.engine.enqueue(id, 'schedule');
    }
    this.lastTick = now;
    this.prune();
    this.arm();
  }

  private prune(): void {
    const now = this.d.clock.now();
    if (now.getTime() - this.lastPrune < 6 * 3_600_000) return;
    this.lastPrune = now.getTime();
    const h = this.d.engine.config.history;
    const ids = this.d.runs.prune({ keepDays: h.keepDays, keepRuns: h.keepRuns, now });
    for (const id of ids) removeFileQuiet(this.d.engine.logsDir, `${id}.log`);
    this.d.hub.prune({ keepDays: h.keepDays, now });
  }
}
