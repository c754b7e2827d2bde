// Tidying up after the client's mount folders. While a pillar is not mounted the product guards its
// folder (src/platform/linux/guard.ts): the folder and the mount root are 0555 and, as root, the
// folder is immutable (chattr +i), so a plain recursive rm fails (EPERM as root, EACCES as a user),
// and a recursive rm through a live mount would delete the server's files or hang on a hung one.
// Everything here is synchronous, so it also works in a process-exit handler.
import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseMountinfo } from '../../src/platform/linux/mountinfo';

export function fuseMountsUnder(root: string): Array<{ mountPoint: string; minor: number; source: string }> {
  return parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'))
    .filter((e) => e.fsType.startsWith('fuse') && (e.mountPoint === root || e.mountPoint.startsWith(`${root}/`)))
    .map((e) => ({ mountPoint: e.mountPoint, minor: e.minor, source: e.source }));
}

export function isImmutable(dir: string): boolean {
  const out = execFileSync('lsattr', ['-d', '--', dir], { encoding: 'utf8', timeout: 5_000 });
  return /^\S*i\S*\s/.test(out);
}

/**
 * Lifts the write guard from every folder under root as the product's `release` does (the
 * immutable flag off, the folder writable by its owner again); links are not followed.
 */
export function liftGuards(root: string): void {
  if (process.getuid?.() === 0) {
    try {
      execFileSync('chattr', ['-R', '-i', '--', root], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      // chattr reports the entries that take no flags (sockets, links) and goes on
    }
  }
  const walk = (dir: string) => {
    const st = lstatSync(dir, { throwIfNoEntry: false });
    if (!st?.isDirectory()) return;
    if ((st.mode & 0o700) !== 0o700) chmodSync(dir, st.mode | 0o700);
    for (const name of readdirSync(dir)) walk(path.join(dir, name));
  };
  walk(root);
}

/** Aborts and lazily unmounts every FUSE mount under root, ends its smbnetfs, and lifts the guards. */
export function releaseMounts(root: string): void {
  for (const m of fuseMountsUnder(root).reverse()) {
    try {
      execFileSync('tee', [`/sys/fs/fuse/connections/${m.minor}/abort`], { input: '1', stdio: ['pipe', 'ignore', 'ignore'], timeout: 2_000 });
    } catch {
      /* fusectl may be absent; the lazy unmount still detaches */
    }
    try {
      execFileSync('fusermount', ['-u', '-z', '--', m.mountPoint], { stdio: 'ignore', timeout: 5_000 });
    } catch {
      /* already gone */
    }
  }
  try {
    for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv[0] === 'smbnetfs' && argv[1]?.startsWith(`${root}/`)) process.kill(Number(pid), 'SIGKILL');
    }
  } catch {
    /* a process vanished while we looked */
  }
  liftGuards(root);
}

/**
 * Removes a folder that may hold mount folders: mounts under it released first, and when the rm
 * is refused (a guarded folder) the guards are lifted and the rm tried again. Throws when the
 * folder cannot be removed.
 */
export function removeTree(dir: string): void {
  if (fuseMountsUnder(dir).length) releaseMounts(dir);
  try {
    // no retries here: rmSync retries EPERM too, seconds of waiting on a guard that stays
    rmSync(dir, { recursive: true, force: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EPERM' || code === 'EACCES') liftGuards(dir);
    // a daemon may still be writing its last file (ENOTEMPTY, EBUSY)
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  }
}
