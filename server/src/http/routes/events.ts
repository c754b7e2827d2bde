// Live events (SSE) and the tickets EventSource clients authenticate with.
import type { FastifyInstance } from 'fastify';
import type { EventTicket } from '../../contract/api';
import { HttpProblem } from '../problem';
import { noBody, noQuery, type RouteContext } from '../context';
import { SSE_ROUTE, streamEvents } from '../sse';

export function eventRoutes(app: FastifyInstance, { deps, tickets }: RouteContext): void {
  app.post('/api/v1/events/ticket', { config: { access: 'viewer' }, schema: { querystring: noQuery, body: noBody } }, async (req): Promise<EventTicket> => tickets.issue(req.principal!));

  app.get(
    '/api/v1/events',
    {
      config: { access: 'viewer', ticket: true },
      sse: SSE_ROUTE,
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ticket: { type: 'string', minLength: 1, maxLength: 100 },
            // EventSource resends Last-Event-ID itself, but a new ticket means a new EventSource.
            lastEventId: { type: 'string', pattern: '^[0-9]{1,15}$' },
          },
        },
        headers: { type: 'object', properties: { 'last-event-id': { type: 'string', pattern: '^[0-9]{1,15}$' } } },
      },
    },
    async (req, reply) => {
      const sse = (reply as { sse?: typeof reply.sse }).sse;
      if (!sse) throw new HttpProblem(406, 'this is a server-sent event stream: send Accept: text/event-stream');
      // HEAD: the stream's headers and nothing else (a stream never ends by itself, so starting
      // one here held the request open for ever)
      if (req.method === 'HEAD') {
        sse.sendHeaders();
        return;
      }
      const q = req.query as { lastEventId?: string };
      const header = req.headers['last-event-id'];
      const from = typeof header === 'string' ? header : q.lastEventId;
      streamEvents(reply, { hub: deps.events, after: from === undefined ? null : Number(from), maxQueued: deps.sse?.maxQueued ?? 1000 });
    },
  );
}
