// The tray's input and output as plain data. The input is what the client core knows at one moment
// (mounts, the server's last status, where we are); the output is what the Electron glue renders
// (icon, tooltip, menu). Nothing here knows about Electron.
import type { StatusResponse } from '../../../../server/src/contract/api';
import type { OsName, PillarState } from '../../../platform/types';

export type TrayIcon = 'ok' | 'working' | 'warning' | 'error' | 'offline';

/** How the client stands with pillarsd. */
export type ConnectionState =
  | 'unpaired' // no server URL or token yet: first run
  | 'connecting'
  | 'connected'
  | 'unreachable' // network error or timeout
  | 'unauthorized' // 401/403: the token was revoked
  | 'pin-mismatch'; // the server's certificate is not the one we paired with

export type Location = 'home' | 'away' | 'unknown';

export interface PillarView {
  id: string;
  label: string;
  state: PillarState;
  reason: string | null;
  freeBytes: number | null;
}

export interface TrayInput {
  /** ms since the epoch */
  now: number;
  os: OsName;
  location: Location;
  pillars: PillarView[];
  server: {
    connection: ConnectionState;
    /** The last status received; kept while unreachable so a known failure stays red. */
    status: StatusResponse | null;
    /** Host name shown to the user ("motoko"). */
    host: string | null;
  };
  /** This Mac's last Time Machine backup (macOS only; null elsewhere or when unknown). */
  timeMachine: { latestBackupAt: string | null } | null;
  startAtLogin: boolean;
  /** What the tray's subsystems (a self-updater) add: menu lines above "Open admin pane", problems. */
  extras?: ReadonlyArray<{ menu: MenuItemSpec[]; problems: Problem[] }>;
}

export type TrayAction =
  | { kind: 'open-pillar'; id: string }
  /** force: the user confirmed that files open on the share may be closed */
  | { kind: 'remount'; id: string; force?: boolean }
  | { kind: 'remount-all' }
  | { kind: 'open-admin' }
  | { kind: 'open-run'; runId: string }
  | { kind: 'preferences' }
  | { kind: 'toggle-start-at-login' }
  /** addressed to one of the controller's subsystems (TraySubsystem.act) */
  | { kind: 'subsystem'; name: string; action: string }
  | { kind: 'quit' };

export type MenuItemSpec =
  | { type: 'separator' }
  | { type: 'text'; label: string } // informative, disabled
  | { type: 'action'; label: string; action: TrayAction; enabled?: boolean }
  | { type: 'checkbox'; label: string; checked: boolean; action: TrayAction }
  | { type: 'submenu'; label: string; items: MenuItemSpec[] };

export type Severity = 'info' | 'warning' | 'error';

export interface Problem {
  severity: Severity;
  /** Short, for the tooltip ("Flux snapshot failed"). */
  text: string;
}

export interface TrayModel {
  icon: TrayIcon;
  /** One line (Windows caps tooltips at 127 characters). */
  tooltip: string;
  menu: MenuItemSpec[];
  problems: Problem[];
}
