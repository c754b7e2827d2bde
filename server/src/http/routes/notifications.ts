// Notifications (admin): each channel's last delivery, a test message, a job's choices of what to
// send where; and GET /metrics for Prometheus (a viewer token, or no token from the addresses
// metrics.allowWithoutToken names).
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { JobNotifyChoices, JobNotifyUpdate, JobParams, NoInput, NotificationsResponse, NotifyTestRequest, NotifyTestResults } from '../../contract/schema';
import { HttpProblem } from '../problem';
import { actorOf, type RouteContext } from '../context';
import { typed } from '../schema';

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

export function notificationRoutes(fastify: FastifyInstance, { deps, streams }: RouteContext): void {
  const app = typed(fastify);
  const api = () => {
    if (!deps.notifications) throw new HttpProblem(503, 'this pillarsd does not send notifications');
    return deps.notifications;
  };

  app.get('/api/v1/notifications', { config: { access: 'admin' }, schema: { querystring: NoInput, response: { 200: NotificationsResponse } } }, async () => api().view());

  app.post('/api/v1/notifications/test', { config: { access: 'admin', audit: 'notify.test' }, schema: { querystring: NoInput, body: NotifyTestRequest, response: { 200: NotifyTestResults } } }, async (req) => {
    const results = await api().test(req.body.channel, actorOf(req.principal));
    req.auditDetail = results.map((r) => `${r.channel} ${r.ok ? 'delivered' : 'failed'}`).join(', ');
    return { results };
  });

  app.put(
    '/api/v1/notifications/jobs/:id',
    { config: { access: 'admin', audit: 'notify.job' }, schema: { params: JobParams, querystring: NoInput, body: JobNotifyUpdate, response: { 200: JobNotifyChoices } } },
    async (req) => {
      const { send } = req.body;
      const r = api().setJobChoices(req.params.id, send, actorOf(req.principal));
      req.auditDetail = Object.entries(send)
        .map(([c, k]) => `${c}=${k ? k.join('+') || 'nothing' : 'default'}`)
        .join(' ');
      return r;
    },
  );

  // Prometheus' own format, not JSON: outside /api/ and the OpenAPI document
  const anonymousFrom = addressMatcher(deps.config.metricsWithoutToken ?? []);
  app.get('/metrics', { config: { access: 'viewer', anonymousFrom }, schema: { querystring: NoInput } }, async (_req, reply) => {
    if (!deps.metrics) throw new HttpProblem(503, 'this pillarsd serves no metrics');
    const body = await deps.metrics.render({ sseClients: streams.open });
    return reply.header('content-type', deps.metrics.contentType).send(body);
  });
}
