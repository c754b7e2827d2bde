// The schema of pillarsd.yaml (server/pillarsd.example.yaml shows every part). Strict objects: a misspelt key is an error
// that names itself, not a setting silently ignored. Cross-field rules (pillar and secret names,
// `after:` targets) are checked in validate.ts where every name is known.
import { posix } from 'node:path';
import { z } from 'zod';
import { Cron } from 'croner';
import { sizeProblem } from '../domain/size';
import { metricsSchema, notificationsSchema } from './notify-schema';

const SECRET_REF = /^(akv:\/\/[A-Za-z0-9-]{3,24}\/[A-Za-z0-9-]{1,127}|env:[A-Za-z_][A-Za-z0-9_]*|file:\/.+|op:\/\/[^/\s]+\/[^/\s]+(\/[^/\s]+)+)$/;
export const secretRef = z.string().regex(SECRET_REF, 'must be a secret reference: akv://VAULT/NAME, env:NAME, file:/absolute/path or op://vault/item/field');

const ID = /^[a-z][a-z0-9-]{0,39}$/;
const id = z.string().regex(ID, 'must be lower-case letters, digits and dashes, starting with a letter');

/** `pillar:/path` or `remote:path`; which one is decided in validate.ts. */
export const locationRef = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*:.*$/, 'must be PILLAR:/path or REMOTE:path (e.g. flux:/ or b2:bucket)');

// One size parser for the schema, Samba's render and the API (domain/size.ts): what passes here
// is what Samba is given and what a Mac sees, never a value Samba would wrap to 0.
export const sizeString = z.union([z.number(), z.string()]).superRefine((v, ctx) => {
  const why = sizeProblem(v);
  if (why) ctx.addIssue({ code: 'custom', message: why });
});

export function validCron(expr: string): string | null {
  try {
    new Cron(expr, { paused: true, mode: '5-or-6-parts' });
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

export function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const cron = z.string().superRefine((s, ctx) => {
  const why = validCron(s);
  if (why) ctx.addIssue({ code: 'custom', message: `invalid cron expression "${s}": ${why}` });
});
const timezone = z.string().refine(validTimezone, { message: 'unknown time zone (use an IANA name such as Europe/Paris)' });

const hook = z.strictObject({
  argv: z.array(z.string().min(1)).min(1, 'needs the program and its arguments'),
  timeoutSeconds: z.number().int().positive().default(300),
  env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().optional(),
});
export type Hook = z.infer<typeof hook>;

const jobCommon = {
  description: z.string().optional(),
  schedule: cron.optional(),
  timezone: timezone.optional(),
  enabled: z.boolean().default(true),
  after: z.array(id).default([]),
  // after a job it follows succeeded with warnings (files restic could not read): run or skip
  afterWarnings: z.enum(['run', 'skip']).default('run'),
  pre: z.array(hook).default([]),
  post: z.array(hook).default([]),
  timeoutMinutes: z.number().positive().optional(),
  retries: z.strictObject({ count: z.number().int().min(0).max(10).default(2), backoffSeconds: z.number().min(0).default(60) }).default({ count: 2, backoffSeconds: 60 }),
  catchUp: z.boolean().default(true),
};

const keepPolicy = z
  .strictObject({
    last: z.number().int().positive().optional(),
    hourly: z.number().int().positive().optional(),
    daily: z.number().int().positive().optional(),
    weekly: z.number().int().positive().optional(),
    monthly: z.number().int().positive().optional(),
    yearly: z.number().int().positive().optional(),
    within: z
      .string()
      .regex(/^(\d+[ymdh])+$/, 'must be a duration such as 1y2m3d')
      .optional(),
  })
  .refine((k) => Object.values(k).some((v) => v !== undefined), { message: 'keep needs at least one rule (last, daily, weekly, …), or forget would remove every snapshot' });
export type KeepPolicy = z.infer<typeof keepPolicy>;

const bwlimit = z.string().regex(/^[\w.:, -]+$/, 'must be an rclone bandwidth limit such as 4M or "08:00,4M 23:00,off"');

const resticBackup = z.strictObject({
  type: z.literal('restic-backup'),
  ...jobCommon,
  source: locationRef,
  repository: locationRef,
  password: z.string(),
  exclude: z.array(z.string()).default([]),
  tags: z.array(z.string().regex(/^[\w.-]+$/)).default([]),
  host: z
    .string()
    .regex(/^[\w.-]+$/)
    .optional(),
  // restic -x: a disk mounted inside the source (a USB disk, a tmpfs, another pillar) is not taken
  oneFileSystem: z.boolean().default(true),
  // a small typed set of restic backup options; those a restic version lacks are refused when it runs
  options: z
    .strictObject({
      excludeLargerThan: z
        .string()
        .regex(/^\d+[kKmMgGtT]?$/, 'must be a size restic reads, such as 500M or 2G')
        .optional(),
      excludeCaches: z.boolean().optional(),
      excludeIfPresent: z.array(z.string().regex(/^[^/\0]+$/, 'must be a file name (no folder)')).optional(),
      ignoreInode: z.boolean().optional(),
      readConcurrency: z.number().int().min(1).max(64).optional(),
    })
    .default({}),
  // rule 3: a snapshot with this share fewer files or bytes than the previous one of the same path
  // waits for approval (100 switches that measure off)
  shrinkGuard: z.strictObject({ maxFilesDropPercent: z.number().min(0).max(100).default(50), maxBytesDropPercent: z.number().min(0).max(100).default(50) }).default({ maxFilesDropPercent: 50, maxBytesDropPercent: 50 }),
});
const resticForget = z.strictObject({
  type: z.literal('restic-forget'),
  ...jobCommon,
  repository: locationRef,
  password: z.string(),
  keep: keepPolicy,
  prune: z.boolean().default(false),
  // rule 3: wait while the repository's latest check failed or its latest backup saved no snapshot
  healthGate: z.strictObject({ check: z.boolean().default(true), backup: z.boolean().default(true) }).default({ check: true, backup: true }),
});
const resticCheck = z.strictObject({
  type: z.literal('restic-check'),
  ...jobCommon,
  repository: locationRef,
  password: z.string(),
  readDataSubset: z
    .string()
    .regex(/^(\d+(\.\d+)?%|\d+\/\d+|\d+[KMGT]?)$/, 'must be a percentage (5%), a part (1/10) or a size (2G)')
    .optional(),
});
// restic-drill (issue 16): restore a random sample of the latest snapshot into a scratch folder,
// compare it with the source where the source is unchanged, and read a share of the pack data.
const resticDrill = z.strictObject({
  type: z.literal('restic-drill'),
  ...jobCommon,
  repository: locationRef,
  password: z.string(),
  sample: z.number().int().min(1).max(1000).default(20),
  // files above this size are not picked (a drill restores its sample in full)
  maxFileSize: sizeString.default('1G'),
  readDataSubset: z
    .string()
    .regex(/^(\d+(\.\d+)?%|\d+\/\d+|\d+[KMGT]?)$/, 'must be a percentage (5%), a part (1/10) or a size (2G)')
    .default('5%'),
  // where the sample is restored (default: .drills in the restore area); emptied after each run
  scratch: locationRef.optional(),
});
const rcloneCommon = {
  source: locationRef,
  destination: locationRef,
  bwlimit: bwlimit.optional(),
  transfers: z.number().int().positive().max(128).optional(),
  checkers: z.number().int().positive().max(256).optional(),
  exclude: z.array(z.string()).default([]),
  // a nightly window: rclone starts no new transfer after this long (`--max-duration` with
  // `--cutoff-mode soft`, both in rclone 1.60) and the next run goes on where this one stopped
  maxDuration: z
    .string()
    .regex(/^(\d+(\.\d+)?(ms|s|m|h))+$/, 'must be a duration such as 6h or 5h30m')
    .optional(),
};
// The mass-change guard (issue 14): files a run would overwrite, plus those a sync would delete,
// as a share of the files at the destination. Above it the run waits for an approval: a Space that
// ransomware rewrote must not replace the good offsite copy.
const DEFAULT_MAX_CHANGE_PERCENT = 25;
const maxChangePercent = z.number().min(0).max(100).default(DEFAULT_MAX_CHANGE_PERCENT);
const rcloneSync = z.strictObject({
  type: z.literal('rclone-sync'),
  ...jobCommon,
  ...rcloneCommon,
  guard: z
    .strictObject({ maxDeletePercent: z.number().min(0).max(100).default(1), maxDeleteCount: z.number().int().min(0).default(1000), maxChangePercent })
    .default({ maxDeletePercent: 1, maxDeleteCount: 1000, maxChangePercent: DEFAULT_MAX_CHANGE_PERCENT }),
});
const rcloneCopy = z.strictObject({
  type: z.literal('rclone-copy'),
  ...jobCommon,
  ...rcloneCommon,
  guard: z.strictObject({ maxChangePercent }).default({ maxChangePercent: DEFAULT_MAX_CHANGE_PERCENT }),
});

// A new job type: its strict object above, a member here, and its module in jobs/types/ with a line
// in jobs/types/registry.ts (server/README.md, "The engine").
export const jobSchema = z.discriminatedUnion('type', [resticBackup, resticForget, resticCheck, resticDrill, rcloneSync, rcloneCopy]);
export type JobConfig = z.infer<typeof jobSchema>;
export type ResticBackupJob = z.infer<typeof resticBackup>;
export type ResticForgetJob = z.infer<typeof resticForget>;
export type ResticCheckJob = z.infer<typeof resticCheck>;
export type ResticDrillJob = z.infer<typeof resticDrill>;
export type RcloneSyncJob = z.infer<typeof rcloneSync>;
export type RcloneCopyJob = z.infer<typeof rcloneCopy>;

const pillar = z.strictObject({
  path: z.string().startsWith('/', 'must be an absolute path'),
  requireMount: z.boolean().default(true),
  label: z.string().optional(),
  // `server smb encrypt` of this pillar's share (Samba validates nothing more: see samba/model.ts)
  smbEncrypt: z.enum(['default', 'off', 'if_required', 'desired', 'required']).optional(),
  // perUser (issue 5): the Time share's path is <path>/%U, each user's Macs back up into time/<user>
  timeMachine: z.strictObject({ maxSize: sizeString.optional(), staleDays: z.number().positive().default(7), perUser: z.boolean().default(true) }).optional(),
});
export type PillarConfig = z.infer<typeof pillar>;

const tls = z.union([z.literal('auto'), z.literal('off'), z.strictObject({ cert: z.string(), key: z.string() })]);

/** Folders the rest of the system shares: pillarsd makes its state folder 0700, so it needs one of its own. */
const SHARED_FOLDERS = new Set(['/', '/etc', '/home', '/media', '/mnt', '/opt', '/root', '/run', '/srv', '/tmp', '/usr', '/usr/local', '/var', '/var/lib', '/var/tmp']);

export const configSchema = z.strictObject({
  stateDir: z
    .string()
    .startsWith('/', 'must be an absolute path')
    .refine((p) => !SHARED_FOLDERS.has(posix.normalize(p).replace(/(.)\/+$/, '$1')), { message: "must be a folder of pillarsd's own, such as /var/lib/pillars (it is made private, 0700)" })
    .default('/var/lib/pillars'),
  server: z
    // loose: the HTTP layer may read settings of its own here (listen, tls, allowedHosts are ours)
    .looseObject({
      listen: z
        .string()
        .regex(/^(\[[0-9a-fA-F:]+\]|[\w.-]+):\d{1,5}$/, 'must be HOST:PORT')
        .default('0.0.0.0:8443'),
      tls: tls.default('auto'),
      allowedHosts: z.array(z.string()).default([]),
      // plain HTTP beyond loopback only when forced (the HTTP layer refuses it otherwise)
      insecureListen: z.boolean().default(false),
    })
    .default({ listen: '0.0.0.0:8443', tls: 'auto', allowedHosts: [], insecureListen: false }),
  pillars: z.record(id, pillar).default({}),
  samba: z
    .strictObject({
      mode: z.enum(['include', 'whole']).default('include'),
      configFile: z.string().startsWith('/').default('/etc/samba/smb.conf'),
      validUsers: z.array(z.string()).default([]),
      keepVersions: z.number().int().positive().default(10),
      testparm: z.string().optional(),
      smbcontrol: z.string().optional(),
      // the smbd whose VFS modules `check` and `apply` verify (its `smbd -b` names the folder)
      smbd: z.string().optional(),
      // Samba area (issue 5): the file we own in include mode (default: pillars.conf next to
      // configFile), the Finder model string, each user's SMB password as a name under secrets:,
      // and the user/host `apply` checks the shares with after a reload.
      includeFile: z.string().startsWith('/').optional(),
      fruitModel: z.string().optional(),
      passwords: z.record(z.string(), z.string()).default({}),
      check: z.strictObject({ host: z.string().min(1), user: z.string().min(1), smbclientConf: z.string().startsWith('/').optional() }).optional(),
      // mode: whole only. Typed, each value checked by its own grammar in samba/model.ts (issue 18).
      global: z
        .strictObject({
          workgroup: z.string().optional(),
          serverString: z.string().optional(),
          interfaces: z.array(z.string()).optional(),
          bindInterfacesOnly: z.boolean().optional(),
          hostsAllow: z.array(z.string()).optional(),
          hostsDeny: z.array(z.string()).optional(),
          serverMinProtocol: z.enum(['SMB2', 'SMB3_00', 'SMB3_02', 'SMB3']).optional(),
          serverSigning: z.enum(['default', 'if_required', 'required']).optional(),
          smbEncrypt: z.enum(['default', 'off', 'if_required', 'desired', 'required']).optional(),
          logLevel: z.number().int().min(0).max(10).optional(),
          logFile: z.string().startsWith('/', 'must be an absolute path').optional(),
        })
        .optional(),
      // Bonjour for Time Machine: the avahi service file pillarsd owns; false for none.
      bonjour: z.union([z.literal(false), z.strictObject({ serviceFile: z.string().startsWith('/', 'must be an absolute path').default('/etc/avahi/services/pillars.service') })]).optional(),
    })
    .optional(),
  secrets: z.record(z.string().regex(/^[A-Za-z][\w-]*$/, 'secret names are letters, digits, _ and -'), secretRef).default({}),
  akv: z
    .strictObject({
      // where akv://VAULT/NAME is looked up: {vault} is replaced (tests point it at a local vault)
      endpoint: z.string().default('https://{vault}.vault.azure.net'),
      disableChallengeResourceVerification: z.boolean().default(false),
      // sovereign clouds or a local authority; instance discovery is off when it is set
      authorityHost: z.string().url().optional(),
    })
    .optional(),
  remotes: z.record(id, z.looseObject({ type: z.string().regex(/^[a-z0-9]+$/, 'must be an rclone backend name') })).default({}),
  jobs: z.record(id, jobSchema).default({}),
  capacity: z
    .strictObject({
      warnFreePercent: z.number().min(0).max(100).default(10),
      critFreePercent: z.number().min(0).max(100).default(5),
      sampleMinutes: z.number().positive().optional(),
    })
    .optional(),
  syncthing: z
    .strictObject({
      url: z.string().url(),
      apiKey: secretRef,
      hotRoot: z.string().default('flux:/hot'),
      pauseDuringBackup: z.boolean().default(false),
      // serve: how often pauses left over by a crash are retried and conflict files looked for
      pollSeconds: z.number().positive().default(60),
    })
    .optional(),
  b2plan: z
    .strictObject({
      uplinkMbps: z.number().positive().optional(),
      pricePerTbMonth: z.number().nonnegative().optional(),
      currency: z.string().default('USD'),
      priceDate: z.string().optional(),
      // the bucket's lifecycle rule (daysFromHidingToDeleting): the cost counts the versions kept
      keepVersionsDays: z.number().int().min(0).optional(),
      // the rclone-copy job that seeds B2 (default: the one copy job whose destination is a b2 remote)
      seedJob: id.optional(),
    })
    .optional(),
  layout: z.strictObject({ policy: z.string().optional() }).optional(),
  // issue 16: where restores land by default (a new folder per restore under <area>/<job>/);
  // default: /restores on the pillar that holds the job's repository
  restore: z.strictObject({ area: locationRef.optional() }).optional(),
  // issue 17: channels, what is worth a message, heartbeat pings; who may read /metrics
  notifications: notificationsSchema.optional(),
  metrics: metricsSchema.optional(),
  history: z.strictObject({ keepDays: z.number().int().positive().default(180), keepRuns: z.number().int().positive().default(5000) }).default({ keepDays: 180, keepRuns: 5000 }),
});

export type Config = z.infer<typeof configSchema>;
