// electron-updater's HTTP, carried by the tray's own pinned TLS instead of Chromium's network stack:
// its ElectronHttpExecutor trusts the system's certificate authorities, and pillarsd's certificate
// is self-signed and trusted only by the fingerprint the user confirmed at pairing. This executor
// is a builder-util-runtime HttpExecutor (the class electron-updater's own executors extend), so
// electron-updater's feed parsing, download and sha512 check run unchanged over it. It talks only
// to the paired server: a request anywhere else (a redirect, a feed naming another host) fails
// before a connection is made, so the token never leaves for another host.
import { EventEmitter } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type { ClientRequest, RequestOptions } from 'node:http';
import { HttpExecutor, configureRequestOptions, configureRequestUrl } from 'builder-util-runtime';
import type { DownloadOptions } from 'builder-util-runtime';
import { normalizeFingerprint, pinnedConnector } from '../server/http';
import type { ServerTarget } from '../server/http';

export class NotPairedServerError extends Error {
  readonly code = 'NOT_PAIRED_SERVER';
}

export class PinnedHttpExecutor extends HttpExecutor<ClientRequest> {
  constructor(private readonly target: () => ServerTarget | null) {
    super();
  }

  /** What electron-updater's own executors add to the base class: a download to a file, verified. */
  download(url: URL, destination: string, options: DownloadOptions): Promise<string> {
    return options.cancellationToken.createPromise<string>((resolve, reject, onCancel) => {
      const requestOptions: RequestOptions = { headers: options.headers ?? undefined };
      configureRequestUrl(url, requestOptions);
      configureRequestOptions(requestOptions);
      this.doDownload(requestOptions, { destination, options, onCancel, callback: (e) => (e ? reject(e) : resolve(destination)), responseHandler: null }, 0);
    });
  }

  createRequest(options: RequestOptions, callback: (response: http.IncomingMessage) => void): ClientRequest {
    const t = this.target();
    const url = `${options.protocol ?? 'https:'}//${options.hostname ?? options.host}${options.port ? `:${options.port}` : ''}`;
    const fail = (e: Error): ClientRequest => refusedRequest(e);
    if (!t) return fail(new NotPairedServerError('not paired with a server: no update feed to read'));
    const paired = new URL(t.url);
    const asked = new URL(url);
    if (asked.protocol !== paired.protocol || asked.hostname !== paired.hostname || (asked.port || defaultPort(asked)) !== (paired.port || defaultPort(paired))) {
      return fail(new NotPairedServerError(`refused to fetch ${url}: updates come only from the paired server ${paired.origin}`));
    }
    const headers = { ...(options.headers as Record<string, string> | undefined) };
    if (t.token) headers.authorization = `Bearer ${t.token}`;
    if (t.client) headers['x-pillars-client'] = t.client;
    const { agent: _agent, ...opts } = { ...options, headers };
    if (asked.protocol === 'http:') return http.request({ ...opts, agent: false }, callback);
    if (!t.fingerprint) return fail(new Error(`no pinned certificate fingerprint for ${t.url}: pair with the server first`));
    // No agent (not even agent: false, which makes one): Node would ignore createConnection and pool sockets past the pin check.
    return https.request({ ...opts, createConnection: pinnedConnector(normalizeFingerprint(t.fingerprint)) }, callback);
  }
}

/**
 * A request that never connects and fails on the next turn: the base class attaches its error
 * handler after createRequest returns, and a redirect calls createRequest from a response callback,
 * where a throw would escape every handler.
 */
function refusedRequest(e: Error): ClientRequest {
  const req = Object.assign(new EventEmitter(), { abort: () => undefined, end: () => undefined, destroy: () => undefined });
  setImmediate(() => req.emit('error', e));
  return req as unknown as ClientRequest;
}

const defaultPort = (u: URL) => (u.protocol === 'https:' ? '443' : '80');
