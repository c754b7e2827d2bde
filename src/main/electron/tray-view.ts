// Renders a TrayModel onto Electron's Tray: the icon for the state and OS, the one-line tooltip,
// and the menu rebuilt from its plain-data description. Unchanged models are not re-rendered.
import path from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import type { OsName } from '../../platform/types';
import type { MenuItemSpec, TrayAction, TrayIcon, TrayModel } from '../core/tray/types';
import type { ElectronPort, TrayPort } from './port';

/** Where each state's icon lives under assets/ (see scripts/make-icons.mjs). */
export function trayIconPath(assetsDir: string, os: OsName, icon: TrayIcon): string {
  switch (os) {
    case 'darwin':
      // Template images follow the menu bar's light/dark look; red can't be a template, so the
      // error state uses a coloured image: the whole point is that a failure is seen.
      return path.join(assetsDir, 'tray', 'mac', icon === 'error' ? 'tray-errorColor.png' : `tray-${icon}Template.png`);
    case 'win32':
      return path.join(assetsDir, 'tray', 'win', `tray-${icon}.ico`);
    default:
      return path.join(assetsDir, 'tray', 'linux', `tray-${icon}.png`);
  }
}

export function toMenuTemplate(items: MenuItemSpec[], dispatch: (a: TrayAction) => void): MenuItemConstructorOptions[] {
  return items.map((i): MenuItemConstructorOptions => {
    switch (i.type) {
      case 'separator':
        return { type: 'separator' };
      case 'text':
        return { label: i.label, enabled: false };
      case 'action':
        return { label: i.label, enabled: i.enabled ?? true, click: () => dispatch(i.action) };
      case 'checkbox':
        return { label: i.label, type: 'checkbox', checked: i.checked, click: () => dispatch(i.action) };
      case 'submenu':
        return { label: i.label, submenu: toMenuTemplate(i.items, dispatch) };
    }
  });
}

export interface TrayView {
  render(model: TrayModel): boolean;
  destroy(): void;
}

export function createTrayView(electron: Pick<ElectronPort, 'Tray' | 'Menu' | 'nativeImage'>, opts: { os: OsName; assetsDir: string; dispatch: (a: TrayAction) => void }): TrayView {
  const image = (icon: TrayIcon) => electron.nativeImage.createFromPath(trayIconPath(opts.assetsDir, opts.os, icon));
  let tray: TrayPort | null = null;
  let lastIcon: TrayIcon | null = null;
  let lastTip = '';
  let lastMenu = '';
  return {
    render(model) {
      if (!tray) {
        tray = new electron.Tray(image(model.icon));
        lastIcon = model.icon;
        // Windows shows the context menu on a right click only; a left click should show it too.
        // (macOS opens it on any click; Linux AppIndicators have no click event.)
        if (opts.os === 'win32') {
          const t = tray;
          t.on('click', () => t.popUpContextMenu());
        }
      }
      let changed = false;
      if (model.icon !== lastIcon) {
        tray.setImage(image(model.icon));
        lastIcon = model.icon;
        changed = true;
      }
      if (model.tooltip !== lastTip) {
        tray.setToolTip(model.tooltip);
        lastTip = model.tooltip;
        changed = true;
      }
      const menuKey = JSON.stringify(model.menu);
      if (menuKey !== lastMenu) {
        tray.setContextMenu(electron.Menu.buildFromTemplate(toMenuTemplate(model.menu, opts.dispatch)));
        lastMenu = menuKey;
        changed = true;
      }
      return changed;
    },
    destroy() {
      if (tray && !tray.isDestroyed()) tray.destroy();
      tray = null;
    },
  };
}
