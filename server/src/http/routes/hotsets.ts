// Hot-sets: POST /api/v1/hotsets creates a Syncthing folder for a path under flux/hot (admin).
import type { FastifyInstance } from 'fastify';
import { HotSetRequest, HotSetStatus, NoInput } from '../../contract/schema';
import { HttpProblem } from '../problem';
import type { HotSetsApi } from '../../ports/services';
import { typed } from '../schema';

export function hotSetRoutes(fastify: FastifyInstance, deps: { hotSets?: HotSetsApi }): void {
  typed(fastify).post('/api/v1/hotsets', { config: { access: 'admin', audit: 'hotset.create' }, schema: { querystring: NoInput, body: HotSetRequest, response: { 201: HotSetStatus } } }, async (req, reply) => {
    if (!deps.hotSets) throw new HttpProblem(503, 'this pillarsd has no syncthing: section in its configuration');
    const f = await deps.hotSets.create(req.body);
    req.auditDetail = `${f.id} ${f.path}`;
    reply.code(201);
    return { id: f.id, label: f.label, path: f.path, state: 'unknown', completion: null, errors: 0, conflicts: [] };
  });
}
