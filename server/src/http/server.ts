// Listening: TLS per `server.tls`, the Host allow-list completed with this machine's names and the
// listen address, and a refusal to serve plain HTTP beyond loopback unless forced. `serve` and
// `demo` call this; tests call it with port 0.
import http from 'node:http';
import https from 'node:https';
import { isIP, type AddressInfo } from 'node:net';
import os from 'node:os';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app';
import type { AppConfig, AppDeps } from './context';
import { ensureSelfSigned, loadTlsFiles, type TlsMaterial } from '../infra/tls';

export type TlsSetting = 'auto' | 'off' | { cert: string; key: string };

export interface HttpServerSettings {
  listen: string; // HOST:PORT
  tls: TlsSetting;
  allowedHosts: string[];
  /** Serve plain HTTP on a non-loopback address anyway (config flag; CLI --insecure-listen). */
  insecureListen?: boolean;
}

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

export function splitListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  if (i <= 0) throw new Error(`server.listen must be HOST:PORT, not "${listen}"`);
  const port = Number(listen.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`server.listen: "${listen.slice(i + 1)}" is not a port`);
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, ''), port };
}

export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

/** Why plain HTTP may not listen here, or null when it may. */
export function plainHttpRefusal(host: string, forced: boolean): string | null {
  if (isLoopback(host) || forced) return null;
  return `server.tls is off but server.listen binds ${host}, which is reachable from the network: tokens would cross it in clear text. Listen on 127.0.0.1, turn tls back to auto, or force it with --insecure-listen (server.insecureListen: true)`;
}

/** The names this server answers to: configured ones, this machine's, and the listen host. */
export function serverNames(settings: HttpServerSettings, host: string): string[] {
  return [...settings.allowedHosts, os.hostname(), `${os.hostname()}.local`, ...(isIP(host) ? [] : [host])];
}

/**
 * The TLS material `server.tls` asks for (creating the auto pair on first use), or null for off.
 * `token create` and `pair` call it too, so the fingerprint they print is the one `serve` uses.
 */
export function resolveTls(settings: HttpServerSettings, stateDir: string, host = splitListen(settings.listen).host): TlsMaterial | null {
  if (settings.tls === 'auto') {
    const ips = isIP(host) && host !== '0.0.0.0' && host !== '::' ? [host] : [];
    return ensureSelfSigned(stateDir, [...serverNames(settings, host), ...ips]);
  }
  if (typeof settings.tls === 'object') return loadTlsFiles(settings.tls.cert, settings.tls.key);
  return null;
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
