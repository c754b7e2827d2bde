// Listening: TLS per `server.tls`, the Host allow-list completed with this machine's names and the
// listen address, and a refusal to serve plain HTTP beyond loopback unless forced. `serve` and
// `demo` call this; tests call it with port 0.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app';
import type { AppConfig, AppDeps } from './context';
import type { TlsMaterial } from '../infra/tls';
import { isLoopback, plainHttpRefusal, resolveTls, serverNames, splitListen, type HttpServerSettings } from './listen';

export interface StartHttpServerOptions {
  server: HttpServerSettings;
  stateDir: string;
  deps: Omit<AppDeps, 'config'> & { config?: Partial<AppConfig> };
  /** override the host or port of `server.listen` (tests: port 0) */
  host?: string;
  port?: number;
  insecureListen?: boolean;
  /** where the warning about plain HTTP and the first-start fingerprint go (default stderr) */
  warn?: (msg: string) => void;
}

export interface RunningHttpServer {
  url: string;
  host: string;
  port: number;
  fingerprint: string | null;
  tls: TlsMaterial | null;
  app: FastifyInstance;
  server: http.Server | https.Server;
  close(): Promise<void>;
}

export async function startHttpServer(o: StartHttpServerOptions): Promise<RunningHttpServer> {
  const warn = o.warn ?? ((m: string) => process.stderr.write(`pillarsd: ${m}\n`));
  const listen = splitListen(o.server.listen);
  const host = o.host ?? listen.host;
  const port = o.port ?? listen.port;
  const names = serverNames(o.server, host);

  const tls = resolveTls(o.server, o.stateDir, host);
  if (tls?.created) warn(`created a TLS key pair in ${o.stateDir}; certificate SHA-256 fingerprint ${tls.fingerprint}`);
  if (!tls) {
    const forced = o.insecureListen ?? o.server.insecureListen ?? false;
    const refusal = plainHttpRefusal(host, forced);
    if (refusal) throw new Error(refusal);
    if (!isLoopback(host)) warn(`WARNING: serving plain HTTP on ${host}:${port}; tokens cross the network in clear text`);
  }

  const app = await buildApp({ ...o.deps, config: { allowedHosts: names, version: undefined, fingerprint: tls?.fingerprint ?? null, ...o.deps.config } });
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
    tls,
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
