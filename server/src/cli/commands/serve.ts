// `pillarsd serve`: API + scheduler in the foreground (systemd runs this); SIGTERM stops it cleanly:
// no new runs, running ones end `interrupted`, the HTTP server and the database close.
import type { Command } from 'commander';
import { action, attachHotSets, CliExit, loadOrExit, withCommon } from './engine-shared';
import type { CommonOpts } from './engine-shared';
import type { LoadedConfig } from '../../config/load';
import { openRuntime } from '../../jobs/runtime';
import type { Runtime, RuntimeOptions } from '../../jobs/runtime';
import { Scheduler } from '../../jobs/scheduler';
import { jobSettingsService } from '../../jobs/job-settings';
import { TokenStore } from '../../store/tokens';
import { UpdateService } from '../../updates/service';
import { AuditLog } from '../../store/audit';
import { PairingStore, pairingKeyFile } from '../../store/pairing';
import { secretFile } from '../../infra/fs';
import { findAdminDir } from '../../infra/admin-dir';
import { watchStatusChanges } from '../../watch/changes';
import { SERVED_URL_KEY } from './login-link';
import { startHttpServer } from '../http';
import { VERSION } from '../../version';
import type { RunningHttpServer } from '../../http/server';
import type { SambaApi } from '../../ports/services';
import type { SambaActionResult } from '../../contract/api';
import { hostname } from 'node:os';
import { NotifyStore } from '../../store/notify';
import { Notifier } from '../../notify/service';
import { maxAgeContributor } from '../../notify/max-age';
import { nodeNotifyTransport } from '../../infra/notify-transport';
import { realBackends } from '../../secrets/sources';
import { CapacityStore } from '../../watch/capacity';
import { daysUntilFull } from '../../notify/conditions';
import { prometheusMetrics } from '../../metrics/prometheus';
import { configWriter } from '../../config/writer';
import { serverLog, type Logger } from '../../infra/log';

export interface Served {
  url: string;
  fingerprint: string | null;
  rt: Runtime;
  tokens: TokenStore;
  scheduler: Scheduler;
  notifier: Notifier;
  logger: Logger;
  /** the listening server (tests drop its connections to see the pane reconnect) */
  http: RunningHttpServer;
  stop(): Promise<void>;
}

export interface ServeOptions extends RuntimeOptions {
  /** overrides server.listen */
  host?: string;
  port?: number;
  /** overrides server.tls */
  tls?: 'off' | 'auto';
  /** the built admin pane to serve (default: dist/renderer next to the sources or the build) */
  adminDir?: string;
  /** how often the status is checked for alerts that appeared or cleared (default 20 s) */
  statusWatchMs?: number;
  /** the server's log (default: JSON lines on stderr, infra/log.ts) */
  logger?: Logger;
}

/** The composition of `serve` (and `demo`): runtime → recovery → scheduler → HTTP. */
export async function startServe(loaded: LoadedConfig, o: ServeOptions = {}): Promise<Served> {
  const c = loaded.config;
  const rt = openRuntime(loaded, o);
  const logger = o.logger ?? serverLog();
  // what a component reports (a watcher, the notifier, the settings) as one line of the server log
  const logAs = (component: string) => {
    const child = logger.child({ component });
    return (m: string) => child.info(m);
  };
  try {
    await rt.engine.recover();
    const scheduler = new Scheduler({ engine: rt.engine, runs: rt.runs, state: rt.state, hub: rt.hub, clock: rt.clock });
    // watchers: capacity/health/Time Machine/hot-sets/B2 in the status, hot-sets paused around the Flux backup
    const { watchFromConfig } = await import('../../watch/compose');
    // hot-sets a crashed pillarsd left paused around a backup are resumed before anything runs
    const hotSets = await attachHotSets(rt, o.env ?? process.env, logAs('watch'));
    const watch = watchFromConfig(c, { db: rt.db, clock: rt.clock, exec: rt.exec, env: o.env ?? process.env, log: logAs('watch'), hotSets, b2History: () => rt.engine.b2History() });
    rt.status.contributors.push(watch.contributor);
    const tokens = new TokenStore(rt.db);
    const audit = new AuditLog(rt.db);
    const pairing = new PairingStore(rt.db, tokens, secretFile(pairingKeyFile(c.stateDir)));
    // the Samba manager's API, when pillarsd.yaml has a samba: section
    const samba = c.samba
      ? (await import('../../samba/compose')).sambaFromConfig(c, {
          exec: rt.exec,
          clock: rt.clock,
          env: o.env ?? process.env,
          audit: (actor, action, target, detail) => audit.record({ actor, action, target, detail }),
        }).api
      : undefined;
    // the one writer of pillarsd.yaml for the API's edits (schedules, notification choices)
    const writer = loaded.text !== undefined ? configWriter(loaded.file, loaded.text) : undefined;
    const capacity = new CapacityStore(rt.db);
    const notifier = new Notifier({
      config: c,
      store: new NotifyStore(rt.db),
      hub: rt.hub,
      status: rt.status,
      samba,
      daysUntilFull: (pillar) => daysUntilFull(capacity.since(pillar, new Date(rt.clock.now().getTime() - 30 * 86_400_000).toISOString())),
      clock: rt.clock,
      secretBackends: o.secretBackends ?? realBackends({ env: o.env ?? process.env, exec: rt.exec, akv: c.akv }),
      transport: nodeNotifyTransport,
      hostname: hostname(),
      log: logAs('notify'),
      writer,
    });
    // a job's maxAge counts in every status answer (pane, tray, metrics), not only in messages
    rt.status.contributors.push(maxAgeContributor(() => notifier.settings()));
    rt.status.contributors.push((s) => {
      s.samba = notifier.sambaIncidents();
    });
    // every job setting the pane edits goes into pillarsd.yaml and to the engine, scheduler and notifier
    const settings = writer ? jobSettingsService({ writer, engine: rt.engine, scheduler, onConfig: (next) => notifier.setConfig(next), log: logAs('settings') }) : undefined;
    const http = await startHttpServer({
      server: { listen: c.server.listen, tls: o.tls ?? c.server.tls, allowedHosts: c.server.allowedHosts, insecureListen: c.server.insecureListen },
      stateDir: c.stateDir,
      host: o.host,
      port: o.port,
      deps: {
        engine: rt.engine,
        events: rt.hub,
        status: rt.status,
        samba: samba && toldSamba(samba, notifier),
        schedules: settings,
        settings,
        notifications: notifier,
        metrics: prometheusMetrics({ status: rt.status, engine: rt.engine, notifications: notifier }),
        hotSets: watch.createHotSet ? { create: watch.createHotSet } : undefined,
        snapshots: rt.snapshots,
        recovery: rt.recovery,
        updates: new UpdateService(c.stateDir, (id) => tokens.channel(id)),
        auth: tokens,
        audit,
        pairing,
        logger,
        clock: rt.clock,
        config: { adminDir: o.adminDir ?? findAdminDir(import.meta.url), version: VERSION, metricsWithoutToken: c.metrics?.allowWithoutToken },
      },
    });
    const url = http.url;
    // `pillarsd login-link` builds its URL from this when the port was chosen at start
    rt.state.set(SERVED_URL_KEY, url);
    scheduler.start();
    notifier.start();
    const stopSampler = watch.startSampler();
    // leftover pauses retried until Syncthing answers; new conflict files told as events
    const stopHotSets = hotSets?.watch((e) => rt.hub.publish(e), logAs('watch')) ?? (() => {});
    const stopChanges = watchStatusChanges({
      status: () => rt.status.status(),
      publish: (reason) => rt.hub.publish({ type: 'status.changed', reason }),
      clock: rt.clock,
      intervalMs: o.statusWatchMs ?? 20_000,
      log: logAs('status'),
    });
    // runs started by `pillarsd run` in another process reach this server's SSE clients too
    const stopFollowing = rt.hub.followOtherProcesses((fn, ms) => rt.clock.setTimeout(fn, ms));
    let stopped: Promise<void> | null = null;
    return {
      url,
      fingerprint: http.fingerprint,
      rt,
      tokens,
      scheduler,
      notifier,
      logger,
      http,
      stop: () =>
        (stopped ??= (async () => {
          scheduler.stop();
          stopSampler();
          stopHotSets();
          stopChanges();
          stopFollowing();
          await http.close();
          await rt.engine.stop();
          // runs the stop interrupted are told at the next start (their events follow the cursor)
          await notifier.stop();
          rt.close();
        })()),
    };
  } catch (e) {
    rt.close();
    throw e;
  }
}

/**
 * The Samba API whose apply and rollback tell the notifier whether smbd took the new file: a file
 * written that smbd did not reload is an incident until an apply or rollback reloads it.
 */
function toldSamba(api: SambaApi, notifier: Notifier): SambaApi {
  const told = async (r: Promise<SambaActionResult>) => {
    const res = await r;
    if (res.changed) notifier.sambaReloadFailed(res.reloaded ? null : res.messages.join('; '));
    return res;
  };
  return { state: () => api.state(), apply: (actor) => told(api.apply(actor)), rollback: (actor) => told(api.rollback(actor)) };
}

/** Keeps the process up until SIGTERM/SIGINT, then stops cleanly. */
export function stopOnSignals(s: Served): Promise<number> {
  return new Promise((resolve) => {
    const onSig = (sig: NodeJS.Signals) => {
      s.logger.info({ signal: sig }, `${sig}: stopping`);
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
      s.logger.info({ version: VERSION, url: s.url, fingerprint: s.fingerprint }, `pillarsd ${VERSION} serving ${s.url}${s.fingerprint ? ` (certificate SHA-256 ${s.fingerprint})` : ''}`);
      return stopOnSignals(s);
    }),
  );
}
