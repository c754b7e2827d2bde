// One run's execution: its log, progress and timeout, the attempts with retries and backoff for
// transient failures, the around-run wrappers, and the record of how it ended. The final status
// itself is decided by final-status.ts from what happened here.
import type { Progress } from '../contract/api';
import type { Config, JobConfig } from '../config/schema';
import { backoffSeconds } from '../domain/run-state';
import type { Clock } from '../ports/clock';
import type { Exec } from '../infra/exec';
import { openRunLog } from '../infra/run-log';
import type { RunLog } from '../infra/run-log';
import { runSecrets } from '../secrets/resolver';
import type { SecretBackends } from '../secrets/resolver';
import type { EventStore } from '../store/events';
import type { ChangeSetStore } from '../store/change-sets';
import type { ExpectedDeletions } from '../store/expected-deletions';
import { toWire } from '../store/runs';
import type { RunRecord, RunStore, StateStore } from '../store/runs';
import { runAttempt, type AttemptAround } from './attempt';
import type { Outcome } from './job-type';
import { abortMessage, finalStatus } from './final-status';
import type { AbortCause } from './final-status';
import { staleLockKey } from './stale-locks';
import { throttle } from './throttle';
import { isTaskJob, jobOfRun } from './tasks';
import type { Toolchain } from './toolchain';

/** A wrapper around each attempt (the hot-set pause); what it does goes into the run's log. */
export type AroundRun = (job: { id: string; config: JobConfig }, run: () => Promise<void>, info: { runId: string; log(line: string): void }) => Promise<void>;

export interface ExecutionDeps {
  config: Config;
  runs: RunStore;
  state: StateStore;
  hub: EventStore;
  exec: Exec;
  clock: Clock;
  env: NodeJS.ProcessEnv;
  secretBackends: SecretBackends;
  tools: Toolchain;
  /** wrappers around each attempt, outermost first */
  aroundRun: readonly AroundRun[];
  logsDir: string;
  runtimeDir: string;
  cacheDir: string;
  logCapBytes?: number;
  changeSets: ChangeSetStore;
  expected: ExpectedDeletions;
}

/** A run executing in this process. */
export interface ActiveRun {
  record: RunRecord;
  abort: AbortController;
  /** every abort it received, in order (final-status.ts reads them) */
  aborts: AbortCause[];
  childPid: number | null;
  done: Promise<RunRecord>;
  /** open while the run executes; it batches its writes, so a reader flushes it first */
  log?: RunLog;
}

export function activeRun(record: RunRecord): ActiveRun {
  return { record, abort: new AbortController(), aborts: [], childPid: null, done: Promise.resolve(record) };
}

/** Aborts the run; the signal's reason (what its log and error say) is the first cause. */
export function abortRun(a: ActiveRun, cause: AbortCause): void {
  a.aborts.push(cause);
  if (!a.abort.signal.aborted) a.abort.abort(abortMessage(cause));
}

export async function executeRun(d: ExecutionDeps, a: ActiveRun): Promise<RunRecord> {
  const job = jobOfRun(d.config, a.record)!;
  const secrets = runSecrets(d.config.secrets, d.secretBackends);
  const log: RunLog = openRunLog(d.logsDir, a.record.id, { capBytes: d.logCapBytes, mask: () => secrets.values() });
  a.log = log;
  let rec = d.runs.update(a.record.id, { logFile: log.file });
  d.hub.publish({ type: 'run.started', run: toWire(rec) });
  log.write(`run ${rec.id} of ${rec.jobId} (${job.type}), trigger ${rec.trigger}`);
  // a restore or a recovery is its own request: it replaces no other
  if (!rec.task) supersedeBlocked(d, rec);

  let lastTailSave = 0;
  const saveTail = (force = false) => {
    const t = d.clock.now().getTime();
    if (!force && t - lastTailSave < 2000) return;
    lastTailSave = t;
    d.runs.update(rec.id, { logTail: log.tail() });
  };
  let lastStored = 0;
  const progress = throttle<Progress>(d.clock, 250, (p) => {
    d.hub.publish({ type: 'run.progress', runId: rec.id, jobId: rec.jobId, progress: p });
    const t = d.clock.now().getTime();
    if (t - lastStored >= 1000) {
      lastStored = t;
      d.runs.update(rec.id, { progress: p, logTail: log.tail() });
    }
  });
  const minutes = job.timeoutMinutes;
  const timer = minutes ? d.clock.setTimeout(() => abortRun(a, { kind: 'timed-out', minutes }), minutes * 60_000) : null;

  let outcome: Outcome;
  const approval = rec.approvedCount !== null && rec.approvedDigest ? { count: rec.approvedCount, digest: rec.approvedDigest } : null;
  const maxAttempts = 1 + job.retries.count;
  const unlockKey = staleLockKey(d.config, job);
  let attempt = rec.attempt;
  try {
    for (;;) {
      const info = { runId: rec.id, log: (l: string) => log.write(l) };
      // the wrappers are about configured jobs (hot-sets paused around the Flux backup), and wrap
      // only what runs after the pillar guards (attempt.ts)
      const around: AttemptAround = isTaskJob(job) ? (inner) => inner() : (inner) => d.aroundRun.reduceRight<() => Promise<void>>((next, w) => () => w({ id: rec.jobId, config: job }, next, info), inner)();
      try {
        outcome = await runAttempt(
          {
            config: d.config,
            jobId: rec.jobId,
            job,
            runId: rec.id,
            exec: d.exec,
            env: d.env,
            tools: d.tools,
            secrets,
            log: (l) => {
              log.write(l);
              saveTail();
            },
            signal: a.abort.signal,
            onProgress: (p) => progress.push(p),
            onChild: (pid) => {
              a.childPid = pid;
              d.runs.update(rec.id, { childPid: pid });
            },
            runtimeDir: d.runtimeDir,
            cacheDir: d.cacheDir,
            approval,
            changeSets: d.changeSets,
            expectedDeletions: { runOf: (p) => d.expected.runOf(p), record: (paths) => d.expected.record(paths, rec.id, d.clock.now()) },
            approvedBlock: approval ? rec.block : null,
            snapshotFiles: d.runs.snapshotFileCounts(),
            lastRun: (jobId, statuses) => {
              const r = d.runs.last(jobId, statuses);
              return r ? toWire(r) : undefined;
            },
            unlockFirst: unlockKey !== null && d.state.get(unlockKey) === '1',
            onUnlocked: () => unlockKey && d.state.set(unlockKey, '0'),
          },
          around,
        );
      } catch (e) {
        outcome = { status: 'failed', error: `around-run hook failed: ${(e as Error).message}` };
      }
      if (outcome.status !== 'failed' || !outcome.transient || attempt >= maxAttempts || a.abort.signal.aborted) break;
      // the lock's owner may have died since: the next attempt removes stale locks first (never live ones)
      if (unlockKey) d.state.set(unlockKey, '1');
      const wait = backoffSeconds(attempt, job.retries.backoffSeconds);
      log.write(`attempt ${attempt} failed (${outcome.error}); retrying in ${wait}s`);
      attempt++;
      rec = d.runs.update(rec.id, { attempt });
      await new Promise<void>((resolve) => {
        const t = d.clock.setTimeout(resolve, wait * 1000);
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
  const { status, error } = finalStatus(final, a.aborts);
  // restic 0.14 leaves its lock behind when it is terminated: the repository's next user unlocks first
  if (a.abort.signal.aborted && unlockKey) d.state.set(unlockKey, '1');
  log.write(`run ended ${status}${error ? `: ${error}` : ''}`);
  rec = d.runs.update(rec.id, {
    status,
    finishedAt: status === 'blocked' ? null : d.clock.now().toISOString(),
    exitCode: final.exitCode ?? null,
    error,
    summary: final.summary ?? null,
    block: final.block ?? null,
    // blocked again, the run waits for a new approval of its new set: the old one is spent
    ...(status === 'blocked' ? { approvedBy: null, approvedCount: null, approvedDigest: null } : {}),
    childPid: null,
    logTail: log.tail(),
  });
  log.close();
  d.hub.publish({ type: status === 'blocked' ? 'run.blocked' : 'run.finished', run: toWire(rec) });
  return rec;
}

/** A new run of a job replaces its older runs still waiting for approval. */
function supersedeBlocked(d: ExecutionDeps, rec: RunRecord): void {
  for (const b of d.runs.list({ job: rec.jobId, status: 'blocked', limit: 50 }).records) {
    if (b.id === rec.id) continue;
    const r = d.runs.update(b.id, { status: 'cancelled', finishedAt: d.clock.now().toISOString(), error: `superseded by run ${rec.id}` });
    d.hub.publish({ type: 'run.finished', run: toWire(r) });
  }
}
