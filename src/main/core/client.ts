// The client core's composition root for Node (CLI, tests; the tray builds the same pieces with
// electron-store): settings → platform → secrets chain → mount manager.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ClientSettings, SettingsStore } from '../../shared/settings';
import { completeness, SettingsError } from '../../shared/settings';
import type { Exec, Platform, PillarSpec, SmbServer } from '../../platform/types';
import { createExec, tcpProbe } from '../../platform/host';
import { createPlatform } from '../../platform';
import { expandHome, openSettings } from './settings/store';
import { buildSecrets } from './secrets';
import type { Secrets } from './secrets';
import type { SecretCache } from './secrets/types';
import { MountManager } from './mounts/manager';
import type { ManagerOptions } from './mounts/manager';
import { systemNetworkLocator } from './mounts/network';
import type { HomeNetworkStore } from './mounts/network';

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
  env?: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadableStream | null;
  prompt?: (message: string) => void;
  /** overrides for tests and the tray: platform, keychain cache, loop timings */
  platform?: Platform;
  cache?: SecretCache | null;
  manager?: Partial<Omit<ManagerOptions, 'platform' | 'secrets' | 'server' | 'pillars' | 'tcpProbe'>>;
  log?: (msg: string) => void;
}

/** The recorded home network lives next to the settings (it is not a setting and not a secret). */
export function fileHomeStore(file: string): HomeNetworkStore {
  return {
    get() {
      try {
        return (JSON.parse(readFileSync(file, 'utf8')) as { signature?: string }).signature ?? null;
      } catch {
        return null;
      }
    },
    set(signature) {
      try {
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(`${file}.tmp`, JSON.stringify({ signature, at: new Date().toISOString() }));
        renameSync(`${file}.tmp`, file);
      } catch {
        /* best effort: without it, an unreachable server reads as failed-network instead of away */
      }
    },
  };
}

/** Opens the settings and checks they are complete enough to mount; throws SettingsError otherwise. */
export function loadSettings(file?: string): { store: SettingsStore; settings: ClientSettings } {
  const store = openSettings({ file });
  const settings = store.get();
  const missing = completeness(settings);
  if (missing.length) throw new SettingsError(store.path, missing[0]!.key, `${missing[0]!.reason} (fix: ${missing[0]!.fix})`);
  return { store, settings };
}

export function createClient(o: ClientOptions = {}): ClientCore {
  const env = o.env ?? process.env;
  const { store, settings } = loadSettings(o.settingsFile);
  const exec = createExec({ env });
  const server: SmbServer = { host: settings.smb.host, username: settings.smb.username, ...(settings.smb.domain ? { domain: settings.smb.domain } : {}) };
  const pillars: PillarSpec[] = settings.pillars.map((p) => ({ id: p.id, share: p.share, label: p.label, ...(p.drive ? { drive: p.drive } : {}) }));
  const platform = o.platform ?? createPlatform({ mountRoot: expandHome(settings.mountRoot, env.HOME), links: settings.links, env });
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
    ...o.manager,
  });
  return { store, settings, server, pillars, platform, secrets, manager, exec };
}
