// The tray app's wiring: the server connection, the mounts and the settings feed one pure tray
// model (rendered at most once a second) and one pure notification policy; menu clicks and
// notification clicks come back as actions. Everything Electron arrives through the ElectronPort,
// so this whole file runs in Node under the recording stand-in (test/tray/glue.test.ts).
import path from 'node:path';
import type { Run } from '../../../server/src/contract/api';
import type { OsName, PillarState } from '../../platform/types';
import type { ClientSettings, SettingsStore } from '../../shared/settings';
import { buildTrayModel } from '../core/tray/model';
import { createThrottle, realTimers } from '../core/tray/throttle';
import type { Timers } from '../core/tray/throttle';
import type { PillarView, TrayAction, TrayInput, TrayModel } from '../core/tray/types';
import { decide, initialState, toMemory } from '../core/notify/policy';
import type { NotificationSpec, PolicyState } from '../core/notify/policy';
import type { MemoryStore } from '../core/notify/memory';
import { createServerConnection } from '../core/server/connection';
import type { ServerConnection } from '../core/server/connection';
import type { ServerTarget } from '../core/server/http';
import { pair as pairWithServer, probeServer } from '../core/server/pairing';
import { appProtocolHandler } from './app-protocol';
import { registerIpc } from './ipc';
import type { LoginItem, LoginState } from './login-item';
import type { Logger } from './log';
import { createNotifier } from './notifier';
import { APP_SCHEME, hardenApp, originOf, pinServerCertificate } from './security';
import { createTrayView, trayIconPath } from './tray-view';
import { createWindowManager } from './windows';
import type { ElectronPort } from './port';

/** What the tray needs from the client core's MountManager (plus the platform's open/Time Machine). */
export interface MountsPort {
  status(): Array<{ id: string; label: string; state: PillarState; reason: string; freeBytes: number | null }>;
  onChange(fn: () => void): () => void;
  start(): void;
  stop(): Promise<void>;
  remount(ids?: string[]): Promise<unknown>;
  open(id: string): Promise<void>;
  nudge(why: 'wake' | 'network-change' | 'user'): void;
  timeMachine?(): Promise<{ latestBackupAt: string | null } | null>;
}

/** The pillarsd token lives in the OS keychain (never in the settings file). */
export interface TokenStore {
  get(serverUrl: string): Promise<string | null>;
  set(serverUrl: string, token: string): Promise<void>;
}

export interface TrayAppDeps {
  electron: ElectronPort;
  os: OsName;
  settings: SettingsStore;
  tokens: TokenStore;
  /** Builds the mount manager once the settings allow mounting; null while they don't. */
  createMounts: (s: ClientSettings) => MountsPort | null | Promise<MountsPort | null>;
  memory: MemoryStore;
  loginItem: LoginItem;
  assetsDir: string;
  preload: string;
  rendererDir: string;
  log: Logger;
  timers?: Timers;
  /** Test knobs for the server connection (reconnect backoff, status coalescing). */
  connection?: { backoffMs?: readonly number[]; coalesceMs?: number; refreshMs?: number };
  tickMs?: number;
  netPollMs?: number;
  /** The token's name on the server ("Pillars tray on count-zero"), so it can be told apart and revoked. */
  deviceName?: string;
}

export interface TrayApp {
  dispatch(a: TrayAction): void;
  model(): TrayModel | null;
  /** Forces a render now (tests; the throttle still guards the regular path). */
  renderNow(): void;
  connection: ServerConnection;
  dispose(): Promise<void>;
}

export function startTrayApp(d: TrayAppDeps): TrayApp {
  const { electron, log } = d;
  const timers = d.timers ?? realTimers;
  let token: string | null = null;
  let asleep = false;
  let online = electron.net.isOnline();
  let mounts: MountsPort | null = null;
  let unsubscribeMounts: (() => void) | null = null;
  let timeMachine: { latestBackupAt: string | null } | null = null;
  let login: LoginState = safeLogin(() => d.loginItem.get(), log) ?? { enabled: false, needsApproval: false };
  let policy: PolicyState = initialState(d.memory.load());
  let lastModel: TrayModel | null = null;
  const pendingRuns: Run[] = [];
  const disposers: Array<() => void> = [];

  const serverUrl = () => d.settings.get().server.url || null;
  const target = (): ServerTarget | null => {
    const s = d.settings.get();
    if (!s.server.url || !token) return null;
    return { url: s.server.url, fingerprint: s.server.fingerprint || null, token };
  };

  const windows = createWindowManager(electron, { preload: d.preload, serverUrl, log: (m) => log.warn(m) });
  const notifier = createNotifier(electron, { dispatch: (a) => dispatch(a), log: (m) => log.warn(m), icon: d.os === 'linux' ? path.join(d.assetsDir, 'icon.png') : undefined });
  const view = createTrayView(electron, { os: d.os, assetsDir: d.assetsDir, dispatch: (a) => dispatch(a) });

  const render = () => {
    const s = d.settings.get();
    const pillars: PillarView[] = (mounts?.status() ?? []).map((p) => ({ id: p.id, label: p.label, state: p.state, reason: p.reason || null, freeBytes: p.freeBytes }));
    const snap = connection.snapshot();
    const input: TrayInput = {
      now: timers.now(),
      os: d.os,
      location: pillars.some((p) => p.state === 'away') ? 'away' : 'home',
      pillars,
      server: { connection: snap.connection, status: snap.status, host: snap.host },
      timeMachine: d.os === 'darwin' ? timeMachine : null,
      startAtLogin: login.enabled,
    };
    lastModel = buildTrayModel(input);
    view.render(lastModel);
    const before = JSON.stringify(policy.memory);
    const r = decide(policy, { now: input.now, asleep, location: input.location, pillars, connection: snap.connection, host: snap.host, status: snap.status, runs: pendingRuns.splice(0) });
    policy = r.state;
    if (JSON.stringify(policy.memory) !== before) {
      try {
        d.memory.save(toMemory(policy));
      } catch (e) {
        log.warn(`cannot save the notification memory: ${(e as Error).message}`);
      }
    }
    for (const n of r.notifications) show(n, s);
  };
  const show = (n: NotificationSpec, s: ClientSettings) => {
    log.info(`notify [${n.severity}] ${n.title}`);
    if (s.notifications) notifier.show(n);
  };
  const throttle = createThrottle(render, 1_000, timers);

  const connection = createServerConnection({
    target,
    timers,
    onChange: () => throttle.request(),
    onRun: (run) => {
      pendingRuns.push(run);
      throttle.request();
    },
    ...d.connection,
  });

  let attaching: Promise<void> | null = null;
  let disposed = false;
  const attachMounts = (s: ClientSettings): Promise<void> => {
    if (mounts || attaching) return attaching ?? Promise.resolve();
    attaching = (async () => {
      let m: MountsPort | null;
      try {
        m = await d.createMounts(s);
      } catch (e) {
        log.warn(`mounts not started: ${(e as Error).message}`);
        m = null;
      }
      if (!m) return;
      if (disposed) {
        await m.stop();
        return;
      }
      mounts = m;
      unsubscribeMounts = m.onChange(() => throttle.request());
      m.start();
      throttle.request();
      void refreshTimeMachine();
    })().finally(() => {
      attaching = null;
    });
    return attaching;
  };

  const refreshTimeMachine = async () => {
    if (d.os !== 'darwin' || !mounts?.timeMachine) return;
    try {
      timeMachine = await mounts.timeMachine();
      throttle.request();
    } catch (e) {
      log.warn(`Time Machine status unavailable: ${(e as Error).message}`);
    }
  };

  const recheck = (why: 'wake' | 'network-change') => {
    log.info(`re-checking after ${why}`);
    connection.recheck();
    mounts?.nudge(why);
    void refreshTimeMachine();
    throttle.request();
  };

  /** The preferences page changes settings.startAtLogin; the OS login item follows it. */
  const syncLoginItem = (s: ClientSettings) => {
    if (s.startAtLogin === login.enabled) return;
    const next = safeLogin(() => d.loginItem.set(s.startAtLogin), log);
    if (next) login = next;
  };

  function dispatch(a: TrayAction): void {
    const fail = (what: string) => (e: unknown) => log.warn(`${what} failed: ${e instanceof Error ? e.message : String(e)}`);
    switch (a.kind) {
      case 'open-pillar':
        mounts?.open(a.id).catch(fail(`opening ${a.id}`));
        return;
      case 'remount':
        mounts?.remount([a.id]).catch(fail(`remounting ${a.id}`));
        return;
      case 'remount-all':
        mounts?.remount().catch(fail('remounting'));
        return;
      case 'open-admin':
        return windows.openAdmin();
      case 'open-run':
        return windows.openAdmin(`#/runs/${encodeURIComponent(a.runId)}`);
      case 'preferences':
        return windows.openPreferences();
      case 'toggle-start-at-login': {
        const next = safeLogin(() => d.loginItem.set(!login.enabled), log);
        if (next) {
          login = next;
          try {
            d.settings.set('startAtLogin', next.enabled);
          } catch (e) {
            fail('saving startAtLogin')(e);
          }
          if (next.needsApproval) {
            show(
              { key: 'login-item:approval', severity: 'info', title: 'Allow Pillars to start at login', body: 'macOS asks you to allow it in System Settings › General › Login Items.', action: null },
              d.settings.get(),
            );
          }
        }
        throttle.request();
        return;
      }
      case 'quit':
        electron.app.quit();
        return;
    }
  }

  // Events from the OS: sleep, wake, network changes. Nothing is told while asleep (policy).
  electron.powerMonitor.on('suspend', () => {
    asleep = true;
    throttle.request();
  });
  electron.powerMonitor.on('resume', () => {
    asleep = false;
    recheck('wake');
  });
  // Electron's main process has no network-change event; isOnline() is cheap, so poll it.
  const pollNet = () => {
    const now = electron.net.isOnline();
    if (now !== online) {
      online = now;
      recheck('network-change');
    }
    netTimer = timers.setTimeout(pollNet, d.netPollMs ?? 5_000);
  };
  let netTimer: unknown = timers.setTimeout(pollNet, d.netPollMs ?? 5_000);
  // Ages ("3 h ago") and debounces (a pillar lost for a minute) need time to pass between changes.
  const tick = () => {
    throttle.request();
    tickTimer = timers.setTimeout(tick, d.tickMs ?? 15_000);
  };
  let tickTimer: unknown = timers.setTimeout(tick, d.tickMs ?? 15_000);

  disposers.push(
    registerIpc(electron, {
      settings: d.settings,
      serverUrl,
      token: async () => token,
      probe: (url) => probeServer(url),
      pair: async (url, fingerprint, code) => {
        const paired = await pairWithServer(url, fingerprint, code, { deviceName: d.deviceName });
        await d.tokens.set(paired.url, paired.token);
        token = paired.token;
        const s = d.settings.get();
        d.settings.set('server', { url: paired.url, fingerprint: paired.fingerprint ?? '' });
        if (!s.smb.host) d.settings.set('smb', { ...s.smb, host: new URL(paired.url).hostname });
        log.info(`paired with ${paired.url} as ${paired.role}`);
        connection.recheck();
        return { url: paired.url, fingerprint: paired.fingerprint, role: paired.role };
      },
      log: (m) => log.warn(m),
    }),
  );
  disposers.push(
    d.settings.onChange((s) => {
      void attachMounts(s);
      syncLoginItem(s);
      throttle.request();
    }),
  );

  void (async () => {
    const url = serverUrl();
    if (url) {
      try {
        token = await d.tokens.get(url);
      } catch (e) {
        log.warn(`cannot read the server token from the keychain: ${(e as Error).message}`);
      }
    }
    connection.start();
    // An installed app honours the setting from the first start (default on); a development run
    // from the repository never registers itself.
    if (electron.app.isPackaged) syncLoginItem(d.settings.get());
    throttle.request();
    await attachMounts(d.settings.get());
    if (!target()) windows.openPreferences(); // first run: pairing happens in the preferences
  })();

  return {
    dispatch,
    model: () => lastModel,
    renderNow: render,
    connection,
    async dispose() {
      disposed = true;
      await attaching;
      throttle.cancel();
      timers.clearTimeout(netTimer);
      timers.clearTimeout(tickTimer);
      connection.stop();
      for (const f of disposers.splice(0)) f();
      unsubscribeMounts?.();
      await mounts?.stop();
      windows.closeAll();
      view.destroy();
    },
  };
}

function safeLogin(f: () => LoginState, log: Logger): LoginState | null {
  try {
    return f();
  } catch (e) {
    log.warn(`start at login: ${(e as Error).message}`);
    return null;
  }
}

export interface BootOptions {
  appId: string;
  os: OsName;
  /** Called once the app is ready: builds the real (or test) dependencies. */
  deps: () => TrayAppDeps;
}

/**
 * Process-level setup in the order Electron requires: privileged scheme before ready, the single
 * instance lock, the AppUserModelID (Windows toasts), no dock icon, hardening before any window.
 */
export async function boot(electron: ElectronPort, o: BootOptions): Promise<TrayApp | null> {
  electron.protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
  if (!electron.app.requestSingleInstanceLock()) {
    electron.app.quit();
    return null;
  }
  // Must match the Start Menu shortcut's AppUserModelID (electron-builder's appId) or toasts don't show.
  if (o.os === 'win32') electron.app.setAppUserModelId(o.appId);
  // A tray-only app: no dock icon (LSUIElement in the bundle does it at launch; this covers dev runs).
  if (o.os === 'darwin') electron.app.dock?.hide();
  // Closing the last window must not quit a tray app.
  electron.app.on('window-all-closed', () => undefined);
  await electron.app.whenReady();
  const deps = o.deps();
  const serverOrigin = () => {
    const u = deps.settings.get().server.url;
    return u ? originOf(u) : null;
  };
  hardenApp(electron, { serverOrigin, log: (m) => deps.log.warn(m) });
  pinServerCertificate(
    electron.session.defaultSession,
    () => {
      const s = deps.settings.get().server;
      return s.url && s.fingerprint ? { host: new URL(s.url).hostname, fingerprint: s.fingerprint } : null;
    },
    (m) => deps.log.warn(m),
  );
  electron.protocol.handle(APP_SCHEME, appProtocolHandler(deps.rendererDir, serverOrigin));
  const app = startTrayApp(deps);
  electron.app.on('second-instance', () => app.dispatch({ kind: 'preferences' }));
  electron.app.on('before-quit', () => void app.dispose());
  deps.log.info(`Pillars ${electron.app.getVersion()} started; tray icons from ${trayIconPath(deps.assetsDir, o.os, 'ok')}`);
  return app;
}
