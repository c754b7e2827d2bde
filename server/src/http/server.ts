// Listening: TLS material the composition root loaded (cli/http.ts reads the files), the Host
// allow-list it computed, and a refusal to serve plain HTTP beyond loopback unless forced. This
// module touches no files; tests may call it directly with port 0.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app';
import type { AppConfig, AppDeps } from './context';
import { isLoopback, plainHttpRefusal } from './listen';

/** What HTTPS needs: PEM certificate and key, and the certificate's fingerprint for pairing. */
export interface TlsKeyPair {
  cert: string;
  key: string;
  fingerprint: string;
}

export interface ListenHttpOptions {
  host: string;
  port: number;
  /** null: plain HTTP */
  tls: TlsKeyPair | null;
  /** Every name the Host header may carry besides loopback names and IP addresses. */
  allowedHosts: string[];
  /** Serve plain HTTP on a non-loopback address anyway. */
  insecureListen: boolean;
  deps: Omit<AppDeps, 'config'> & { config?: Partial<AppConfig> };
  warn: (msg: string) => void;
}

export interface RunningHttpServer {
  url: string;
  host: string;
  port: number;
  fingerprint: string | null;
  app: FastifyInstance;
  server: http.Server | https.Server;
  close(): Promise<void>;
}

export async function listenHttp(o: ListenHttpOptions): Promise<RunningHttpServer> {
  const { host, port, tls, warn } = o;
  if (!tls) {
    const refusal = plainHttpRefusal(host, o.insecureListen);
    if (refusal) throw new Error(refusal);
    if (!isLoopback(host)) warn(`WARNING: serving plain HTTP on ${host}:${port}; tokens cross the network in clear text`);
  }

  const app = await buildApp({ ...o.deps, config: { allowedHosts: o.allowedHosts, version: undefined, fingerprint: tls?.fingerprint ?? null, ...o.deps.config } });
  await app.ready();
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => app.routing(req, res);
  const server = tls ? https.createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, handler) : http.createServer(handler);
  // Slow-loris guard; SSE streams stay open because only the request (not the response) is timed.
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  // Node's own default (5 s) closes an idle keep-alive socket while a busy client may be reusing
  // it, and the client sees ECONNRESET (the load fault did, 15 of 30,000 requests). Clients time
  // their idle sockets out sooner (undici: 4 s, and it honours the Keep-Alive header), so the server
  // keeping them longer is safe; 72 s is what Fastify sets on servers it creates itself.
  server.keepAliveTimeout = 72_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await app.close();
    throw e;
  }
  const addr = server.address() as AddressInfo;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `${tls ? 'https' : 'http'}://${shown.includes(':') ? `[${shown}]` : shown}:${addr.port}`;
  let closing: Promise<void> | null = null;
  return {
    url,
    host,
    port: addr.port,
    fingerprint: tls?.fingerprint ?? null,
    app,
    server,
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // SSE streams and keep-alive sockets would hold close() open forever.
        server.closeAllConnections();
        await closed;
        await app.close();
      })()),
  };
}
