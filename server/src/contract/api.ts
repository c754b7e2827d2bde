// API v1 wire types: the stable surface between pillarsd, the tray, the CLI and the admin pane.
// Extend, don't break. The types are derived from the one declaration of the API in schema.ts
// (imported here type-only); the lists below are plain data, so clients can import this file
// without pulling in a schema library.
import type { z } from 'zod';
import type * as S from './schema';

export const API_VERSION = 'v1';

// ---- enumerations: each declared here once; schema.ts builds its enums from them --------------

export const ROLES = ['viewer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Every status a run can have, the one list the server, the API's validation and the clients use.
 * `succeeded-with-warnings`: the job did its work (a restic snapshot was saved) but something is
 * worth a look (files restic could not read); `error` says what, the summary lists the details.
 * Clients show it as a success in a warning colour, and `after:` treats it as a success unless the
 * dependent job says `afterWarnings: skip`.
 */
export const RUN_STATUSES = ['queued', 'running', 'blocked', 'succeeded', 'succeeded-with-warnings', 'failed', 'cancelled', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** A run in one of these has ended for good (a blocked run may still be approved). */
export const TERMINAL_STATUSES: readonly RunStatus[] = ['succeeded', 'succeeded-with-warnings', 'failed', 'cancelled', 'interrupted'];
/** The statuses where the job did what it is for (a snapshot saved, a sync done). */
export const SUCCESS_STATUSES: readonly RunStatus[] = ['succeeded', 'succeeded-with-warnings'];
/** Queued, running or waiting for approval: what the pane and the engine call live. */
export const LIVE_STATUSES: readonly RunStatus[] = ['queued', 'running', 'blocked'];

export const JOB_TYPE_NAMES = ['restic-backup', 'restic-forget', 'restic-check', 'restic-drill', 'rclone-sync', 'rclone-copy'] as const;
export type JobType = (typeof JOB_TYPE_NAMES)[number];

export const RUN_TRIGGERS = ['schedule', 'manual', 'catch-up', 'dependency', 'retry', 'approval'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

export const JOB_STATES = ['idle', 'queued', 'running', 'blocked'] as const;
export type JobState = (typeof JOB_STATES)[number];

// notifications (issue 17)
/** What a notice can be about; channels and per-job choices list these. */
export const NOTICE_KINDS = ['failed', 'blocked', 'interrupted', 'warnings', 'overdue', 'capacity', 'time-machine', 'samba', 'drill', 'conflicts'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];
/** The kinds that belong to one job (what a job's own choices may name). */
export const JOB_NOTICE_KINDS = ['failed', 'blocked', 'interrupted', 'warnings', 'overdue', 'drill'] as const satisfies readonly NoticeKind[];
export type JobNoticeKind = (typeof JOB_NOTICE_KINDS)[number];
/** opened: a new incident; changed: the same subject is in a different trouble now; reminder: still
 * waiting (a block); resolved: back to normal; test: `pillarsd notify test` or the pane's button. */
export const NOTICE_PHASES = ['opened', 'changed', 'reminder', 'resolved', 'test'] as const;
export type NoticePhase = (typeof NOTICE_PHASES)[number];
export const CHANNEL_TYPES = ['webhook', 'ntfy', 'email', 'heartbeat'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

// ---- answers -----------------------------------------------------------------------------------

export type Progress = z.output<typeof S.Progress>;
export type ResticBackupSummary = z.output<typeof S.ResticBackupSummary>;
export type ResticForgetSummary = z.output<typeof S.ResticForgetSummary>;
export type ResticCheckSummary = z.output<typeof S.ResticCheckSummary>;
export type RcloneSummary = z.output<typeof S.RcloneSummary>;
export type RclonePlanSummary = z.output<typeof S.RclonePlanSummary>;
export type RunSummary = z.output<typeof S.RunSummary>;
export type BlockInfo = z.output<typeof S.BlockInfo>;
export type Run = z.output<typeof S.Run>;
export type JobInfo = z.output<typeof S.JobInfo>;
export type SeedProgress = z.output<typeof S.SeedProgress>;
export type PillarStatus = z.output<typeof S.PillarStatus>;
export type TimeMachineBundle = z.output<typeof S.TimeMachineBundle>;
export type HotSetStatus = z.output<typeof S.HotSetStatus>;
export type B2Plan = z.output<typeof S.B2Plan>;
export type SambaIncident = z.output<typeof S.SambaIncident>;
export type SambaIncidents = z.output<typeof S.SambaIncidents>;
export type StatusResponse = z.output<typeof S.StatusResponse>;
export type RunsPage = z.output<typeof S.RunsPage>;
export type HealthResponse = z.output<typeof S.HealthResponse>;
export type Problem = z.output<typeof S.Problem>;
export type ServerEvent = z.output<typeof S.ServerEvent>;
export type ServerEventType = ServerEvent['type'];
export type StoredEvent = z.output<typeof S.StoredEvent>;
export type TokenInfo = z.output<typeof S.TokenInfo>;
export type AuditEntry = z.output<typeof S.AuditEntry>;
export type PairResponse = z.output<typeof S.PairResponse>;
export type SambaState = z.output<typeof S.SambaState>;
export type SambaActionResult = z.output<typeof S.SambaActionResult>;
export type JobsResponse = z.output<typeof S.JobsResponse>;
export type RunAccepted = z.output<typeof S.RunAccepted>;
export type RunLog = z.output<typeof S.RunLog>;
export type WhoAmI = z.output<typeof S.WhoAmI>;
export type EventTicket = z.output<typeof S.EventTicket>;
export type AuditPage = z.output<typeof S.AuditPage>;
export type TokensResponse = z.output<typeof S.TokensResponse>;
export type PairingCodeResponse = z.output<typeof S.PairingCodeResponse>;
export type Notice = z.output<typeof S.Notice>;
export type WebhookBody = z.output<typeof S.WebhookBody>;
export type ChannelState = z.output<typeof S.ChannelState>;
export type IncidentInfo = z.output<typeof S.IncidentInfo>;
export type JobNotifyChoices = z.output<typeof S.JobNotifyChoices>;
export type NotificationsResponse = z.output<typeof S.NotificationsResponse>;
export type NotifyTestResult = z.output<typeof S.NotifyTestResult>;
export type FolderTotal = z.output<typeof S.FolderTotal>;
export type ChangeEntry = z.output<typeof S.ChangeEntry>;
export type ChangeSetPage = z.output<typeof S.ChangeSetPage>;
export type FieldProblem = z.output<typeof S.FieldProblem>;
export type JobSettings = z.output<typeof S.JobSettings>;
// snapshots, browsing, restore, download and recovery (issue 16)
export type ExistingChoice = z.output<typeof S.ExistingChoice>;
export type RestoreTask = z.output<typeof S.RestoreTask>;
export type RecoverTask = z.output<typeof S.RecoverTask>;
export type RecoverPair = z.output<typeof S.RecoverPair>;
export type RunTask = z.output<typeof S.RunTask>;
export type RestoreSummary = z.output<typeof S.RestoreSummary>;
export type DrillSummary = z.output<typeof S.DrillSummary>;
export type RecoverSummary = z.output<typeof S.RecoverSummary>;
export type SnapshotInfo = z.output<typeof S.SnapshotInfo>;
export type SnapshotsResponse = z.output<typeof S.SnapshotsResponse>;
export type SnapshotEntry = z.output<typeof S.SnapshotEntry>;
export type DirListing = z.output<typeof S.DirListing>;
export type FindResponse = z.output<typeof S.FindResponse>;
export type RestorePlan = z.output<typeof S.RestorePlan>;
export type RestoreAccepted = z.output<typeof S.RestoreAccepted>;
export type NotOnRemote = z.output<typeof S.NotOnRemote>;
export type RecoverPlan = z.output<typeof S.RecoverPlan>;

// ---- requests (what a client sends) ------------------------------------------------------------

export type PairRequest = z.input<typeof S.PairRequest>;
export type PairingCodeRequest = z.input<typeof S.PairingCodeRequest>;
export type ScheduleRequest = z.input<typeof S.ScheduleRequest>;
export type RunsQuery = z.input<typeof S.RunsQuery>;
export type HotSetRequest = z.input<typeof S.HotSetRequest>;
export type JobNotifyUpdate = z.input<typeof S.JobNotifyUpdate>;
export type ApproveRequest = z.input<typeof S.ApproveRequest>;
export type ChangeSetQuery = z.input<typeof S.ChangeSetQuery>;
export type JobSettingsEdit = z.input<typeof S.JobSettingsEdit>;
export type JobSettingsRequest = z.input<typeof S.JobSettingsRequest>;
export type RestoreRequest = z.input<typeof S.RestoreRequest>;
export type RecoverRequest = z.input<typeof S.RecoverRequest>;
export type RecoverAccepted = z.output<typeof S.RecoverAccepted>;
