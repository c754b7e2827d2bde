// API v1 declared once, in zod: every body, query, path parameter and answer of the routes. The
// server validates requests and serializes answers with the JSON Schema zod emits from these
// (http/schema.ts), serves them as an OpenAPI 3.1 document (http/openapi.ts), and api.ts derives
// the wire types from them. Clients import api.ts type-only or for its plain-data lists, never
// this file, so zod stays out of the tray and the pane.
//
// Answers are `z.object` (the emitted schema forbids properties it does not name); requests are
// `z.strictObject` (unknown properties are refused, not dropped).
import { z } from 'zod';
import { CHANNEL_TYPES, JOB_NOTICE_KINDS, JOB_STATES, JOB_TYPE_NAMES, NOTICE_KINDS, NOTICE_PHASES, ROLES, RUN_STATUSES, RUN_TRIGGERS } from './api';

/** The named schemas: components of the OpenAPI document. */
export const components = z.registry<{ id: string; description?: string }>();
function named<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  components.add(schema, { id, ...(description ? { description } : {}) });
  return schema;
}

const iso = z.string().describe('ISO 8601 time');
const isoOrNull = iso.nullable();

export const Role = named('Role', z.enum(ROLES));
export const RunStatus = named('RunStatus', z.enum(RUN_STATUSES));
export const JobType = named('JobType', z.enum(JOB_TYPE_NAMES));
export const RunTrigger = named('RunTrigger', z.enum(RUN_TRIGGERS));

export const Progress = named(
  'Progress',
  z.object({
    percent: z.number().nullable().describe('0..100'),
    bytesDone: z.number(),
    bytesTotal: z.number().nullable(),
    filesDone: z.number(),
    filesTotal: z.number().nullable(),
    rate: z.number().nullable().describe('bytes per second'),
    etaSeconds: z.number().nullable(),
    current: z.array(z.string()).describe('items in flight'),
  }),
  'One progress shape for restic and rclone.',
);

export const ResticBackupSummary = named(
  'ResticBackupSummary',
  z.object({
    kind: z.literal('restic-backup'),
    snapshotId: z.string(),
    filesNew: z.number(),
    filesChanged: z.number(),
    filesUnmodified: z.number(),
    bytesAdded: z.number(),
    totalBytesProcessed: z.number(),
    totalFilesProcessed: z.number(),
    durationSeconds: z.number(),
    unreadableFiles: z.number().optional().describe('restic exit 3'),
    unreadable: z
      .array(z.object({ path: z.string(), reason: z.string() }))
      .optional()
      .describe('the files restic could not read (exit 3), at most 100, with its reason for each'),
  }),
);
export const ResticForgetSummary = named('ResticForgetSummary', z.object({ kind: z.literal('restic-forget'), kept: z.number(), removed: z.number(), pruned: z.boolean() }));
export const ResticCheckSummary = named('ResticCheckSummary', z.object({ kind: z.literal('restic-check'), ok: z.boolean(), readDataSubset: z.string().nullable() }));
export const RclonePlanSummary = named(
  'RclonePlanSummary',
  z.object({
    sourceFiles: z.number(),
    sourceBytes: z.number().optional().describe("absent when rclone's dry run made the plan: it names the sizes of the files it would change, not of the others"),
    destinationFiles: z.number(),
    destinationBytes: z.number().optional().describe('absent as sourceBytes'),
    toCopy: z.number().describe("files new at the source or different from the destination's copy: the copy list"),
    toCopyBytes: z.number(),
    overwrites: z.number().describe('of toCopy, files the destination has in another version'),
    deletions: z.number().describe('files at the destination the source no longer has (a sync deletes them)'),
    expectedDeletions: z.number().describe('of deletions, files a prune pillarsd ran removed at the source (never guarded)'),
    deferredDeletions: z.number().describe('deletions left for a later run: not in the set an approval named'),
    hiddenBytes: z.number().optional().describe('bytes of destination files the run set out to delete or replace (B2 keeps them as hidden versions)'),
    firstCopy: z
      .boolean()
      .optional()
      .describe(
        "the destination's listing found no file, so nothing could be deleted or overwritten: rclone walked the source itself and copied what the destination lacked; the source figures are what that copy found (files that turned up at the destination meanwhile count as source files, not their bytes)",
      ),
  }),
  "What an rclone run's plan found (one listing of each side, or one `rclone sync --dry-run` that lists both) and what it set out to do.",
);
export const RcloneSummary = named(
  'RcloneSummary',
  z.object({
    kind: z.enum(['rclone-sync', 'rclone-copy']),
    bytesTransferred: z.number(),
    filesTransferred: z.number(),
    filesDeleted: z.number().describe('files rclone reported deleting, one `Deleted` line each (observed, never the planned count)'),
    errors: z.number(),
    durationSeconds: z.number(),
    plan: RclonePlanSummary.optional(),
    windowEnded: z.boolean().optional().describe("the job's window (`maxDuration`) ended before every planned file was copied; the next run goes on"),
  }),
);
// ---- restores, drills and recovery (issue 16) ------------------------------------------------------

export const EXISTING_CHOICES = ['skip', 'keep-both', 'overwrite'] as const;
export const ExistingChoice = named(
  'ExistingChoice',
  z.enum(EXISTING_CHOICES),
  'What a restore does where something of the same name is already there: skip it (leave what is there), keep both (the restored copy gets a new name beside it), or overwrite a file with the restored one. A restore never deletes: a folder is never replaced by a file or the other way round (that case keeps both).',
);

export const RestoreTask = named(
  'RestoreTask',
  z.object({
    kind: z.literal('restore'),
    job: z.string().describe('the restic job whose repository the snapshot is in'),
    snapshotId: z.string().describe('the full snapshot id'),
    paths: z.array(z.string()).describe('absolute paths in the snapshot; its root for the whole snapshot'),
    root: z.string().describe("the snapshot's root: what `new` and `folder` destinations keep the paths relative to"),
    mode: z.enum(['new', 'original', 'folder']).describe('new: a new folder in the restore area; original: back where each path came from; folder: into a folder named in the request'),
    destination: z.string().nullable().describe('pillar:/path of the new folder or the folder asked for; null for original'),
    existing: ExistingChoice.nullable().describe('null for a new folder, where nothing exists yet'),
    writes: z.array(z.string()).describe('pillar:/path locations it writes into: it is queued behind runs that use them and guarded on their pillar'),
  }),
);
export const RecoverPair = named(
  'RecoverPair',
  z.object({
    job: z.string().describe('the rclone job that copies this folder offsite'),
    from: z.string().describe('remote:path it is copied back from'),
    to: z.string().describe('pillar:/path it is copied back into'),
    exclude: z.array(z.string()),
    repositories: z.array(z.string()).describe('restic repositories (pillar:/path) inside it, checked after the copy'),
  }),
);
export const NotOnRemote = named(
  'NotOnRemote',
  z.object({
    job: z.string().describe('the rclone job that would copy this folder offsite'),
    from: z.string().describe('remote:path, which the remote does not hold (rclone: directory not found)'),
  }),
  'A folder of the pillar whose offsite job has never finished a copy: the remote does not hold it, so nothing of it comes back.',
);
export const RecoverTask = named(
  'RecoverTask',
  z.object({
    kind: z.literal('recover'),
    pillar: z.string(),
    remote: z.string(),
    bwlimit: z.string().nullable(),
    pairs: z.array(RecoverPair),
    notOnRemote: z.array(NotOnRemote).optional().describe('folders left out: not on the remote, their job never finished a copy there'),
  }),
);
export const RunTask = named('RunTask', z.discriminatedUnion('kind', [RestoreTask, RecoverTask]), 'A run that is not a configured job (its jobId is `restore:<job>` or `recover:<pillar>`): what it was asked to do.');

export const RestoreSummary = named(
  'RestoreSummary',
  z.object({
    kind: z.literal('restore'),
    snapshotId: z.string(),
    destination: z.string().nullable().describe('the folder the paths were restored into (absolute), null when each went back to its original place'),
    files: z.number().describe('files, links and folders written'),
    bytes: z.number(),
    skipped: z.array(z.string()).describe('paths left as they were (existing: skip), at most 100'),
    keptBoth: z.array(z.string()).describe('paths restored beside what was there under a new name, at most 100'),
    overwritten: z.array(z.string()).describe('files replaced by the restored one, at most 100'),
    skippedCount: z.number(),
    keptBothCount: z.number(),
    overwrittenCount: z.number(),
  }),
);
export const DrillSummary = named(
  'DrillSummary',
  z.object({
    kind: z.literal('restic-drill'),
    snapshotId: z.string(),
    sampled: z.number().describe('files picked at random and restored'),
    restored: z.number(),
    compared: z.number().describe('restored files compared byte for byte with their source (unchanged since the snapshot)'),
    changedSinceSnapshot: z.number().describe('sampled files whose source changed (or is gone) since the snapshot: checked against the snapshot size only'),
    mismatches: z.array(z.string()).describe('restored files that differ from their unchanged source or from the snapshot'),
    unreadable: z.array(z.string()).describe('files that could not be restored'),
    checkOk: z.boolean().nullable().describe('restic check --read-data-subset passed; null when it did not run'),
    readDataSubset: z.string().nullable(),
    damaged: z.array(z.string()).describe('files whose data lies in packs restic check found damaged, at most 100'),
  }),
);
export const RecoverSummary = named(
  'RecoverSummary',
  z.object({
    kind: z.literal('recover'),
    pillar: z.string(),
    remote: z.string(),
    pairs: z.array(
      z.object({
        from: z.string(),
        to: z.string(),
        remoteFiles: z.number(),
        remoteBytes: z.number(),
        localFiles: z.number().nullable(),
        localBytes: z.number().nullable(),
        transferredFiles: z.number(),
        transferredBytes: z.number(),
      }),
    ),
    repositories: z.array(z.object({ repository: z.string(), checkOk: z.boolean() })),
    verified: z.boolean().describe('counts and sizes match the remote and every repository passed restic check'),
  }),
);

export const RunSummary = named('RunSummary', z.union([ResticBackupSummary, ResticForgetSummary, ResticCheckSummary, RcloneSummary, RestoreSummary, DrillSummary, RecoverSummary]));

const changeCount = z.object({ count: z.number(), bytes: z.number(), percent: z.number(), sample: z.array(z.string()) });
export const BlockInfo = named(
  'BlockInfo',
  z.object({
    guard: z.string().describe('pillar-sentinel, pillar-not-mounted, empty-source, missing-source, delete-threshold, mass-change, backup-shrunk, retention-minimum, repository-unhealthy, recovery-in-progress, …'),
    message: z.string(),
    needsApproval: z.boolean().describe('true only where an admin approval lets the run go on (delete-threshold, mass-change, backup-shrunk)'),
    deletes: changeCount.optional().describe('deletions a sync would make that no prune of pillarsd explains (what the delete guard counts)'),
    changes: changeCount.optional().describe('files a sync or copy would overwrite at the destination (what the mass-change guard counts)'),
    approval: z
      .object({ count: z.number(), digest: z.string() })
      .optional()
      .describe(
        'What an approval must name: POST /api/v1/runs/:id/approve with this count and digest (the whole set the run listed: GET /api/v1/runs/:id/deletions and /overwrites). A run whose set changed since it was shown refuses the approval.',
      ),
    shrink: z
      .object({
        previousSnapshot: z.string(),
        withdrawnSnapshot: z.string().describe('the shrunk snapshot, removed again (restic forget, no prune) before the run blocked'),
        files: z.object({ before: z.number(), after: z.number() }),
        bytes: z.object({ before: z.number(), after: z.number() }),
      })
      .optional()
      .describe('a backup that shrank (guard backup-shrunk): approving lets a new snapshot with at least these files and bytes stand'),
  }),
  'Why a run is blocked and what approving it would do.',
);

export const Run = named(
  'Run',
  z.object({
    id: z.string(),
    jobId: z.string(),
    status: RunStatus,
    trigger: RunTrigger,
    attempt: z.number(),
    queuedAt: iso,
    startedAt: isoOrNull,
    finishedAt: isoOrNull,
    exitCode: z.number().nullable(),
    error: z.string().nullable().describe('one line, never a secret; for succeeded-with-warnings, what the warning is'),
    progress: Progress.nullable(),
    summary: RunSummary.nullable(),
    block: BlockInfo.nullable(),
    approvedBy: z.string().nullable(),
    logTail: z.string().describe("the last lines of the run's log"),
    task: RunTask.nullable().optional().describe('what a restore or recovery run was asked to do; null for a run of a configured job'),
  }),
);

export const SeedProgress = named(
  'SeedProgress',
  z.object({
    bytesTotal: z.number(),
    bytesDone: z.number(),
    filesTotal: z.number(),
    filesDone: z.number(),
    complete: z.boolean(),
    updatedAt: iso,
    etaSeconds: z.number().nullable().describe("at the job's bwlimit timetable and window, at the rate its windows reached (or b2plan.uplinkMbps)"),
    history: z.array(z.object({ at: iso, bytesDone: z.number(), bytesTotal: z.number() })).describe('one point per run, oldest first (the last 60)'),
  }),
  "A seed (an rclone-copy job) over the nights it takes: from each run's listings and copy.",
);

export const JobInfo = named(
  'JobInfo',
  z.object({
    id: z.string(),
    type: JobType,
    schedule: z.string().nullable(),
    timezone: z.string().nullable(),
    enabled: z.boolean(),
    after: z.array(z.string()),
    repository: z.string().nullable().describe('pillar:path of a restic repository'),
    source: z.string().nullable(),
    destination: z.string().nullable(),
    state: z.enum(JOB_STATES),
    nextRunAt: isoOrNull,
    lastRun: Run.nullable(),
    lastSuccessAt: isoOrNull,
    overdue: z.boolean().describe("the schedule's last due time passed without a successful run"),
    seed: SeedProgress.nullable().optional().describe("rclone-copy jobs: the seed's progress over its runs (null before its first listing)"),
  }),
);

export const PillarStatus = named(
  'PillarStatus',
  z.object({
    id: z.string(),
    path: z.string(),
    online: z.boolean().describe('mounted (or allowed as folder) and readable'),
    sentinel: z.boolean(),
    mounted: z.boolean(),
    totalBytes: z.number().nullable(),
    freeBytes: z.number().nullable(),
    usedBytes: z.number().nullable(),
    warnings: z.array(z.string()),
    recovery: z
      .object({ remote: z.string().nullable(), startedAt: z.string().nullable() })
      .nullable()
      .optional()
      .describe(
        'a recovery from the cloud is filling this pillar (its .pillars-recover marker is there; remote and startedAt null when the marker cannot be read): backups and syncs reading it are blocked until the recovery is verified',
      ),
  }),
);

export const TimeMachineBundle = named(
  'TimeMachineBundle',
  z.object({
    name: z.string().describe('the Mac\'s bundle, e.g. "count-zero.sparsebundle"'),
    mac: z.string().describe('the Mac\'s name as Time Machine wrote it, e.g. "count-zero"'),
    sizeBytes: z.number(),
    lastBackupAt: isoOrNull,
    capBytes: z.number().nullable().describe('the cap Samba reports to the Mac (pillars.<id>.timeMachine.maxSize)'),
    capShare: z.number().nullable().describe('0..1'),
    stale: z.boolean().describe('no completed backup for more than staleAfterDays'),
    staleAfterDays: z.number().describe('pillars.<id>.timeMachine.staleDays'),
    warning: z.string().nullable().describe('why this Mac needs a look (stale, or its folder near the cap), as in warnings[]'),
    folder: z.string().nullable().optional().describe("the user's folder on Time holding the bundle, null at the top"),
  }),
);

export const HotSetStatus = named(
  'HotSetStatus',
  z.object({
    id: z.string(),
    label: z.string(),
    path: z.string(),
    state: z.string().describe('idle, syncing, error, paused, unknown'),
    completion: z.number().nullable().describe('0..100'),
    errors: z.number(),
    conflicts: z.array(z.string()),
  }),
);

export const B2Plan = named(
  'B2Plan',
  z.object({
    spaceBytes: z.number(),
    uplinkMbps: z.number().nullable(),
    seedEtaSeconds: z.number().nullable().describe('the first upload (what the seed job still has to copy) as configured: its bwlimit timetable and window'),
    fullRateEtaSeconds: z.number().nullable().describe('the same at full line rate, for comparison'),
    seedJob: z.string().nullable().describe('the rclone-copy job that seeds B2 (b2plan.seedJob, or the one copy job to a b2 remote)'),
    seedRemainingBytes: z.number().nullable().describe("what the seed's last listing left to copy; null without a seed job"),
    keepVersionsDays: z.number().describe("days B2 keeps hidden versions (b2plan.keepVersionsDays; `pillarsd check` reads the bucket's rule)"),
    versionBytes: z.number().nullable().describe('old versions B2 keeps and bills: bytes the syncs hid lately per day × keepVersionsDays; null before any sync'),
    monthlyCost: z.number().nullable().describe('Space plus the kept versions'),
    currency: z.string(),
    pricePerTbMonth: z.number(),
    priceDate: z.string(),
  }),
);

export const SambaIncident = named(
  'SambaIncident',
  z.object({
    title: z.string().describe('what is wrong, as the notifications word it'),
    text: z.string().describe("the detail: the Samba state's drift line, or why smbd did not reload"),
  }),
  "An open Samba incident of pillarsd's notifications.",
);

export const SambaIncidents = named(
  'SambaIncidents',
  z.object({
    drift: SambaIncident.nullable().describe('the live smb.conf was edited outside pillarsd'),
    reloadFailed: SambaIncident.nullable().describe('an apply was written but smbd did not reload it'),
  }),
  "pillarsd's open Samba incidents, in every role's status: GET /api/v1/samba, which says more, is admin-only.",
);

export const StatusResponse = named(
  'StatusResponse',
  z.object({
    version: z.string(),
    time: iso,
    pillars: z.array(PillarStatus),
    jobs: z.array(JobInfo),
    timeMachine: z.array(TimeMachineBundle),
    hotSets: z.array(HotSetStatus),
    b2: B2Plan.nullable(),
    samba: SambaIncidents,
    warnings: z.array(z.string()),
  }),
);

export const RunsPage = named('RunsPage', z.object({ runs: z.array(Run), next: z.string().nullable().describe("the next page's `before`, or null") }));
export const HealthResponse = named('HealthResponse', z.object({ ok: z.literal(true), version: z.string() }));
export const FieldProblem = named('FieldProblem', z.object({ path: z.string().describe('the key path in pillarsd.yaml, e.g. jobs.flux-retention.keep.daily'), message: z.string() }), 'A field a request got wrong.');

export const Problem = named(
  'Problem',
  z.object({
    status: z.number(),
    title: z.string(),
    detail: z.string().optional(),
    errors: z.array(FieldProblem).optional().describe('a 400 about settings: each field that was wrong'),
  }),
  'RFC 9457 problem JSON: the only error shape of the API.',
);

const jsonObject = z.record(z.string(), z.unknown());

export const JobSettings = named(
  'JobSettings',
  z.object({
    jobId: z.string(),
    type: JobType,
    values: jsonObject.describe('the job\'s mapping as written in pillarsd.yaml; each hook environment value is "(set)" (they may be secrets)'),
    effective: jsonObject.describe('the same with every default filled in: what the next run uses'),
    schema: jsonObject.describe("JSON Schema (2020-12) of a job of this type: the pane's form is built from it"),
    locked: z.array(z.string()).describe('keys an edit may not change'),
    notifications: z
      .object({ channels: z.array(z.object({ name: z.string(), type: z.string() })), values: jsonObject, schema: jsonObject })
      .nullable()
      .describe("this job's choices (notifications.jobs.<id>); null when no channel is configured"),
  }),
  'GET /api/v1/jobs/:id/settings: every setting of a job, as pillarsd.yaml holds it.',
);

// Live events (SSE `event:` is the type, `data:` the JSON, `id:` the sequence).
export const ServerEvent = named(
  'ServerEvent',
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('run.queued'), run: Run }),
    z.object({ type: z.literal('run.started'), run: Run }),
    z.object({ type: z.literal('run.progress'), runId: z.string(), jobId: z.string(), progress: Progress }),
    z.object({ type: z.literal('run.finished'), run: Run }),
    z.object({ type: z.literal('run.blocked'), run: Run }),
    z.object({ type: z.literal('run.log'), runId: z.string(), lines: z.array(z.string()) }),
    z.object({ type: z.literal('status.changed'), reason: z.string() }),
    z
      .object({ type: z.literal('hotset.conflicts'), hotSetId: z.string(), label: z.string(), path: z.string(), added: z.array(z.string()), total: z.number() })
      .describe('new Syncthing conflict files (`*.sync-conflict-*`) in a hot-set: `added` relative to `path`; `total` is how many it holds now (at most 100 are looked for)'),
  ]),
);
export const StoredEvent = named('StoredEvent', z.object({ id: z.number(), at: iso, event: ServerEvent }));

export const TokenInfo = named(
  'TokenInfo',
  z.object({
    id: z.string(),
    name: z.string(),
    role: Role,
    createdAt: iso,
    lastUsedAt: isoOrNull,
    revokedAt: isoOrNull,
    clientVersion: z.string().nullable().describe('the version a tray or CLI gave on its last contact (X-Pillars-Client)'),
    clientOs: z.string().nullable().describe('darwin, win32 or linux, from the same header'),
    updateChannel: z.enum(['stable', 'beta']).describe('which tray builds this client is offered (pillarsd updates channel)'),
  }),
);

export const AuditEntry = named('AuditEntry', z.object({ id: z.number(), at: iso, actor: z.string().describe('token name and id'), action: z.string(), target: z.string().nullable(), detail: z.string().nullable() }));

export const PairResponse = named('PairResponse', z.object({ token: z.string(), role: Role, fingerprint: z.string().nullable().describe('SHA-256 of the server certificate, hex with colons') }));

export const SambaState = named(
  'SambaState',
  z.object({
    rendered: z.string(),
    live: z.string().nullable(),
    diff: z.string(),
    drift: z.boolean(),
    valid: z.boolean(),
    messages: z.array(z.string()),
    versions: z.array(z.object({ id: z.string(), at: iso })),
    bonjour: z.object({ file: z.string(), rendered: z.string(), live: z.string().nullable() }).nullable().optional().describe('the avahi service file pillarsd owns (Bonjour for Time Machine); null when it is off'),
  }),
);

export const SambaActionResult = named(
  'SambaActionResult',
  z.object({
    changed: z.boolean(),
    reloaded: z.boolean().nullable().describe('smbcontrol delivered the reload; false when smbd is not running; null when smb.conf did not change'),
    answered: z.boolean().nullable().describe('every share answered after the reload; null when nothing was probed'),
    backup: z.string().nullable().describe('the version the replaced file was saved as'),
    restartNeeded: z.array(z.string()).describe('settings smbd reads only when it starts that this change touched: restart smbd to apply them'),
    messages: z.array(z.string()).describe('what happened, in order, as the CLI prints it'),
    state: SambaState,
  }),
  'POST /api/v1/samba/apply and /rollback → 200 when the file is in place and smbd took it (or nothing needed changing). When the file changed but smbd did not reload, or a share did not answer after the reload, the answer is a 502 problem whose detail lists these messages.',
);

export const JobsResponse = named('JobsResponse', z.object({ jobs: z.array(JobInfo) }));
export const RunAccepted = named('RunAccepted', z.object({ runId: z.string() }), 'POST /api/v1/jobs/:id/run → 202');
export const RunLog = named(
  'RunLog',
  z.object({ runId: z.string(), log: z.string(), tail: z.number().nullable().describe('the tail length asked for, or null for the full (capped) log') }),
  'GET /api/v1/runs/:id/log (`?tail=N` for the last N lines; `?follow=1` streams it as SSE).',
);
export const WhoAmI = named('WhoAmI', z.object({ tokenId: z.string(), name: z.string(), role: Role }), 'GET /api/v1/me: who the presented token is.');
export const EventTicket = named('EventTicket', z.object({ ticket: z.string(), expiresAt: iso }), 'POST /api/v1/events/ticket: a single-use ticket for `EventSource` (`?ticket=`), valid 30 s.');
export const AuditPage = named('AuditPage', z.object({ entries: z.array(AuditEntry), next: z.string().nullable() }));
export const TokensResponse = named('TokensResponse', z.object({ tokens: z.array(TokenInfo) }));
export const PairingCodeResponse = named('PairingCodeResponse', z.object({ code: z.string(), role: Role, expiresAt: iso }), 'POST /api/v1/pair/codes (admin) and `pillarsd pair`: a code valid 10 minutes, usable once.');

export const OpenApiDocument = named(
  'OpenApiDocument',
  z.looseObject({ openapi: z.string().regex(/^3\.1\./), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.looseObject({})) }),
  'GET /api/v1/openapi.json: this document.',
);

// ---- notifications (issue 17) --------------------------------------------------------------------

export const NoticeKind = named('NoticeKind', z.enum(NOTICE_KINDS));

export const Notice = named(
  'Notice',
  z.object({
    id: z.string().describe('unique per notice; a receiver that sees an id twice has seen the same notice twice'),
    incident: z.string().describe('the incident it belongs to, e.g. `job:flux-backup`, `capacity:space`; stable while it lasts'),
    kind: z.union([NoticeKind, z.literal('test')]).describe('`test` only in a test message'),
    phase: z.enum(NOTICE_PHASES),
    severity: z.enum(['critical', 'warning', 'info']),
    title: z.string(),
    text: z.string(),
    at: iso,
    jobId: z.string().nullable(),
    runId: z.string().nullable(),
    subject: z.string().nullable().describe('the pillar, Mac (Time Machine bundle) or hot-set the notice is about'),
    link: z.string().nullable().describe('the run (or page) in the admin pane, when notifications.paneUrl is set'),
    count: z.number().describe('how many times it happened within the incident so far'),
    deletes: z.object({ count: z.number(), bytes: z.number(), percent: z.number() }).nullable().describe('a block that waits for approval: what approving would delete'),
  }),
  'One thing a person is told. Part of the webhook body: fields are added, never renamed.',
);

export const WebhookBody = named(
  'WebhookBody',
  z.object({
    version: z.literal(1),
    id: z.string().describe('the idempotency key of this delivery (also the Idempotency-Key header); the same on a retry'),
    server: z.string(),
    sentAt: iso,
    notices: z.array(Notice),
  }),
  'The JSON body of a webhook delivery (one or more notices grouped).',
);

export const ChannelState = named(
  'ChannelState',
  z.object({
    name: z.string(),
    type: z.enum(CHANNEL_TYPES),
    enabled: z.boolean(),
    target: z.string().describe("where it goes, without credentials: the URL's origin and path, the SMTP host and recipients"),
    events: z.array(NoticeKind).describe('what it is told about by default (heartbeat: the jobs it pings for)'),
    jobs: z.array(z.string()),
    pending: z.number(),
    lastAttemptAt: isoOrNull,
    lastSuccessAt: isoOrNull,
    lastError: z.string().nullable(),
    lastErrorAt: isoOrNull,
  }),
);

export const IncidentInfo = named('IncidentInfo', z.object({ key: z.string(), kind: NoticeKind, title: z.string(), jobId: z.string().nullable(), openedAt: iso, lastAt: iso, count: z.number() }));

/** per message channel: the kinds a job sends there, or null for the channel's default */
const sendChoices = z.record(z.string(), z.array(NoticeKind).nullable());
/** Channel names: what pillarsd.yaml allows. */
const CHANNEL_NAME = /^[a-z][a-z0-9-]{0,39}$/;

export const JobNotifyChoices = named(
  'JobNotifyChoices',
  z.object({
    jobId: z.string(),
    maxAge: z.string().nullable().describe("overdue after this long without a success (e.g. 36h), besides the schedule's own window"),
    send: sendChoices,
  }),
);

export const NotificationsResponse = named('NotificationsResponse', z.object({ channels: z.array(ChannelState), jobs: z.array(JobNotifyChoices), open: z.array(IncidentInfo) }), 'GET /api/v1/notifications');

export const NotifyTestResult = named('NotifyTestResult', z.object({ channel: z.string(), ok: z.boolean(), error: z.string().nullable(), at: iso }), 'POST /api/v1/notifications/test → the outcome of one test delivery');

export const NotifyTestResults = named('NotifyTestResults', z.object({ results: z.array(NotifyTestResult) }), 'POST /api/v1/notifications/test');

/** POST /api/v1/notifications/test body: one channel, or every channel when absent */
export const NotifyTestRequest = z.strictObject({ channel: z.string().regex(CHANNEL_NAME).optional() });

/** PUT /api/v1/notifications/jobs/:id body: per channel a list of a job's kinds, or null for the channel's default */
export const JobNotifyUpdate = z.strictObject({
  send: z.record(z.string().regex(CHANNEL_NAME), z.array(z.enum(JOB_NOTICE_KINDS)).max(JOB_NOTICE_KINDS.length).nullable()),
});

// ---- change sets and approvals (issue 14) --------------------------------------------------------

export const FolderTotal = named('FolderTotal', z.object({ folder: z.string(), files: z.number(), bytes: z.number() }));
export const ChangeEntry = named(
  'ChangeEntry',
  z.object({
    path: z.string(),
    size: z.number(),
    expected: z.boolean().optional().describe('deletions: a prune of pillarsd removed it at the source'),
    destinationSize: z.number().nullable().optional().describe('overwrites: the size of the copy at the destination that would be replaced'),
  }),
);
export const ChangeSetPage = named(
  'ChangeSetPage',
  z.object({
    runId: z.string(),
    set: z.enum(['approval', 'run']),
    kind: z.enum(['deletions', 'overwrites']),
    files: z.number(),
    bytes: z.number(),
    expected: z.object({ files: z.number(), bytes: z.number() }).nullable().describe('deletions: how many of them a prune of pillarsd explains'),
    digest: z.string(),
    approvalCount: z.number().describe('deletions + overwrites of the set: the count an approval must name'),
    offset: z.number(),
    limit: z.number(),
    next: z.number().nullable().describe('the offset of the next page, or null'),
    entries: z.array(ChangeEntry),
    folders: z.array(FolderTotal).describe('per-folder totals, first and second level'),
  }),
  "GET /api/v1/runs/:id/deletions and /overwrites: one page of the run's change set in path order, with its totals. `set=approval` (the default while there is one) is what the run was blocked with.",
);

// ---- requests ----------------------------------------------------------------------------------

/** Run ids (and other opaque ids) in paths. */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
/** Job ids: what pillarsd.yaml allows. */
export const JOB_ID_PATTERN = '^[a-z][a-z0-9-]{0,39}$';
/** No control characters (they could forge lines in logs and the audit). */
// eslint-disable-next-line no-control-regex -- naming the control characters is the point
const NO_CONTROLS = /^[^\u0000-\u001f\u007f]+$/;
const printable = (max: number) => z.string().min(1).max(max).regex(NO_CONTROLS);

export const JobParams = z.strictObject({ id: z.string().regex(new RegExp(JOB_ID_PATTERN)) });
export const RunParams = z.strictObject({ id: z.string().regex(new RegExp(ID_PATTERN)) });
export const TokenParams = z.strictObject({ id: z.string().regex(/^[0-9a-f]{16}$/) });
/** A tray update feed's file (latest.yml, latest-mac.yml, latest-linux.yml) or a build it names. */
export const UpdateFileParams = z.strictObject({ file: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/) });
/** electron-updater adds `noCache` to a feed request when it sends no Authorization header of its own. */
export const UpdateFileQuery = z.strictObject({ noCache: z.string().max(40).optional() });
/** For routes that take no query, and POSTs that take no input (nothing, or an empty JSON object). */
export const NoInput = z.strictObject({});

/** A run's job: a job id, or `restore:<job>` / `recover:<pillar>` for restores and recoveries. */
export const RUN_JOB_PATTERN = '^((restore|recover):)?[a-z][a-z0-9-]{0,39}$';

export const RunsQuery = z.strictObject({
  job: z.string().regex(new RegExp(RUN_JOB_PATTERN)).optional(),
  status: RunStatus.optional(),
  limit: z.int().min(1).max(500).default(50),
  // Opaque to clients; the engine decodes it and answers BadRequestError when it can't.
  before: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9_.:=+/-]+$/)
    .optional()
    .describe("the previous page's `next`"),
});

export const RunLogQuery = z.strictObject({
  tail: z.int().min(1).max(100_000).optional().describe('only the last N lines'),
  follow: z
    .union([z.literal(0), z.literal(1)])
    .optional()
    .describe('1: stream the log as server-sent events until the run ends'),
});

export const ScheduleRequest = z.strictObject({ schedule: z.string().min(1).max(200).nullable().describe('a cron expression, or null for none') });

/** One change of a job setting; `value` null removes the key (its default applies). */
export const JobSettingsEdit = z.strictObject({
  section: z.enum(['job', 'notifications']).optional().describe("where `path` starts: the job's mapping (default) or its notification choices"),
  path: z
    .array(z.union([printable(200), z.int().min(0).max(9999)]))
    .min(1)
    .max(8),
  // any JSON; not z.json(): its anyOf would let ajv's type coercion turn a number into a string
  value: z.unknown().describe('the new value (any JSON), or null to remove the key'),
});

export const JobSettingsRequest = named('JobSettingsRequest', z.strictObject({ edits: z.array(JobSettingsEdit).min(1).max(200) }), 'PATCH /api/v1/jobs/:id/settings body: applied as one change.');

export const AuditQuery = z.strictObject({
  limit: z.int().min(1).max(1000).default(100),
  before: z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/)
    .optional(),
});

export const PairingCodeRequest = z.strictObject({ role: Role.default('viewer'), name: printable(100).optional() });

export const PairRequest = named(
  'PairRequest',
  z.strictObject({ code: z.string().min(1).max(20), name: printable(100).optional().describe("how the new token is named in lists and the audit log, e.g. the client's host name") }),
  'POST /api/v1/pair body.',
);

export const EventsQuery = z.strictObject({
  ticket: z.string().min(1).max(100).optional(),
  // EventSource resends Last-Event-ID itself, but a new ticket means a new EventSource.
  lastEventId: z
    .string()
    .regex(/^[0-9]{1,15}$/)
    .optional(),
});
export const EventsHeaders = z.object({
  'last-event-id': z
    .string()
    .regex(/^[0-9]{1,15}$/)
    .optional(),
});

export const HotSetRequest = z.strictObject({
  path: z.string().min(1).max(1024).regex(NO_CONTROLS),
  label: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[\u0020-\u007e]+$/)
    .optional(),
  devices: z
    .array(z.string().regex(/^[A-Z0-9]{7}(-[A-Z0-9]{7}){7}$/))
    .max(32)
    .optional(),
});

/** POST /api/v1/runs/:id/approve body: what the approver was shown (BlockInfo.approval). */
export const ApproveRequest = named(
  'ApproveRequest',
  z.strictObject({ count: z.int().min(0), digest: z.string().regex(/^[0-9a-f]{64}$/) }),
  'POST /api/v1/runs/:id/approve body: the count and digest of the set the approver was shown.',
);

export const ChangeSetQuery = z.strictObject({
  offset: z.int().min(0).default(0),
  limit: z.int().min(1).max(1000).default(100),
  set: z.enum(['approval', 'run']).optional().describe('approval: what the run was blocked with (the default while there is one); run: what it last worked from'),
});

// ---- snapshots, browsing, restore, download and recovery (issue 16) -----------------------------

export const SnapshotInfo = named(
  'SnapshotInfo',
  z.object({
    id: z.string(),
    shortId: z.string(),
    time: iso,
    hostname: z.string(),
    username: z.string().nullable(),
    paths: z.array(z.string()),
    tags: z.array(z.string()),
    root: z.string().describe("where browsing starts: the folder the snapshot's paths share"),
    runId: z.string().nullable().describe('the backup run that made it, when pillarsd made it'),
    jobId: z.string().nullable(),
    files: z.number().nullable().describe('files in it, where known (from the run that made it)'),
    bytes: z.number().nullable().describe('bytes in it, where known (from the run that made it)'),
  }),
);
export const SnapshotsResponse = named(
  'SnapshotsResponse',
  z.object({
    job: z.string(),
    repository: z.string().describe('pillar:/path or remote:path as the job names it'),
    jobs: z.array(z.string()).describe('every job that uses the same repository'),
    refreshedAt: iso.describe('when `restic snapshots` was last read; it is read again after every backup, forget and prune, and on ?refresh=1'),
    snapshots: z.array(SnapshotInfo).describe('oldest first'),
  }),
  "GET /api/v1/jobs/:id/snapshots: the snapshots of the job's repository, from the repository itself.",
);
export const SnapshotEntry = named(
  'SnapshotEntry',
  z.object({
    name: z.string(),
    path: z.string().describe('absolute path in the snapshot'),
    type: z.enum(['file', 'dir', 'symlink', 'other']),
    size: z.number().nullable(),
    mtime: isoOrNull,
    permissions: z.string().nullable(),
  }),
);
export const DirListing = named(
  'DirListing',
  z.object({
    snapshotId: z.string(),
    path: z.string(),
    parent: z.string().nullable().describe('the folder above, null at the snapshot root'),
    root: z.string(),
    entries: z.array(SnapshotEntry).describe("in restic's order (by name)"),
    offset: z.number(),
    total: z.number().nullable().describe('entries in the folder; null while the rest of a large folder is still being read'),
    more: z.boolean().describe('entries follow this page'),
  }),
  'GET /api/v1/jobs/:id/snapshots/:snapshot/ls: one folder level, one page.',
);
export const FindResponse = named(
  'FindResponse',
  z.object({ snapshotId: z.string(), pattern: z.string(), matches: z.array(SnapshotEntry), truncated: z.boolean().describe('more matched than the limit') }),
  'GET /api/v1/jobs/:id/snapshots/:snapshot/find',
);
export const RestorePlan = named(
  'RestorePlan',
  z.object({
    task: RestoreTask,
    items: z.array(
      z.object({
        path: z.string().describe('in the snapshot'),
        type: z.enum(['file', 'dir', 'symlink', 'other']),
        target: z.string().describe('absolute path it is written to'),
        exists: z.boolean().describe('something is there already (the existing choice applies to it and below it)'),
      }),
    ),
  }),
  'What a restore will write where, shown before it starts.',
);
export const RestoreAccepted = named('RestoreAccepted', z.object({ runId: z.string(), plan: RestorePlan }), "POST …/restore → 202: the restore run, queued behind the repository's lock");

export const RecoverPlan = named(
  'RecoverPlan',
  z.object({
    task: RecoverTask,
    remoteHolds: z.array(z.object({ from: z.string(), files: z.number(), bytes: z.number() })).describe('what the remote holds, per folder'),
    notOnRemote: z.array(NotOnRemote).describe('folders the remote does not hold because their job never finished a copy there: nothing of them comes back'),
    pillarState: z.object({
      path: z.string(),
      mounted: z.boolean(),
      sentinel: z.string().nullable().describe('the .pillar sentinel as it reads; null on a new disk'),
      empty: z.boolean().describe('nothing but .pillar and lost+found'),
    }),
    resumes: z.object({ remote: z.string(), startedAt: z.string() }).nullable().describe('a recovery started here earlier and not verified yet (its marker .pillars-recover): this one goes on with it'),
    refusal: z.string().nullable().describe('why a recovery may not start (the pillar holds data it did not bring); null when it may'),
    digest: z
      .string()
      .describe(
        'sha256 (hex) of what this plan would do: each folder from where into where with the totals the remote holds, the folders left out, the disk (path, mounted, sentinel, empty) and the recovery it goes on with. POST /api/v1/recover must name it; a start whose plan, listed again, has another digest is refused (409).',
      ),
  }),
  'GET /api/v1/recover/plan: what a recovery would copy back, listed from the remote.',
);

/** Absolute paths in a snapshot: any byte but NUL (names may hold newlines), no `.` or `..` component. */
const ABS_PATH = z
  .string()
  .min(1)
  .max(4096)
  // eslint-disable-next-line no-control-regex -- NUL is the one byte a name cannot hold
  .regex(/^(?!.*\/\.\.?(\/|$))\/[^\u0000]*$/)
  .describe('an absolute path in the snapshot, without "." or ".." components');

export const SnapshotParams = z.strictObject({
  id: z.string().regex(new RegExp(JOB_ID_PATTERN)),
  snapshot: z
    .string()
    .regex(/^(latest|[0-9a-f]{8,64})$/)
    .describe('a snapshot id (8 to 64 hex digits) or latest'),
});
export const SnapshotsQuery = z.strictObject({
  refresh: z
    .union([z.literal(0), z.literal(1)])
    .optional()
    .describe('1: read the repository again now'),
});
export const LsQuery = z.strictObject({
  path: ABS_PATH.optional().describe('the folder (default: the snapshot root)'),
  offset: z.int().min(0).max(10_000_000).default(0),
  limit: z.int().min(1).max(1000).default(200),
});
export const FindQuery = z.strictObject({
  pattern: z.string().min(1).max(500).regex(NO_CONTROLS).describe('a name pattern as restic find takes it (* and ? wildcards)'),
  ignoreCase: z.union([z.literal(0), z.literal(1)]).optional(),
  limit: z.int().min(1).max(1000).default(200),
});
export const DumpQuery = z.strictObject({
  path: ABS_PATH,
  format: z.enum(['tar', 'zip']).optional().describe('for a folder (default tar); a file is sent as it is'),
  ticket: z.string().min(1).max(100).optional().describe('a ticket from POST /api/v1/events/ticket, for a browser download link'),
});
export const RestoreRequest = named(
  'RestoreRequest',
  z.strictObject({
    paths: z.array(ABS_PATH).min(1).max(100).describe('absolute paths in the snapshot; the snapshot root for all of it'),
    to: z.string().min(1).max(4096).regex(NO_CONTROLS).default('new').describe('`new` (a new folder in the restore area), `original` (back where each path came from), or a folder as pillar:/path'),
    existing: ExistingChoice.optional().describe('required unless `to` is `new`'),
  }),
  'POST /api/v1/jobs/:id/snapshots/:snapshot/restore (and …/restore/preview) body.',
);
export const RecoverQuery = z.strictObject({
  pillar: z.string().regex(new RegExp(JOB_ID_PATTERN)),
  from: z.string().regex(new RegExp(JOB_ID_PATTERN)).describe('the remote, as remotes: names it'),
});
export const RecoverRequest = named(
  'RecoverRequest',
  z.strictObject({
    pillar: z.string().regex(new RegExp(JOB_ID_PATTERN)),
    from: z.string().regex(new RegExp(JOB_ID_PATTERN)),
    bwlimit: z
      .string()
      .regex(/^[\w.:, -]+$/)
      .max(200)
      .optional()
      .describe('rclone --bwlimit, e.g. 8M'),
    writeSentinel: z.boolean().optional().describe('the pillar is a new, empty disk without .pillar: write it first'),
    digest: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .describe('the digest of the plan the owner confirmed (GET /api/v1/recover/plan): the plan is listed again and the recovery starts only if it is still that one'),
  }),
  'POST /api/v1/recover body.',
);
export const RecoverAccepted = named('RecoverAccepted', z.object({ runId: z.string(), plan: RecoverPlan }), 'POST /api/v1/recover → 202: the recovery run (recover:<pillar>), queued behind every run using the pillar');
