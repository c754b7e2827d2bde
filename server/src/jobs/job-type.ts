// One interface for every job type (the shape of Backrest's tasks): what the job touches, so the
// engine can queue it (rule 4), guard its pillars before any hook runs (rule 1) and its source
// before the tool (rule 3), and how one attempt of it runs. A new job type is a module in types/
// and a line in types/registry.ts (plus its YAML schema in config/schema.ts).
import type { BlockInfo, Progress, Run, RunStatus, RunSummary } from '../contract/api';
import type { Config } from '../config/schema';
import type { Exec } from '../infra/exec';
import type { RunSecrets } from '../secrets/resolver';
import type { ChangeSetStore } from '../store/change-sets';
import type { Toolchain } from './toolchain';
import type { RunnableJob } from './tasks';

/** What one attempt came to. The engine turns it into the run's final status (final-status.ts). */
export interface Outcome {
  /** succeeded-with-warnings: the work is done (a snapshot saved) and `error` says what to look at */
  status: 'succeeded' | 'succeeded-with-warnings' | 'failed' | 'blocked' | 'cancelled';
  error?: string;
  exitCode?: number | null;
  summary?: RunSummary;
  block?: BlockInfo;
  /** worth another attempt (a lock, a temporary network error) */
  transient?: boolean;
}

/** A location a job names in pillarsd.yaml (`pillar:/path` or `remote:path`), and what it does there. */
export interface JobRef {
  ref: string;
  /** r: reads it; w: writes it. Runs where one writes what another reads or writes never overlap. */
  mode: 'r' | 'w';
  /** the job's source: it must exist and hold something once the pre hooks ran (rule 3) */
  source?: boolean;
  /** locations inside `ref` the job leaves alone (an rclone job's anchored excludes): no conflict there */
  except?: string[];
}

/** Everything one attempt may use; the engine fills it in. */
export interface RunContext {
  config: Config;
  jobId: string;
  job: RunnableJob;
  runId: string;
  exec: Exec;
  env: NodeJS.ProcessEnv;
  tools: Toolchain;
  secrets: RunSecrets;
  log(line: string): void;
  signal: AbortSignal;
  onProgress(p: Progress): void;
  onChild(pid: number | null): void;
  /** private 0700 folder for password files */
  runtimeDir: string;
  cacheDir: string;
  /**
   * What an admin approved for this run (rule 2): the set the run was blocked with, named by its
   * file count and digest (store/change-sets). The run may change only files of that set beyond
   * its guards; null when nobody approved anything.
   */
  approval: { count: number; digest: string } | null;
  /** the run's change sets (a sync's deletions and overwrites), as files in the state folder */
  changeSets: ChangeSetStore;
  /** files a prune of pillarsd removed (absolute paths), and how to add to them */
  expectedDeletions: { runOf(path: string): string | null; record(paths: readonly string[]): void };
  /** the block an admin approved to start this run again (null when nobody approved one) */
  approvedBlock: BlockInfo | null;
  /** restic snapshot id → files, from our own history */
  snapshotFiles: Map<string, number>;
  /** the run history: a job's latest run among these statuses */
  lastRun(jobId: string, statuses: readonly RunStatus[]): Run | undefined;
  /** the repository needs `restic unlock` first (an interrupted run left its lock) */
  unlockFirst: boolean;
  onUnlocked(): void;
}

export interface JobType<J extends RunnableJob = RunnableJob> {
  /** the program the job runs (`pillarsd check` looks for it) */
  tool: 'restic' | 'rclone';
  /** The locations the job touches, checked before anything runs and used to queue it. */
  refs(job: J): JobRef[];
  /**
   * The tool leaves a lock behind when it is killed (restic 0.14): after an abort or a crash the
   * repository's next user removes stale locks first. The job then has a `repository`.
   */
  leavesStaleLocks?: boolean;
  /** One attempt past the preflight, the pre hooks and the source guard. Ends early through `fail`/`block`/`cancelled`. */
  run(ctx: RunContext, job: J): Promise<Outcome>;
}

/** Ends an attempt from anywhere inside it with this outcome. */
export class Stop extends Error {
  constructor(readonly outcome: Outcome) {
    super(outcome.error ?? outcome.status);
  }
}

export const fail = (error: string, extra: Partial<Outcome> = {}): never => {
  throw new Stop({ status: 'failed', error, ...extra });
};

export const block = (b: BlockInfo): never => {
  throw new Stop({ status: 'blocked', block: b, error: b.message });
};

/** The attempt was aborted (cancel, timeout, shutdown): the signal's reason says by what. */
export const cancelled = (ctx: RunContext, extra: Partial<Outcome> = {}): never => {
  throw new Stop({ status: 'cancelled', error: String(ctx.signal.reason ?? 'cancelled'), ...extra });
};
