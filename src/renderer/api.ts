// The pane's only door to pillarsd: JSON over HTTP with the bearer token. Errors arrive as RFC 9457
// problem JSON and become ApiError with the server's own words, so every failure the user sees
// names what was wrong.
import type {
  ApproveRequest,
  ChangeSetPage,
  DirListing,
  FieldProblem,
  FindResponse,
  JobInfo,
  JobNotifyChoices,
  JobSettings,
  JobSettingsEdit,
  NoticeKind,
  NotificationsResponse,
  NotifyTestResult,
  Problem,
  RecoverAccepted,
  RecoverPlan,
  RecoverRequest,
  RestorePlan,
  RestoreRequest,
  Run,
  RunsPage,
  RunStatus,
  SambaActionResult,
  SambaState,
  SnapshotsResponse,
  StatusResponse,
  WhoAmI,
} from '../../server/src/contract/api';

/** Where a browser session keeps its token (sessionStorage: gone when the tab closes). */
export const TOKEN_KEY = 'pillars.token';

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null; // storage disabled: the token lives in memory only
  }
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** a 400 about settings: each field that was wrong, by its key path in pillarsd.yaml */
    readonly fields: FieldProblem[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface RunFilter {
  job?: string;
  status?: RunStatus | '';
  limit?: number;
  before?: string | null;
}

function isProblem(x: unknown): x is Problem {
  return typeof x === 'object' && x !== null && typeof (x as Problem).title === 'string';
}

function snapshotsPath(jobId: string, snapshot?: string): string {
  return `/api/v1/jobs/${encodeURIComponent(jobId)}/snapshots${snapshot === undefined ? '' : `/${encodeURIComponent(snapshot)}`}`;
}

export class Api {
  constructor(
    /** '' for same origin (served by pillarsd), else the server's origin (tray window from file://). */
    readonly baseUrl: string,
    private readonly token: () => string | null,
    /** Called on 401 so the shell can drop the token and ask again. */
    private readonly onUnauthorized: () => void = () => {},
  ) {}

  private async request(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = this.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', signal });
    } catch (e) {
      if (signal?.aborted) throw e;
      throw new ApiError(0, `pillarsd is unreachable (${e instanceof Error ? e.message : String(e)})`);
    }
    if (res.ok) return res;
    let message = `${method} ${path} failed with HTTP ${res.status}`;
    let fields: FieldProblem[] = [];
    try {
      const p: unknown = await res.json();
      if (isProblem(p)) {
        message = p.detail ? `${p.title}: ${p.detail}` : p.title;
        fields = p.errors ?? [];
      } else if (typeof p === 'object' && p && typeof (p as { message?: unknown }).message === 'string') message = (p as { message: string }).message;
    } catch {
      // not JSON: keep the generic message
    }
    if (res.status === 401) this.onUnauthorized();
    throw new ApiError(res.status, message, fields);
  }

  async get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return (await (await this.request('GET', path, undefined, signal)).json()) as T;
  }

  async post<T>(path: string, body: unknown = {}): Promise<T> {
    const res = await this.request('POST', path, body);
    const text = await res.text();
    return (text ? JSON.parse(text) : {}) as T;
  }

  async put<T>(path: string, body: unknown, method: 'PUT' | 'PATCH' = 'PUT'): Promise<T> {
    const res = await this.request(method, path, body);
    const text = await res.text();
    return (text ? JSON.parse(text) : {}) as T;
  }

  me(): Promise<WhoAmI> {
    return this.get('/api/v1/me');
  }

  status(): Promise<StatusResponse> {
    return this.get('/api/v1/status');
  }

  /** One page of the history, newest first; pillarsd allows `limit` up to 500. */
  runs(f: RunFilter = {}, signal?: AbortSignal): Promise<RunsPage> {
    const q = new URLSearchParams();
    if (f.job) q.set('job', f.job);
    if (f.status) q.set('status', f.status);
    q.set('limit', String(f.limit ?? 200));
    if (f.before) q.set('before', f.before);
    return this.get(`/api/v1/runs?${q}`, signal);
  }

  run(id: string): Promise<Run> {
    return this.get(`/api/v1/runs/${encodeURIComponent(id)}`);
  }

  /** The run's log as text, whether the server sends text/plain or {log}/{text}/{lines}. */
  async log(id: string): Promise<string> {
    const res = await this.request('GET', `/api/v1/runs/${encodeURIComponent(id)}/log`);
    const type = res.headers.get('content-type') ?? '';
    if (!type.includes('json')) return res.text();
    const j = (await res.json()) as { log?: string; text?: string; lines?: string[] } | string;
    if (typeof j === 'string') return j;
    return j.log ?? j.text ?? (j.lines ? j.lines.join('\n') : '');
  }

  runNow(jobId: string): Promise<{ runId: string }> {
    return this.post(`/api/v1/jobs/${encodeURIComponent(jobId)}/run`);
  }

  cancel(runId: string): Promise<Run> {
    return this.post(`/api/v1/runs/${encodeURIComponent(runId)}/cancel`);
  }

  /** Approves exactly the set the run listed: `seen` is its count and digest (BlockInfo.approval). */
  approve(runId: string, seen: ApproveRequest): Promise<Run> {
    return this.post(`/api/v1/runs/${encodeURIComponent(runId)}/approve`, seen);
  }

  /** One page of the set a blocked run would change (what an approval names), in path order. */
  changeSet(runId: string, kind: ChangeSetPage['kind'], offset: number, limit: number): Promise<ChangeSetPage> {
    return this.get(`/api/v1/runs/${encodeURIComponent(runId)}/${kind}?set=approval&offset=${offset}&limit=${limit}`);
  }

  reject(runId: string): Promise<Run> {
    return this.post(`/api/v1/runs/${encodeURIComponent(runId)}/reject`);
  }

  setEnabled(jobId: string, enabled: boolean): Promise<JobInfo> {
    return this.post(`/api/v1/jobs/${encodeURIComponent(jobId)}/${enabled ? 'enable' : 'disable'}`);
  }

  setSchedule(jobId: string, schedule: string): Promise<JobInfo> {
    return this.put(`/api/v1/jobs/${encodeURIComponent(jobId)}/schedule`, { schedule });
  }

  jobSettings(jobId: string): Promise<JobSettings> {
    return this.get(`/api/v1/jobs/${encodeURIComponent(jobId)}/settings`);
  }

  /** Every edit is written into pillarsd.yaml as one change; a 400 carries each wrong field. */
  updateJobSettings(jobId: string, edits: JobSettingsEdit[]): Promise<JobSettings> {
    return this.put(`/api/v1/jobs/${encodeURIComponent(jobId)}/settings`, { edits }, 'PATCH');
  }

  samba(): Promise<SambaState> {
    return this.get('/api/v1/samba');
  }

  sambaApply(): Promise<SambaActionResult> {
    return this.post('/api/v1/samba/apply');
  }

  sambaRollback(): Promise<SambaActionResult> {
    return this.post('/api/v1/samba/rollback');
  }

  notifications(): Promise<NotificationsResponse> {
    return this.get('/api/v1/notifications');
  }

  notifyTest(channel?: string): Promise<{ results: NotifyTestResult[] }> {
    return this.post('/api/v1/notifications/test', channel ? { channel } : {});
  }

  setNotifyChoices(jobId: string, send: Record<string, NoticeKind[] | null>): Promise<JobNotifyChoices> {
    return this.put(`/api/v1/notifications/jobs/${encodeURIComponent(jobId)}`, { send });
  }

  /** The snapshots of the job's repository as restic lists them (cached by pillarsd; `refresh` reads the repository again). */
  snapshots(jobId: string, refresh = false): Promise<SnapshotsResponse> {
    return this.get(`${snapshotsPath(jobId)}${refresh ? '?refresh=1' : ''}`);
  }

  /** One page of one folder of a snapshot (`dir` '' for the snapshot's root). */
  ls(jobId: string, snapshot: string, dir: string, offset: number, limit: number): Promise<DirListing> {
    const q = new URLSearchParams({ offset: String(offset), limit: String(limit) });
    if (dir) q.set('path', dir);
    return this.get(`${snapshotsPath(jobId, snapshot)}/ls?${q}`);
  }

  /** Entries of a snapshot whose name matches `pattern` (restic find: * and ?), case-insensitive. */
  find(jobId: string, snapshot: string, pattern: string, limit: number): Promise<FindResponse> {
    const q = new URLSearchParams({ pattern, ignoreCase: '1', limit: String(limit) });
    return this.get(`${snapshotsPath(jobId, snapshot)}/find?${q}`);
  }

  /** What a restore would write where; nothing is written. */
  restorePreview(jobId: string, snapshot: string, req: RestoreRequest): Promise<RestorePlan> {
    return this.post(`${snapshotsPath(jobId, snapshot)}/restore/preview`, req);
  }

  /** Starts the restore as a run (queued like any job); its id opens the run's page. */
  restore(jobId: string, snapshot: string, req: RestoreRequest): Promise<{ runId: string; plan: RestorePlan }> {
    return this.post(`${snapshotsPath(jobId, snapshot)}/restore`, req);
  }

  /**
   * A link that downloads a file, or a folder as an archive, from a snapshot: a browser's download
   * cannot send the token, so it carries a single-use ticket (POST /api/v1/events/ticket).
   */
  async dumpUrl(jobId: string, snapshot: string, file: string, format: 'tar' | 'zip' | null): Promise<string> {
    const { ticket } = await this.eventTicket();
    const q = new URLSearchParams({ path: file, ticket });
    if (format) q.set('format', format);
    return `${this.baseUrl}${snapshotsPath(jobId, snapshot)}/dump?${q}`;
  }

  /** What a recovery of the pillar from the remote would copy back (listed from the remote now); nothing is written. */
  recoverPlan(pillar: string, from: string): Promise<RecoverPlan> {
    return this.get(`/api/v1/recover/plan?${new URLSearchParams({ pillar, from })}`);
  }

  /** Starts the recovery as a run (recover:<pillar>); its id opens the run page. */
  recover(req: RecoverRequest): Promise<RecoverAccepted> {
    return this.post('/api/v1/recover', req);
  }

  eventTicket(): Promise<{ ticket: string }> {
    return this.post('/api/v1/events/ticket');
  }

  eventsUrl(ticket: string, lastEventId: string | null = null): string {
    const q = new URLSearchParams({ ticket });
    if (lastEventId && /^[0-9]{1,15}$/.test(lastEventId)) q.set('lastEventId', lastEventId);
    return `${this.baseUrl}/api/v1/events?${q}`;
  }
}
