// Admin-only surfaces besides runs: Samba, the audit log, tokens and pairing codes.
import type { FastifyInstance } from 'fastify';
import type { AuditPage, PairingCodeResponse, SambaActionResult, SambaState, TokenInfo, TokensResponse, WhoAmI } from '../../contract/api';
import { HttpProblem } from '../problem';
import { idParams, noBody, noQuery, type RouteContext } from '../context';

export function adminRoutes(app: FastifyInstance, { deps }: RouteContext): void {
  const samba = () => {
    if (!deps.samba) throw new HttpProblem(503, 'this pillarsd does not manage Samba (no samba: section in its configuration)');
    return deps.samba;
  };

  app.get('/api/v1/me', { config: { access: 'viewer' }, schema: { querystring: noQuery } }, async (req): Promise<WhoAmI> => ({ ...req.principal! }));

  app.get('/api/v1/samba', { config: { access: 'admin' }, schema: { querystring: noQuery } }, async (): Promise<SambaState> => samba().state());
  // A file written that smbd did not take is not a success: 502 with what happened (issue 14).
  const settled = (r: SambaActionResult, what: string): SambaActionResult => {
    if (r.changed && (!r.reloaded || r.answered === false)) throw new HttpProblem(502, `${what}, but ${r.reloaded ? 'a share did not answer after the reload' : 'smbd did not reload'}: ${r.messages.join('; ')}`);
    return r;
  };
  app.post('/api/v1/samba/apply', { config: { access: 'admin', audit: 'samba.apply' }, schema: { querystring: noQuery, body: noBody } }, async (req): Promise<SambaActionResult> =>
    settled(await samba().apply(`${req.principal!.name} (${req.principal!.tokenId})`), 'the new Samba config was written'),
  );
  app.post('/api/v1/samba/rollback', { config: { access: 'admin', audit: 'samba.rollback' }, schema: { querystring: noQuery, body: noBody } }, async (req): Promise<SambaActionResult> =>
    settled(await samba().rollback(`${req.principal!.name} (${req.principal!.tokenId})`), 'the previous Samba config was restored'),
  );

  app.get(
    '/api/v1/audit',
    {
      config: { access: 'admin' },
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, before: { type: 'string', pattern: '^[1-9][0-9]{0,15}$' } },
        },
      },
    },
    async (req): Promise<AuditPage> => {
      const q = req.query as { limit: number; before?: string };
      return deps.audit.list({ limit: q.limit, before: q.before ? Number(q.before) : undefined });
    },
  );

  app.get('/api/v1/tokens', { config: { access: 'admin' }, schema: { querystring: noQuery } }, async (): Promise<TokensResponse> => ({ tokens: deps.auth.list() }));
  app.delete('/api/v1/tokens/:id', { config: { access: 'admin', audit: 'token.revoke' }, schema: { params: idParams('^[0-9a-f]{16}$'), querystring: noQuery } }, async (req): Promise<TokenInfo> => {
    const { id } = req.params as { id: string };
    const t = deps.auth.revoke(id);
    if (!t) throw new HttpProblem(404, `no token "${id}"`);
    return t;
  });

  app.post(
    '/api/v1/pair/codes',
    {
      config: { access: 'admin', audit: 'pair.code' },
      schema: {
        querystring: noQuery,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { role: { type: 'string', enum: ['viewer', 'admin'], default: 'viewer' }, name: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]+$' } },
        },
      },
    },
    async (req): Promise<PairingCodeResponse> => {
      const b = (req.body ?? {}) as { role?: 'viewer' | 'admin'; name?: string };
      const c = deps.pairing.create({ role: b.role ?? 'viewer', name: b.name });
      req.auditDetail = `role ${c.role}, expires ${c.expiresAt}`;
      return c;
    },
  );
}
