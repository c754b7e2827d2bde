// The tray app's Electron wiring: the OS's events (sleep, wake, network, menu and notification
// clicks, IPC from the pages) go to the tray controller (src/main/core/tray/controller.ts), which
// holds the state and decides; what it decides comes back here to be rendered (tray, notifications,
// windows). Everything Electron arrives through the ElectronPort, so this whole file runs in Node
// under the recording stand-in (test/tray/glue.test.ts).
import path from 'node:path';
import type { OsName } from '../../platform/types';
import { realTimers } from '../core/tray/throttle';
import type { TrayAction, TrayModel } from '../core/tray/types';
import type { ServerConnection } from '../core/server/connection';
import { probeServer } from '../core/server/pairing';
import { createTrayController } from '../core/tray/controller';
import type { TrayController, TrayControllerDeps } from '../core/tray/controller';
import { createUpdater } from '../core/updates/updater';
import { createElectronUpdateEngine } from './updater';
import { appProtocolHandler } from './app-protocol';
import { registerIpc } from './ipc';
import type { Logger } from './log';
import { createNotifier } from './notifier';
import { APP_SCHEME, hardenApp, originOf, pinServerCertificate } from './security';
import { createTrayView, trayIconPath } from './tray-view';
import { createWindowManager } from './windows';
import type { ElectronPort } from './port';

export type { MountsPort, TokenStore } from '../core/tray/controller';

/** The controller's dependencies, less what the glue makes itself (the UI, whether the app is installed). */
export type TrayAppDeps = Omit<TrayControllerDeps, 'ui' | 'packaged' | 'log'> & {
  electron: ElectronPort;
  assetsDir: string;
  preload: string;
  rendererDir: string;
  log: Logger;
  netPollMs?: number;
  /** Self-update from the paired pillarsd (an installed app only; docs/tray.md "Updates from motoko"). */
  updates?: { resourcesPath: string; cacheDir?: string; startDelayMs?: number };
};

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
  const serverUrl = () => d.settings.get().server.url || null;
  const dispatch = (a: TrayAction) => controller.dispatch(a);
  const windows = createWindowManager(electron, { preload: d.preload, serverUrl, log: (m) => log.warn(m) });
  const notifier = createNotifier(electron, { dispatch, log: (m) => log.warn(m), icon: d.os === 'linux' ? path.join(d.assetsDir, 'icon.png') : undefined });
  const view = createTrayView(electron, { os: d.os, assetsDir: d.assetsDir, dispatch });
  const { electron: _e, assetsDir: _a, preload: _p, rendererDir: _r, netPollMs: _n, updates: _u, ...core } = d;
  const timers = d.timers ?? realTimers;
  // a development run never updates itself: there is no installed build to replace
  const updater =
    d.updates && electron.app.isPackaged
      ? createUpdater({
          engine: createElectronUpdateEngine(electron, { os: d.os, target: () => controller.target(), log, resourcesPath: d.updates.resourcesPath, cacheDir: d.updates.cacheDir }).engine,
          timers,
          version: electron.app.getVersion(),
          startDelayMs: d.updates.startDelayMs,
        })
      : null;
  const controller: TrayController = createTrayController({
    ...core,
    subsystems: [...(d.subsystems ?? []), ...(updater ? [updater] : [])],
    client: `${electron.app.getVersion()} ${d.os}`,
    packaged: electron.app.isPackaged,
    ui: {
      render: (m) => view.render(m),
      notify: (n) => notifier.show(n),
      openAdmin: (route) => windows.openAdmin(route),
      openPreferences: () => windows.openPreferences(),
      quit: () => electron.app.quit(),
    },
  });

  // Events from the OS: sleep, wake, network changes. Nothing is told while asleep (the policy).
  electron.powerMonitor.on('suspend', () => controller.sleep());
  electron.powerMonitor.on('resume', () => controller.wake());
  // Electron's main process has no network-change event; isOnline() is cheap, so poll it. (The
  // mounts also follow the OS's interfaces and default route themselves: src/main/core/mounts.)
  let online = electron.net.isOnline();
  const pollNet = () => {
    const now = electron.net.isOnline();
    if (now !== online) {
      online = now;
      controller.networkChanged();
    }
    netTimer = timers.setTimeout(pollNet, d.netPollMs ?? 5_000);
  };
  let netTimer: unknown = timers.setTimeout(pollNet, d.netPollMs ?? 5_000);

  const unregisterIpc = registerIpc(electron, {
    settings: d.settings,
    serverUrl,
    token: async () => controller.token(),
    probe: (url) => probeServer(url),
    pair: (url, fingerprint, code) => controller.pair(url, fingerprint, code),
    log: (m) => log.warn(m),
  });

  void controller.start();

  return {
    dispatch,
    model: () => controller.model(),
    renderNow: () => controller.renderNow(),
    connection: controller.connection,
    async dispose() {
      timers.clearTimeout(netTimer);
      unregisterIpc();
      await controller.dispose();
      windows.closeAll();
      view.destroy();
    },
  };
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
