// The client core's composition root for Node (CLI, tests; the tray builds the same pieces with
// electron-store): settings → platform → secrets chain → mount manager. hostCore() runs a core for
// the long haul (the tray, `pillars watch`): the manager's loop, the OS's network changes, settings
// applied live, and the control socket through which the CLI talks to it.
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ClientSettings, SettingsStore } from '../../shared/settings';
import { completeness, SettingsError } from '../../shared/settings';
import type { Exec, Platform, PillarSpec, ServerProbe, SmbServer } from '../../platform/types';
import { createExec, createFs, createServerProbe, networkFingerprint } from '../../platform/host';
import { listenControl } from '../../platform/host/control';
import type { ControlServer } from '../../platform/host/control';
import { createPlatform, runtimeDir } from '../../platform';
import { statusFilePath, statusWriter } from './statusFile';
import { expandHome } from './settings/peek';
import { readSettings } from './settings/read';
import { buildSecrets } from './secrets';
import type { Secrets } from './secrets';
import type { SecretCache } from './secrets/types';
import { MountManager } from './mounts/manager';
import type { ManagerOptions, PillarStatus } from './mounts/manager';
import { systemNetworkLocator, watchNetwork } from './mounts/network';
import type { NetworkLocator } from './mounts/network';
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
  network: NetworkLocator;
  /** the server check (one kept SMB connection); closed when a hosted core stops */
  serverProbe: ServerProbe & { close(): void };
  env: NodeJS.ProcessEnv;
}

export interface ClientOptions {
  settingsFile?: string;
  /** an already open store (the tray's electron-store, or a read-only peek) */
  store?: SettingsStore;
  env?: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadableStream | null;
  prompt?: (message: string) => void;
  /** `pillars watch --password-file`: a 0600 file holding the SMB password (headless hosts) */
  passwordFile?: string;
  /** overrides for tests and the tray: platform, keychain cache, loop timings */
  platform?: Platform;
  cache?: SecretCache | null;
  manager?: Partial<Omit<ManagerOptions, 'platform' | 'secrets' | 'server' | 'pillars'>>;
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
  await Promise.all([import('keytar').catch(() => undefined), ...(vault ? [import('@azure/identity').catch(() => undefined), import('@azure/keyvault-secrets').catch(() => undefined)] : [])]);
}

function checked(store: SettingsStore, settings = store.get()): ClientSettings {
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

const serverOf = (s: ClientSettings): SmbServer => ({ host: s.smb.host, username: s.smb.username, ...(s.smb.domain ? { domain: s.smb.domain } : {}) });
const pillarsOf = (s: ClientSettings): PillarSpec[] => s.pillars.map((p) => ({ id: p.id, share: p.share, label: p.label, ...(p.drive ? { drive: p.drive } : {}) }));
const platformOf = (s: ClientSettings, env: NodeJS.ProcessEnv) => createPlatform({ mountRoot: expandHome(s.mountRoot, env.HOME), links: s.links, linuxBackend: s.linux.backend, env });
const platformKey = (s: ClientSettings) => JSON.stringify([s.mountRoot, s.links, s.linux.backend]);
const secretsKey = (s: ClientSettings) => JSON.stringify([s.smb, s.secret]);

export function createClient(o: ClientOptions = {}): ClientCore {
  const env = o.env ?? process.env;
  const { store, settings } = o.store ? { store: o.store, settings: checked(o.store) } : loadSettings(o.settingsFile);
  const exec = createExec({ env });
  const platform = o.platform ?? platformOf(settings, env);
  const secrets = buildSecrets(settings, { exec, env, stdin: o.stdin ?? null, prompt: o.prompt, ...(o.passwordFile ? { passwordFile: o.passwordFile } : {}), ...(o.cache !== undefined ? { cache: o.cache } : {}) });
  const network = systemNetworkLocator();
  const serverProbe = createServerProbe();
  const manager = new MountManager({
    platform,
    secrets,
    server: serverOf(settings),
    pillars: pillarsOf(settings),
    serverProbe,
    network,
    home: fileHomeStore(path.join(path.dirname(store.path), 'home-network.json')),
    log: o.log,
    persist: statusWriter(statusFilePath(runtimeDir(env))),
    // Windows asks its PowerShell helper: not every round (docs/benchmarks.md, "Probing cost")
    ...(platform.os === 'win32' ? { lookEveryMs: 10_000 } : {}),
    ...o.manager,
  });
  return { store, settings, server: serverOf(settings), pillars: pillarsOf(settings), platform, secrets, manager, exec, network, serverProbe, env };
}

/**
 * New settings for a running core: a new platform only when the mount root, links or backend
 * changed, a new secrets chain only when the server or the secret's source did, and the manager
 * moves its mounts accordingly. Incomplete settings are refused (SettingsError) and change nothing.
 */
export async function applySettings(core: ClientCore, next: ClientSettings, o: { passwordFile?: string; prompt?: (m: string) => void } = {}): Promise<string[]> {
  const settings = checked(core.store, next);
  const before = core.settings;
  const changed = (['smb', 'secret', 'pillars', 'mountRoot', 'links', 'linux'] as const).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(settings[k]));
  if (changed.length === 0) {
    core.settings = settings;
    return [];
  }
  const platform = platformKey(before) === platformKey(settings) ? core.platform : platformOf(settings, core.env);
  const secrets = secretsKey(before) === secretsKey(settings) ? core.secrets : buildSecrets(settings, { exec: core.exec, env: core.env, prompt: o.prompt, ...(o.passwordFile ? { passwordFile: o.passwordFile } : {}) });
  await core.manager.reconfigure({ platform, secrets, server: serverOf(settings), pillars: pillarsOf(settings) });
  Object.assign(core, { settings, platform, secrets, server: serverOf(settings), pillars: pillarsOf(settings) });
  return changed;
}

export interface HostedCore {
  control: ControlServer;
  stop(): Promise<void>;
}

export interface HostOptions {
  /** pillars wanted mounted (all when empty) */
  ids?: string[];
  /** follow the settings file (the CLI's `watch`; the tray hears its own store) */
  watchSettings?: boolean;
  passwordFile?: string;
  log: (msg: string) => void;
  prompt?: (m: string) => void;
}

/**
 * Runs a core until stop(): the manager's loop, the OS's network changes, the settings applied live,
 * and the control socket (`pillars status|mount|unmount|remount` talk to this core instead of
 * acting beside it). Refuses (CoreRunningError) when another core already runs for this user.
 */
export async function hostCore(core: ClientCore, o: HostOptions): Promise<HostedCore> {
  const control = await listenControl(runtimeDir(core.env), (cmd, args) => handleControl(core, cmd, args, o));
  core.manager.start(o.ids ?? []);
  const stopNetwork = watchNetwork({
    read: networkFingerprint,
    onChange: () => {
      o.log('the network changed: looking again now');
      core.network.invalidate?.();
      core.manager.nudge('network-change');
    },
  });
  let stopSettings = () => {};
  if (o.watchSettings) {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const file = core.store.path;
    const unwatch =
      createFs().watch?.(path.dirname(file), (name) => {
        if (name !== null && name !== path.basename(file)) return;
        if (timer) clearTimeout(timer);
        // editors and conf write in steps (temp file, rename): read once they are done
        timer = setTimeout(() => void reloadSettings(core, o), 300);
      }) ?? (() => undefined);
    stopSettings = () => {
      if (timer) clearTimeout(timer);
      unwatch();
    };
  }
  return {
    control,
    async stop() {
      stopNetwork();
      stopSettings();
      await core.manager.stop();
      core.serverProbe.close();
      await control.close();
    },
  };
}

async function reloadSettings(core: ClientCore, o: HostOptions): Promise<string[]> {
  let next: ClientSettings;
  try {
    next = readSettings({ file: core.store.path }).get();
    const changed = await applySettings(core, next, o);
    if (changed.length) o.log(`settings changed (${changed.join(', ')}): applied`);
    return changed;
  } catch (e) {
    o.log(`settings changed but not applied, the running core keeps the previous ones: ${(e as Error).message}`);
    throw e;
  }
}

const idsOf = (args: Record<string, unknown>) => (Array.isArray(args['ids']) ? args['ids'].filter((x): x is string => typeof x === 'string') : []);

async function handleControl(core: ClientCore, cmd: string, args: Record<string, unknown>, o: HostOptions): Promise<unknown> {
  const once = typeof args['password'] === 'string' ? buildSecrets(core.settings, { exec: core.exec, env: core.env, stdin: Readable.from([args['password']]) }) : undefined;
  const answer = (pillars: PillarStatus[]) => ({ pid: process.pid, pillars });
  switch (cmd) {
    case 'status':
      return answer(core.manager.status());
    case 'mount':
      return answer(await core.manager.mount(idsOf(args), once ? { secrets: once } : {}));
    case 'unmount':
      return answer(await core.manager.unmount(idsOf(args), { force: args['force'] === true }));
    case 'remount':
      return answer(await core.manager.remount(idsOf(args), { force: args['force'] === true, ...(once ? { secrets: once } : {}) }));
    case 'reload':
      return { pid: process.pid, changed: await reloadSettings(core, o) };
    default:
      throw new Error(`unknown command ${JSON.stringify(cmd)}`);
  }
}
