// The `notifications:` and `metrics:` sections of pillarsd.yaml (issue 17). Every credential is
// the name of an entry under `secrets:` (checked in load.ts), never a value: an SMTP password, a
// webhook signing key, an ntfy token and each heartbeat ping URL (a healthchecks.io URL is itself
// the credential: whoever has it can report a backup as done).
import { z } from 'zod';
import { JOB_NOTICE_KINDS as JOB_KINDS, NOTICE_KINDS } from '../contract/api';

const DURATION = /^(\d+(\.\d+)?)(s|m|h|d)$/;
/** `90s`, `30m`, `6h`, `2d` → milliseconds. */
export function durationMs(s: string): number {
  const m = DURATION.exec(s);
  if (!m) throw new Error(`not a duration: ${s}`);
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[3] as 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(m[1]) * unit);
}
const duration = z.string().regex(DURATION, 'must be a duration such as 90s, 30m, 6h or 2d');

const secretName = z.string().regex(/^[A-Za-z][\w-]*$/, 'must be the name of an entry under secrets:');
const kinds = z.array(z.enum(NOTICE_KINDS)).refine((a) => new Set(a).size === a.length, { message: 'lists a kind twice' });
const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), { message: 'must be an http:// or https:// URL' })
  .refine((u) => !/^https?:\/\/[^/]*@/.test(u), { message: 'must not carry a user or password (name a secret instead: token, signingKey)' });

const channelCommon = {
  /** what this channel is told about (default: everything) */
  events: kinds.optional(),
  enabled: z.boolean().default(true),
};

const webhook = z.strictObject({
  type: z.literal('webhook'),
  ...channelCommon,
  url: httpUrl,
  /** HMAC-SHA256 key: the body is signed in the Pillars-Signature header */
  signingKey: secretName.optional(),
});

const NTFY_PRIORITIES = ['min', 'low', 'default', 'high', 'urgent'] as const;
const ntfy = z.strictObject({
  type: z.literal('ntfy'),
  ...channelCommon,
  /** the topic URL, e.g. https://ntfy.sh/motoko-pillars */
  url: httpUrl.refine((u) => new URL(u).pathname.replace(/\/+$/, '').length > 1, { message: 'must name the topic (https://ntfy.example/TOPIC)' }),
  /** an access token (Authorization: Bearer) */
  token: secretName.optional(),
  /** fixed priority; by default failures and blocks are high, the rest default */
  priority: z.enum(NTFY_PRIORITIES).optional(),
});

const email = z.strictObject({
  type: z.literal('email'),
  ...channelCommon,
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).optional(),
  /** starttls (587, the default): upgrade required; tls: implicit TLS (465); none: only on loopback */
  security: z.enum(['starttls', 'tls', 'none']).default('starttls'),
  user: z.string().min(1).optional(),
  password: secretName.optional(),
  from: z.string().min(3),
  to: z.array(z.string().min(3)).min(1, 'needs at least one address'),
});

/** A job's pings: one secret holding the base URL (`/start` and `/fail` appended), or the three URLs. */
const pingUrls = z.union([secretName, z.strictObject({ start: secretName.optional(), success: secretName, fail: secretName.optional() })]);
const heartbeat = z.strictObject({
  type: z.literal('heartbeat'),
  enabled: z.boolean().default(true),
  jobs: z.record(z.string(), pingUrls).refine((r) => Object.keys(r).length > 0, { message: 'names no job to ping for' }),
  /** append ?rid=<uuid of the run> so the monitor pairs each start with its end (healthchecks.io) */
  runIds: z.boolean().default(true),
});

export const channelSchema = z.discriminatedUnion('type', [webhook, ntfy, email, heartbeat]);
export type ChannelConfig = z.infer<typeof channelSchema>;
export type WebhookChannel = z.infer<typeof webhook>;
export type NtfyChannel = z.infer<typeof ntfy>;
export type EmailChannel = z.infer<typeof email>;
export type HeartbeatChannel = z.infer<typeof heartbeat>;

export const jobNotify = z.strictObject({
  /** overdue when the last success is older than this, whatever the schedule says */
  maxAge: duration.optional(),
  /** per channel, what this job sends there (overrides the channel's events; [] sends nothing) */
  send: z
    .record(
      z.string(),
      kinds.refine((a) => a.every((k) => (JOB_KINDS as readonly string[]).includes(k)), { message: `a job sends only ${JOB_KINDS.join(', ')}` }),
    )
    .default({}),
});
export type JobNotifyConfig = z.infer<typeof jobNotify>;

export const notificationsSchema = z.strictObject({
  /** the pane's address as a person reaches it, for links in messages (e.g. https://motoko.lan:8443) */
  paneUrl: httpUrl.optional(),
  /** how the server names itself in messages (default: the host name) */
  serverName: z.string().min(1).max(64).optional(),
  /** messages of a burst wait this long to go out together */
  groupSeconds: z.number().min(0).max(3600).default(20),
  /** reminders while a run waits for approval, counted from the block; the last one repeats */
  reminders: z.array(duration).min(1).default(['1h', '6h', '24h']),
  /** how often the watchers' state (overdue jobs, capacity, Time Machine, hot-sets) is checked */
  pollSeconds: z.number().min(1).max(3600).default(60),
  /** how often the Samba config is compared with the file on disk */
  sambaPollMinutes: z.number().positive().default(15),
  retry: z
    .strictObject({ firstSeconds: z.number().positive().default(10), maxSeconds: z.number().positive().default(600), giveUpHours: z.number().positive().default(168) })
    .default({ firstSeconds: 10, maxSeconds: 600, giveUpHours: 168 }),
  capacity: z.strictObject({ usedPercent: z.number().min(1).max(100).optional(), fullWithinDays: z.number().positive().default(14) }).default({ fullWithinDays: 14 }),
  /** a Mac's Time Machine backup older than this many days (default: the pillar's staleDays) */
  timeMachineDays: z.number().positive().optional(),
  channels: z.record(z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be lower-case letters, digits and dashes, starting with a letter'), channelSchema).default({}),
  jobs: z.record(z.string(), jobNotify).default({}),
});
export type NotificationsConfig = z.infer<typeof notificationsSchema>;

export const metricsSchema = z.strictObject({
  /** addresses or CIDR ranges that may read /metrics without a token (e.g. the Prometheus host) */
  allowWithoutToken: z.array(z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()], { error: 'must be an IP address or a CIDR range such as 192.168.1.0/24' })).default([]),
});
export type MetricsConfig = z.infer<typeof metricsSchema>;

/** Cross-references of these sections: secret, job and channel names. */
export function notificationProblems(c: { notifications?: NotificationsConfig; secrets: Record<string, string>; jobs: Record<string, unknown> }): Array<{ path: Array<string | number>; message: string }> {
  const n = c.notifications;
  if (!n) return [];
  const out: Array<{ path: Array<string | number>; message: string }> = [];
  const secrets = Object.keys(c.secrets);
  const jobs = Object.keys(c.jobs);
  const secret = (name: string | undefined, path: Array<string | number>) => {
    if (name !== undefined && !secrets.includes(name)) out.push({ path, message: `names no entry of secrets: "${name}" (known: ${secrets.join(', ') || 'none'})` });
  };
  const job = (id: string, path: Array<string | number>) => {
    if (!jobs.includes(id)) out.push({ path, message: `names no job "${id}" (known: ${jobs.join(', ') || 'none'})` });
  };
  for (const [name, ch] of Object.entries(n.channels)) {
    const p = (...k: Array<string | number>) => ['notifications', 'channels', name, ...k];
    if (ch.type === 'webhook') secret(ch.signingKey, p('signingKey'));
    if (ch.type === 'ntfy') secret(ch.token, p('token'));
    if (ch.type === 'email') {
      secret(ch.password, p('password'));
      if (ch.password && !ch.user) out.push({ path: p('user'), message: 'a password needs the user it belongs to' });
      if (ch.security === 'none' && !/^(localhost|127\.\d+\.\d+\.\d+|::1)$/.test(ch.host))
        out.push({ path: p('security'), message: `"none" sends mail (and any password) in clear text; it is allowed only to a server on this machine, not ${ch.host}` });
    }
    if (ch.type === 'heartbeat') {
      for (const [id, urls] of Object.entries(ch.jobs)) {
        job(id, p('jobs', id));
        if (typeof urls === 'string') secret(urls, p('jobs', id));
        else for (const k of ['start', 'success', 'fail'] as const) secret(urls[k], p('jobs', id, k));
      }
    }
  }
  for (const [id, j] of Object.entries(n.jobs)) {
    job(id, ['notifications', 'jobs', id]);
    for (const ch of Object.keys(j.send)) {
      const target = n.channels[ch];
      if (!target) out.push({ path: ['notifications', 'jobs', id, 'send', ch], message: `names no channel "${ch}" (known: ${Object.keys(n.channels).join(', ') || 'none'})` });
      else if (target.type === 'heartbeat') out.push({ path: ['notifications', 'jobs', id, 'send', ch], message: `"${ch}" is a heartbeat channel: its pings are set under notifications.channels.${ch}.jobs` });
    }
  }
  return out;
}
