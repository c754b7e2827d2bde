// Where and how pillarsd listens, without the web framework or any file: `serve` needs it with the
// app, and `token create` / `pair` need the listen address without loading Fastify at all.
import { isIP } from 'node:net';

export type TlsSetting = 'auto' | 'off' | { cert: string; key: string };

export interface HttpServerSettings {
  listen: string; // HOST:PORT
  tls: TlsSetting;
  allowedHosts: string[];
  /** Serve plain HTTP on a non-loopback address anyway (config flag; CLI --insecure-listen). */
  insecureListen?: boolean;
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
