// The Electron glue in Node under the recording stand-in (test/support/electron-standin.ts):
// process setup, the tray it renders, the hardened windows it creates lazily and destroys, IPC
// sender checks, hardening handlers, the app scheme, login items, sleep/network re-checks, and the
// redacting log. The end-to-end path from a real pillarsd is wiring.test.ts.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import selfsigned from 'selfsigned';
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS } from '../../src/preload/channels';
import { createElectronStandin } from '../support/electron-standin';
import { boot } from '../../src/main/electron/app';
import { createLoginItem, autostartEntry } from '../../src/main/electron/login-item';
import { configureElectronLog, createLogger, LOG_MAX_BYTES } from '../../src/main/electron/log';
import type { ElectronLogLike } from '../../src/main/electron/log';
import { notificationOptions } from '../../src/main/electron/notifier';
import { trayIconPath } from '../../src/main/electron/tray-view';
import { fingerprintOfPem } from '../../src/main/core/server/http';
import { startHarness, waitFor } from './harness';
import type { Harness } from './harness';

let h: Harness | null = null;
afterEach(async () => {
  await h?.cleanup();
  h = null;
});

describe('boot', () => {
  it('registers the app scheme first, takes the single-instance lock, and sets per-OS identity', async () => {
    for (const os of ['linux', 'win32', 'darwin'] as const) {
      h = await startHarness({ os });
      const apis = h.control.calls.map((c) => c.api);
      expect(apis[0]).toBe('protocol.registerSchemesAsPrivileged');
      expect(apis).toContain('app.requestSingleInstanceLock');
      expect(h.control.calls.filter((c) => c.api === 'app.setAppUserModelId').map((c) => c.args[0])).toEqual(os === 'win32' ? ['net.pillars.tray'] : []);
      expect(apis.includes('app.dock.hide')).toBe(os === 'darwin');
      expect(h.control.privileged[0]).toMatchObject({ scheme: 'pillars', privileges: { standard: true, secure: true } });
      await waitFor(() => h!.control.tray !== undefined, 'the tray');
      h.control.tray!.emit('click', {}, {}, {});
      expect(h.control.calls.some((c) => c.api === 'tray.popUpContextMenu')).toBe(os === 'win32');
      expect(h.control.tray!.image.fakePath).toBe(path.resolve(`assets/tray/${{ linux: 'linux/tray-warning.png', win32: 'win/tray-warning.ico', darwin: 'mac/tray-warningTemplate.png' }[os]}`));
      await h.cleanup();
      h = null;
    }
  });

  it('a second instance quits at once (and the first one opens its preferences)', async () => {
    const { electron, control } = createElectronStandin();
    electron.app.singleInstance = false;
    control.ready();
    const app = await boot(electron, {
      appId: 'x',
      os: 'linux',
      deps: () => {
        throw new Error('must not build deps');
      },
    });
    expect(app).toBeNull();
    expect(control.calls.map((c) => c.api)).toContain('app.quit');

    h = await startHarness({ settings: { server: { url: 'http://127.0.0.1:9', fingerprint: '' } }, tokens: { 'http://127.0.0.1:9': 'tok' } });
    expect(h.control.windows.length).toBe(0);
    h.electron.app.emit('second-instance', {}, [], '/');
    expect(h.control.windows.map((w) => w.webContents.url)).toEqual(['pillars://app/index.html#/preferences']);
  });
});

describe('first run and windows', () => {
  it('unpaired: warning icon, set-up tooltip, and the preferences open in a hardened window', async () => {
    h = await startHarness({ mounts: false });
    await waitFor(() => h!.control.tray !== undefined, 'the tray');
    const tray = h.control.tray!;
    expect(tray.image.fakePath).toBe(path.resolve('assets/tray/linux/tray-warning.png'));
    expect(existsSync(tray.image.fakePath)).toBe(true);
    expect(tray.tooltip).toBe('Pillars: not set up: open Preferences');
    expect(h.control.menuLabels()).toEqual(['not set up: open Preferences', 'Open admin pane', 'Set up Pillars…', 'Start at login', 'Quit Pillars']);
    await waitFor(() => h!.control.windows.length === 1, 'the preferences window');
    const win = h.control.windows[0]!;
    expect(win.webContents.url).toBe('pillars://app/index.html#/preferences');
    expect(win.options.show).toBe(false);
    expect(win.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      preload: path.resolve('dist/preload/index.cjs'),
    });
    expect(win.webContents.openHandler!({ url: 'https://evil.example/', frameName: '', features: '', disposition: 'new-window', referrer: { url: '', policy: 'default' } } as never)).toEqual({ action: 'deny' });
  });

  it('windows are created on demand, reused while open and destroyed when closed', async () => {
    h = await startHarness({ settings: { server: { url: 'http://127.0.0.1:9', fingerprint: '' } }, tokens: { 'http://127.0.0.1:9': 'tok' } });
    await waitFor(() => h!.control.tray !== undefined, 'the tray');
    expect(h.control.windows.length).toBe(0); // paired: nothing opens by itself
    h.app!.dispatch({ kind: 'open-run', runId: 'r 42' });
    h.app!.dispatch({ kind: 'open-admin' });
    expect(h.control.windows.length).toBe(1);
    const win = h.control.windows[0]!;
    expect(h.control.calls.filter((c) => c.api === 'window.loadURL').map((c) => c.args[0])).toEqual(['http://127.0.0.1:9/#/runs/r%2042', 'http://127.0.0.1:9/#/']);
    expect(win.options.webPreferences?.additionalArguments).toEqual(['--pillars-server=http://127.0.0.1:9']);
    win.close();
    expect(win.isDestroyed()).toBe(true);
    h.app!.dispatch({ kind: 'open-admin' });
    expect(h.control.windows.length).toBe(2); // a new one, the closed one is gone for good
  });
});

describe('tray menu actions', () => {
  it('reach the mounts, the login item and quit', async () => {
    h = await startHarness({ settings: { startAtLogin: false } });
    await waitFor(() => h!.control.menuLabels().some((l) => l.startsWith('Flux: mounted')), 'the pillars in the menu');
    const labels = h.control.menuLabels();
    expect(labels).toContain('Flux: mounted · 2.0 TiB free > Open');
    h.control.clickMenu('Flux: mounted · 2.0 TiB free > Open');
    h.control.clickMenu('Space: mounted · 5.0 TiB free > Remount');
    h.control.clickMenu('Remount all');
    await waitFor(() => h!.mounts.calls.length >= 4, 'mount calls');
    expect(h.mounts.calls).toEqual([['start'], ['open', 'flux'], ['remount', ['space']], ['remount', undefined]]);

    const desktop = path.join(h.dir, 'xdg', 'autostart', 'pillars.desktop');
    expect(existsSync(desktop)).toBe(false);
    h.control.clickMenu('Start at login');
    expect(readFileSync(desktop, 'utf8')).toContain('Exec=/opt/Pillars/pillars --hidden');
    expect(h.deps.settings.get().startAtLogin).toBe(true);
    h.app!.renderNow();
    const item = h.control.tray!.menu!.template.find((i) => i.label === 'Start at login');
    expect(item).toMatchObject({ type: 'checkbox', checked: true });
    h.control.clickMenu('Start at login');
    expect(existsSync(desktop)).toBe(false);

    // the preferences page changes the setting: the OS login item follows
    await h.control.invoke(CHANNELS.settingsSet, 'pillars://app/index.html#/preferences', { startAtLogin: true });
    await waitFor(() => existsSync(desktop), 'the autostart entry after the settings change');

    h.control.clickMenu('Quit Pillars');
    expect(h.control.calls.map((c) => c.api)).toContain('app.quit');
  });

  it('a stale pillar turns the icon to warning within a second, and sleep/network changes re-check', async () => {
    h = await startHarness();
    await waitFor(() => h!.control.tray?.tooltip === 'Pillars: not set up: open Preferences', 'first render');
    h.mounts.set('space', 'stale', 'no answer within 3 s');
    await waitFor(() => h!.control.tray!.tooltip === 'Pillars: 2 problems: not set up: open Preferences' || h!.control.menuLabels().includes('Space: not responding'), 'the stale pillar');
    expect(h.control.menuLabels()).toContain('Space: not responding > no answer within 3 s');
    h.electron.powerMonitor.emit('suspend');
    h.electron.powerMonitor.emit('resume');
    expect(h.mounts.calls).toContainEqual(['nudge', 'wake']);
    h.control.setOnline(false);
    await waitFor(() => h!.mounts.calls.some((c) => c[0] === 'nudge' && c[1] === 'network-change'), 'the network re-check');
  });

  it("shows the policy's notifications (a click acts), and none when notifications are off", async () => {
    h = await startHarness();
    await waitFor(() => h!.control.menuLabels().some((l) => l.startsWith('Flux: mounted')), 'the pillars');
    h.mounts.set('flux', 'failed-auth', 'motoko rejected the password');
    await waitFor(() => h!.control.notifications.length === 1, 'the notification');
    const n = h.control.notifications[0]!;
    expect(n.options).toMatchObject({ title: 'Flux: password rejected', body: 'motoko rejected the password', urgency: 'critical' });
    expect(n.shown).toBe(true);
    n.click();
    expect(h.control.windows.at(-1)!.webContents.url).toBe('pillars://app/index.html#/preferences');

    await h.control.invoke(CHANNELS.settingsSet, 'pillars://app/index.html', { notifications: false });
    h.mounts.set('space', 'failed-auth', 'rejected');
    await waitFor(() => h!.logs.some((l) => l.includes('notify [critical] Space: password rejected')), 'the logged notice');
    expect(h.control.notifications.length).toBe(1); // logged, not shown
  });

  it('renders at most once a second under a burst of changes, and the last state is rendered', async () => {
    h = await startHarness({ overrides: { tickMs: 60_000, netPollMs: 60_000 } });
    await waitFor(() => h!.control.tray !== undefined, 'the tray');
    await new Promise((r) => setTimeout(r, 1_100));
    const before = h.mounts.statusReads; // one status read per render
    const started = Date.now();
    for (let i = 0; i < 40; i++) {
      h.mounts.set('flux', i % 2 ? 'stale' : 'mounted');
      await new Promise((r) => setTimeout(r, 25));
    }
    const elapsed = Date.now() - started;
    const renders = h.mounts.statusReads - before;
    expect(renders).toBeGreaterThanOrEqual(1);
    expect(renders).toBeLessThanOrEqual(Math.ceil(elapsed / 1_000) + 1);
    await waitFor(() => h!.control.menuLabels().includes('Flux: not responding'), 'the final state (stale) in the menu', 2_000);
  });
});

describe('IPC sender checks', () => {
  it('answers the app pages only, refuses other origins and subframes, and never lets a page move the server', async () => {
    h = await startHarness({ settings: { server: { url: 'http://127.0.0.1:9', fingerprint: '' } }, tokens: { 'http://127.0.0.1:9': 'tok-123456789' } });
    const app = 'pillars://app/index.html#/preferences';
    const s = (await h.control.invoke(CHANNELS.settingsGet, app)) as { notifications: boolean };
    expect(s.notifications).toBe(true);
    await expect(h.control.invoke(CHANNELS.settingsGet, 'https://evil.example/')).rejects.toThrow(/not available to this page/);
    await expect(h.control.invokeFromSubframe(CHANNELS.settingsGet, app)).rejects.toThrow(/not available/);
    await expect(h.control.invoke(CHANNELS.settingsGet, 'http://127.0.0.1:9/')).rejects.toThrow(/not available/); // the server page gets the token, not the settings
    expect(h.logs.some((l) => l.includes('refused pillars:settings:get from https://evil.example'))).toBe(true);

    await expect(h.control.invoke(CHANNELS.settingsSet, app, { server: { url: 'https://evil.example' } })).rejects.toThrow(/'server' cannot be changed from this page \(pair again/);
    await expect(h.control.invoke(CHANNELS.settingsSet, app, { smb: { host: 'bad host!' } })).rejects.toThrow(/smb.*host/);
    await expect(h.control.invoke(CHANNELS.settingsSet, app, 'x')).rejects.toThrow(/must be an object/);
    const after = (await h.control.invoke(CHANNELS.settingsSet, app, { notifications: false, secret: { vaultUrl: 'https://kv-example.vault.azure.net' } })) as {
      notifications: boolean;
      secret: { vaultUrl: string; credential: string };
    };
    expect(after.notifications).toBe(false);
    expect(after.secret).toMatchObject({ vaultUrl: 'https://kv-example.vault.azure.net', credential: 'azure-cli' }); // merged, not replaced
    expect(h.deps.settings.get().server.url).toBe('http://127.0.0.1:9');

    await waitFor(async () => (await h!.control.invoke(CHANNELS.adminToken, 'http://127.0.0.1:9/#/runs')) === 'tok-123456789', 'the token for the server page');
    await expect(h.control.invoke(CHANNELS.adminToken, 'http://127.0.0.1:10/')).rejects.toThrow(/not available/);
    await expect(h.control.invoke(CHANNELS.setupPair, app, { url: 'x', fingerprint: 5, code: 'ABCD' })).rejects.toThrow(/fingerprint must be a string/);
  });
});

describe('hardening', () => {
  it('denies navigation, new windows, webviews and permissions; opens only allow-listed links; sets the CSP', async () => {
    h = await startHarness();
    const wc = h.control.newWebContents();
    let prevented = 0;
    const ev = { preventDefault: () => prevented++ };
    wc.emit('will-navigate', ev, 'https://evil.example/phish');
    wc.emit('will-attach-webview', ev, {}, {});
    wc.emit('will-redirect', ev, 'https://evil.example/');
    expect(prevented).toBe(3);
    const open = (url: string) => wc.openHandler!({ url } as never);
    expect(open('https://evil.example/x')).toEqual({ action: 'deny' });
    expect(open('https://github.com/pillars/pillars/issues')).toEqual({ action: 'deny' });
    expect(open('http://github.com/downgrade')).toEqual({ action: 'deny' });
    expect(h.control.calls.filter((c) => c.api === 'shell.openExternal').map((c) => c.args[0])).toEqual(['https://github.com/pillars/pillars/issues']);

    const answers: boolean[] = [];
    h.control.permission.request!({} as never, 'media', (ok) => answers.push(ok), {} as never);
    h.control.permission.request!({} as never, 'notifications', (ok) => answers.push(ok), {} as never);
    expect(answers).toEqual([false, false]);
    expect(h.control.permission.check!({} as never, 'geolocation', '', {} as never)).toBe(false);

    let headers: Record<string, string[]> = {};
    h.control.permission.headers!({ responseHeaders: { 'X-Other': ['1'] } }, (r: { responseHeaders: Record<string, string[]> }) => (headers = r.responseHeaders));
    expect(headers['Content-Security-Policy']![0]).toMatch(/^default-src 'none'; script-src 'self'; /);
    expect(headers['Content-Security-Policy']![0]).toContain("frame-ancestors 'none'");
    // pillarsd's pane brings its own strict CSP: kept as is, not doubled
    h.control.permission.headers!({ responseHeaders: { 'content-security-policy': ["default-src 'self'"], 'X-Other': ['1'] } }, (r: { responseHeaders: Record<string, string[]> }) => (headers = r.responseHeaders));
    expect(Object.entries(headers).filter(([k]) => k.toLowerCase() === 'content-security-policy')).toEqual([['content-security-policy', ["default-src 'self'"]]]);
    expect(headers['X-Other']).toEqual(['1']);
  });

  it('accepts the paired server certificate by its fingerprint only', async () => {
    const pems = selfsigned.generate([{ name: 'commonName', value: 'motoko' }], { days: 1, keySize: 2048, algorithm: 'sha256' });
    const other = selfsigned.generate([{ name: 'commonName', value: 'motoko' }], { days: 1, keySize: 2048, algorithm: 'sha256' });
    h = await startHarness({ settings: { server: { url: 'https://motoko:8443', fingerprint: fingerprintOfPem(pems.cert) } } });
    const verify = (hostname: string, pem: string) => {
      let result = NaN;
      h!.control.permission.verify!(
        { hostname, certificate: { data: pem }, validatedCertificate: { data: pem }, isIssuedByKnownRoot: false, verificationResult: 'net::ERR_CERT_AUTHORITY_INVALID', errorCode: -202 } as never,
        (r) => (result = r),
      );
      return result;
    };
    expect(verify('motoko', pems.cert)).toBe(0);
    expect(verify('motoko', other.cert)).toBe(-2);
    expect(verify('example.org', other.cert)).toBe(-3); // Chromium decides for everyone else
    expect(h.logs.some((l) => l.includes('refused motoko'))).toBe(true);
  });

  it('serves the renderer on pillars://app with the CSP and refuses paths outside it', async () => {
    h = await startHarness();
    mkdirSync(path.join(h.dir, 'renderer', 'assets'), { recursive: true });
    writeFileSync(path.join(h.dir, 'renderer', 'index.html'), '<!doctype html><title>x</title>');
    writeFileSync(path.join(h.dir, 'secret.txt'), 'nope');
    const handler = h.control.protocols.get('pillars')!;
    const get = (url: string) => handler({ url, method: 'GET' } as Request);
    const ok = await get('pillars://app/index.html');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(ok.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await ok.text()).toContain('<title>x</title>');
    expect((await get('pillars://app/')).status).toBe(200);
    for (const bad of ['pillars://app/../secret.txt', 'pillars://app/%2e%2e/secret.txt', 'pillars://app/..%2fsecret.txt', 'pillars://other/index.html', 'pillars://app/missing.js']) {
      expect((await get(bad)).status, bad).toBe(404);
    }
  });
});

describe('login items, notifications and logs', () => {
  it('macOS: SMAppService with requires-approval reported; Windows: the Run key with --hidden', () => {
    const { electron, control } = createElectronStandin();
    control.loginItems.approvalRequired = true;
    const mac = createLoginItem(electron, { os: 'darwin', env: {}, home: '/Users/u', execPath: '/Applications/Pillars.app/Contents/MacOS/Pillars' });
    expect(mac.set(true)).toEqual({ enabled: true, needsApproval: true });
    expect(control.calls.find((c) => c.api === 'app.setLoginItemSettings')!.args[0]).toEqual({ type: 'mainAppService', openAtLogin: true });
    expect(mac.set(false)).toEqual({ enabled: false, needsApproval: false });
    control.loginItems.approvalRequired = false;
    const win = createLoginItem(electron, { os: 'win32', env: {}, home: 'C:\\Users\\u', execPath: 'C:\\Pillars\\Pillars.exe' });
    expect(win.set(true)).toEqual({ enabled: true, needsApproval: false });
    expect(control.calls.filter((c) => c.api === 'app.setLoginItemSettings').at(-1)!.args[0]).toEqual({ args: ['--hidden'], openAtLogin: true });
  });

  it('every state has an icon file on every OS; red on macOS is a coloured image, not a template', () => {
    for (const os of ['darwin', 'win32', 'linux'] as const) {
      for (const icon of ['ok', 'working', 'warning', 'error', 'offline'] as const) expect(existsSync(trayIconPath('assets', os, icon)), `${os} ${icon}`).toBe(true);
    }
    expect(trayIconPath('assets', 'darwin', 'error')).toBe(path.join('assets', 'tray', 'mac', 'tray-errorColor.png'));
    expect(trayIconPath('assets', 'darwin', 'ok')).toBe(path.join('assets', 'tray', 'mac', 'tray-okTemplate.png'));
  });

  it('Linux autostart entries quote the Exec path per the Desktop Entry spec', () => {
    expect(autostartEntry('/home/u/Apps/Pillars $1.AppImage', ['--hidden'])).toContain('Exec="/home/u/Apps/Pillars \\$1.AppImage" --hidden\n');
  });

  it('notification severities map to urgency and sound', () => {
    const base = { key: 'k', title: 't', body: 'b', action: null };
    expect(notificationOptions({ ...base, severity: 'critical' }, undefined)).toMatchObject({ urgency: 'critical', silent: false, timeoutType: 'never' });
    expect(notificationOptions({ ...base, severity: 'warning' }, undefined)).toMatchObject({ urgency: 'normal', silent: false });
    expect(notificationOptions({ ...base, severity: 'info' }, '/i.png')).toMatchObject({ urgency: 'low', silent: true, icon: '/i.png' });
  });

  it('logs are redacted before any transport and rotate by size', () => {
    const lines: unknown[][] = [];
    const fake: ElectronLogLike = {
      transports: { file: { maxSize: 0, level: 'silly' }, console: { level: 'silly' } },
      hooks: [],
      info: (...a) => lines.push(a),
      warn: (...a) => lines.push(a),
      error: (...a) => lines.push(a),
    };
    const log = configureElectronLog(fake, { console: false });
    expect(fake.transports.file.maxSize).toBe(LOG_MAX_BYTES);
    expect(fake.transports.console.level).toBe(false);
    log.warn('pairing failed: {"code":"ABCD-EFGH"} Authorization: Bearer pl_secret_token_1');
    expect(JSON.stringify(lines)).not.toMatch(/ABCD-EFGH|pl_secret_token_1/);
    // a library logging through electron-log directly is caught by the hook
    const out = fake.hooks[0]!({ data: ['smb://mike:hunter2@motoko/flux', { password: 'pw1' }] });
    expect(JSON.stringify(out)).not.toMatch(/hunter2|pw1/);
    const plain: string[] = [];
    createLogger({ info: (m) => plain.push(String(m)), warn: () => {}, error: () => {} }).info('token=abc123');
    expect(plain).toEqual(['token=[redacted]']);
  });
});
