// Live events (SSE) and the tickets EventSource clients authenticate with.
import type { FastifyInstance } from 'fastify';
import { EventsHeaders, EventsQuery, EventTicket, NoInput } from '../../contract/schema';
import { HttpProblem } from '../problem';
import { type RouteContext } from '../context';
import { typed } from '../schema';
import { SSE_ROUTE, streamEvents } from '../sse';

export function eventRoutes(fastify: FastifyInstance, { deps, tickets, streams }: RouteContext): void {
  const app = typed(fastify);
  app.post('/api/v1/events/ticket', { config: { access: 'viewer' }, schema: { querystring: NoInput, body: NoInput, response: { 200: EventTicket } } }, async (req) => tickets.issue(req.principal!));

  app.get('/api/v1/events', { config: { access: 'viewer', ticket: true, stream: 'events' }, sse: SSE_ROUTE, schema: { querystring: EventsQuery, headers: EventsHeaders } }, async (req, reply) => {
    const sse = (reply as { sse?: typeof reply.sse }).sse;
    if (!sse) throw new HttpProblem(406, 'this is a server-sent event stream: send Accept: text/event-stream');
    // HEAD: the stream's headers and nothing else (a stream never ends by itself, so starting one
    // here held the request open for ever)
    if (req.method === 'HEAD') {
      sse.sendHeaders();
      return;
    }
    const header = req.headers['last-event-id'];
    const from = typeof header === 'string' ? header : req.query.lastEventId;
    streamEvents(reply, { hub: deps.events, after: from === undefined ? null : Number(from), maxQueued: deps.sse?.maxQueued ?? 1000, streams });
  });
}
