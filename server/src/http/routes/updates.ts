// The tray's update feed (issue 21): electron-updater's generic provider reads latest*.yml and the
// builds they name from here, with the client's own token over the pinned TLS like every other
// request. Which channel's feed a client gets is the server's choice (its token's channel).
import type { FastifyInstance } from 'fastify';
import { UpdateFileParams, UpdateFileQuery } from '../../contract/schema';
import { HttpProblem } from '../problem';
import type { RouteContext } from '../context';
import { typed } from '../schema';

export function updateRoutes(fastify: FastifyInstance, { deps }: RouteContext): void {
  typed(fastify).get(
    '/api/v1/updates/:file',
    { config: { access: 'viewer', download: ['text/yaml', 'application/octet-stream'] }, schema: { params: UpdateFileParams, querystring: UpdateFileQuery } },
    async (req, reply) => {
      if (!deps.updates) throw new HttpProblem(503, 'this pillarsd does not serve tray updates');
      const d = await deps.updates.open(req.principal!.tokenId, req.params.file);
      reply.header('content-type', d.contentType);
      reply.header('content-length', String(d.size));
      return reply.send(d.body);
    },
  );
}
