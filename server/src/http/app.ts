// The Fastify app, built apart from listening so tests can `inject` or bind a real port. Order of
// the gates every request passes: Host allow-list → security headers → Origin check on writes →
// token (or SSE ticket, same-site only) → failed-auth limit on a failure → role → schema → thin
// handler → one error shape.
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import fastifySse from '@fastify/sse';
import fastifyStatic from '@fastify/static';
import type { Access, AppDeps, RouteContext, RouteEntry } from './context';
import { hotSetRoutes } from './routes/hotsets';
import { makeErrorHandler, HttpProblem, sendProblem } from './problem';
import { allowedHostSet, clientInfo, crossOriginWrite, crossSite, hostAllowed } from './guards';
import { FailureLimiter } from './limiter';
import { TicketBook } from './tickets';
import { lazyValidators } from './lazy-validators';
import { cachedStatus } from './status-cache';
import { runRoutes } from './routes/runs';
import { NoInput, StatusResponse } from '../contract/schema';
import { toFastifySchemas, typed, zodSchemas } from './schema';
import { openApiRoute } from './openapi';
import { eventRoutes } from './routes/events';
import { adminRoutes } from './routes/admin';
import { publicRoutes } from './routes/public';
import { notificationRoutes } from './routes/notifications';
import { snapshotRoutes } from './routes/snapshots';
import { recoverRoutes } from './routes/recover';
import { updateRoutes } from './routes/updates';

export type { AppDeps } from './context';

/**
 * The admin pane is a built React app: scripts and styles from our origin only, no inline script,
 * API calls to our origin only, never framed. React sets styles through the CSSOM, which
 * style-src does not restrict.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), usb=(), payment=()',
};

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered, with its access level (filled by an onRoute hook). */
    routeTable: RouteEntry[];
    /** Compiles the route validators not compiled yet (they compile on first use); returns how many. */
    compileValidators(): number;
  }
}

/** A property of a request part a hook reads before (or without) its route's validation. */
function field(part: unknown, name: string): unknown {
  return typeof part === 'object' && part !== null && name in part ? (part as Record<string, unknown>)[name] : undefined;
}

/**
 * Cache rules of the pane's files: the build names everything under assets/ by a hash of its
 * content, so those never change and are kept a year without asking again; everything else
 * (index.html, which names the current hashes) is revalidated on every load (ETag and
 * Last-Modified answer 304 when it has not changed).
 */
function paneCacheHeaders(root: string): (res: { setHeader(name: string, value: string): unknown }, file: string) => void {
  const assets = `${root.replace(/\/+$/, '')}/assets/`;
  return (res, file) => {
    res.setHeader('cache-control', file.startsWith(assets) ? 'public, max-age=31536000, immutable' : 'no-cache');
    // the same URL answers with a different body per Accept-Encoding
    res.setHeader('vary', 'accept-encoding');
  };
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const now = () => (deps.clock ? deps.clock.now().getTime() : Date.now());
  const validators = lazyValidators();
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    // Fastify's two lines per request would bury the log under the tray's polls: the onResponse
    // hook below logs one, and reads only at debug level
    logController: new LogController({ disableRequestLogging: true }),
    schemaController: { compilersFactory: { buildValidator: validators.buildValidator, buildSerializer: validators.buildSerializer } },
    bodyLimit: deps.bodyLimit ?? 64 * 1024,
    // Close SSE and keep-alive sockets on close(): a stopping server must not wait for clients.
    forceCloseConnections: true,
    // JSON bodies keep their prototype safety; unknown properties are rejected, not dropped.
    // zod writes a nullable value as a union type (`type: ["string", "null"]`)
    ajv: { customOptions: { removeAdditional: false, allErrors: false, allowUnionTypes: true } },
    routerOptions: { maxParamLength: 200 },
    // Malformed URLs and the like: answered in our problem shape.
    frameworkErrors: (err, _req, reply) => {
      sendProblem(reply, (err as { statusCode?: number }).statusCode && (err as { statusCode: number }).statusCode < 500 ? (err as { statusCode: number }).statusCode : 400, err.message);
    },
  });

  const log = deps.log ?? ((msg: string, err?: unknown) => app.log.error({ err }, msg));

  app.decorate('routeTable', [] as RouteEntry[]);
  app.decorate('compileValidators', validators.compileAll);
  app.decorateRequest('principal', null);
  app.decorateRequest('auditDetail', null);
  zodSchemas(app, { lazy: true });
  app.addHook('onRoute', (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    const schemas = toFastifySchemas(r.schema, `${methods.join(',')} ${r.url}`);
    // Read lazily: hooks of child plugins (the pane's) may still amend the options after this one.
    for (const m of methods)
      app.routeTable.push({
        method: m,
        url: r.url,
        schemas,
        get access() {
          return (r.config?.access ?? 'admin') as Access;
        },
        get audit() {
          return r.config?.audit ?? null;
        },
        get stream() {
          return r.config?.stream ?? null;
        },
        get download() {
          return r.config?.download ?? null;
        },
      });
  });

  const allowed = allowedHostSet(deps.config.allowedHosts);
  const limiter = new FailureLimiter(deps.authFailures ?? { max: 20, windowMs: 5 * 60_000 }, now);
  const tickets = new TicketBook(now, deps.sse?.ticketTtlMs);

  app.setErrorHandler(makeErrorHandler(log));
  app.setNotFoundHandler((req, reply) => sendProblem(reply, 404, `no route ${req.method} ${req.url.split('?')[0]!.slice(0, 200)}`));

  app.addHook('onRequest', async (req, reply) => {
    if (!hostAllowed(req.headers.host, allowed)) {
      throw new HttpProblem(421, `host "${String(req.headers.host ?? '').slice(0, 100)}" is not one of this server's names (server.allowedHosts)`);
    }
    reply.headers(SECURITY_HEADERS);
    if (req.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    const crossOrigin = crossOriginWrite(req);
    if (crossOrigin) throw new HttpProblem(403, crossOrigin);

    const cfg = req.routeOptions.config;
    const access: Access = cfg.access ?? 'admin';
    if (access === 'none') return;
    if (cfg.anonymousFrom && req.headers.authorization === undefined && cfg.anonymousFrom(req.ip)) return;
    // The credential is checked first and only a failure counts against the address: tokens and
    // tickets carry 192 bits and more, so the limit only quiets noise, and it must never lock
    // the owner out because a page they visited, or a guesser behind the same NAT, failed for them.
    const failed = (detail: string, headers?: Record<string, string>): never => {
      const wait = limiter.retryAfter(req.ip);
      if (wait > 0) throw new HttpProblem(429, `too many failed authentication attempts from ${req.ip}; try again in ${wait} s`, { 'retry-after': String(wait) });
      limiter.fail(req.ip);
      throw new HttpProblem(401, detail, headers);
    };
    const header = req.headers.authorization;
    // before validation: the query is whatever the client sent
    const ticket = cfg.ticket ? field(req.query, 'ticket') : undefined;
    let principal;
    if (typeof header === 'string') {
      const m = /^Bearer +([!-~]{1,200})$/i.exec(header);
      principal = (m ? deps.auth.verify(m[1]!, clientInfo(req.headers['x-pillars-client'])) : null) ?? failed('invalid or revoked token', { 'www-authenticate': 'Bearer error="invalid_token"' });
    } else if (typeof ticket === 'string') {
      // `<img src=…/events?ticket=x>` on any page the admin visits: refused before it can count
      const elsewhere = crossSite(req);
      if (elsewhere) throw new HttpProblem(403, `event tickets are accepted from this server's own pages only (${elsewhere})`);
      principal = tickets.consume(ticket) ?? failed('unknown, used or expired event ticket (POST /api/v1/events/ticket for a new one)');
    } else {
      throw new HttpProblem(401, 'this needs a token: Authorization: Bearer <token> (pillarsd token create, or pair)', { 'www-authenticate': 'Bearer' });
    }
    if (access === 'admin' && principal.role !== 'admin') throw new HttpProblem(403, `this needs an admin token; "${principal.name}" is a ${principal.role}`);
    req.principal = principal;
  });

  // A POST without a body means "no input", like an empty JSON object.
  app.addHook('preValidation', async (req) => {
    if (req.body === undefined && req.method !== 'GET' && req.method !== 'HEAD') req.body = {};
  });

  app.addHook('onResponse', async (req, reply) => {
    const action = req.routeOptions.config.audit;
    if (!action || !req.principal || reply.statusCode >= 500) return;
    const id = field(req.params, 'id');
    try {
      deps.audit.record({
        actor: `${req.principal.name} (${req.principal.tokenId})`,
        action,
        target: typeof id === 'string' ? id : null,
        detail: [`HTTP ${reply.statusCode}`, req.auditDetail].filter(Boolean).join(', '),
      });
    } catch (e) {
      log('audit record failed', e);
    }
  });

  app.addHook('onResponse', async (req, reply) => {
    const s = reply.statusCode;
    // what an admin reads the journal for: changes, refused credentials and the server's own
    // failures; a client's malformed or unknown request is its own business (and a scanner's
    // thousands of 404s would drown the rest)
    const level = s >= 500 ? 'error' : s === 401 || s === 403 || s === 429 ? 'warn' : s < 400 && req.method !== 'GET' && req.method !== 'HEAD' ? 'info' : 'debug';
    req.log[level]({ req, res: reply, principal: req.principal?.name, ms: Math.round(reply.elapsedTime) }, `${req.method} ${req.routeOptions.url ?? 'unrouted'} ${s}`);
  });

  await app.register(fastifySse, { heartbeatInterval: deps.sse?.heartbeatMs ?? 15_000 });

  const ctx: RouteContext = { deps, tickets, streams: { open: 0 } };
  publicRoutes(app, ctx, limiter);
  runRoutes(app, ctx);
  eventRoutes(app, ctx);
  adminRoutes(app, ctx);
  hotSetRoutes(app, { hotSets: deps.hotSets });
  notificationRoutes(app, ctx);
  snapshotRoutes(app, ctx);
  recoverRoutes(app, ctx);
  updateRoutes(app, ctx);
  const status = cachedStatus(deps.status, deps.events, deps.statusCacheMs ?? 1_000, now);
  app.addHook('onClose', async () => status.stop());
  typed(app).get('/api/v1/status', { config: { access: 'viewer' }, schema: { querystring: NoInput, response: { 200: StatusResponse } } }, async () => status.status());
  openApiRoute(app, deps.config.version);

  if (deps.config.adminDir) {
    const root = deps.config.adminDir;
    await app.register(async (pane) => {
      // The page holds no data: it asks for a token and then calls the API like any client.
      pane.addHook('onRoute', (r) => {
        r.config = { ...(r.config ?? {}), access: 'none' };
      });
      await pane.register(fastifyStatic, {
        root,
        dotfiles: 'deny',
        index: ['index.html'],
        wildcard: true,
        // the build writes a .br and a .gz beside each file (vite.config.ts): sent as they are to a
        // browser that accepts them, so nothing is compressed per request
        preCompressed: true,
        cacheControl: false,
        setHeaders: paneCacheHeaders(root),
      });
    });
  }
  return app;
}
