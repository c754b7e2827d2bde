// The tray's preload bridge (`window.pillars`, defined in src/preload). The pane runs in a plain
// browser too, so everything here is feature-detected: absent members simply hide tray-only UI.

export interface TraySettings {
  [key: string]: unknown;
}

export interface PillarsBridge {
  /** Origin of pillarsd when the pane is loaded from file:// inside the tray. */
  serverUrl?: string;
  /** An admin token the tray holds for the pane (the tray keeps it in the OS keychain). */
  adminToken?: () => Promise<string | null>;
  settings?: {
    get: () => Promise<TraySettings>;
    set: (patch: TraySettings) => Promise<TraySettings>;
  };
  /** First run: find the server and show its fingerprint, then pair with the code from `pillarsd pair`. */
  setup?: {
    probe: (url: string) => Promise<{ url: string; fingerprint: string | null; version: string }>;
    pair: (req: { url: string; fingerprint: string | null; code: string }) => Promise<{ url: string; fingerprint: string | null; role: 'viewer' | 'admin' }>;
  };
}

/** True on the tray's own pages (pillars://app), where the bridge's settings answer. */
export function onTrayPage(): boolean {
  return bridge()?.settings !== undefined && !/^https?:$/.test(globalThis.location?.protocol ?? '');
}

export function bridge(): PillarsBridge | null {
  const w = globalThis as { pillars?: unknown };
  return typeof w.pillars === 'object' && w.pillars !== null ? (w.pillars as PillarsBridge) : null;
}
