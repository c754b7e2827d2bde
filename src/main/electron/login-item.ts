// Start at login through each platform's own mechanism:
// - macOS 13+: SMAppService via app.setLoginItemSettings({ type: 'mainAppService' }); the user may
//   have to allow it in System Settings › General › Login Items, reported as 'requires-approval'
//   (electronjs.org/docs/latest/api/app#appgetloginitemsettingsoptions-macos-windows).
// - Windows: the Run key via app.setLoginItemSettings({ openAtLogin }).
// - Linux: an XDG autostart entry, ~/.config/autostart/pillars.desktop
//   (specifications.freedesktop.org/autostart-spec), which Electron does not manage there.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { OsName } from '../../platform/types';
import type { ElectronPort } from './port';

export type { LoginItem, LoginState } from '../core/tray/controller';
import type { LoginItem } from '../core/tray/controller';

/** Quotes an Exec= argument per the Desktop Entry spec (double quotes; \ " ` $ escaped). */
export function desktopExecArg(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `"${arg.replace(/[\\"`$]/g, (c) => `\\${c}`)}"`;
}

export function autostartEntry(exec: string, args: readonly string[] = []): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Pillars',
    'Comment=Mounts the home lab pillars and shows backup health',
    `Exec=${[exec, ...args].map(desktopExecArg).join(' ')}`,
    'Icon=pillars',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export function autostartFile(env: NodeJS.ProcessEnv, home: string): string {
  return path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'autostart', 'pillars.desktop');
}

export function createLoginItem(electron: Pick<ElectronPort, 'app'>, o: { os: OsName; env: NodeJS.ProcessEnv; home: string; execPath: string }): LoginItem {
  if (o.os === 'linux') {
    const file = autostartFile(o.env, o.home);
    // An AppImage runs from a temporary mount; its own path is in $APPIMAGE.
    const exec = o.env.APPIMAGE || o.execPath;
    const read = () => {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return null;
      }
    };
    return {
      get: () => ({ enabled: read()?.includes('X-GNOME-Autostart-enabled=true') ?? false, needsApproval: false }),
      set(enabled) {
        if (enabled) {
          mkdirSync(path.dirname(file), { recursive: true });
          writeFileSync(file, autostartEntry(exec, ['--hidden']), { mode: 0o644 });
        } else rmSync(file, { force: true });
        return this.get();
      },
    };
  }
  const opts: { type?: 'mainAppService'; args?: string[] } = o.os === 'darwin' ? { type: 'mainAppService' } : { args: ['--hidden'] };
  return {
    get() {
      const s = electron.app.getLoginItemSettings(opts);
      return { enabled: s.openAtLogin || s.status === 'enabled' || s.status === 'requires-approval', needsApproval: o.os === 'darwin' && s.status === 'requires-approval' };
    },
    set(enabled) {
      electron.app.setLoginItemSettings({ ...opts, openAtLogin: enabled });
      return this.get();
    },
  };
}
