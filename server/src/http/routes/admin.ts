// Admin-only surfaces besides runs: Samba, the audit log, tokens and pairing codes.
import type { FastifyInstance } from 'fastify';
import type { SambaActionResult } from '../../contract/api';
import { AuditPage, AuditQuery, NoInput, PairingCodeRequest, PairingCodeResponse, SambaActionResult as SambaActionResultSchema, SambaState, TokenInfo, TokenParams, TokensResponse, WhoAmI } from '../../contract/schema';
import { HttpProblem } from '../problem';
import { type RouteContext } from '../context';
import { typed } from '../schema';

export function adminRoutes(fastify: FastifyInstance, { deps }: RouteContext): void {
  const app = typed(fastify);
  const samba = () => {
    if (!deps.samba) throw new HttpProblem(503, 'this pillarsd does not manage Samba (no samba: section in its configuration)');
    return deps.samba;
  };

  app.get('/api/v1/me', { config: { access: 'viewer' }, schema: { querystring: NoInput, response: { 200: WhoAmI } } }, async (req) => ({ ...req.principal! }));

  app.get('/api/v1/samba', { config: { access: 'admin' }, schema: { querystring: NoInput, response: { 200: SambaState } } }, async () => samba().state());
  // A file written that smbd did not take is not a success: 502 with what happened (issue 14).
  const settled = (r: SambaActionResult, what: string): SambaActionResult => {
    if (r.changed && (r.reloaded === false || r.answered === false)) throw new HttpProblem(502, `${what}, but ${r.reloaded ? 'a share did not answer after the reload' : 'smbd did not reload'}: ${r.messages.join('; ')}`);
    return r;
  };
  const sambaAction = { querystring: NoInput, body: NoInput, response: { 200: SambaActionResultSchema } };
  app.post('/api/v1/samba/apply', { config: { access: 'admin', audit: 'samba.apply' }, schema: sambaAction }, async (req) =>
    settled(await samba().apply(`${req.principal!.name} (${req.principal!.tokenId})`), 'the new Samba config was written'),
  );
  app.post('/api/v1/samba/rollback', { config: { access: 'admin', audit: 'samba.rollback' }, schema: sambaAction }, async (req) =>
    settled(await samba().rollback(`${req.principal!.name} (${req.principal!.tokenId})`), 'the previous Samba config was restored'),
  );

  app.get('/api/v1/audit', { config: { access: 'admin' }, schema: { querystring: AuditQuery, response: { 200: AuditPage } } }, async (req) =>
    deps.audit.list({ limit: req.query.limit, before: req.query.before ? Number(req.query.before) : undefined }),
  );

  app.get('/api/v1/tokens', { config: { access: 'admin' }, schema: { querystring: NoInput, response: { 200: TokensResponse } } }, async () => ({ tokens: deps.auth.list() }));
  app.delete('/api/v1/tokens/:id', { config: { access: 'admin', audit: 'token.revoke' }, schema: { params: TokenParams, querystring: NoInput, response: { 200: TokenInfo } } }, async (req) => {
    const { id } = req.params;
    const t = deps.auth.revoke(id);
    if (!t) throw new HttpProblem(404, `no token "${id}"`);
    return t;
  });

  app.post('/api/v1/pair/codes', { config: { access: 'admin', audit: 'pair.code' }, schema: { querystring: NoInput, body: PairingCodeRequest, response: { 200: PairingCodeResponse } } }, async (req) => {
    const c = deps.pairing.create({ role: req.body.role, name: req.body.name });
    req.auditDetail = `role ${c.role}, expires ${c.expiresAt}`;
    return c;
  });
}
