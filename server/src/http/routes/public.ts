// The routes anyone may call: health and the pairing trade.
import type { FastifyInstance } from 'fastify';
import { HealthResponse, NoInput, PairRequest, PairResponse } from '../../contract/schema';
import { HttpProblem } from '../problem';
import { type RouteContext } from '../context';
import type { FailureLimiter } from '../limiter';
import { typed } from '../schema';
import { VERSION } from '../../version';

export function publicRoutes(fastify: FastifyInstance, { deps }: RouteContext, limiter: FailureLimiter): void {
  const app = typed(fastify);
  app.get('/api/v1/health', { config: { access: 'none' }, schema: { querystring: NoInput, response: { 200: HealthResponse } } }, async () => ({ ok: true as const, version: deps.config.version ?? VERSION }));

  app.post('/api/v1/pair', { config: { access: 'none', audit: 'pair.redeem' }, schema: { querystring: NoInput, body: PairRequest, response: { 200: PairResponse } } }, async (req) => {
    const wait = limiter.retryAfter(req.ip);
    if (wait > 0) throw new HttpProblem(429, `too many failed attempts; try again in ${wait} s`, { 'retry-after': String(wait) });
    const b = req.body;
    const created = deps.pairing.redeem(b.code, b.name);
    if (!created) {
      limiter.fail(req.ip);
      throw new HttpProblem(401, 'the pairing code is unknown, expired or already used: run `pillarsd pair` for a new one');
    }
    req.principal = { tokenId: created.id, name: created.info.name, role: created.info.role };
    req.auditDetail = `role ${created.info.role} from ${req.ip}`;
    return { token: created.token, role: created.info.role, fingerprint: deps.config.fingerprint ?? null };
  });
}
