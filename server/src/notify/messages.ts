// Who is told what, and the words each channel sends (pure). A delivery carries one notice or a
// burst of them; its idempotency key is derived from the channel and the notices it holds, so a
// retry (after a failure or a restart) carries the same key.
import { createHash, createHmac } from 'node:crypto';
import { NOTICE_KINDS } from '../contract/api';
import type { Notice, NoticeKind, WebhookBody } from '../contract/api';
import type { NotificationsConfig } from '../config/notify-schema';
import type { Incident, NoticeDraft } from './incidents';
import { formatBytes, percentText } from '../domain/size';

/** The message channels (not heartbeats) that get this notice. */
export function channelsFor(n: NoticeDraft, inc: Incident | null, cfg: NotificationsConfig): string[] {
  const live = Object.entries(cfg.channels).filter(([, c]) => c.type !== 'heartbeat' && c.enabled);
  // the end of an incident goes where its start went, and nowhere else
  if (n.phase === 'resolved') return live.map(([name]) => name).filter((name) => inc?.sentTo.includes(name));
  return live.filter(([name, c]) => wants(cfg, name, 'events' in c ? c.events : undefined, n.kind, n.jobId)).map(([name]) => name);
}

function wants(cfg: NotificationsConfig, channel: string, events: readonly NoticeKind[] | undefined, kind: Notice['kind'], jobId: string | null): boolean {
  if (kind === 'test') return true;
  const perJob = jobId ? cfg.jobs[jobId]?.send[channel] : undefined;
  return (perJob ?? events ?? NOTICE_KINDS).includes(kind);
}

export function withLink(n: NoticeDraft, paneUrl: string | undefined): Notice {
  const base = paneUrl?.replace(/\/+$/, '');
  const link = !base ? null : n.runId ? `${base}/#/runs/${encodeURIComponent(n.runId)}` : n.jobId ? `${base}/#/jobs` : n.kind === 'samba' ? `${base}/#/samba` : n.kind === 'conflicts' ? `${base}/#/hotsets` : `${base}/`;
  return { ...n, link };
}

export function deliveryKey(channel: string, itemIds: readonly string[]): string {
  if (itemIds.length === 1) return itemIds[0]!;
  return `g-${createHash('sha256')
    .update(`${channel}\u0000${itemIds.join('\u0000')}`)
    .digest('hex')
    .slice(0, 32)}`;
}

const SEVERITY_RANK = { info: 0, warning: 1, critical: 2 } as const;
const worst = (ns: readonly Notice[]) => ns.reduce<Notice['severity']>((w, n) => (SEVERITY_RANK[n.severity] > SEVERITY_RANK[w] ? n.severity : w), 'info');

const PHASE_WORD: Record<Notice['phase'], string> = { opened: '', changed: '', reminder: 'reminder: ', resolved: 'resolved: ', test: 'test: ' };
const headline = (n: Notice) => `${PHASE_WORD[n.phase]}${n.title}`;

export function subjectLine(server: string, ns: readonly Notice[]): string {
  return ns.length === 1 ? `[${server}] ${headline(ns[0]!)}` : `[${server}] ${ns.length} notices: ${ns.map((n) => n.title).join('; ')}`.slice(0, 200);
}

function detailLines(n: Notice): string[] {
  const out = [n.text];
  if (n.deletes) out.push(`Approving it deletes ${n.deletes.count} files (${formatBytes(n.deletes.bytes)}, ${percentText(n.deletes.percent)}% of the destination).`);
  if (n.count > 1 && n.phase !== 'resolved') out.push(`${n.count} times so far.`);
  if (n.link) out.push(n.link);
  return out;
}

export function plainText(server: string, ns: readonly Notice[]): string {
  const blocks = ns.map((n) => [headline(n), ...detailLines(n)].join('\n'));
  return `${blocks.join('\n\n')}\n\n-- \npillarsd on ${server}\n`;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const COLOR: Record<Notice['severity'], string> = { critical: '#b42318', warning: '#b54708', info: '#067647' };

export function html(server: string, ns: readonly Notice[]): string {
  const items = ns
    .map((n) => {
      const lines = detailLines({ ...n, link: null }).map((l) => `<p style="margin:4px 0">${esc(l)}</p>`);
      const link = n.link ? `<p style="margin:4px 0"><a href="${esc(n.link)}">Open in the pane</a></p>` : '';
      return `<div style="border-left:4px solid ${COLOR[n.severity]};padding:4px 12px;margin:12px 0"><h3 style="margin:0 0 4px;font-size:16px">${esc(headline(n))}</h3>${lines.join('')}${link}</div>`;
    })
    .join('');
  return `<!doctype html><html><body style="font-family:system-ui,sans-serif;font-size:14px;color:#101828">${items}<p style="color:#667085;font-size:12px">pillarsd on ${esc(server)}</p></body></html>`;
}

export function webhookBody(id: string, server: string, sentAt: string, ns: readonly Notice[]): WebhookBody {
  return { version: 1, id, server, sentAt, notices: [...ns] };
}

/**
 * `Pillars-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the time is signed with
 * the body, so a receiver can refuse an old message replayed (docs/notifications.md).
 */
export function signature(key: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', key).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

export interface NtfyMessage {
  title: string;
  body: string;
  priority: 'min' | 'low' | 'default' | 'high' | 'urgent';
  tags: string[];
  click: string | null;
}

export function ntfyMessage(server: string, ns: readonly Notice[], fixed?: NtfyMessage['priority']): NtfyMessage {
  const w = worst(ns);
  const resolvedOnly = ns.every((n) => n.phase === 'resolved');
  return {
    title: ns.length === 1 ? headline(ns[0]!) : `${ns.length} notices from ${server}`,
    body: ns.length === 1 ? detailLines({ ...ns[0]!, link: null }).join('\n') : ns.map((n) => `• ${headline(n)}: ${n.text}`).join('\n'),
    priority: fixed ?? (w === 'critical' ? 'high' : 'default'),
    tags: [resolvedOnly ? 'white_check_mark' : w === 'critical' ? 'rotating_light' : w === 'warning' ? 'warning' : 'information_source', 'pillars'],
    click: ns.find((n) => n.link)?.link ?? null,
  };
}

/** A heartbeat ping: which URL of the job, and what to tell the monitor in the body (its log). */
export interface Ping {
  id: string;
  jobId: string;
  runId: string;
  which: 'start' | 'success' | 'fail';
  body: string;
}

/** healthchecks.io's run id: a UUID, derived from ours so a retry after a restart sends the same one. */
function runUuid(runId: string): string {
  const h = createHash('sha256').update(runId).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The URL of one ping: from the base URL (`/start`, `/fail` appended; healthchecks.io style) or the job's own URLs. */
export function pingUrl(urls: string | { start?: string; success: string; fail?: string }, which: Ping['which'], runId: string | null): string | null {
  let u: string | undefined;
  if (typeof urls === 'string') u = which === 'success' ? urls : `${urls.replace(/\/+$/, '')}/${which}`;
  else u = urls[which];
  if (!u) return null;
  if (!runId) return u;
  const url = new URL(u);
  url.searchParams.set('rid', runUuid(runId));
  return url.toString();
}
