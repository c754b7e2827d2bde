// The engine: a queue of runs, claimed against every live run (of this process or another one
// sharing the database) whose resources conflict — one queue per restic repository and no sync of
// Space while a job writes into it (rule 4) — plus `after:` ordering, retries, timeouts, cancel,
// start-up recovery (rule 5) and the EngineApi the HTTP layer serves.
import path from 'node:path';
import type { JobInfo, Progress, Run, RunsPage, RunStatus, RunTrigger } from '../contract/api';
import type { Config, JobConfig } from '../config/schema';
import { resolveLocation } from '../config/locations';
import { canTransition, backoffSeconds } from '../domain/run-state';
import { conflicts, jobResources } from '../domain/resources';
import { isOverdue, nextRun } from '../domain/schedule';
import type { Clock } from '../ports/clock';
import type { Exec } from '../infra/exec';
import { ensurePrivateDir, removeOrphanedPrivateFiles } from '../infra/fs';
import { endGroup, isAlive, pidsWithEnv, processName, processStartTicks, processState, waitGone } from '../infra/process';
import { openRunLog, readRunLog } from '../infra/run-log';
import type { RunLog } from '../infra/run-log';
import { runSecrets } from '../secrets/resolver';
import type { SecretBackends } from '../secrets/resolver';
import type { EventStore } from '../store/events';
import { newRunId, toWire } from '../store/runs';
import type { RunRecord, RunStore, StateStore } from "../store/runs";
import type { EngineApi, RunQuery } from '../ports/services';
import { ConflictError, NotFoundError } from '../ports/errors';
import { runAttempt } from './runner';
import type { Outcome } from './runner';
import { toolchain } from './toolchain';
import type { Toolchain } from './toolchain';
import { throttle } from './throttle';

export type AroundRun = (job: { id: string; config: JobConfig }, run: () => Promise<void>) => Promise<void>;

export interface EngineDeps {
  config: Config;
  runs: RunStore;
  state: StateStore;
  hub: EventStore;
  exec: Exec;
  clock: Clock;
  env: NodeJS.ProcessEnv;
  secretBackends: SecretBackends;
  /** wrappers around each attempt, outermost first (e.g. pause Syncthing hot-sets during the Flux backup) */
  aroundRun?: AroundRun[];
  tools?: Toolchain;
  logCapBytes?: number;
  /** how often to look again for runs waiting on another process (ms) */
  pollMs?: number;
  /** queue the jobs that run `after:` a succeeded one (off for the foreground `pillarsd run`) */
  dependents?: boolean;
}

interface Active {
  record: RunRecord;
  abort: AbortController;
  childPid: number | null;
  done: Promise<RunRecord>;
  /** open while the run executes; it batches its writes, so a reader flushes it first */
  log?: RunLog;
}

const ACTIVE: RunStatus[] = ['queued', 'running'];

export class Engine implements EngineApi {
  private readonly runs: RunStore;
  private readonly state: StateStore;
  private readonly tools: Toolchain;
  private readonly mine = new Set<string>(); // queued runs this process will execute
  private readonly active = new Map<string, Active>();
  private readonly waiters = new Map<string, Array<(r: RunRecord) => void>>();
  private readonly ownerStart: string | null = processStartTicks(process.pid);
  private pollTimer: { cancel(): void } | null = null;
  private stopping = false;
  private pumping = false;
  readonly logsDir: string;
  readonly runtimeDir: string;
  readonly cacheDir: string;

  constructor(private readonly d: EngineDeps) {
    this.runs = d.runs;
    this.state = d.state;
    this.tools = d.tools ?? toolchain(d.exec, d.env);
    this.logsDir = path.join(d.config.stateDir, 'logs');
    this.runtimeDir = path.join(d.config.stateDir, 'runtime');
    this.cacheDir = path.join(d.config.stateDir, 'cache');
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

  // ---- recovery ----------------------------------------------------------------------------

  private ownerAlive(r: RunRecord): boolean {
    if (r.ownerPid === null) return false;
    if (r.ownerPid === process.pid) return r.ownerStart === this.ownerStart && (this.active.has(r.id) || this.mine.has(r.id));
    return isAlive(r.ownerPid) && (r.ownerStart === null || processStartTicks(r.ownerPid) === r.ownerStart);
  }

  /** Rule 5: runs whose process died become `interrupted`; their children die; their repository gets unlocked. */
  async recover(): Promise<RunRecord[]> {
    ensurePrivateDir(this.runtimeDir);
    // password files of a process that died mid-run (rule 6: no secret stays on disk)
    removeOrphanedPrivateFiles(this.runtimeDir, (pid) => pid === process.pid || isAlive(pid));
    const out: RunRecord[] = [];
    for (const r of this.runs.withStatus(ACTIVE)) {
      if (this.ownerAlive(r)) continue;
      const orphans = new Set<number>();
      /** dead orphans: nothing to signal, but restic's lock stays live until they are reaped */
      const dead = new Set<number>();
      if (r.childPid && isAlive(r.childPid)) {
        const name = processName(r.childPid) ?? '';
        // only what we start: a recycled pid of some other program is left alone
        if (/(^|\/)(restic|rclone)$/.test(name) || r.childPid === r.ownerPid) orphans.add(r.childPid);
        // an orphan that already died (restic dies of SIGPIPE writing to the killed pillarsd's
        // pipe, lock left behind) has no name any more; never signalled (the pid may be another
        // program's by now, and a zombie takes no signals), only waited for
        else if (processState(r.childPid) === 'Z') dead.add(r.childPid);
      }
      // a child spawned just before the kill may not have its pid recorded yet: its environment
      // names the run, and a live orphan keeps its restic lock fresh (unlock can't remove it)
      for (const pid of pidsWithEnv('PILLARS_RUN_ID', r.id)) {
        if (pid !== process.pid && /(^|\/)(restic|rclone)$/.test(processName(pid) ?? '')) orphans.add(pid);
      }
      const lingering: number[] = [];
      for (const pid of orphans) await endGroup(pid);
      for (const pid of [...orphans, ...dead]) {
        // restic's stale-lock test is kill(pid, 0): until the zombie is reaped its lock looks live
        if (!(await waitGone(pid, 15_000))) lingering.push(pid);
      }
      const job = this.d.config.jobs[r.jobId];
      if (job && r.status === 'running' && job.type.startsWith('restic')) this.state.set(`unlock:${this.repoKey(job)}`, '1');
      const rec = this.runs.update(r.id, {
        status: 'interrupted',
        finishedAt: this.now(),
        error:
          (r.status === 'running' ? 'pillarsd stopped while this run was running' : 'pillarsd stopped before this run started') +
          (lingering.length ? `; its child ${lingering.join(', ')} would not leave the process table, so its lock may stay until it does` : ''),
        childPid: null,
      });
      this.d.hub.publish({ type: 'run.finished', run: toWire(rec) });
      out.push(rec);
    }
    return out;
  }

  private repoKey(job: JobConfig): string {
    if (!('repository' in job)) return '';
    const l = resolveLocation(this.d.config, job.repository);
    return l.kind === 'pillar' ? l.path : `${l.remote}:${l.path}`;
  }

  private now(): string {
    return this.d.clock.now().toISOString();
  }

  // ---- queue -------------------------------------------------------------------------------

  /** Queues a run. Non-manual triggers skip disabled jobs and jobs that already have a queued run. */
  enqueue(jobId: string, trigger: RunTrigger, opts: { approvedCount?: number; approvedBy?: string } = {}): RunRecord | null {
    const job = this.d.config.jobs[jobId];
    if (!job) throw new NotFoundError(`no job "${jobId}" (known: ${Object.keys(this.d.config.jobs).join(', ') || 'none'})`);
    const manual = trigger === 'manual' || trigger === 'approval';
    if (!manual && !this.enabled(jobId)) return null;
    const queued = this.runs.list({ job: jobId, status: 'queued', limit: 1 }).records[0];
    if (queued && this.ownerAlive(queued) && opts.approvedCount === undefined) return queued;
    const now = this.d.clock.now();
    let rec = this.runs.create({
      id: newRunId(now),
      jobId,
      trigger,
      queuedAt: now.toISOString(),
      resources: jobResources(this.d.config, job),
      ownerPid: process.pid,
      ownerStart: this.ownerStart,
    });
    if (opts.approvedCount !== undefined) rec = this.runs.update(rec.id, { approvedCount: opts.approvedCount, approvedBy: opts.approvedBy ?? null });
    this.mine.add(rec.id);
    this.d.hub.publish({ type: 'run.queued', run: toWire(rec) });
    queueMicrotask(() => this.pump());
    return rec;
  }

  /** Resolves when the run reaches a final state or `blocked`. */
  waitFor(runId: string): Promise<RunRecord> {
    const r = this.runs.get(runId);
    if (r && !ACTIVE.includes(r.status)) return Promise.resolve(r);
    return new Promise((resolve) => {
      const list = this.waiters.get(runId) ?? [];
      list.push(resolve);
      this.waiters.set(runId, list);
    });
  }

  private settle(rec: RunRecord): void {
    const list = this.waiters.get(rec.id);
    this.waiters.delete(rec.id);
    for (const fn of list ?? []) fn(rec);
  }

  /** Starts every queued run of this process that may start now. */
  pump(): void {
    if (this.pumping || this.stopping) return;
    this.pumping = true;
    try {
      let waiting = false;
      for (const id of [...this.mine].sort()) {
        const rec = this.runs.get(id);
        if (!rec || rec.status !== 'queued') {
          this.mine.delete(id);
          continue;
        }
        const job = this.d.config.jobs[rec.jobId];
        if (!job) continue;
        // `after:` ordering: wait while a job we run after is queued or running anywhere
        const before = job.after.some((a) => this.runs.withStatus(ACTIVE).some((x) => x.jobId === a && x.id < rec.id && this.ownerAlive(x)));
        if (before || !this.claim(rec)) {
          waiting = true;
          continue;
        }
        this.mine.delete(id);
        this.start(rec.id);
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
    return this.runs.exclusive(() => {
      const running = this.runs.withStatus(['running']).filter((r) => r.id !== rec.id && this.ownerAlive(r));
      if (running.some((r) => conflicts(r.resources, rec.resources))) return false;
      // earlier queued runs of another live process that conflict go first (FIFO across processes)
      const earlier = this.runs.withStatus(['queued']).filter((r) => r.id < rec.id && !this.mine.has(r.id) && this.ownerAlive(r));
      if (earlier.some((r) => conflicts(r.resources, rec.resources))) return false;
      this.runs.update(rec.id, { status: 'running', startedAt: this.now(), ownerPid: process.pid, ownerStart: this.ownerStart });
      return true;
    });
  }

  private start(runId: string): void {
    const abort = new AbortController();
    const entry: Active = { record: this.runs.get(runId)!, abort, childPid: null, done: Promise.resolve(null as unknown as RunRecord) };
    this.active.set(runId, entry);
    entry.done = this.execute(entry).finally(() => {
      this.active.delete(runId);
      this.pump();
    });
  }

  private async execute(a: Active): Promise<RunRecord> {
    const job = this.d.config.jobs[a.record.jobId]!;
    const secrets = runSecrets(this.d.config.secrets, this.d.secretBackends);
    const log: RunLog = openRunLog(this.logsDir, a.record.id, { capBytes: this.d.logCapBytes, mask: () => secrets.values() });
    a.log = log;
    let rec = this.runs.update(a.record.id, { logFile: log.file });
    this.d.hub.publish({ type: 'run.started', run: toWire(rec) });
    log.write(`run ${rec.id} of ${rec.jobId} (${job.type}), trigger ${rec.trigger}`);
    this.supersedeBlocked(rec);

    let lastTailSave = 0;
    const saveTail = (force = false) => {
      const t = this.d.clock.now().getTime();
      if (!force && t - lastTailSave < 2000) return;
      lastTailSave = t;
      this.runs.update(rec.id, { logTail: log.tail() });
    };
    let lastStored = 0;
    const progress = throttle<Progress>(this.d.clock, 250, (p) => {
      this.d.hub.publish({ type: 'run.progress', runId: rec.id, jobId: rec.jobId, progress: p });
      const t = this.d.clock.now().getTime();
      if (t - lastStored >= 1000) {
        lastStored = t;
        this.runs.update(rec.id, { progress: p, logTail: log.tail() });
      }
    });
    const timeoutMs = job.timeoutMinutes ? job.timeoutMinutes * 60_000 : null;
    const timer = timeoutMs ? this.d.clock.setTimeout(() => a.abort.abort(`timed out after ${job.timeoutMinutes} minutes`), timeoutMs) : null;

    let outcome: Outcome = { status: 'failed', error: 'not run' };
    const approvedCount = rec.approvedCount !== null ? (rec.approvedCount > 1e300 ? Infinity : rec.approvedCount) : null;
    const maxAttempts = 1 + job.retries.count;
    let attempt = rec.attempt;
    try {
      const unlockKey = job.type.startsWith('restic') ? `unlock:${this.repoKey(job)}` : null;
      for (;;) {
        const attemptOnce = async () => {
          outcome = await runAttempt({
            config: this.d.config,
            jobId: rec.jobId,
            job,
            runId: rec.id,
            exec: this.d.exec,
            env: this.d.env,
            tools: this.tools,
            secrets,
            log: (l) => {
              log.write(l);
              saveTail();
            },
            signal: a.abort.signal,
            onProgress: (p) => progress.push(p),
            onChild: (pid) => {
              a.childPid = pid;
              this.runs.update(rec.id, { childPid: pid });
            },
            runtimeDir: this.runtimeDir,
            cacheDir: this.cacheDir,
            approvedCount,
            snapshotFiles: this.runs.snapshotFileCounts(),
            unlockFirst: unlockKey !== null && this.state.get(unlockKey) === '1',
            onUnlocked: () => unlockKey && this.state.set(unlockKey, '0'),
          });
        };
        const wrappers = this.d.aroundRun ?? [];
        const wrapped = wrappers.reduceRight<() => Promise<void>>((inner, w) => () => w({ id: rec.jobId, config: job }, inner), attemptOnce);
        try {
          await wrapped();
        } catch (e) {
          outcome = { status: 'failed', error: `around-run hook failed: ${(e as Error).message}` };
        }
        if (outcome.status !== 'failed' || !outcome.transient || attempt >= maxAttempts || a.abort.signal.aborted) break;
        // the lock's owner may have died since: the next attempt removes stale locks first (never live ones)
        if (unlockKey) this.state.set(unlockKey, '1');
        const wait = backoffSeconds(attempt, job.retries.backoffSeconds);
        log.write(`attempt ${attempt} failed (${outcome.error}); retrying in ${wait}s`);
        attempt++;
        rec = this.runs.update(rec.id, { attempt });
        await new Promise<void>((resolve) => {
          const t = this.d.clock.setTimeout(resolve, wait * 1000);
          a.abort.signal.addEventListener('abort', () => (t.cancel(), resolve()), { once: true });
        });
        if (a.abort.signal.aborted) {
          outcome = { status: 'cancelled', error: String(a.abort.signal.reason ?? 'cancelled') };
          break;
        }
      }
    } finally {
      timer?.cancel();
      progress.flush();
      secrets.dispose();
    }
    const final: Outcome = outcome;
    const reason = a.abort.signal.reason as string | undefined;
    const timedOut = typeof reason === 'string' && reason.startsWith('timed out');
    const status: RunStatus = final.status === 'cancelled' && timedOut ? 'failed' : this.stopping && final.status === 'cancelled' ? 'interrupted' : final.status;
    const error = status === 'succeeded' ? null : status === 'interrupted' ? 'pillarsd stopped while this run was running' : (final.error ?? null);
    // restic 0.14 leaves its lock behind when it is terminated: the repository's next user unlocks first
    if (a.abort.signal.aborted && job.type.startsWith('restic')) this.state.set(`unlock:${this.repoKey(job)}`, '1');
    log.write(`run ended ${status}${error ? `: ${error}` : ''}`);
    rec = this.runs.update(rec.id, {
      status,
      finishedAt: status === 'blocked' ? null : this.now(),
      exitCode: final.exitCode ?? null,
      error,
      summary: final.summary ?? null,
      block: final.block ?? null,
      childPid: null,
      logTail: log.tail(),
    });
    log.close();
    this.d.hub.publish({ type: status === 'blocked' ? 'run.blocked' : 'run.finished', run: toWire(rec) });
    this.settle(rec);
    if (status === 'succeeded' && !this.stopping && this.d.dependents !== false) {
      for (const [id, j] of Object.entries(this.d.config.jobs)) if (j.after.includes(rec.jobId)) this.enqueue(id, 'dependency');
    }
    return rec;
  }

  /** A new run of a job replaces its older runs still waiting for approval. */
  private supersedeBlocked(rec: RunRecord): void {
    for (const b of this.runs.list({ job: rec.jobId, status: 'blocked', limit: 50 }).records) {
      if (b.id === rec.id) continue;
      const r = this.runs.update(b.id, { status: 'cancelled', finishedAt: this.now(), error: `superseded by run ${rec.id}` });
      this.d.hub.publish({ type: 'run.finished', run: toWire(r) });
    }
  }

  /** Stops taking work; running runs are aborted and end `interrupted`. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.pollTimer?.cancel();
    for (const a of this.active.values()) a.abort.abort('pillarsd is stopping');
    await Promise.allSettled([...this.active.values()].map((a) => a.done));
    for (const id of this.mine) {
      const r = this.runs.get(id);
      if (r && r.status === 'queued') {
        const u = this.runs.update(id, { status: 'interrupted', finishedAt: this.now(), error: 'pillarsd stopped before this run started' });
        this.d.hub.publish({ type: 'run.finished', run: toWire(u) });
        this.settle(u);
      }
    }
    this.mine.clear();
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
    const running = live.find((r) => r.status === 'running' && this.ownerAlive(r));
    const queued = live.find((r) => r.status === 'queued' && this.ownerAlive(r));
    const blocked = live.find((r) => r.status === 'blocked');
    const lastRun = this.runs.last(id, ['succeeded', 'failed', 'cancelled', 'interrupted', 'blocked']);
    const lastSuccess = this.runs.last(id, ['succeeded']);
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
    return this.runs.withStatus(['queued', 'running', 'blocked']).reverse();
  }

  runNow(jobId: string, _actor: string): Run {
    return toWire(this.enqueue(jobId, 'manual')!);
  }

  cancel(runId: string, actor: string): Run {
    const r = this.runs.get(runId);
    if (!r) throw new NotFoundError(`no run ${runId}`);
    const a = this.active.get(runId);
    if (a) {
      a.abort.abort(`cancelled by ${actor}`);
      return toWire(this.runs.get(runId)!);
    }
    if (r.status === 'queued' || r.status === 'blocked') {
      if (r.status === 'queued' && !this.mine.has(runId) && this.ownerAlive(r)) throw new ConflictError(`run ${runId} belongs to another pillarsd process (pid ${r.ownerPid})`);
      this.mine.delete(runId);
      const u = this.runs.update(runId, { status: 'cancelled', finishedAt: this.now(), error: `cancelled by ${actor}` });
      this.d.hub.publish({ type: 'run.finished', run: toWire(u) });
      this.settle(u);
      return toWire(u);
    }
    if (r.status === 'running') throw new ConflictError(`run ${runId} is running in another pillarsd process (pid ${r.ownerPid})`);
    throw new ConflictError(`run ${runId} is already ${r.status}`);
  }

  approve(runId: string, actor: string): Run {
    const r = this.runs.get(runId);
    if (!r) throw new NotFoundError(`no run ${runId}`);
    if (r.status !== 'blocked' || !r.block?.needsApproval) {
      throw new ConflictError(r.status === 'blocked' ? `run ${runId} is blocked by ${r.block?.guard ?? 'a guard'}, which an approval cannot lift: ${r.block?.message ?? ''}` : `run ${runId} is ${r.status}, not waiting for approval`);
    }
    if (!canTransition('blocked', 'queued')) throw new ConflictError('cannot approve');
    const u = this.runs.update(runId, {
      status: 'queued',
      approvedBy: actor,
      approvedCount: r.block.deletes?.count ?? Infinity,
      ownerPid: process.pid,
      ownerStart: this.ownerStart,
      trigger: 'approval',
    });
    this.mine.add(runId);
    this.d.hub.publish({ type: 'run.queued', run: toWire(u) });
    queueMicrotask(() => this.pump());
    return toWire(u);
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

  /** For `pillarsd run JOB --approve`: approve the job's run waiting for approval, or start one pre-approved. */
  runApproved(jobId: string, actor: string): RunRecord {
    if (!this.d.config.jobs[jobId]) throw new NotFoundError(`no job "${jobId}"`);
    const blocked = this.runs.list({ job: jobId, status: 'blocked', limit: 1 }).records[0];
    if (blocked?.block?.needsApproval) {
      this.approve(blocked.id, actor);
      return this.runs.get(blocked.id)!;
    }
    return this.enqueue(jobId, 'manual', { approvedCount: Infinity, approvedBy: actor })!;
  }

  isIdle(): boolean {
    return this.active.size === 0 && this.mine.size === 0;
  }
}
