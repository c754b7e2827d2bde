// What the HTTP layer needs from the rest of the server. The engine (jobs/), the Samba manager
// (samba/) and the watchers (watch/) implement these; the composition root (cli/) wires them.
import type { AuditEntry, JobInfo, Role, Run, RunsPage, RunStatus, SambaActionResult, SambaState, StatusResponse, StoredEvent, TokenInfo } from '../contract/api';

export class NotFoundError extends Error {
  readonly statusCode = 404;
}
/** Input the route schema can't judge (e.g. a cursor that doesn't decode): answered 400 with the message. */
export class BadRequestError extends Error {
  readonly statusCode = 400;
}
/** The request is understood but the state does not allow it (e.g. approve a run that isn't blocked). */
export class ConflictError extends Error {
  readonly statusCode = 409;
}

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
  /** Lets a blocked run go on (rule 2); ConflictError when it is not blocked awaiting approval. */
  approve(runId: string, actor: string): Run;
  /** Ends a blocked run as cancelled, recording who rejected it. */
  reject?(runId: string, actor: string): Run;
  listRuns(q: RunQuery): RunsPage;
  getRun(id: string): Run | undefined;
  /** The run's full log (capped file), or only its last `tailLines`. */
  readLog(runId: string, opts?: { tailLines?: number }): Promise<string>;
  setEnabled?(jobId: string, enabled: boolean, actor: string): JobInfo;
}

/** Errors with a 4xx `statusCode` (like the classes above) are answered with that status and
 * their message; anything else thrown by a port is a 500 whose message stays in the server log. */
export function clientStatus(e: unknown): number | null {
  const s = (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' && s >= 400 && s < 500 ? s : null;
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

export interface StatusApi {
  status(): Promise<StatusResponse>;
}

export interface SambaApi {
  state(): Promise<SambaState>;
  apply(actor: string): Promise<SambaActionResult>;
  rollback(actor: string): Promise<SambaActionResult>;
}

// ---- the API's own stores (server/src/store/{tokens,audit,pairing}.ts implement these) ----

export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
}

export interface TokenAuth {
  /** The principal behind a bearer token, or null; records last use. */
  verify(token: string): Principal | null;
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
