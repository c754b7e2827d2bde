// Electron hardening, after Electron's security checklist (electronjs.org/docs/latest/tutorial/security):
// every window sandboxed with context isolation and no Node; navigation, new windows and <webview>
// denied; permission requests denied; a strict CSP on everything the app serves; external links
// opened only for allow-listed URLs; IPC answered only for the frames we loaded. The pillarsd
// certificate is accepted only with the fingerprint the user confirmed at pairing.
import type { Event, WebContents, IpcMainInvokeEvent, BrowserWindowConstructorOptions } from 'electron';
import { fingerprintOfPem, normalizeFingerprint } from '../core/server/http';
import type { ElectronPort, SessionPort } from './port';

/** The scheme the app's own pages (preferences, first run) are served from: never file://. */
export const APP_SCHEME = 'pillars';
export const APP_ORIGIN = `${APP_SCHEME}://app`;

export function contentSecurityPolicy(serverOrigin: string | null): string {
  const connect = ["'self'", serverOrigin].filter(Boolean).join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${connect}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

/** webPreferences for every window: the checklist's items 2–4, 6, 9, 15 in one place. */
export function secureWindowOptions(preload: string, extra: Partial<BrowserWindowConstructorOptions> = {}, additionalArguments: string[] = []): BrowserWindowConstructorOptions {
  return {
    show: false,
    width: 1100,
    height: 760,
    ...extra,
    webPreferences: {
      preload,
      additionalArguments,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
    },
  };
}

export function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    // pillars://app has an opaque origin in WHATWG terms; compare scheme + host instead.
    return u.origin !== 'null' ? u.origin : `${u.protocol}//${u.host}`;
  } catch {
    return null;
  }
}

/** Links the app may hand to the OS browser: https only, on an allow-listed host. */
export function isAllowedExternal(url: string, allowHosts: readonly string[]): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && !u.username && !u.password && allowHosts.includes(u.hostname);
  } catch {
    return false;
  }
}

export const EXTERNAL_HOSTS = ['github.com', 'www.backblaze.com', 'learn.microsoft.com', 'portal.azure.com'] as const;

/**
 * True when an IPC call comes from the main frame of a page we loaded from one of `origins`
 * (checklist 17: validate the sender of all IPC messages). Subframes never qualify.
 */
export function senderAllowed(event: Pick<IpcMainInvokeEvent, 'senderFrame'>, origins: readonly string[]): boolean {
  const frame = event.senderFrame;
  if (!frame || frame.parent) return false;
  const o = originOf(frame.url);
  return o !== null && origins.includes(o);
}

/** Applies the app-wide handlers once, before any window exists. */
export function hardenApp(electron: Pick<ElectronPort, 'app' | 'shell' | 'session'>, opts: { serverOrigin: () => string | null; log: (msg: string) => void }): void {
  electron.app.on('web-contents-created', (_e: Event, contents: WebContents) => {
    contents.on('will-navigate', (ev, url) => {
      // The admin pane is a single-page app: any real navigation is an attack or a bug.
      ev.preventDefault();
      opts.log(`blocked navigation to ${originOf(url) ?? 'an invalid URL'}`);
    });
    contents.on('will-redirect', (ev, url) => {
      if (originOf(url) !== opts.serverOrigin() && originOf(url) !== APP_ORIGIN) ev.preventDefault();
    });
    contents.on('will-attach-webview', (ev) => ev.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (isAllowedExternal(url, EXTERNAL_HOSTS)) void electron.shell.openExternal(url);
      else opts.log(`blocked a new window for ${originOf(url) ?? 'an invalid URL'}`);
      return { action: 'deny' };
    });
  });
  hardenSession(electron.session.defaultSession, opts.serverOrigin);
}

export function hardenSession(session: SessionPort, serverOrigin: () => string | null): void {
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  // Every response gets a strict CSP. A response that brings its own (pillarsd's pane sends one
  // just as strict, made for its build) keeps it: adding ours on top would enforce both.
  session.webRequest.onHeadersReceived((details, callback) => {
    const headers = { ...details.responseHeaders };
    if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-security-policy')) headers['Content-Security-Policy'] = [contentSecurityPolicy(serverOrigin())];
    callback({ responseHeaders: headers });
  });
}

/**
 * Accepts pillarsd's (self-signed) certificate only when its SHA-256 fingerprint is the paired one;
 * every other host gets Chromium's own verification.
 */
export function pinServerCertificate(session: SessionPort, pinned: () => { host: string; fingerprint: string } | null, log: (m: string) => void): void {
  session.setCertificateVerifyProc((request, callback) => {
    const pin = pinned();
    if (!pin || request.hostname !== pin.host) return callback(-3); // -3: use Chromium's verdict
    let fp: string | null;
    try {
      fp = fingerprintOfPem(request.certificate.data);
    } catch {
      fp = null;
    }
    if (fp && fp === normalizeFingerprint(pin.fingerprint)) return callback(0);
    log(`refused ${request.hostname}: certificate ${fp ?? 'unreadable'} is not the paired one`);
    callback(-2);
  });
}
