// electron-updater behind the core's UpdateEngine (src/main/core/updates/updater.ts). What it adds
// to the stock setup: the feed is the paired pillarsd's (`<server>/api/v1/updates/`, read at each
// check, so a new pairing is followed), and every request goes through the tray's pinned TLS with
// its token (PinnedHttpExecutor) instead of Chromium's network stack and the system's trust
// store. electron-updater itself checks each download's sha512 against the feed, keeps nothing it
// could not verify, checks the Authenticode signature on Windows (NsisUpdater, against the
// publisherName electron-builder writes into app-update.yml) and leaves macOS's to Squirrel.Mac.
// Electron reaches it only through the AppAdapter built here from the ElectronPort, so it runs in
// Node under the recording stand-in (test/tray/updater.test.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AppImageUpdater, DebUpdater, MacUpdater, NsisUpdater } from 'electron-updater';
import type { AppUpdater } from 'electron-updater';
import { getAppCacheDir } from 'electron-updater/out/AppAdapter';
import type { AppAdapter } from 'electron-updater/out/AppAdapter';
import type { OsName } from '../../platform/types';
import { PinnedHttpExecutor } from '../core/updates/pinned-executor';
import type { UpdateEngine } from '../core/updates/updater';
import type { ServerTarget } from '../core/server/http';
import type { ElectronPort } from './port';
import type { Logger } from './log';

export interface ElectronUpdaterOptions {
  os: OsName;
  target: () => ServerTarget | null;
  log: Logger;
  /** Where electron-builder put app-update.yml (the app's resources folder). */
  resourcesPath: string;
  /** Where downloads wait to be installed (default: the OS's per-user cache folder). */
  cacheDir?: string;
}

/** electron-updater's view of the app, from the port (ElectronAppAdapter would require('electron') itself). */
export function appAdapter(electron: ElectronPort, resourcesPath: string, cacheDir?: string): AppAdapter {
  const app = electron.app;
  return {
    get version() {
      return app.getVersion();
    },
    get name() {
      return app.getName();
    },
    get isPackaged() {
      return app.isPackaged;
    },
    appUpdateConfigPath: app.isPackaged ? path.join(resourcesPath, 'app-update.yml') : path.join(app.getAppPath(), 'dev-app-update.yml'),
    get userDataPath() {
      return app.getPath('userData');
    },
    // the per-user cache folder (~/Library/Caches, %LOCALAPPDATA%, ~/.cache), as electron-updater's own adapter picks it
    baseCachePath: cacheDir ?? getAppCacheDir(),
    whenReady: () => app.whenReady(),
    relaunch: () => app.relaunch(),
    quit: () => app.quit(),
    onQuit: (handler) => void app.once('quit', (_e: unknown, exitCode: number) => handler(exitCode)),
  };
}

/**
 * The updater class of this install: on Linux, electron-builder leaves `package-type` in the
 * resources of a deb (electron-updater's own autoUpdater reads it the same way); else an AppImage.
 */
function updaterFor(os: OsName, app: AppAdapter, resourcesPath: string): AppUpdater {
  if (os === 'win32') return new NsisUpdater(undefined, app);
  if (os === 'darwin') return new MacUpdater(undefined, app);
  let type = '';
  try {
    type = readFileSync(path.join(resourcesPath, 'package-type'), 'utf8').trim();
  } catch {
    // no marker: not a deb
  }
  return type === 'deb' ? new DebUpdater(undefined, app) : new AppImageUpdater(undefined, app);
}

export function createElectronUpdateEngine(electron: ElectronPort, o: ElectronUpdaterOptions): { engine: UpdateEngine; updater: AppUpdater } {
  const updater = updaterFor(o.os, appAdapter(electron, o.resourcesPath, o.cacheDir), o.resourcesPath);
  // the base class leaves its executor unset when given an AppAdapter: ours is the pinned one
  (updater as unknown as { httpExecutor: PinnedHttpExecutor }).httpExecutor = new PinnedHttpExecutor(o.target);
  updater.autoDownload = false; // the core decides when (in the background, right after a check finds one)
  updater.autoInstallOnAppQuit = true; // a downloaded build installs when the user quits
  updater.allowDowngrade = false;
  // blockmaps are not published: a differential download would fail and fall back anyway
  updater.disableDifferentialDownload = true;
  updater.logger = { info: (m: unknown) => o.log.info(String(m)), warn: (m: unknown) => o.log.warn(String(m)), error: (m: unknown) => o.log.warn(String(m)) };

  const feedUrl = () => {
    const t = o.target();
    if (!t) throw new Error('not paired with a server');
    return new URL('api/v1/updates/', t.url.endsWith('/') ? t.url : `${t.url}/`).toString();
  };

  const engine: UpdateEngine = {
    async check() {
      updater.setFeedURL({ provider: 'generic', url: feedUrl() });
      const r = await updater.checkForUpdates();
      if (!r) throw new Error('the updater is not active (not an installed app)');
      // checkForUpdates answers with the feed's version either way; only a newer one sets the download up
      return r.cancellationToken ? { version: r.updateInfo.version } : null;
    },
    async download(onProgress) {
      const progress = (p: { percent: number }) => onProgress(p.percent);
      updater.on('download-progress', progress);
      try {
        await updater.downloadUpdate();
      } finally {
        updater.off('download-progress', progress);
      }
    },
    restartAndInstall() {
      updater.quitAndInstall(false, true);
    },
  };
  return { engine, updater };
}
