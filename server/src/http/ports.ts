// What the HTTP layer needs from the rest of the server. The engine (jobs/), the Samba manager
// (samba/) and the watchers (watch/) implement these; the composition root (cli/) wires them.
import type { JobInfo, Run, RunsPage, RunStatus, SambaState, StatusResponse, StoredEvent } from '../contract/api';

export class NotFoundError extends Error {
  readonly statusCode = 404;
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

/** Every run change is stored, then published: SSE, notifications and the tray only subscribe. */
export interface EventHub {
  subscribe(fn: (e: StoredEvent) => void): () => void;
  /** Stored events after `id` (for Last-Event-ID resume); empty when none. */
  since(id: number, limit?: number): StoredEvent[];
  lastId(): number;
}

export interface StatusApi {
  status(): Promise<StatusResponse>;
}

export interface SambaApi {
  state(): Promise<SambaState>;
  apply(actor: string): Promise<SambaState>;
  rollback(actor: string): Promise<SambaState>;
}
