// One delivery to one channel: builds the request (webhook JSON, ntfy message, mail, heartbeat
// ping) from the notices it carries and hands it to the transport. Credentials are resolved from
// their secret references for this delivery only.
import type { ChannelConfig } from '../config/notify-schema';
import type { Notice } from '../contract/api';
import type { NotifyTransport } from '../infra/notify-transport';
import { html, ntfyMessage, pingUrl, plainText, signature, subjectLine, webhookBody, type Ping } from './messages';
import { VERSION } from '../version';

export interface DeliveryContext {
  server: string;
  now: Date;
  /** the value of `secrets.<name>` */
  secret(name: string): Promise<string>;
  transport: NotifyTransport;
  timeoutMs: number;
}

const userAgent = `pillarsd/${VERSION}`;

/** HTTP header values are bytes: a non-ASCII title goes as RFC 2047 encoded-word (ntfy decodes it). */
function headerText(s: string): string {
  const flat = s.replace(/[\r\n]+/g, ' ');
  return /^[\x20-\x7e]*$/.test(flat) ? flat : `=?UTF-8?B?${Buffer.from(flat, 'utf8').toString('base64')}?=`;
}

/** Where a channel sends, without anything secret: for the pane, the CLI and error messages. */
export function describeTarget(ch: ChannelConfig): string {
  switch (ch.type) {
    case 'webhook':
    case 'ntfy': {
      const u = new URL(ch.url);
      return `${u.origin}${u.pathname}`;
    }
    case 'email':
      return `${ch.to.join(', ')} via ${ch.host}${ch.port ? `:${ch.port}` : ''} (${ch.security})`;
    case 'heartbeat':
      return `pings for ${Object.keys(ch.jobs).join(', ')}`;
  }
}

function smtpPort(ch: Extract<ChannelConfig, { type: 'email' }>): number {
  return ch.port ?? (ch.security === 'tls' ? 465 : ch.security === 'none' ? 25 : 587);
}

/** Sends one delivery (its key the idempotency key); throws with a reason when it did not arrive. */
export async function deliver(ch: ChannelConfig, key: string, items: readonly unknown[], ctx: DeliveryContext): Promise<void> {
  if (ch.type === 'heartbeat') {
    for (const p of items as Ping[]) {
      const ref = ch.jobs[p.jobId];
      if (!ref) continue; // the job's ping was removed from the config since it was queued
      const urls = typeof ref === 'string' ? await ctx.secret(ref) : { start: ref.start && (await ctx.secret(ref.start)), success: await ctx.secret(ref.success), fail: ref.fail && (await ctx.secret(ref.fail)) };
      const url = pingUrl(urls, p.which, ch.runIds ? p.runId : null);
      if (!url) continue;
      await ctx.transport.http({ url, method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8', 'user-agent': userAgent }, body: p.body, timeoutMs: ctx.timeoutMs });
    }
    return;
  }
  const notices = items as Notice[];
  if (ch.type === 'webhook') {
    const body = JSON.stringify(webhookBody(key, ctx.server, ctx.now.toISOString(), notices));
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': userAgent, 'idempotency-key': key };
    if (ch.signingKey) headers['pillars-signature'] = signature(await ctx.secret(ch.signingKey), body, Math.floor(ctx.now.getTime() / 1000));
    await ctx.transport.http({ url: ch.url, method: 'POST', headers, body, timeoutMs: ctx.timeoutMs });
    return;
  }
  if (ch.type === 'ntfy') {
    const m = ntfyMessage(ctx.server, notices, ch.priority);
    const headers: Record<string, string> = {
      'content-type': 'text/plain; charset=utf-8',
      'user-agent': userAgent,
      title: headerText(m.title),
      priority: m.priority,
      tags: m.tags.join(','),
      // ntfy 2.16+ replaces a notification published again with the same sequence id: a retry of
      // a delivery that did arrive shows once
      'x-sequence-id': key,
    };
    if (m.click) headers.click = m.click;
    if (ch.token) headers.authorization = `Bearer ${await ctx.secret(ch.token)}`;
    await ctx.transport.http({ url: ch.url, method: 'POST', headers, body: m.body, timeoutMs: ctx.timeoutMs });
    return;
  }
  const domain = ch.from.replace(/^.*@/, '').replace(/[>\s]/g, '') || 'pillars.invalid';
  await ctx.transport.smtp(
    { host: ch.host, port: smtpPort(ch), security: ch.security, user: ch.user, password: ch.password ? await ctx.secret(ch.password) : undefined, timeoutMs: ctx.timeoutMs },
    {
      from: ch.from,
      to: ch.to,
      subject: subjectLine(ctx.server, notices),
      text: plainText(ctx.server, notices),
      html: html(ctx.server, notices),
      // the same key on a retry: mail clients that see a Message-ID twice show one message
      messageId: `<${key}@${domain}>`,
      headers: { 'X-Pillars-Delivery': key },
    },
  );
}
