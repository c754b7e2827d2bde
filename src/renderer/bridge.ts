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
}

export function bridge(): PillarsBridge | null {
  const w = globalThis as { pillars?: unknown };
  return typeof w.pillars === 'object' && w.pillars !== null ? (w.pillars as PillarsBridge) : null;
}
