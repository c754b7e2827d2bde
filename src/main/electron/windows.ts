// The admin pane and the preferences: created on demand and destroyed when closed, so the tray
// costs no renderer process while nobody looks (USERS.md: Electron trays are judged by memory).
// The admin pane is loaded from the paired pillarsd itself (same origin as its API, certificate
// pinned); the preferences and first run from the app's own scheme, which works before pairing.
import { APP_ORIGIN, secureWindowOptions } from './security';
import { SERVER_ARG } from '../../preload/channels';
import type { BrowserWindowPort, ElectronPort } from './port';

export type WindowKind = 'admin' | 'preferences';

export interface WindowManager {
  /** Opens (or focuses) the admin pane at a hash route such as `#/runs/r42`. */
  openAdmin(route?: string): void;
  openPreferences(): void;
  openCount(): number;
  closeAll(): void;
}

export function adminUrl(serverUrl: string, route = '#/'): string {
  const base = serverUrl.endsWith('/') ? serverUrl : `${serverUrl}/`;
  return `${base}${route.startsWith('#') ? route : `#${route}`}`;
}

export const PREFERENCES_URL = `${APP_ORIGIN}/index.html#/preferences`;

export function createWindowManager(electron: Pick<ElectronPort, 'BrowserWindow'>, opts: { preload: string; serverUrl: () => string | null; log: (m: string) => void }): WindowManager {
  const open = new Map<WindowKind, BrowserWindowPort>();

  const ensure = (kind: WindowKind, url: string, title: string) => {
    const existing = open.get(kind);
    if (existing && !existing.isDestroyed()) {
      void existing.loadURL(url);
      existing.show();
      existing.focus();
      return;
    }
    const server = opts.serverUrl();
    // The preload learns the server origin from its command line (no synchronous IPC needed).
    const args = server ? [`${SERVER_ARG}${server}`] : [];
    const win = new electron.BrowserWindow(secureWindowOptions(opts.preload, { title, ...(kind === 'preferences' ? { width: 760, height: 680 } : {}) }, args));
    // Also denied app-wide (hardenApp); set here too so a window is safe even if that was skipped.
    win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
    open.set(kind, win);
    win.once('ready-to-show', () => win.show());
    win.on('closed', () => {
      if (open.get(kind) === win) open.delete(kind);
    });
    win.loadURL(url).catch((e: unknown) => opts.log(`cannot load the ${kind} window: ${e instanceof Error ? e.message : String(e)}`));
  };

  return {
    openAdmin(route) {
      const server = opts.serverUrl();
      if (!server) return this.openPreferences();
      ensure('admin', adminUrl(server, route), 'Pillars: admin');
    },
    openPreferences() {
      ensure('preferences', PREFERENCES_URL, 'Pillars: preferences');
    },
    openCount: () => [...open.values()].filter((w) => !w.isDestroyed()).length,
    closeAll() {
      for (const w of open.values()) if (!w.isDestroyed()) w.destroy();
      open.clear();
    },
  };
}
