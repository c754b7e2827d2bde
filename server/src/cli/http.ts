// The HTTP server as the composition root starts it: the TLS material `server.tls` asks for is
// read (or the auto pair created) here, with this machine's names, and handed to http/ which
// touches no files. `token create` and `pair` resolve the same material, so the fingerprint they
// print is the one `serve` uses.
import { isIP } from 'node:net';
import os from 'node:os';
import { ensureSelfSigned, loadTlsFiles, type TlsMaterial } from '../infra/tls';
import { serverLog } from '../infra/log';
import { splitListen, type HttpServerSettings } from '../http/listen';
import type { AppConfig, AppDeps } from '../http/context';
import type { RunningHttpServer } from '../http/server';

/** The names this server answers to: configured ones, this machine's, and the listen host. */
function serverNames(settings: HttpServerSettings, host: string): string[] {
  return [...settings.allowedHosts, os.hostname(), `${os.hostname()}.local`, ...(isIP(host) ? [] : [host])];
}

/** The TLS material `server.tls` asks for (creating the auto pair on first use), or null for off. */
export function resolveTls(settings: HttpServerSettings, stateDir: string, host = splitListen(settings.listen).host): TlsMaterial | null {
  if (settings.tls === 'auto') {
    const ips = isIP(host) && host !== '0.0.0.0' && host !== '::' ? [host] : [];
    return ensureSelfSigned(stateDir, [...serverNames(settings, host), ...ips]);
  }
  if (typeof settings.tls === 'object') return loadTlsFiles(settings.tls.cert, settings.tls.key);
  return null;
}

export interface StartHttpServerOptions {
  server: HttpServerSettings;
  stateDir: string;
  deps: Omit<AppDeps, 'config'> & { config?: Partial<AppConfig> };
  /** override the host or port of `server.listen` (tests: port 0) */
  host?: string;
  port?: number;
  insecureListen?: boolean;
  /** where the warning about plain HTTP and the first-start fingerprint go (default: the logger) */
  warn?: (msg: string) => void;
}

export async function startHttpServer(o: StartHttpServerOptions): Promise<RunningHttpServer> {
  const logger = o.deps.logger ?? serverLog();
  const warn = o.warn ?? ((m: string) => logger.warn(m));
  const listen = splitListen(o.server.listen);
  const host = o.host ?? listen.host;
  const tls = resolveTls(o.server, o.stateDir, host);
  if (tls?.created) warn(`created a TLS key pair in ${o.stateDir}; certificate SHA-256 fingerprint ${tls.fingerprint}`);
  // loaded here, not at start-up: `run`, `jobs` and `check` need no web server
  const { listenHttp } = await import('../http/server');
  return listenHttp({
    host,
    port: o.port ?? listen.port,
    tls,
    allowedHosts: serverNames(o.server, host),
    insecureListen: o.insecureListen ?? o.server.insecureListen ?? false,
    deps: { ...o.deps, logger },
    warn,
  });
}
