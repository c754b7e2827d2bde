// The Electron main process's composition root: the real Electron module, electron-store behind
// the shared SettingsStore, electron-log behind the redacting logger, the OS keychain for the
// pillarsd token, and the client core's mount manager. Everything it wires is tested in Node
// (test/tray/glue.test.ts) through the same boot() with a recording stand-in for Electron.
import * as electron from 'electron';
import Store from 'electron-store';
import electronLog from 'electron-log/main';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SETTINGS_SCHEMA } from '../../shared/settings';
import type { ClientSettings, SettingsStore } from '../../shared/settings';
import { defaultSettingsPath, settingsOver, toSettingsError } from '../core/settings/store';
import { applySettings, createClient, hostCore, preloadClientModules } from '../core/client';
import type { HostedCore } from '../core/client';
import { KeychainStore } from '../core/secrets/keychain';
import { fileMemoryStore } from '../core/notify/memory';
import { boot } from './app';
import type { MountsPort, TokenStore } from './app';
import { configureElectronLog } from './log';
import type { ElectronLogLike } from './log';
import { createLoginItem } from './login-item';
import type { ElectronPort } from './port';
import type { OsName } from '../../platform/types';

export const APP_ID = 'net.pillars.tray'; // = electron-builder appId (Windows AppUserModelID)

const port: ElectronPort = electron; // tsc proves the real module provides the whole port
const osName = process.platform as OsName;
const here = path.dirname(fileURLToPath(import.meta.url)); // dist/main
const root = path.resolve(here, '..', '..'); // the app folder (or the repository in development)

function electronSettings(file: string): SettingsStore {
  const ext = path.extname(file);
  let store: Store<Record<string, unknown>>;
  try {
    store = new Store<Record<string, unknown>>({
      cwd: path.dirname(file),
      name: path.basename(file, ext),
      fileExtension: ext.replace(/^\./, ''),
      schema: SETTINGS_SCHEMA.properties as never,
      rootSchema: { additionalProperties: false },
      clearInvalidConfig: false,
      configFileMode: 0o600,
    });
  } catch (e) {
    throw toSettingsError(file, e);
  }
  return settingsOver(file, store);
}

const keychainTokens: TokenStore = {
  get: (url) => new KeychainStore(`pillarsd-token@${url}`).get(),
  set: (url, token) => new KeychainStore(`pillarsd-token@${url}`).set(token),
};

function mountsFrom(store: SettingsStore, log: (m: string) => void): (s: ClientSettings) => Promise<MountsPort | null> {
  return async (settings) => {
    let core: Awaited<ReturnType<typeof createClient>>;
    try {
      // keytar (and the Azure SDK, if these settings use Key Vault) compile once now, not in the
      // middle of the manager's first remount
      await preloadClientModules(settings);
      core = await createClient({ store, log });
    } catch (e) {
      log(`not mounting yet: ${(e as Error).message}`);
      return null;
    }
    const spec = (id: string) => {
      const p = core.pillars.find((x) => x.id === id);
      if (!p) throw new Error(`unknown pillar '${id}'`);
      return p;
    };
    let hosted: HostedCore | null = null;
    let starting: Promise<void> | null = null;
    return {
      status: () => (hosted ? core.manager.status() : []),
      onChange: (fn) => core.manager.onChange(() => fn()),
      // the tray is the one running core: the CLI talks to it over the control socket
      start: () => {
        starting = hostCore(core, { log, prompt: log })
          .then((h) => void (hosted = h))
          .catch((e: unknown) => log(`mounts not started: ${(e as Error).message}`));
      },
      stop: async () => {
        await starting;
        await hosted?.stop();
      },
      remount: (ids, opts) => core.manager.remount(ids, opts),
      open: (id) => core.platform.open(spec(id)),
      nudge: (why) => core.manager.nudge(why),
      reconfigure: async (s) => void (await applySettings(core, s, { prompt: log })),
      // what keeps the tray from restarting into an update: any file open on a mounted pillar
      countOpenFiles: async () => {
        let open = 0;
        for (const p of core.manager.status().filter((x) => x.state === 'mounted')) {
          const n = await core.platform.openFiles(spec(p.id));
          if (n === null) return null;
          open += n;
        }
        return open;
      },
      ...(core.platform.timeMachine ? { timeMachine: () => core.platform.timeMachine!() } : {}),
      ...(core.platform.watchTimeMachine ? { watchTimeMachine: (fn: () => void) => core.platform.watchTimeMachine!(fn) } : {}),
    };
  };
}

void boot(port, {
  appId: APP_ID,
  os: osName,
  deps: () => {
    const log = configureElectronLog(electronLog as unknown as ElectronLogLike, { console: !port.app.isPackaged });
    const settingsFile = defaultSettingsPath();
    const settings = electronSettings(settingsFile);
    const resources = port.app.isPackaged ? process.resourcesPath : path.join(root, 'assets');
    return {
      electron: port,
      os: osName,
      settings,
      tokens: keychainTokens,
      createMounts: mountsFrom(settings, (m) => log.info(m)),
      memory: fileMemoryStore(path.join(port.app.getPath('userData'), 'notifications.json')),
      loginItem: createLoginItem(port, { os: osName, env: process.env, home: os.homedir(), execPath: process.execPath }),
      assetsDir: resources,
      preload: path.join(root, 'dist', 'preload', 'index.cjs'),
      rendererDir: path.join(root, 'dist', 'renderer'),
      log,
      deviceName: `Pillars tray on ${os.hostname()}`,
      updates: { resourcesPath: resources },
    };
  },
}).catch((e: unknown) => {
  console.error('Pillars failed to start:', e);
  port.app.quit();
});
