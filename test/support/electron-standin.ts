// A recording stand-in for the `electron` module. The Electron binary can't be downloaded on these
// machines, so the glue runs in Node against this: every call is recorded for the tests to assert.
// It is typed as implementing ElectronPort, which is derived from the real electron.d.ts
// (src/main/electron/port.ts), plus the renderer-side pieces the preload uses; so a call whose
// shape doesn't match Electron's own signatures fails to compile, here and in the glue.
import { EventEmitter } from 'node:events';
import type * as E from 'electron';
import type { BrowserWindowPort, ElectronPort, NotificationPort, SessionPort, TrayPort, WebContentsPort } from '../../src/main/electron/port';

/** The renderer-side subset the preload uses, also from the real types. */
export interface PreloadPort {
  contextBridge: Pick<E.ContextBridge, 'exposeInMainWorld'>;
  ipcRenderer: Pick<E.IpcRenderer, 'invoke'>;
}

export interface Call {
  api: string;
  args: unknown[];
}

type Listener = (...args: any[]) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A NativeImage stand-in: only where it came from matters to the tests. */
export interface FakeImage {
  fakePath: string;
}
/** A Menu stand-in: keeps the template it was built from (click handlers included). */
export interface FakeMenu {
  template: E.MenuItemConstructorOptions[];
}

// `on`/`once` return `any` only because Electron's return `this` (the full class) that a stand-in
// can't be; their parameters still have to match each of Electron's overloads.
export class Emitter {
  protected readonly ee = new EventEmitter();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  on(event: string, listener: Listener): any {
    this.ee.on(event, listener);
    return this;
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  once(event: string, listener: Listener): any {
    this.ee.once(event, listener);
    return this;
  }
  emit(event: string, ...args: unknown[]): boolean {
    return this.ee.emit(event, ...args);
  }
  listenerCount(event: string): number {
    return this.ee.listenerCount(event);
  }
}

export function createElectronStandin(opts: { platform?: NodeJS.Platform; userData?: string } = {}) {
  const calls: Call[] = [];
  const rec = (api: string, ...args: unknown[]) => calls.push({ api, args });

  class StandinTray extends Emitter implements TrayPort {
    static instances: StandinTray[] = [];
    image: FakeImage;
    tooltip = '';
    menu: FakeMenu | null = null;
    destroyed = false;
    constructor(image: E.NativeImage) {
      super();
      this.image = image as unknown as FakeImage;
      rec('new Tray', this.image.fakePath);
      StandinTray.instances.push(this);
    }
    setImage(image: E.NativeImage | string): void {
      this.image = image as unknown as FakeImage;
      rec('tray.setImage', this.image.fakePath);
    }
    setToolTip(toolTip: string): void {
      this.tooltip = toolTip;
      rec('tray.setToolTip', toolTip);
    }
    setContextMenu(menu: E.Menu | null): void {
      this.menu = menu as unknown as FakeMenu | null;
      rec('tray.setContextMenu', this.menu?.template.length ?? 0);
    }
    popUpContextMenu(menu?: E.Menu, position?: E.Point): void {
      rec('tray.popUpContextMenu', menu, position);
    }
    destroy(): void {
      this.destroyed = true;
      rec('tray.destroy');
    }
    isDestroyed(): boolean {
      return this.destroyed;
    }
  }

  class StandinNotification extends Emitter implements NotificationPort {
    static instances: StandinNotification[] = [];
    static supported = true;
    static isSupported(): boolean {
      return StandinNotification.supported;
    }
    shown = false;
    constructor(readonly options: E.NotificationConstructorOptions) {
      super();
      rec('new Notification', options);
      StandinNotification.instances.push(this);
    }
    show(): void {
      this.shown = true;
      rec('notification.show', this.options.title);
    }
    close(): void {
      this.emit('close', {});
    }
    /** What a user's click does. */
    click(): void {
      this.emit('click', {});
    }
  }

  class StandinWebContents extends Emitter implements WebContentsPort {
    static seq = 0;
    readonly id = ++StandinWebContents.seq;
    url = '';
    openHandler: Parameters<E.WebContents['setWindowOpenHandler']>[0] | null = null;
    setWindowOpenHandler(handler: Parameters<E.WebContents['setWindowOpenHandler']>[0]): void {
      this.openHandler = handler;
    }
    getURL(): string {
      return this.url;
    }
  }

  class StandinWindow extends Emitter implements BrowserWindowPort {
    static instances: StandinWindow[] = [];
    readonly webContents = new StandinWebContents();
    destroyed = false;
    visible = false;
    constructor(readonly options: E.BrowserWindowConstructorOptions) {
      super();
      rec('new BrowserWindow', options);
      StandinWindow.instances.push(this);
      app.emit('web-contents-created', {}, this.webContents);
    }
    async loadURL(url: string): Promise<void> {
      this.webContents.url = url;
      rec('window.loadURL', url);
      queueMicrotask(() => this.emit('ready-to-show'));
    }
    show(): void {
      this.visible = true;
    }
    focus(): void {
      rec('window.focus');
    }
    close(): void {
      this.destroy();
    }
    destroy(): void {
      if (this.destroyed) return;
      this.destroyed = true;
      rec('window.destroy', this.webContents.url);
      this.emit('closed');
    }
    isDestroyed(): boolean {
      return this.destroyed;
    }
  }

  const loginItems = { openAtLogin: false, status: 'not-registered' as E.LoginItemSettings['status'], approvalRequired: false };
  const readyWaiters: Array<() => void> = [];
  let ready = false;

  class StandinApp extends Emitter {
    isPackaged = false;
    singleInstance = true;
    readonly dock = { hide: () => void rec('app.dock.hide') };
    whenReady(): Promise<void> {
      return ready ? Promise.resolve() : new Promise((r) => readyWaiters.push(r));
    }
    quit(): void {
      rec('app.quit');
      this.emit('before-quit', {});
    }
    requestSingleInstanceLock(): boolean {
      rec('app.requestSingleInstanceLock');
      return this.singleInstance;
    }
    setAppUserModelId(id: string): void {
      rec('app.setAppUserModelId', id);
    }
    setLoginItemSettings(settings: E.Settings): void {
      rec('app.setLoginItemSettings', settings);
      loginItems.openAtLogin = settings.openAtLogin === true;
      loginItems.status = !settings.openAtLogin ? 'not-registered' : loginItems.approvalRequired ? 'requires-approval' : 'enabled';
    }
    getLoginItemSettings(options?: E.LoginItemSettingsOptions): E.LoginItemSettings {
      rec('app.getLoginItemSettings', options);
      return {
        openAtLogin: loginItems.openAtLogin,
        openAsHidden: false,
        wasOpenedAtLogin: false,
        wasOpenedAsHidden: false,
        restoreState: false,
        status: loginItems.status,
        executableWillLaunchAtLogin: loginItems.openAtLogin,
        launchItems: [],
      };
    }
    getPath(name: Parameters<E.App['getPath']>[0]): string {
      return `${opts.userData ?? '/tmp/pillars-standin'}/${name}`;
    }
    getAppPath(): string {
      return process.cwd();
    }
    version = '0.0.0-standin';
    getVersion(): string {
      return this.version;
    }
    getName(): string {
      return 'Pillars';
    }
    relaunch(): void {
      rec('app.relaunch');
    }
  }
  const app = new StandinApp();

  const ipcHandlers = new Map<string, (event: E.IpcMainInvokeEvent, ...args: any[]) => unknown>(); // eslint-disable-line @typescript-eslint/no-explicit-any
  const permission: {
    request: Parameters<SessionPort['setPermissionRequestHandler']>[0];
    check: Parameters<SessionPort['setPermissionCheckHandler']>[0];
    verify: Parameters<SessionPort['setCertificateVerifyProc']>[0];
    headers: Listener | null;
  } = {
    request: null,
    check: null,
    verify: null,
    headers: null,
  };
  const protocols = new Map<string, (request: Request) => Response | Promise<Response>>();
  const privileged: E.CustomScheme[] = [];
  const exposed = new Map<string, unknown>();
  let online = true;
  let preloadSender = 'pillars://app/index.html';

  const session: SessionPort = {
    setPermissionRequestHandler(handler) {
      permission.request = handler;
    },
    setPermissionCheckHandler(handler) {
      permission.check = handler;
    },
    setCertificateVerifyProc(proc) {
      permission.verify = proc;
    },
    webRequest: {
      onHeadersReceived(...args: unknown[]) {
        permission.headers = (args.length === 2 ? args[1] : args[0]) as Listener;
      },
    },
  };

  const electron = {
    app,
    Tray: StandinTray,
    Menu: {
      buildFromTemplate(template: Array<E.MenuItemConstructorOptions | E.MenuItem>): E.Menu {
        return { template } as unknown as E.Menu;
      },
    },
    Notification: StandinNotification,
    BrowserWindow: StandinWindow,
    nativeImage: {
      createFromPath(path: string): E.NativeImage {
        return { fakePath: path } as unknown as E.NativeImage;
      },
    },
    powerMonitor: new Emitter(),
    net: {
      isOnline: () => online,
      fetch: (input: string | Request, init?: RequestInit) => fetch(input, init),
    },
    ipcMain: {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      handle(channel: string, listener: (event: E.IpcMainInvokeEvent, ...args: any[]) => unknown): void {
        rec('ipcMain.handle', channel);
        ipcHandlers.set(channel, listener);
      },
      removeHandler(channel: string): void {
        ipcHandlers.delete(channel);
      },
    },
    shell: {
      async openExternal(url: string): Promise<void> {
        rec('shell.openExternal', url);
      },
      async openPath(path: string): Promise<string> {
        rec('shell.openPath', path);
        return '';
      },
    },
    session: { defaultSession: session },
    protocol: {
      handle(scheme: string, handler: (request: Request) => Response | Promise<Response>): void {
        rec('protocol.handle', scheme);
        protocols.set(scheme, handler);
      },
      registerSchemesAsPrivileged(schemes: E.CustomScheme[]): void {
        rec('protocol.registerSchemesAsPrivileged', schemes);
        privileged.push(...schemes);
      },
    },
    safeStorage: {
      isEncryptionAvailable: () => false,
      encryptString: (s: string) => Buffer.from(s),
      decryptString: (b: Buffer) => b.toString(),
      getSelectedStorageBackend: () => 'basic_text' as const,
    },
    // renderer side, for the preload
    contextBridge: {
      exposeInMainWorld(apiKey: string, api: unknown): void {
        rec('contextBridge.exposeInMainWorld', apiKey);
        exposed.set(apiKey, api);
      },
    },
    ipcRenderer: {
      invoke(channel: string, ...args: unknown[]): Promise<unknown> {
        return control.invoke(channel, preloadSender, ...args);
      },
    },
  } satisfies ElectronPort & PreloadPort;

  const control = {
    calls,
    trays: StandinTray.instances,
    notifications: StandinNotification.instances,
    windows: StandinWindow.instances,
    exposed,
    privileged,
    protocols,
    permission,
    loginItems,
    get tray(): StandinTray | undefined {
      return StandinTray.instances.at(-1);
    },
    ready() {
      ready = true;
      for (const r of readyWaiters.splice(0)) r();
    },
    setOnline(v: boolean) {
      online = v;
    },
    setNotificationsSupported(v: boolean) {
      StandinNotification.supported = v;
    },
    setPreloadSender(url: string) {
      preloadSender = url;
    },
    /** An IPC call as Electron would deliver it from a frame at `senderUrl` (a subframe when `subframe`). */
    async invoke(channel: string, senderUrl: string, ...args: unknown[]): Promise<unknown> {
      const h = ipcHandlers.get(channel);
      if (!h) throw new Error(`No handler registered for '${channel}'`);
      const event = { senderFrame: { url: senderUrl, parent: null }, sender: {} } as unknown as E.IpcMainInvokeEvent;
      return h(event, ...args);
    },
    async invokeFromSubframe(channel: string, senderUrl: string, ...args: unknown[]): Promise<unknown> {
      const h = ipcHandlers.get(channel);
      if (!h) throw new Error(`No handler registered for '${channel}'`);
      const event = { senderFrame: { url: senderUrl, parent: { url: senderUrl } }, sender: {} } as unknown as E.IpcMainInvokeEvent;
      return h(event, ...args);
    },
    handlers: () => [...ipcHandlers.keys()],
    /** The labels of the current tray menu, submenus as "Parent > Child". */
    menuLabels(): string[] {
      const walk = (items: E.MenuItemConstructorOptions[], prefix: string): string[] =>
        items.flatMap((i) => (i.type === 'separator' ? [] : [prefix + (i.label ?? ''), ...(Array.isArray(i.submenu) ? walk(i.submenu as E.MenuItemConstructorOptions[], `${prefix}${i.label} > `) : [])]));
      return walk(control.tray?.menu?.template ?? [], '');
    },
    /** Clicks the menu item with this label (path "Parent > Child" for submenus). */
    clickMenu(label: string): void {
      const find = (items: E.MenuItemConstructorOptions[], prefix: string): E.MenuItemConstructorOptions | undefined => {
        for (const i of items) {
          if (prefix + (i.label ?? '') === label) return i;
          if (Array.isArray(i.submenu)) {
            const f = find(i.submenu as E.MenuItemConstructorOptions[], `${prefix}${i.label} > `);
            if (f) return f;
          }
        }
        return undefined;
      };
      const item = find(control.tray?.menu?.template ?? [], '');
      if (!item?.click) throw new Error(`no clickable menu item '${label}' in: ${control.menuLabels().join(' | ')}`);
      (item.click as () => void)();
    },
    /** A new WebContents as Electron announces it (for the hardening handlers). */
    newWebContents(): StandinWebContents {
      const wc = new StandinWebContents();
      app.emit('web-contents-created', {}, wc);
      return wc;
    },
  };

  return { electron, control };
}

export type ElectronStandin = ReturnType<typeof createElectronStandin>;
