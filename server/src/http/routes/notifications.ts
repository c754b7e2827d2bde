// Notifications (admin): each channel's last delivery, a test message, a job's choices of what to
// send where; and GET /metrics for Prometheus (a viewer token, or no token from the addresses
// metrics.allowWithoutToken names).
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { JobNotifyChoices, JobNotifyUpdate, NotificationsResponse, NotifyTestResult } from '../../contract/api';
import { JOB_NOTICE_KINDS } from '../../contract/api';
import { HttpProblem } from '../problem';
import { actorOf, idParams, JOB_ID_PATTERN, noQuery, type RouteContext } from '../context';

const CHANNEL = '^[a-z][a-z0-9-]{0,39}$';

/** The addresses allowed to scrape without a token; IPv4-mapped IPv6 (::ffff:a.b.c.d) counts as IPv4. */
export function addressMatcher(entries: readonly string[]): (ip: string) => boolean {
  if (entries.length === 0) return () => false;
  const list = new BlockList();
  for (const e of entries) {
    const [addr, bits] = e.split('/') as [string, string | undefined];
    const type = isIPv6(addr) ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(addr, type);
    else list.addSubnet(addr, Number(bits), type);
  }
  return (ip) => {
    const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
    if (v4) return list.check(v4, 'ipv4');
    return isIPv4(ip) ? list.check(ip, 'ipv4') : isIPv6(ip) ? list.check(ip, 'ipv6') : false;
  };
}

export function notificationRoutes(app: FastifyInstance, { deps, streams }: RouteContext): void {
  const api = () => {
    if (!deps.notifications) throw new HttpProblem(503, 'this pillarsd does not send notifications');
    return deps.notifications;
  };

  app.get('/api/v1/notifications', { config: { access: 'admin' }, schema: { querystring: noQuery } }, async (): Promise<NotificationsResponse> => api().view());

  app.post(
    '/api/v1/notifications/test',
    {
      config: { access: 'admin', audit: 'notify.test' },
      schema: { querystring: noQuery, body: { type: 'object', additionalProperties: false, properties: { channel: { type: 'string', pattern: CHANNEL } } } },
    },
    async (req): Promise<{ results: NotifyTestResult[] }> => {
      const { channel } = req.body as { channel?: string };
      const results = await api().test(channel, actorOf(req.principal));
      req.auditDetail = results.map((r) => `${r.channel} ${r.ok ? 'delivered' : 'failed'}`).join(', ');
      return { results };
    },
  );

  app.put(
    '/api/v1/notifications/jobs/:id',
    {
      config: { access: 'admin', audit: 'notify.job' },
      schema: {
        params: idParams(JOB_ID_PATTERN),
        querystring: noQuery,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['send'],
          properties: {
            send: {
              type: 'object',
              maxProperties: 64,
              propertyNames: { pattern: CHANNEL },
              additionalProperties: { type: ['array', 'null'], maxItems: JOB_NOTICE_KINDS.length, uniqueItems: true, items: { type: 'string', enum: [...JOB_NOTICE_KINDS] } },
            },
          },
        },
      },
    },
    async (req): Promise<JobNotifyChoices> => {
      const { id } = req.params as { id: string };
      const { send } = req.body as JobNotifyUpdate;
      const r = api().setJobChoices(id, send, actorOf(req.principal));
      req.auditDetail = Object.entries(send)
        .map(([c, k]) => `${c}=${k ? k.join('+') || 'nothing' : 'default'}`)
        .join(' ');
      return r;
    },
  );

  const anonymousFrom = addressMatcher(deps.config.metricsWithoutToken ?? []);
  app.get('/metrics', { config: { access: 'viewer', anonymousFrom }, schema: { querystring: noQuery } }, async (_req, reply) => {
    if (!deps.metrics) throw new HttpProblem(503, 'this pillarsd serves no metrics');
    const body = await deps.metrics.render({ sseClients: streams.open });
    reply.header('content-type', deps.metrics.contentType);
    return body;
  });
}
