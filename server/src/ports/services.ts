// What the server's transports (the HTTP API today) call on the rest of the server. The engine
// (jobs/), the Samba manager (samba/), the watchers (watch/) and the stores (store/) implement
// these; the composition root (cli/) wires them. Errors are the ones in ./errors.
import type {
  ApproveRequest,
  AuditEntry,
  ChangeSetPage,
  HotSetStatus,
  JobInfo,
  JobNotifyChoices,
  JobSettings,
  JobSettingsEdit,
  NoticeKind,
  NotificationsResponse,
  NotifyTestResult,
  Role,
  Run,
  RunsPage,
  RunStatus,
  SambaActionResult,
  SambaState,
  StatusResponse,
  StoredEvent,
  TokenInfo,
} from '../contract/api';
import type { DirListing, FindResponse, RecoverPlan, RestorePlan, SnapshotsResponse } from '../contract/api';

export interface RunQuery {
  job?: string;
  status?: RunStatus;
  limit: number;
  /** Opaque cursor from a previous page's `next`. */
  before?: string;
}

export interface EngineApi {
  listJobs(): JobInfo[];
  getJob(id: string): JobInfo | undefined;
  /** Queues a run now; throws NotFoundError for an unknown job. */
  runNow(jobId: string, actor: string): Run;
  cancel(runId: string, actor: string): Run;
  /**
   * Lets a blocked run go on (rule 2) with exactly the set it listed: `seen` is what the approver
   * was shown (its count and digest). ConflictError when the run is not blocked awaiting approval
   * or its set is not the one named; BadRequestError when `seen` is missing.
   */
  approve(runId: string, actor: string, seen: ApproveRequest | null): Run;
  /**
   * One page of a run's change set (a sync's deletions or overwrites), `set` defaulting to the
   * one it was blocked with when there is one. NotFoundError when the run has none.
   */
  changeSet?(runId: string, kind: 'deletions' | 'overwrites', q: { offset: number; limit: number; set?: 'approval' | 'run' }): ChangeSetPage;
  /** Ends a blocked run as cancelled, recording who rejected it. */
  reject?(runId: string, actor: string): Run;
  listRuns(q: RunQuery): RunsPage;
  getRun(id: string): Run | undefined;
  /** The run's full log (capped file), or only its last `tailLines`. */
  readLog(runId: string, opts?: { tailLines?: number }): Promise<string>;
  setEnabled?(jobId: string, enabled: boolean, actor: string): JobInfo;
}

/** Every run change is stored, then published: SSE, notifications and the tray only subscribe. */
export interface EventHub {
  subscribe(fn: (e: StoredEvent) => void): () => void;
  /** Stored events after `id` (for Last-Event-ID resume); empty when none. */
  since(id: number, limit?: number): StoredEvent[];
  lastId(): number;
}

/** Changes of job schedules, written to pillarsd.yaml (the composition root implements it). */
export interface ScheduleApi {
  /**
   * Sets a job's schedule (null: none, the job runs on demand or after the jobs it follows), in
   * pillarsd.yaml and in the running scheduler. BadRequestError when the result would not load;
   * ConflictError when the file changed on disk since pillarsd loaded it or cannot be written.
   */
  setSchedule(jobId: string, schedule: string | null, actor: string): JobInfo;
}

/** Every setting of a job, edited in pillarsd.yaml and taken by the running server (the composition root implements it). */
export interface JobSettingsApi {
  settings(jobId: string): JobSettings;
  /**
   * Applies the edits to pillarsd.yaml as one change and hands the result to the engine, the
   * scheduler and the notifier. BadRequestError (with each field's problem) when the result would
   * not load or an edit names what may not change; ConflictError as for schedules.
   */
  update(jobId: string, edits: readonly JobSettingsEdit[], actor: string): JobSettings;
  /** Enables or disables the job in pillarsd.yaml (`jobs.<id>.enabled`). */
  setEnabled(jobId: string, enabled: boolean, actor: string): JobInfo;
}

export interface StatusApi {
  status(): Promise<StatusResponse>;
}

export interface SambaApi {
  state(): Promise<SambaState>;
  apply(actor: string): Promise<SambaActionResult>;
  rollback(actor: string): Promise<SambaActionResult>;
}

export interface HotSetsApi {
  /** Throws BadRequestError for a bad path (outside flux/hot, already a folder…). */
  create(input: { path: string; label?: string; devices?: string[] }): Promise<Pick<HotSetStatus, 'id' | 'label' | 'path'>>;
}

/** Notifications (notify/ implements it): what the channels did, a test message, a job's choices. */
export interface NotificationsApi {
  view(): NotificationsResponse;
  /** Sends a test message now to one channel (NotFoundError when there is none) or to all. */
  test(channel: string | undefined, actor: string): Promise<NotifyTestResult[]>;
  /**
   * A job's choices of what to send where, written to pillarsd.yaml (null: the channel's own
   * events). NotFoundError for an unknown job; BadRequestError for an unknown channel, a heartbeat
   * channel or a kind that is not a job's; ConflictError when the file cannot be written.
   */
  setJobChoices(jobId: string, send: Record<string, NoticeKind[] | null>, actor: string): JobNotifyChoices;
}

/** GET /metrics (metrics/ implements it): the Prometheus text exposition format. */
export interface MetricsApi {
  readonly contentType: string;
  /** `sseClients`: the event streams open right now (only the HTTP layer knows). */
  render(live: { sseClients: number }): Promise<string>;
}

// ---- the API's own stores (store/{tokens,audit,pairing}.ts implement these) ----

export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
}

/** What a client says of itself in X-Pillars-Client ("1.4.0 darwin"). */
export interface ClientInfo {
  version: string;
  os: string | null;
}

export interface TokenAuth {
  /** The principal behind a bearer token, or null; records last use (and what the client said of itself). */
  verify(token: string, client?: ClientInfo | null): Principal | null;
  list(): TokenInfo[];
  /** Undefined when there is no such token. */
  revoke(id: string): TokenInfo | undefined;
}

export interface AuditSink {
  record(e: { actor: string; action: string; target?: string | null; detail?: string | null }): AuditEntry;
  list(opts: { limit: number; before?: number }): { entries: AuditEntry[]; next: string | null };
}

export interface Pairing {
  create(opts: { role: Role; name?: string }): { code: string; role: Role; expiresAt: string };
  /** A new token for a valid, unused, unexpired code; null otherwise. */
  redeem(code: string, clientName?: string): { id: string; token: string; info: TokenInfo } | null;
}

// ---- snapshots, restore, download and recovery (issue 16; jobs/snapshots.ts and jobs/recover-service.ts implement them) ----

/** A download on its way: a file's bytes or a folder's archive, streamed as restic writes it. */
export interface SnapshotDownload {
  filename: string;
  contentType: string;
  /** a file's size (the answer's length); null for an archive */
  size: number | null;
  /** ends with an error if restic fails half way, so a cut-off download never looks whole */
  stream: NodeJS.ReadableStream;
}

export interface RestoreRequestInput {
  paths: string[];
  to?: string;
  existing?: 'skip' | 'keep-both' | 'overwrite';
}

export interface SnapshotsApi {
  /** NotFoundError: no such job, or a job without a repository; ConflictError: the repository can't be read now (guard, lock) */
  list(jobId: string, o?: { refresh?: boolean }): Promise<SnapshotsResponse>;
  ls(jobId: string, snapshot: string, o: { path?: string; offset: number; limit: number }): Promise<DirListing>;
  find(jobId: string, snapshot: string, o: { pattern: string; ignoreCase?: boolean; limit: number }): Promise<FindResponse>;
  dump(jobId: string, snapshot: string, o: { path: string; format?: 'tar' | 'zip' }): Promise<SnapshotDownload>;
  /** What a restore would write where; BadRequestError names what is wrong with the request. */
  planRestore(jobId: string, snapshot: string, req: RestoreRequestInput): Promise<RestorePlan>;
  /** Queues the restore as a run (`restore:<job>`). */
  restore(jobId: string, snapshot: string, req: RestoreRequestInput): Promise<{ run: { id: string }; plan: RestorePlan }>;
}

export interface RecoveryApi {
  /** What the remote holds of the pillar's folders, and the pillar's state; BadRequestError when no job copies the pillar there. */
  plan(pillar: string, remote: string, o?: { bwlimit?: string }): Promise<RecoverPlan>;
  /**
   * Queues the recovery as a run (`recover:<pillar>`), after writing the sentinel of a new, empty disk
   * when asked; only when the plan, listed again, has the digest the owner confirmed (ConflictError
   * naming what changed otherwise, and nothing is written).
   */
  start(req: { pillar: string; from: string; bwlimit?: string; writeSentinel?: boolean; digest: string }): Promise<{ run: { id: string }; plan: RecoverPlan }>;
}

/** A tray build or feed file on its way to a paired client (GET /api/v1/updates/:file). */
export interface UpdateDownload {
  contentType: string;
  size: number;
  body: string | NodeJS.ReadableStream;
}

export interface UpdatesApi {
  /** A feed (latest*.yml, picked by the client's channel) or a build file; NotFoundError when none. */
  open(tokenId: string, name: string): Promise<UpdateDownload>;
}
