// `pillarsd serve`: API + scheduler in the foreground (systemd runs this); SIGTERM stops it cleanly:
// no new runs, running ones end `interrupted`, the HTTP server and the database close.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { action, CliExit, loadOrExit, withCommon } from './engine-shared';
import type { CommonOpts } from './engine-shared';
import type { LoadedConfig } from '../../config/load';
import { openRuntime } from '../../jobs/runtime';
import type { Runtime, RuntimeOptions } from '../../jobs/runtime';
import { Scheduler } from '../../jobs/scheduler';
import { TokenStore } from '../../store/tokens';
import { AuditLog } from '../../store/audit';
import { PairingStore } from '../../store/pairing';
import { ensureSelfSigned, loadTlsFiles } from '../../infra/tls';
import { findAdminDir } from '../../infra/admin-dir';
import type { TlsMaterial } from '../../infra/tls';
import { VERSION } from '../../version';

export interface Served {
  url: string;
  fingerprint: string | null;
  rt: Runtime;
  tokens: TokenStore;
  scheduler: Scheduler;
  stop(): Promise<void>;
}

export interface ServeOptions extends RuntimeOptions {
  /** overrides server.listen */
  host?: string;
  port?: number;
  /** overrides server.tls */
  tls?: 'off' | 'auto';
}

function splitListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(listen.slice(i + 1)) };
}

/** The composition of `serve` (and `demo`): runtime → recovery → scheduler → HTTP. */
export async function startServe(loaded: LoadedConfig, o: ServeOptions = {}): Promise<Served> {
  const c = loaded.config;
  const rt = openRuntime(loaded, o);
  try {
    await rt.engine.recover();
    const scheduler = new Scheduler({ engine: rt.engine, runs: rt.runs, state: rt.state, hub: rt.hub, clock: rt.clock });
    const tokens = new TokenStore(rt.db);
    const audit = new AuditLog(rt.db);
    const pairing = new PairingStore(rt.db, tokens);
    const tlsSetting = o.tls ?? c.server.tls;
    let tls: TlsMaterial | null = null;
    if (tlsSetting === 'auto') tls = ensureSelfSigned(c.stateDir, c.server.allowedHosts);
    else if (typeof tlsSetting === 'object') tls = loadTlsFiles(tlsSetting.cert, tlsSetting.key);
    // loaded here, not at start-up: `run`, `jobs` and `check` need no web server
    const { buildApp } = await import('../../http/app');
    const app = await buildApp({
      engine: rt.engine,
      events: rt.hub,
      status: rt.status,
      auth: tokens,
      audit,
      pairing,
      config: { allowedHosts: c.server.allowedHosts, adminDir: findAdminDir(import.meta.url), version: VERSION, fingerprint: tls?.fingerprint ?? null },
      clock: rt.clock,
    });
    await app.ready();
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => app.routing(req, res);
    const server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, handler) : http.createServer(handler);
    const listen = splitListen(c.server.listen);
    const host = o.host ?? listen.host;
    const port = o.port ?? listen.port;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const addr = server.address() as AddressInfo;
    const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    const url = `${tls ? 'https' : 'http'}://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${addr.port}`;
    scheduler.start();
    let stopped: Promise<void> | null = null;
    return {
      url,
      fingerprint: tls?.fingerprint ?? null,
      rt,
      tokens,
      scheduler,
      stop: () =>
        (stopped ??= (async () => {
          scheduler.stop();
          server.close();
          server.closeAllConnections();
          await rt.engine.stop();
          await app.close();
          rt.close();
        })()),
    };
  } catch (e) {
    rt.close();
    throw e;
  }
}

/** Keeps the process up until SIGTERM/SIGINT, then stops cleanly. */
export function stopOnSignals(s: Served): Promise<number> {
  return new Promise((resolve) => {
    const onSig = (sig: NodeJS.Signals) => {
      process.stderr.write(`pillarsd: ${sig}: stopping\n`);
      void s.stop().then(() => resolve(0));
    };
    process.once('SIGTERM', onSig);
    process.once('SIGINT', onSig);
  });
}

export function registerServe(program: Command): void {
  withCommon(program.command('serve').description('API + scheduler in the foreground (systemd runs this)')).action(
    action(async (opts: CommonOpts) => {
      const loaded = loadOrExit(opts);
      let s: Served;
      try {
        s = await startServe(loaded);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'EADDRINUSE' || err.code === 'EACCES') throw new CliExit(1, `cannot listen on ${loaded.config.server.listen}: ${err.code}`);
        throw e;
      }
      process.stderr.write(`pillarsd ${VERSION} serving ${s.url}${s.fingerprint ? ` (certificate SHA-256 ${s.fingerprint})` : ''}\n`);
      return stopOnSignals(s);
    }),
  );
}
