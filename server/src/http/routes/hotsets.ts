// Hot-sets: POST /api/v1/hotsets creates a Syncthing folder for a path under flux/hot (admin).
import type { FastifyInstance } from 'fastify';
import type { HotSetStatus } from '../../contract/api';
import { HttpProblem } from '../problem';
import { noQuery } from '../context';
import type { HotSetsApi } from '../../ports/services';

const body = {
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: {
    path: { type: 'string', minLength: 1, maxLength: 1024, pattern: '^[^\\u0000-\\u001f\\u007f]+$' },
    label: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[\\u0020-\\u007e]+$' },
    devices: { type: 'array', maxItems: 32, items: { type: 'string', pattern: '^[A-Z0-9]{7}(-[A-Z0-9]{7}){7}$' } },
  },
} as const;

export function hotSetRoutes(app: FastifyInstance, deps: { hotSets?: HotSetsApi }): void {
  app.post(
    '/api/v1/hotsets',
    { config: { access: 'admin', audit: 'hotset.create' }, schema: { querystring: noQuery, body } },
    async (req, reply): Promise<HotSetStatus> => {
      if (!deps.hotSets) throw new HttpProblem(503, 'this pillarsd has no syncthing: section in its configuration');
      const f = await deps.hotSets.create(req.body as { path: string; label?: string; devices?: string[] });
      req.auditDetail = `${f.id} ${f.path}`;
      reply.code(201);
      return { id: f.id, label: f.label, path: f.path, state: 'unknown', completion: null, errors: 0, conflicts: [] };
    },
  );
}
