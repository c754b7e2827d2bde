// IPC handlers behind the preload bridge. Each one checks that the caller is the main frame of a
// page we loaded (the app's own scheme, or the paired server for the token), validates its
// arguments, and answers plain data. Settings a page may change are listed; server.* changes only
// through pairing, so a compromised page can't point the tray at another server.
import type { IpcMainInvokeEvent } from 'electron';
import { CHANNELS } from '../../preload/channels';
import type { SetupPaired, SetupProbe } from '../../preload/api';
import type { ClientSettings, SettingsStore } from '../../shared/settings';
import { APP_ORIGIN, originOf, senderAllowed } from './security';
import type { ElectronPort } from './port';

export interface IpcDeps {
  settings: SettingsStore;
  token: () => Promise<string | null>;
  probe: (url: string) => Promise<SetupProbe>;
  pair: (url: string, fingerprint: string | null, code: string) => Promise<SetupPaired>;
  serverUrl: () => string | null;
  log: (m: string) => void;
}

/** The keys a page may change, and what each must look like before the schema sees it. */
const PAGE_SETTABLE = ['smb', 'secret', 'pillars', 'notifications', 'startAtLogin', 'links', 'mountRoot'] as const;
type PageKey = (typeof PAGE_SETTABLE)[number];

export class IpcRefused extends Error {}

function asObject(x: unknown, what: string): Record<string, unknown> {
  if (!x || typeof x !== 'object' || Array.isArray(x)) throw new IpcRefused(`${what} must be an object`);
  return x as Record<string, unknown>;
}
function asString(x: unknown, what: string, max = 2048): string {
  if (typeof x !== 'string' || x.length > max) throw new IpcRefused(`${what} must be a string of at most ${max} characters`);
  return x;
}

/** Applies a page's settings patch key by key through the store (whose schema validates values). */
export function applySettingsPatch(store: SettingsStore, patch: unknown): ClientSettings {
  const p = asObject(patch, 'settings patch');
  for (const key of Object.keys(p)) {
    if (!(PAGE_SETTABLE as readonly string[]).includes(key)) throw new IpcRefused(`setting '${key}' cannot be changed from this page${key === 'server' ? ' (pair again to change the server)' : ''}`);
  }
  const current = store.get();
  for (const key of Object.keys(p) as PageKey[]) {
    const v = p[key];
    // Nested objects are merged, so a form that edits two fields doesn't wipe the others.
    const value = v && typeof v === 'object' && !Array.isArray(v) && typeof current[key] === 'object' && !Array.isArray(current[key]) ? { ...(current[key] as object), ...v } : v;
    store.set(key, value as never);
  }
  return store.get();
}

export function registerIpc(electron: Pick<ElectronPort, 'ipcMain'>, d: IpcDeps): () => void {
  const appOnly = () => [APP_ORIGIN];
  const appOrServer = () => [APP_ORIGIN, ...(d.serverUrl() ? [originOf(d.serverUrl()!)!] : [])];
  const handle = (channel: string, origins: () => string[], fn: (...args: unknown[]) => unknown) => {
    electron.ipcMain.handle(channel, async (event: IpcMainInvokeEvent, ...args: unknown[]) => {
      if (!senderAllowed(event, origins())) {
        d.log(`refused ${channel} from ${originOf(event.senderFrame?.url ?? '') ?? 'an unknown frame'}`);
        throw new IpcRefused(`${channel} is not available to this page`);
      }
      return fn(...args);
    });
  };
  handle(CHANNELS.adminToken, appOrServer, () => d.token());
  handle(CHANNELS.settingsGet, appOnly, () => d.settings.get());
  handle(CHANNELS.settingsSet, appOnly, (patch) => applySettingsPatch(d.settings, patch));
  handle(CHANNELS.setupProbe, appOnly, (url) => d.probe(asString(url, 'server URL')));
  handle(CHANNELS.setupPair, appOnly, (req) => {
    const r = asObject(req, 'pairing request');
    const fp = r.fingerprint === null ? null : asString(r.fingerprint, 'fingerprint', 200);
    return d.pair(asString(r.url, 'server URL'), fp, asString(r.code, 'pairing code', 100));
  });
  return () => {
    for (const c of Object.values(CHANNELS)) electron.ipcMain.removeHandler(c);
  };
}
