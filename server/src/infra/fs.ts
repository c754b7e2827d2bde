// File-system effects the engine needs, kept in infra so config/, jobs/ and secrets/ stay testable
// and the lint rule "only infra touches fs" holds. Pillars on the server are local disks (the
// network mounts live on the clients), so synchronous calls are acceptable here.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { getSystemErrorMap } from 'node:util';

export function readText(file: string): string {
  return fs.readFileSync(file, 'utf8');
}

export function exists(p: string): boolean {
  return fs.existsSync(p);
}

export function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The path with every symlink resolved (the file a rewrite must replace), or throws the fs error. */
export function realPath(p: string): string {
  return fs.realpathSync(p);
}

/** The permission bits of a file (e.g. 0o600), or throws the fs error. */
export function fileMode(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

export function ensureDir(dir: string, mode = 0o755): void {
  fs.mkdirSync(dir, { recursive: true, mode });
}

/** A folder only this user can enter: where password files for children live (rule 6). */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
}

/** A file only this user may read or write: created 0600, or narrowed to 0600, whatever the umask. */
export function ensurePrivateFile(file: string): void {
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  fs.chmodSync(file, 0o600);
}

/** Narrows each of these files that exists to 0600. */
export function narrowExisting(files: readonly string[]): void {
  for (const f of files) {
    try {
      fs.chmodSync(f, 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}

/**
 * A random secret of `bytes` bytes kept in a 0600 file, made the first time it is asked for. Made
 * whole before it appears (written aside, then linked into place), so two processes starting at
 * once agree on one secret and neither reads a half-written one.
 */
export function secretFile(file: string, bytes = 32): Buffer {
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(tmp, randomBytes(bytes), { mode: 0o600, flag: 'wx' });
    try {
      fs.linkSync(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
  fs.chmodSync(file, 0o600);
  const key = fs.readFileSync(file);
  if (key.length < 16) throw new Error(`${file} holds ${key.length} bytes, too short a secret: remove it and pillarsd makes a new one`);
  return key;
}

/** Writes `content` to a new 0600 file with a random name inside `dir` and returns its path. */
export function writePrivateFile(dir: string, prefix: string, content: string): string {
  ensurePrivateDir(dir);
  const file = path.join(dir, `${prefix}-${randomBytes(8).toString('hex')}`);
  fs.writeFileSync(file, content, { mode: 0o600, flag: 'wx' });
  return file;
}

export function removeFile(file: string): void {
  fs.rmSync(file, { force: true });
}

/** Writes a file atomically (temp + rename) so a crash never leaves it half-written. */
export function writeFileAtomic(file: string, content: string, mode = 0o644): void {
  ensureDir(path.dirname(file));
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, content, { mode });
  fs.renameSync(tmp, file);
}

/**
 * Whether a folder has at least one entry other than the names in `ignore`. Reads the directory
 * stream lazily: an archive of millions of files is not listed to answer "is it empty?".
 */
export function hasEntries(dir: string, ignore: readonly string[] = []): boolean {
  const d = fs.opendirSync(dir);
  try {
    for (let e = d.readSync(); e; e = d.readSync()) if (!ignore.includes(e.name)) return true;
    return false;
  } finally {
    d.closeSync();
  }
}

/**
 * Whether a folder tree holds anything but folders (a file, a link, a socket…), depth first,
 * stopping at the first one; `ignoreAtTop` names entries of the top folder that do not count (a
 * pillar's sentinel). With none found, how many folders were walked. A folder it cannot list
 * counts as holding something (what restic makes of it is reported by the backup).
 */
export function holdsFiles(dir: string, ignoreAtTop: readonly string[] = []): { found: true } | { found: false; folders: number } {
  const stack = [dir];
  let folders = 0;
  while (stack.length) {
    const d = stack.pop()!;
    folders++;
    let h: fs.Dir;
    try {
      h = fs.opendirSync(d);
    } catch {
      // a folder we cannot list may hold anything: the backup itself reports it
      return { found: true };
    }
    try {
      for (let e = h.readSync(); e; e = h.readSync()) {
        if (d === dir && ignoreAtTop.includes(e.name)) continue;
        if (!e.isDirectory()) return { found: true };
        stack.push(path.join(d, e.name));
      }
    } finally {
      h.closeSync();
    }
  }
  return { found: false, folders: folders - 1 };
}

export interface SpaceInfo {
  totalBytes: number;
  freeBytes: number;
}

export function diskSpace(p: string): SpaceInfo | null {
  try {
    const s = fs.statfsSync(p);
    return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
  } catch {
    return null;
  }
}

/** Mount points from /proc/self/mountinfo (Linux), with the kernel's octal escapes decoded. */
export function mountPoints(): Set<string> | null {
  try {
    const text = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    const out = new Set<string>();
    for (const line of text.split('\n')) {
      const f = line.split(' ');
      if (f.length > 4) out.add(f[4]!.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))));
    }
    return out;
  } catch {
    return null;
  }
}

/** True when `p` is a mount point: listed in mountinfo (`mounts`: read once for many checks), or (elsewhere) on another device than its parent. */
export function isMountPoint(p: string, mounts: Set<string> | null = mountPoints()): boolean {
  let real: string;
  try {
    real = fs.realpathSync(p);
  } catch {
    return false;
  }
  if (mounts) return mounts.has(real);
  try {
    return fs.statSync(real).dev !== fs.statSync(path.dirname(real)).dev || real === path.dirname(real);
  } catch {
    return false;
  }
}

/** The text of a small file, or null when it is missing or unreadable. */
export function readSmallFile(file: string, maxBytes = 4096): string | null {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(maxBytes);
      const n = fs.readSync(fd, buf, 0, maxBytes, 0);
      return buf.subarray(0, n).toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
}

/** Removes `<prefix>-<pid>-…` files of processes that are gone (a kill -9 skips every finally). */
export function removeOrphanedPrivateFiles(dir: string, alive: (pid: number) => boolean): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    const m = /-(\d+)-[0-9a-f]+$/.exec(n);
    if (!m || alive(Number(m[1]))) continue;
    fs.rmSync(path.join(dir, n), { force: true });
    removed.push(n);
  }
  return removed;
}

/**
 * Why a file or folder cannot be read now, in strerror's words ("permission denied"), or null
 * when it can: for what restic reported without a reason. Runs as pillarsd, which is the user
 * restic ran as.
 */
export function unreadableReason(p: string): string | null {
  try {
    if (fs.lstatSync(p).isDirectory()) fs.opendirSync(p).closeSync();
    else fs.closeSync(fs.openSync(p, 'r'));
    return null;
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).errno;
    return (errno !== undefined ? getSystemErrorMap().get(errno)?.[1] : undefined) ?? (e as Error).message;
  }
}
