// What the Samba manager needs from the machine; the real one is infra/samba-host.ts.
export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

import type { ModuleHost } from './modules';

export interface SambaHost extends ModuleHost {
  /** File text, or null when it does not exist. */
  readText(path: string): Promise<string | null>;
  /** Temp file in the same folder, fsync, rename over, fsync the folder. Keeps an existing file's mode. */
  writeAtomic(path: string, text: string): Promise<void>;
  mkdirp(path: string): Promise<void>;
  list(dir: string): Promise<string[]>;
  remove(path: string): Promise<void>;
  isDirectory(path: string): Promise<boolean>;
  userExists(name: string): Promise<boolean>;
  /** A private temp folder (0700), removed by the returned cleanup. */
  tempDir(): Promise<{ path: string; cleanup(): Promise<void> }>;
  testparm(confPath: string): Promise<ToolResult>;
  /** smbcontrol --configfile=CONF smbd reload-config */
  reload(configFile: string): Promise<ToolResult>;
  /**
   * Takes a lock file (O_EXCL, holding our pid) so a CLI apply and the server's apply never
   * interleave; a lock whose pid is gone is taken over. Resolves to the release function, or null
   * when another live process holds it.
   */
  lock(path: string): Promise<(() => Promise<void>) | null>;
  /** avahi-daemon's host name over the system D-Bus (dbus-send); null when dbus-send is missing. */
  avahiHostName(): Promise<ToolResult | null>;
  /** `avahi-browse -p -r -t -k TYPE`: resolved services of one type; null when avahi-browse is missing. */
  avahiBrowse(type: string): Promise<ToolResult | null>;
  /** smbpasswd -c CONF -s -a USER with the password twice on stdin. */
  setSmbPassword(configFile: string, user: string, password: string): Promise<ToolResult>;
}

/** Checks after a reload that the shares answer (smbclient, password through env). */
export interface ShareProbe {
  /** One entry per share that did not answer, with the reason. */
  check(shares: string[]): Promise<Array<{ share: string; problem: string }>>;
}
