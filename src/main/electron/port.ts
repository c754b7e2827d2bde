// The part of Electron's API the glue uses, as a type derived from the real electron.d.ts. main.ts
// passes the real module (so tsc proves the module provides all of it); the tests pass a recording
// stand-in typed against this same subset (test/support/electron-standin.ts), so a call that
// doesn't match Electron's signatures fails to compile in either place.
import type * as E from 'electron';

export type WebContentsPort = Pick<E.WebContents, 'id' | 'on' | 'setWindowOpenHandler' | 'getURL'>;

export type BrowserWindowPort = Pick<E.BrowserWindow, 'loadURL' | 'on' | 'once' | 'show' | 'focus' | 'destroy' | 'isDestroyed' | 'close'> & {
  webContents: WebContentsPort;
};

export type TrayPort = Pick<E.Tray, 'setImage' | 'setToolTip' | 'setContextMenu' | 'popUpContextMenu' | 'on' | 'destroy' | 'isDestroyed'>;

export type NotificationPort = Pick<E.Notification, 'show' | 'on' | 'close'>;

export type SessionPort = Pick<E.Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setCertificateVerifyProc'> & {
  webRequest: Pick<E.WebRequest, 'onHeadersReceived'>;
};

export interface ElectronPort {
  app: Pick<
    E.App,
    | 'whenReady'
    | 'on'
    | 'once'
    | 'quit'
    | 'relaunch'
    | 'requestSingleInstanceLock'
    | 'setAppUserModelId'
    | 'setLoginItemSettings'
    | 'getLoginItemSettings'
    | 'getPath'
    | 'getAppPath'
    | 'isPackaged'
    | 'getVersion'
    | 'getName'
  > & { dock?: Pick<E.Dock, 'hide'> };
  Tray: new (image: E.NativeImage) => TrayPort;
  Menu: Pick<typeof E.Menu, 'buildFromTemplate'>;
  Notification: (new (options: E.NotificationConstructorOptions) => NotificationPort) & Pick<typeof E.Notification, 'isSupported'>;
  BrowserWindow: new (options: E.BrowserWindowConstructorOptions) => BrowserWindowPort;
  nativeImage: Pick<typeof E.nativeImage, 'createFromPath'>;
  powerMonitor: Pick<E.PowerMonitor, 'on'>;
  net: Pick<typeof E.net, 'isOnline' | 'fetch'>;
  ipcMain: Pick<E.IpcMain, 'handle' | 'removeHandler'>;
  shell: Pick<E.Shell, 'openExternal' | 'openPath'>;
  session: { defaultSession: SessionPort };
  protocol: Pick<E.Protocol, 'handle' | 'registerSchemesAsPrivileged'>;
  safeStorage: Pick<E.SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString' | 'getSelectedStorageBackend'>;
}

export type { E as ElectronTypes };
