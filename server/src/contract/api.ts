// API v1 wire types: the stable surface between pillarsd, the tray, the CLI and the admin pane.
// Extend, don't break. This file imports nothing; clients import it type-only.

export const API_VERSION = 'v1';

export type Role = 'viewer' | 'admin';

/**
 * Every status a run can have, the one list the server, the API's validation and the clients use.
 * `succeeded-with-warnings`: the job did its work (a restic snapshot was saved) but something is
 * worth a look (files restic could not read); `error` says what, the summary lists the details.
 * Clients show it as a success in a warning colour, and `after:` treats it as a success unless the
 * dependent job says `afterWarnings: skip`.
 */
export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'succeeded-with-warnings', 'failed', 'cancelled', 'interrupted', 'blocked'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const TERMINAL_STATUSES: readonly RunStatus[] = ['succeeded', 'succeeded-with-warnings', 'failed', 'cancelled', 'interrupted'];
/** The statuses where the job did what it is for (a snapshot saved, a sync done). */
export const SUCCESS_STATUSES: readonly RunStatus[] = ['succeeded', 'succeeded-with-warnings'];

export type JobType = 'restic-backup' | 'restic-forget' | 'restic-check' | 'rclone-sync' | 'rclone-copy';

export type RunTrigger = 'schedule' | 'manual' | 'catch-up' | 'dependency' | 'retry' | 'approval';

/** One progress shape for restic and rclone. */
export interface Progress {
  percent: number | null; // 0..100
  bytesDone: number;
  bytesTotal: number | null;
  filesDone: number;
  filesTotal: number | null;
  rate: number | null; // bytes per second
  etaSeconds: number | null;
  current: string[]; // items in flight
}

export interface ResticBackupSummary {
  kind: 'restic-backup';
  snapshotId: string;
  filesNew: number;
  filesChanged: number;
  filesUnmodified: number;
  bytesAdded: number;
  totalBytesProcessed: number;
  totalFilesProcessed: number;
  durationSeconds: number;
  unreadableFiles?: number; // restic exit 3
  /** the files restic could not read (exit 3), at most 100, with its reason for each */
  unreadable?: Array<{ path: string; reason: string }>;
}
export interface ResticForgetSummary {
  kind: 'restic-forget';
  kept: number;
  removed: number;
  pruned: boolean;
}
export interface ResticCheckSummary {
  kind: 'restic-check';
  ok: boolean;
  readDataSubset: string | null;
}
export interface RcloneSummary {
  kind: 'rclone-sync' | 'rclone-copy';
  bytesTransferred: number;
  filesTransferred: number;
  filesDeleted: number;
  errors: number;
  durationSeconds: number;
}
export type RunSummary = ResticBackupSummary | ResticForgetSummary | ResticCheckSummary | RcloneSummary;

/** Why a run is blocked and what approving it would do. */
export interface BlockInfo {
  guard: 'pillar-sentinel' | 'pillar-not-mounted' | 'empty-source' | 'missing-source' | 'delete-threshold' | 'retention-minimum' | string;
  message: string;
  needsApproval: boolean; // true only where an admin approval lets the run go on (delete-threshold)
  deletes?: { count: number; bytes: number; percent: number; sample: string[] };
}

export interface Run {
  id: string;
  jobId: string;
  status: RunStatus;
  trigger: RunTrigger;
  attempt: number;
  queuedAt: string; // ISO 8601
  startedAt: string | null;
  finishedAt: string | null;
  exitCode: number | null;
  error: string | null; // one line, never a secret; for succeeded-with-warnings, what the warning is
  progress: Progress | null;
  summary: RunSummary | null;
  block: BlockInfo | null;
  approvedBy: string | null;
  logTail: string; // the last lines of the run's log
}

export interface JobInfo {
  id: string;
  type: JobType;
  schedule: string | null;
  timezone: string | null;
  enabled: boolean;
  after: string[];
  repository: string | null; // pillar:path of a restic repository
  source: string | null;
  destination: string | null;
  state: 'idle' | 'queued' | 'running' | 'blocked';
  nextRunAt: string | null;
  lastRun: Run | null;
  lastSuccessAt: string | null;
  overdue: boolean; // the schedule's last due time passed without a successful run
}

export interface PillarStatus {
  id: string;
  path: string;
  online: boolean; // mounted (or allowed as folder) and readable
  sentinel: boolean;
  mounted: boolean;
  totalBytes: number | null;
  freeBytes: number | null;
  usedBytes: number | null;
  warnings: string[];
}

export interface TimeMachineBundle {
  name: string; // the Mac's bundle, e.g. "count-zero.sparsebundle"
  sizeBytes: number;
  lastBackupAt: string | null;
  capBytes: number | null;
  capShare: number | null; // 0..1
  stale: boolean;
  folder?: string | null; // the user's folder on Time holding the bundle, null at the top
}

export interface HotSetStatus {
  id: string;
  label: string;
  path: string;
  state: string; // idle, syncing, error, paused, unknown
  completion: number | null; // 0..100
  errors: number;
  conflicts: string[];
}

export interface B2Plan {
  spaceBytes: number;
  uplinkMbps: number | null;
  seedEtaSeconds: number | null;
  monthlyCost: number | null;
  currency: string;
  pricePerTbMonth: number;
  priceDate: string;
}

export interface StatusResponse {
  version: string;
  time: string;
  pillars: PillarStatus[];
  jobs: JobInfo[];
  timeMachine: TimeMachineBundle[];
  hotSets: HotSetStatus[];
  b2: B2Plan | null;
  warnings: string[];
}

export interface RunsPage {
  runs: Run[];
  next: string | null;
}

export interface HealthResponse {
  ok: true;
  version: string;
}

/** RFC 9457 problem JSON: the only error shape of the API. */
export interface Problem {
  status: number;
  title: string;
  detail?: string;
}

// Live events (SSE `event:` is the type, `data:` the JSON, `id:` the sequence).
export type ServerEvent =
  | { type: 'run.queued'; run: Run }
  | { type: 'run.started'; run: Run }
  | { type: 'run.progress'; runId: string; jobId: string; progress: Progress }
  | { type: 'run.finished'; run: Run }
  | { type: 'run.blocked'; run: Run }
  | { type: 'run.log'; runId: string; lines: string[] }
  | { type: 'status.changed'; reason: string };

export type ServerEventType = ServerEvent['type'];

export interface StoredEvent {
  id: number;
  at: string;
  event: ServerEvent;
}

export interface TokenInfo {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string; // token name and id
  action: string;
  target: string | null;
  detail: string | null;
}

export interface PairResponse {
  token: string;
  role: Role;
  fingerprint: string | null; // SHA-256 of the server certificate, hex with colons
}

export interface SambaState {
  rendered: string;
  live: string | null;
  diff: string;
  drift: boolean;
  valid: boolean;
  messages: string[];
  versions: Array<{ id: string; at: string }>;
}

/**
 * POST /api/v1/samba/apply and /rollback → 200 when the file is in place and smbd took it (or
 * nothing needed changing). When the file changed but smbd did not reload, or a share did not
 * answer after the reload, the answer is a 502 problem whose detail lists these messages.
 */
export interface SambaActionResult {
  changed: boolean;
  /** smbcontrol delivered the reload; false when smbd is not running */
  reloaded: boolean;
  /** every share answered after the reload; null when nothing was probed */
  answered: boolean | null;
  /** the version the replaced file was saved as */
  backup: string | null;
  /** what happened, in order, as the CLI prints it */
  messages: string[];
  state: SambaState;
}

// ---- added with the HTTP API (issue 4) ----

export interface JobsResponse {
  jobs: JobInfo[];
}

/** POST /api/v1/jobs/:id/run → 202 */
export interface RunAccepted {
  runId: string;
}

/** GET /api/v1/runs/:id/log (`?tail=N` for the last N lines; `?follow=1` streams it as SSE). */
export interface RunLog {
  runId: string;
  log: string;
  /** the tail length asked for, or null for the full (capped) log */
  tail: number | null;
}

/** GET /api/v1/me: who the presented token is. */
export interface WhoAmI {
  tokenId: string;
  name: string;
  role: Role;
}

/** POST /api/v1/events/ticket: a single-use ticket for `EventSource` (`?ticket=`), valid 30 s. */
export interface EventTicket {
  ticket: string;
  expiresAt: string;
}

export interface AuditPage {
  entries: AuditEntry[];
  next: string | null;
}

export interface TokensResponse {
  tokens: TokenInfo[];
}

/** POST /api/v1/pair/codes (admin) and `pillarsd pair`: a code valid 10 minutes, usable once. */
export interface PairingCodeResponse {
  code: string;
  role: Role;
  expiresAt: string;
}

/** POST /api/v1/pair body. */
export interface PairRequest {
  code: string;
  /** how the new token is named in lists and the audit log, e.g. the client's host name */
  name?: string;
}

// ---- notifications (issue 17) ----

/** What a notice can be about; channels and per-job choices list these. */
export const NOTICE_KINDS = ['failed', 'blocked', 'interrupted', 'warnings', 'overdue', 'capacity', 'time-machine', 'samba', 'drill', 'conflicts'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];
/** The kinds that belong to one job (what a job's own choices may name). */
export const JOB_NOTICE_KINDS: readonly NoticeKind[] = ['failed', 'blocked', 'interrupted', 'warnings', 'overdue', 'drill'];

/** opened: a new incident; changed: the same subject is in a different trouble now; reminder: still
 * waiting (a block); resolved: back to normal; test: `pillarsd notify test` or the pane's button. */
export type NoticePhase = 'opened' | 'changed' | 'reminder' | 'resolved' | 'test';

/** One thing a person is told. Part of the webhook body: fields are added, never renamed. */
export interface Notice {
  /** unique per notice; a receiver that sees an id twice has seen the same notice twice */
  id: string;
  /** the incident it belongs to, e.g. `job:flux-backup`, `capacity:space`; stable while it lasts */
  incident: string;
  /** `test` only in a test message */
  kind: NoticeKind | 'test';
  phase: NoticePhase;
  severity: 'critical' | 'warning' | 'info';
  title: string;
  text: string;
  at: string;
  jobId: string | null;
  runId: string | null;
  /** the pillar, Mac (Time Machine bundle) or hot-set the notice is about */
  subject: string | null;
  /** the run (or page) in the admin pane, when notifications.paneUrl is set */
  link: string | null;
  /** how many times it happened within the incident so far */
  count: number;
  /** a block that waits for approval: what approving would delete */
  deletes: { count: number; bytes: number; percent: number } | null;
}

/** The JSON body of a webhook delivery (one or more notices grouped). */
export interface WebhookBody {
  version: 1;
  /** the idempotency key of this delivery (also the Idempotency-Key header); the same on a retry */
  id: string;
  server: string;
  sentAt: string;
  notices: Notice[];
}

export type ChannelType = 'webhook' | 'ntfy' | 'email' | 'heartbeat';

export interface ChannelState {
  name: string;
  type: ChannelType;
  enabled: boolean;
  /** where it goes, without credentials: the URL's origin and path, the SMTP host and recipients */
  target: string;
  /** what it is told about by default (heartbeat: the jobs it pings for) */
  events: NoticeKind[];
  jobs: string[];
  pending: number;
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
}

export interface IncidentInfo {
  key: string;
  kind: NoticeKind;
  title: string;
  jobId: string | null;
  openedAt: string;
  lastAt: string;
  count: number;
}

export interface JobNotifyChoices {
  jobId: string;
  /** overdue after this long without a success (e.g. 36h), besides the schedule's own window */
  maxAge: string | null;
  /** per message channel: the kinds this job sends there, or null for the channel's default */
  send: Record<string, NoticeKind[] | null>;
}

/** GET /api/v1/notifications */
export interface NotificationsResponse {
  channels: ChannelState[];
  jobs: JobNotifyChoices[];
  open: IncidentInfo[];
}

/** POST /api/v1/notifications/test → the outcome of one test delivery */
export interface NotifyTestResult {
  channel: string;
  ok: boolean;
  error: string | null;
  at: string;
}

/** PUT /api/v1/notifications/jobs/:id body: per channel a list of kinds, or null for the channel's default */
export interface JobNotifyUpdate {
  send: Record<string, NoticeKind[] | null>;
}
