// A local HTTPS stand-in for Azure Key Vault (the REST subset `@azure/keyvault-secrets`'
// SecretClient uses) plus a local Entra ID authority, so tests run the REAL SecretClient with the
// REAL ClientSecretCredential (per FIELD-NOTES "Azure Key Vault"). Azure itself cannot be reached
// from these machines; this is the only stand-in, and it speaks the wire protocol, not an SDK mock.
//
// Wire behaviour reproduced:
//   - a vault request without a valid bearer token → 401 with the Key Vault challenge
//     (`WWW-Authenticate: Bearer authorization="<authority>/<tenant>", resource="https://vault.azure.net"`)
//   - GET /secrets/NAME[/VERSION] → the secret bundle; 404 {"error":{"code":"SecretNotFound"}}
//   - PUT /secrets/NAME {value, contentType?, tags?} → a new version, returned as a bundle
//   - GET /secrets → list of secret properties (no paging)
//   - authority: GET /TENANT/v2.0/.well-known/openid-configuration, POST /TENANT/oauth2/v2.0/token
//     (client_credentials with client_id + client_secret; anything else → 401 invalid_client)
// TLS: the server certificate (127.0.0.1, localhost) is signed by the test CA that
// global-setup.ts makes the test processes trust through NODE_EXTRA_CA_CERTS.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { ensureTestCa } from './tls';
import { onProcessExit, once } from './tmp';

export interface VaultOptions {
  /** initial secrets (each gets one version) */
  secrets?: Record<string, string>;
  clientId?: string;
  clientSecret?: string;
  tenantId?: string;
  /** lifetime of issued tokens in seconds (default 3600) */
  tokenLifetimeS?: number;
}

export interface VaultRequest {
  method: string;
  /** path without the query string */
  path: string;
  /** whether the request carried a valid bearer token issued by this authority */
  hadBearer: boolean;
  status: number;
}

export interface SecretVersion {
  value: string;
  version: string;
  contentType?: string;
  tags?: Record<string, string>;
  created: number;
}

export interface Vault {
  /** vault URL for `new SecretClient(url, …)`, e.g. https://127.0.0.1:40123 */
  readonly url: string;
  /** `authorityHost` for the credential (same server) */
  readonly authorityHost: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** PEM of the CA that signed the server certificate */
  readonly caPem: string;
  /** adds a new version of a secret directly (as if set in the Azure portal); returns the version id */
  setSecret(name: string, value: string): string;
  /** the latest value, or undefined */
  getSecret(name: string): string | undefined;
  /** every version of a secret, oldest first */
  versions(name: string): readonly SecretVersion[];
  /** every request to the vault API (not the authority), in order */
  readonly requests: readonly VaultRequest[];
  /** every token request to the authority, in order (`ok` = credentials accepted) */
  readonly tokenRequests: readonly { clientId: string; ok: boolean }[];
  /**
   * Answers the next `count` authenticated vault requests with `status` (and a Key Vault error
   * body) instead of serving them. Note: the SDK retries 408/429/5xx a few times with back-off.
   */
  failNext(status: number, count?: number): void;
  /** credential options for `new ClientSecretCredential(tenantId, clientId, clientSecret, opts)` */
  credentialOptions(): { authorityHost: string; disableInstanceDiscovery: true };
  /** closes the server. Idempotent. */
  stop(): Promise<void>;
}

/**
 * The SecretClient options a local vault needs: its challenge names `vault.azure.net`, which does
 * not match 127.0.0.1, so the SDK's resource check must be off. TLS trust comes from
 * NODE_EXTRA_CA_CERTS (see global-setup.ts), not from these options.
 */
export function vaultClientOptions(): { disableChallengeResourceVerification: true } {
  return { disableChallengeResourceVerification: true };
}

// 7.x up to 7.6, then dated versions (the SDK 4.11 default is 2025-07-01)
const API_VERSION_RE = /^([0-9]+\.[0-9]+|[0-9]{4}-[0-9]{2}-[0-9]{2})(-preview)?$/;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Starts the vault + authority on 127.0.0.1 with an OS-assigned port. */
export async function startVault(opts: VaultOptions = {}): Promise<Vault> {
  const ca = ensureTestCa();
  const tenantId = opts.tenantId ?? randomUUID();
  const clientId = opts.clientId ?? randomUUID();
  const clientSecret = opts.clientSecret ?? randomBytes(24).toString('base64url');
  const lifetime = opts.tokenLifetimeS ?? 3600;
  const store = new Map<string, SecretVersion[]>();
  const tokens = new Set<string>();
  const requests: VaultRequest[] = [];
  const tokenRequests: { clientId: string; ok: boolean }[] = [];
  let failures: { status: number; left: number } | undefined;
  let base = '';

  const bundle = (name: string, v: SecretVersion) => ({
    value: v.value,
    id: `${base}/secrets/${name}/${v.version}`,
    ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
    ...(v.tags ? { tags: v.tags } : {}),
    attributes: { enabled: true, created: v.created, updated: v.created, recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90 },
  });
  const put = (name: string, value: string, extra: { contentType?: string; tags?: Record<string, string> } = {}): SecretVersion => {
    const v: SecretVersion = { value, version: randomBytes(16).toString('hex'), created: Math.floor(Date.now() / 1000), ...extra };
    store.set(name, [...(store.get(name) ?? []), v]);
    return v;
  };
  for (const [k, v] of Object.entries(opts.secrets ?? {})) put(k, v);

  const authority = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    const m = /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/token)$/.exec(url.pathname);
    if (!m) return false;
    const tenant = m[1] ?? '';
    if (tenant !== tenantId) {
      send(res, 400, { error: 'invalid_tenant', error_description: `AADSTS90002: Tenant '${tenant}' not found.` });
      return true;
    }
    if (m[2]?.startsWith('v2.0')) {
      const t = `${base}/${tenantId}`;
      send(res, 200, {
        token_endpoint: `${t}/oauth2/v2.0/token`,
        authorization_endpoint: `${t}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${t}/oauth2/v2.0/logout`,
        device_authorization_endpoint: `${t}/oauth2/v2.0/devicecode`,
        jwks_uri: `${t}/discovery/v2.0/keys`,
        issuer: `${t}/v2.0`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        tenant_region_scope: null,
      });
      return true;
    }
    if (req.method !== 'POST') {
      send(res, 405, { error: 'invalid_request' });
      return true;
    }
    const form = new URLSearchParams(await readBody(req));
    const ok = form.get('grant_type') === 'client_credentials' && form.get('client_id') === clientId && form.get('client_secret') === clientSecret;
    tokenRequests.push({ clientId: form.get('client_id') ?? '', ok });
    if (!ok) {
      send(res, 401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.', error_codes: [7000215] });
      return true;
    }
    const token = randomBytes(32).toString('base64url');
    tokens.add(token);
    send(res, 200, { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: token });
    return true;
  };

  const vaultApi = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const auth = req.headers.authorization ?? '';
    const hadBearer = auth.startsWith('Bearer ') && tokens.has(auth.slice(7));
    const log = (status: number) => requests.push({ method: req.method ?? '', path: url.pathname, hadBearer, status });
    const body = await readBody(req);
    if (!hadBearer) {
      log(401);
      send(
        res,
        401,
        { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } },
        {
          'www-authenticate': `Bearer authorization="${base}/${tenantId}", resource="https://vault.azure.net"`,
        },
      );
      return;
    }
    const apiVersion = url.searchParams.get('api-version') ?? '';
    if (!API_VERSION_RE.test(apiVersion)) {
      log(400);
      send(res, 400, { error: { code: 'BadParameter', message: 'The api-version query parameter is missing or invalid' } });
      return;
    }
    if (failures && failures.left > 0) {
      failures.left--;
      const status = failures.status;
      log(status);
      send(res, status, { error: { code: status === 403 ? 'Forbidden' : status === 429 ? 'Throttled' : 'InternalError', message: `injected failure ${status}` } });
      return;
    }
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] !== 'secrets' || parts.length > 3) {
      log(404);
      send(res, 404, { error: { code: 'NotFound', message: `no route ${url.pathname}` } });
      return;
    }
    const [, name, version] = parts;
    if (!name) {
      if (req.method !== 'GET') {
        log(405);
        send(res, 405, { error: { code: 'MethodNotAllowed', message: 'only GET lists secrets' } });
        return;
      }
      const value = [...store.entries()].map(([n, vs]) => {
        const { value: _v, ...props } = bundle(n, vs[vs.length - 1] as SecretVersion);
        return { ...props, id: `${base}/secrets/${n}` };
      });
      log(200);
      send(res, 200, { value, nextLink: null });
      return;
    }
    if (req.method === 'PUT' && !version) {
      let parsed: { value?: unknown; contentType?: unknown; tags?: unknown };
      try {
        parsed = JSON.parse(body) as typeof parsed;
      } catch {
        log(400);
        send(res, 400, { error: { code: 'BadParameter', message: 'The request body is not valid JSON.' } });
        return;
      }
      if (typeof parsed.value !== 'string') {
        log(400);
        send(res, 400, { error: { code: 'BadParameter', message: 'Property value is required.' } });
        return;
      }
      const v = put(name, parsed.value, {
        ...(typeof parsed.contentType === 'string' ? { contentType: parsed.contentType } : {}),
        ...(parsed.tags && typeof parsed.tags === 'object' ? { tags: parsed.tags as Record<string, string> } : {}),
      });
      log(200);
      send(res, 200, bundle(name, v));
      return;
    }
    if (req.method === 'GET') {
      const vs = store.get(name) ?? [];
      const v = version ? vs.find((x) => x.version === version) : vs[vs.length - 1];
      if (!v) {
        log(404);
        send(res, 404, { error: { code: 'SecretNotFound', message: `A secret with (name/id) ${name}${version ? `/${version}` : ''} was not found in this key vault.` } });
        return;
      }
      log(200);
      send(res, 200, bundle(name, v));
      return;
    }
    log(405);
    send(res, 405, { error: { code: 'MethodNotAllowed', message: `${req.method} ${url.pathname} is not supported by the test vault` } });
  };

  const server = https.createServer({ cert: ca.cert, key: ca.key }, (req, res) => {
    const url = new URL(req.url ?? '/', base || 'https://127.0.0.1');
    void (async () => {
      try {
        if (await authority(req, res, url)) return;
        await vaultApi(req, res, url);
      } catch (e) {
        if (!res.headersSent) send(res, 500, { error: { code: 'InternalError', message: (e as Error).message } });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const unregister = onProcessExit(() => server.close());

  return {
    url: base,
    authorityHost: base,
    tenantId,
    clientId,
    clientSecret,
    caPem: ca.caPem,
    setSecret: (name, value) => put(name, value).version,
    getSecret: (name) => store.get(name)?.at(-1)?.value,
    versions: (name) => store.get(name) ?? [],
    requests,
    tokenRequests,
    failNext(status, count = 1) {
      failures = { status, left: count };
    },
    credentialOptions: () => ({ authorityHost: base, disableInstanceDiscovery: true }),
    stop: once(async () => {
      unregister();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }),
  };
}
