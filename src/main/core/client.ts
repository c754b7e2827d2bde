// The client core's composition root for Node (CLI, tests; the tray builds the same pieces with
// electron-store): settings → platform → secrets chain → mount manager.
import path from 'node:path';
import type { ClientSettings, SettingsStore } from '../../shared/settings';
import { completeness, SettingsError } from '../../shared/settings';
import type { Exec, Platform, PillarSpec, SmbServer } from '../../platform/types';
import { createExec, tcpProbe } from '../../platform/host';
import { createPlatform, runtimeDir } from '../../platform';
import { statusFilePath, statusWriter } from './statusFile';
import { expandHome } from './settings/peek';
import { readSettings } from './settings/read';
import { buildSecrets } from './secrets';
import type { Secrets } from './secrets';
import type { SecretCache } from './secrets/types';
import { MountManager } from './mounts/manager';
import type { ManagerOptions } from './mounts/manager';
import { systemNetworkLocator } from './mounts/network';
import { fileHomeStore } from './homeStore';
export { fileHomeStore } from './homeStore';

export interface ClientCore {
  store: SettingsStore;
  settings: ClientSettings;
  server: SmbServer;
  pillars: PillarSpec[];
  platform: Platform;
  secrets: Secrets;
  manager: MountManager;
  exec: Exec;
}

export interface ClientOptions {
  settingsFile?: string;
  /** an already open store (the tray's electron-store, or a read-only peek) */
  store?: SettingsStore;
  env?: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadableStream | null;
  prompt?: (message: string) => void;
  /** overrides for tests and the tray: platform, keychain cache, loop timings */
  platform?: Platform;
  cache?: SecretCache | null;
  manager?: Partial<Omit<ManagerOptions, 'platform' | 'secrets' | 'server' | 'pillars' | 'tcpProbe'>>;
  log?: (msg: string) => void;
}

/**
 * Loads the modules the core would otherwise import in the middle of its work (keytar's native
 * addon, the Azure SDK): compiling them takes hundreds of milliseconds of the event loop, which a
 * long-running core pays once at start instead of during a remount. The Azure SDK only when the
 * settings fetch the password from Key Vault (or are not known yet): it is the largest thing the
 * core could load (about 20 MB resident, for good), and a core without a vault never imports it.
 */
export async function preloadClientModules(settings?: Pick<ClientSettings, 'secret'>): Promise<void> {
  const vault = !settings || settings.secret.source === 'akv';
  await Promise.all([
    import('keytar').catch(() => undefined),
    ...(vault ? [import('@azure/identity').catch(() => undefined), import('@azure/keyvault-secrets').catch(() => undefined)] : []),
  ]);
}

function checked(store: SettingsStore): ClientSettings {
  const settings = store.get();
  const missing = completeness(settings);
  if (missing.length) throw new SettingsError(store.path, missing[0]!.key, `${missing[0]!.reason} (fix: ${missing[0]!.fix})`);
  return settings;
}

/**
 * Opens the settings (checked as conf checks them, without loading conf: see settings/read.ts)
 * and checks they are complete enough to mount; throws SettingsError otherwise.
 */
export function loadSettings(file?: string): { store: SettingsStore; settings: ClientSettings } {
  const store = readSettings({ file });
  return { store, settings: checked(store) };
}

export function createClient(o: ClientOptions = {}): ClientCore {
  const env = o.env ?? process.env;
  const { store, settings } = o.store ? { store: o.store, settings: checked(o.store) } : loadSettings(o.settingsFile);
  const exec = createExec({ env });
  const server: SmbServer = { host: settings.smb.host, username: settings.smb.username, ...(settings.smb.domain ? { domain: settings.smb.domain } : {}) };
  const pillars: PillarSpec[] = settings.pillars.map((p) => ({ id: p.id, share: p.share, label: p.label, ...(p.drive ? { drive: p.drive } : {}) }));
  const platform = o.platform ?? createPlatform({ mountRoot: expandHome(settings.mountRoot, env.HOME), links: settings.links, linuxBackend: settings.linux.backend, env });
  const secrets = buildSecrets(settings, { exec, env, stdin: o.stdin ?? null, prompt: o.prompt, ...(o.cache !== undefined ? { cache: o.cache } : {}) });
  const homeFile = path.join(path.dirname(store.path), 'home-network.json');
  const manager = new MountManager({
    platform,
    secrets,
    server,
    pillars,
    tcpProbe,
    network: systemNetworkLocator(),
    home: fileHomeStore(homeFile),
    log: o.log,
    persist: statusWriter(statusFilePath(runtimeDir(env))),
    ...o.manager,
  });
  return { store, settings, server, pillars, platform, secrets, manager, exec };
}
