// The routes anyone may call: health and the pairing trade.
import type { FastifyInstance } from 'fastify';
import type { HealthResponse, PairResponse } from '../../contract/api';
import { HttpProblem } from '../problem';
import { noQuery, type RouteContext } from '../context';
import type { FailureLimiter } from '../limiter';
import { VERSION } from '../../version';

export function publicRoutes(app: FastifyInstance, { deps }: RouteContext, limiter: FailureLimiter): void {
  app.get('/api/v1/health', { config: { access: 'none' }, schema: { querystring: noQuery } }, async (): Promise<HealthResponse> => ({ ok: true, version: deps.config.version ?? VERSION }));

  app.post(
    '/api/v1/pair',
    {
      config: { access: 'none', audit: 'pair.redeem' },
      schema: {
        querystring: noQuery,
        body: {
          type: 'object',
          required: ['code'],
          additionalProperties: false,
          properties: { code: { type: 'string', minLength: 1, maxLength: 20 }, name: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]+$' } },
        },
      },
    },
    async (req): Promise<PairResponse> => {
      const wait = limiter.retryAfter(req.ip);
      if (wait > 0) throw new HttpProblem(429, `too many failed attempts; try again in ${wait} s`, { 'retry-after': String(wait) });
      const b = req.body as { code: string; name?: string };
      const created = deps.pairing.redeem(b.code, b.name);
      if (!created) {
        limiter.fail(req.ip);
        throw new HttpProblem(401, 'the pairing code is unknown, expired or already used: run `pillarsd pair` for a new one');
      }
      req.principal = { tokenId: created.id, name: created.info.name, role: created.info.role };
      req.auditDetail = `role ${created.info.role} from ${req.ip}`;
      return { token: created.token, role: created.info.role, fingerprint: deps.config.fingerprint ?? null };
    },
  );
}
