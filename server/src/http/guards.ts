// Request guards that come before authentication: the Host allow-list (DNS rebinding: a page on
// evil.example whose name re-resolves to motoko would otherwise be "same origin" with the API) and
// the Origin check on writes (a page elsewhere must not make a logged-in browser act).
import { isIP } from 'node:net';

/** The host name of a Host header without port and brackets, lower-cased; null when malformed. */
export function hostName(header: string | undefined): string | null {
  if (!header || header.length > 300) return null;
  const h = header.trim().toLowerCase();
  let name: string;
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end < 0) return null;
    name = h.slice(1, end);
    const rest = h.slice(end + 1);
    if (rest && !/^:\d{1,5}$/.test(rest)) return null;
    return isIP(name) === 6 ? name : null;
  }
  const m = /^([^:]+)(:\d{1,5})?$/.exec(h);
  if (!m) return null;
  name = m[1]!.replace(/\.$/, '');
  return /^[a-z0-9.-]+$/.test(name) ? name : null;
}

export const LOOPBACK_NAMES = ['localhost', 'localhost.localdomain', 'ip6-localhost'];

/**
 * Whether a request's Host is one of ours. Any IP literal is accepted: DNS rebinding needs a name
 * that re-resolves, and a client that dials motoko by address (the tray after pairing) must work.
 */
export function hostAllowed(header: string | undefined, allowed: ReadonlySet<string>): boolean {
  const name = hostName(header);
  if (!name) return false;
  return isIP(name) !== 0 || allowed.has(name) || LOOPBACK_NAMES.includes(name);
}

export function allowedHostSet(names: readonly string[]): Set<string> {
  return new Set(names.map((n) => hostName(n) ?? n.toLowerCase()).filter(Boolean));
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

type RequestLike = { method: string; protocol: string; headers: Record<string, string | string[] | undefined> };

/**
 * Null when a request comes from this server's own pages or from a client that is not a browser,
 * else what gave it away. A browser says where every request comes from in `Sec-Fetch-Site` and
 * sends Origin on a cross-origin POST; other clients (the tray, the CLI, curl) send neither.
 */
export function crossSite(req: RequestLike): string | null {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site: ${site}`;
  const origin = req.headers.origin;
  if (origin === undefined) return null;
  const host = req.headers.host;
  if (typeof origin !== 'string' || typeof host !== 'string') return 'malformed Origin or Host header';
  const expected = `${req.protocol}://${host}`.toLowerCase();
  return origin.toLowerCase() === expected ? null : `Origin ${origin.slice(0, 100)} is not ${expected}`;
}

/** Null when the write may go on, else why not: a page elsewhere must not make a logged-in browser act. */
export function crossOriginWrite(req: RequestLike): string | null {
  if (SAFE_METHODS.has(req.method)) return null;
  const why = crossSite(req);
  return why && `cross-site write refused (${why})`;
}

/**
 * What a tray or CLI says of itself in `X-Pillars-Client: 1.4.0 darwin`, or null when absent or
 * malformed (it only feeds the clients' list, so a bad one is ignored, not refused).
 */
export function clientInfo(header: string | string[] | undefined): { version: string; os: string | null } | null {
  if (typeof header !== 'string') return null;
  const m = /^([0-9A-Za-z.+-]{1,40})(?: (darwin|win32|linux))?$/.exec(header.trim());
  return m ? { version: m[1]!, os: m[2] ?? null } : null;
}
