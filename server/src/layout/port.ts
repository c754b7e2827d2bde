// What layout init and audit need from the machine (infra/layout-fs.ts is the real one).
export interface LayoutStat {
  kind: 'dir' | 'file' | 'link' | 'other';
  uid: number;
  gid: number;
  /** Permission bits including setuid/setgid/sticky (mode & 0o7777). */
  mode: number;
}

export interface LayoutFs {
  /** lstat: a symlink is reported as 'link', never followed. */
  stat(path: string): Promise<LayoutStat | null>;
  readdir(path: string): Promise<string[]>;
  readText(path: string): Promise<string | null>;
  /** Creates one folder (not recursive) and sets owner and mode explicitly (umask-proof). */
  mkdir(path: string, uid: number, gid: number, mode: number): Promise<void>;
  /** Creates a new file; fails when it exists. */
  writeNew(path: string, text: string, uid: number, gid: number, mode: number): Promise<void>;
  isMountPoint(path: string): Promise<boolean>;
  /** uid and primary gid of a user, or null when there is no such user. */
  user(name: string): Promise<{ uid: number; gid: number } | null>;
  gidOf(group: string): Promise<number | null>;
  /** Names for messages; the number when unknown. */
  userName(uid: number): Promise<string>;
  groupName(gid: number): Promise<string>;
}
