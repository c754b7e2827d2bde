// HTTP(S) to pillarsd with the certificate pinned by its SHA-256 fingerprint. pillarsd's default
// certificate is self-signed (`tls: auto`), so the CA chain means nothing; what we trust is the
// fingerprint the user confirmed at pairing. The TLS socket is handed to the HTTP request only
// after the fingerprint matched, so not a byte of a request (and never the bearer token) reaches
// a server that is not the paired one.
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { createHash, X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

export interface ServerTarget {
  /** Base URL, e.g. https://motoko:8443 */
  url: string;
  /** SHA-256 of the server certificate, hex with colons; required for https. */
  fingerprint: string | null;
  token: string | null;
  /** What this client is, sent as X-Pillars-Client ("1.2.0 darwin"): the server lists it per token. */
  client?: string;
}

export class PinMismatchError extends Error {
  readonly code = 'PIN_MISMATCH';
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`the server's certificate fingerprint ${actual} is not the paired ${expected}`);
  }
}

export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(`HTTP ${status}${detail ? `: ${detail}` : ''}`);
  }
}

/** "ab cd:EF…" or "abcdef…" → "AB:CD:EF:…"; throws when it is not 32 bytes of hex. */
export function normalizeFingerprint(fp: string): string {
  const hex = fp
    .replace(/^sha-?256[:/ ]?/i, '')
    .replace(/[\s:]/g, '')
    .toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) throw new Error(`not a SHA-256 fingerprint (64 hex digits expected): '${fp.slice(0, 100)}'`);
  return hex.match(/../g)!.join(':');
}

export function fingerprintOfDer(der: Uint8Array): string {
  return normalizeFingerprint(createHash('sha256').update(der).digest('hex'));
}

export function fingerprintOfPem(pem: string): string {
  return normalizeFingerprint(new X509Certificate(pem).fingerprint256);
}

type Connector = NonNullable<http.ClientRequestArgs['createConnection']>;

/** A connection factory that completes only when the peer's certificate has the pinned fingerprint. */
export function pinnedConnector(expected: string, observed?: (fp: string) => void): Connector {
  return (options, oncreate) => {
    let done = false;
    const finish = (err: Error | null, s: Duplex) => {
      if (done) return;
      done = true;
      oncreate(err, s);
    };
    const sock = tls.connect({
      host: options.host ?? undefined,
      port: Number(options.port),
      servername: options.host && !isIp(options.host) ? options.host : undefined,
      rejectUnauthorized: false, // the pin below is the check; a self-signed chain is expected
    });
    sock.once('secureConnect', () => {
      const fp = normalizeFingerprint(sock.getPeerCertificate().fingerprint256 ?? '');
      observed?.(fp);
      if (fp !== expected) {
        const e = new PinMismatchError(expected, fp);
        sock.destroy();
        finish(e, sock);
      } else finish(null, sock);
    });
    sock.once('error', (e) => finish(e, sock));
    return undefined;
  };
}

const isIp = (h: string) => /^[\d.]+$/.test(h) || h.includes(':');

export interface RequestOptions {
  method?: 'GET' | 'POST';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Opens a request and resolves with the response (whose body the caller reads or streams). */
export function openRequest(target: ServerTarget, opts: RequestOptions): Promise<IncomingMessage> {
  const url = new URL(opts.path, target.url.endsWith('/') ? target.url : target.url + '/');
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  if (target.client) headers['x-pillars-client'] = target.client;
  const base: http.RequestOptions = { method: opts.method ?? 'GET', headers, signal: opts.signal, timeout: opts.timeoutMs ?? 10_000 };
  return new Promise((resolve, reject) => {
    let req: http.ClientRequest;
    if (url.protocol === 'https:') {
      if (!target.fingerprint) return reject(new Error(`no pinned certificate fingerprint for ${target.url}: pair with the server first`));
      let expected: string;
      try {
        expected = normalizeFingerprint(target.fingerprint);
      } catch (e) {
        return reject(e);
      }
      // No agent: with one, Node would ignore createConnection (and pool sockets past the pin check).
      req = https.request(url, { ...base, createConnection: pinnedConnector(expected) });
    } else if (url.protocol === 'http:') {
      req = http.request(url, { ...base, agent: false });
    } else {
      return reject(new Error(`unsupported server URL scheme '${url.protocol}' (https: or http: expected)`));
    }
    req.once('response', resolve);
    req.once('timeout', () => req.destroy(new Error(`no answer from ${url.host} within ${opts.timeoutMs ?? 10_000} ms`)));
    req.once('error', reject);
    req.end(body);
  });
}

export async function readBody(res: IncomingMessage, limit = 8 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) {
      res.destroy();
      throw new Error(`response larger than ${limit} bytes`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A JSON request; a non-2xx answer throws HttpStatusError with the problem's title/detail. */
export async function requestJson<T>(target: ServerTarget, opts: RequestOptions): Promise<T> {
  const res = await openRequest(target, opts);
  const text = await readBody(res);
  const status = res.statusCode ?? 0;
  if (status < 200 || status >= 300) {
    let detail: string;
    try {
      const p = JSON.parse(text) as { title?: string; detail?: string; message?: string };
      detail = [p.title, p.detail ?? p.message].filter(Boolean).join(': ');
    } catch {
      detail = text.slice(0, 200);
    }
    throw new HttpStatusError(status, detail);
  }
  return (text ? JSON.parse(text) : null) as T;
}

/**
 * Connects to an https server and reports its certificate's fingerprint without sending anything:
 * the first step of pairing, where the user compares it with what `pillarsd pair` printed.
 */
export function probeFingerprint(url: string, timeoutMs = 5_000): Promise<string> {
  const u = new URL(url);
  if (u.protocol !== 'https:') return Promise.reject(new Error(`${url} is not an https URL: there is no certificate to pin`));
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: u.hostname, port: Number(u.port || 443), servername: isIp(u.hostname) ? undefined : u.hostname, rejectUnauthorized: false });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no TLS answer from ${u.host} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.once('secureConnect', () => {
      clearTimeout(timer);
      const fp = sock.getPeerCertificate().fingerprint256;
      sock.end();
      try {
        resolve(normalizeFingerprint(fp ?? ''));
      } catch (e) {
        reject(e);
      }
    });
    sock.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot reach ${u.host}: ${e.message}`));
    });
  });
}
