// The typed surface `window.pillars` offers the pages (src/renderer/bridge.ts mirrors it; the
// renderer may not import from here). Every member is a narrow request the main process checks:
// the sender's origin, the arguments' shapes, and what the page may change.
export interface SetupProbe {
  url: string;
  /** SHA-256 of the server certificate, to compare with what `pillarsd pair` printed; null for http. */
  fingerprint: string | null;
  version: string;
}

export interface SetupPaired {
  url: string;
  fingerprint: string | null;
  role: 'viewer' | 'admin';
}

export interface PillarsBridge {
  /** Origin of the paired pillarsd (for the pane loaded from the app's own scheme). */
  serverUrl?: string;
  /** The token the tray keeps in the OS keychain; answered only to the app's pages and the paired server. */
  adminToken: () => Promise<string | null>;
  settings: {
    get: () => Promise<Record<string, unknown>>;
    /** Changes some of: smb, secret, pillars, notifications, startAtLogin (server.* only through setup). */
    set: (patch: Record<string, unknown>) => Promise<Record<string, unknown>>;
  };
  /** First run: find the server and show its fingerprint, then pair with the code from `pillarsd pair`. */
  setup: {
    probe: (url: string) => Promise<SetupProbe>;
    pair: (req: { url: string; fingerprint: string | null; code: string }) => Promise<SetupPaired>;
  };
}
