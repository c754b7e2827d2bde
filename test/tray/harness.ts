// Builds the tray app's dependencies for tests: the recording Electron stand-in (the Electron
// binary can't run here), the client core's real settings store (conf) in a temp folder, the real
// notification memory file, the real Linux autostart writer, and a recording mounts port. The
// mounts port is a stand-in because the subject here is the glue; the MountManager itself is
// tested by the client core against a real smbd.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createElectronStandin } from '../support/electron-standin';
import { boot } from '../../src/main/electron/app';
import type { TokenStore, TrayApp, TrayAppDeps } from '../../src/main/electron/app';
import { RecordingMounts } from './fixtures';
import { createLoginItem } from '../../src/main/electron/login-item';
import { createLogger } from '../../src/main/electron/log';
import { fileMemoryStore } from '../../src/main/core/notify/memory';
import { openSettings } from '../../src/main/core/settings/store';
import type { OsName } from '../../src/platform/types';

export { RecordingMounts } from './fixtures';

export interface Harness {
  dir: string;
  electron: ReturnType<typeof createElectronStandin>['electron'];
  control: ReturnType<typeof createElectronStandin>['control'];
  mounts: RecordingMounts;
  tokens: Map<string, string>;
  logs: string[];
  deps: TrayAppDeps;
  app: TrayApp | null;
  cleanup(): Promise<void>;
}

export async function startHarness(
  o: {
    os?: OsName;
    settings?: Record<string, unknown>;
    tokens?: Record<string, string>;
    overrides?: Partial<TrayAppDeps>;
    mounts?: boolean;
    /** reuse (and keep) this folder: a restart */ dir?: string;
    /** an installed app of this version */ installed?: string;
  } = {},
): Promise<Harness> {
  const dir = o.dir ?? mkdtempSync(path.join(os.tmpdir(), 'pillars-tray-'));
  const file = path.join(dir, 'config.json');
  if (!o.dir || !existsSync(file)) writeFileSync(file, JSON.stringify(o.settings ?? {}), { mode: 0o600 });
  const { electron, control } = createElectronStandin({ userData: dir });
  if (o.installed) {
    electron.app.isPackaged = true;
    electron.app.version = o.installed;
  }
  const mounts = new RecordingMounts();
  const tokens = new Map(Object.entries(o.tokens ?? {}));
  const tokenStore: TokenStore = { get: async (u) => tokens.get(u) ?? null, set: async (u, t) => void tokens.set(u, t) };
  const logs: string[] = [];
  const osName = o.os ?? 'linux';
  const deps: TrayAppDeps = {
    electron,
    os: osName,
    settings: await openSettings({ file }),
    tokens: tokenStore,
    createMounts: () => (o.mounts === false ? null : mounts),
    memory: fileMemoryStore(path.join(dir, 'notifications.json')),
    loginItem: createLoginItem(electron, { os: osName, env: { XDG_CONFIG_HOME: path.join(dir, 'xdg') }, home: dir, execPath: '/opt/Pillars/pillars' }),
    assetsDir: path.resolve('assets'),
    preload: path.resolve('dist/preload/index.cjs'),
    rendererDir: path.join(dir, 'renderer'),
    log: createLogger({ info: (m) => logs.push(`info ${m}`), warn: (m) => logs.push(`warn ${m}`), error: (m) => logs.push(`error ${m}`) }),
    connection: { backoffMs: [100], coalesceMs: 20 },
    tickMs: 200,
    netPollMs: 50,
    deviceName: 'test tray',
    ...o.overrides,
  };
  control.ready();
  const app = await boot(electron, { appId: 'net.pillars.tray', os: osName, deps: () => deps });
  return {
    dir,
    electron,
    control,
    mounts,
    tokens,
    logs,
    deps,
    app,
    async cleanup() {
      await app?.dispose();
      if (!o.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
