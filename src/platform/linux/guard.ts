// rule 9 of docs/architecture.md on Linux: while a pillar is not mounted its mount folder is an empty directory
// that refuses writes, so nothing a program saves "onto the server" lands on the local disk, and
// the folder cannot be swapped for a writable one.
//
// - The pillar folder is mode 0555. Mode bits stop the user's own programs (DAC applies to the
//   owner too). Root ignores mode bits, so as root the folder is also immutable (chattr +i): an
//   immutable directory refuses new entries even to root, cannot be removed or renamed, and a
//   FUSE mount can still be placed on it (checked on ext4 here).
// - The mount root (~/.mkt) is mode 0555 too, so a regular user's programs can neither remove a
//   pillar folder nor put another one in its place (both need write access to the parent). It is
//   opened for the moment a folder is created in it.
// - fusermount insists on write access to the mount point, so for a regular user the folder is
//   opened to 0755 for the moment of the mount; the folder is held open from before, and once the
//   mount covers it its mode goes back to 0555 through that handle (fchmod reaches the covered
//   folder, a chmod of the path would reach the share). So the guard is in place underneath the
//   mount and is there the instant the mount goes away, whatever unmounted it.
// Without CAP_LINUX_IMMUTABLE (not root) chattr is not tried: the modes are what guards.
import type { Exec, FsPort } from '../types';

export interface LinuxGuard {
  /** The mount root exists and refuses new entries (0555). */
  guardRoot(): Promise<void>;
  /** Runs fn with the mount root writable (creating a pillar folder or a link in it), one at a time. */
  withRootWritable<T>(fn: () => Promise<T>): Promise<T>;
  /** The folder refuses writes (0555; +i as root). Cheap when it already does. */
  guardFolder(dir: string): Promise<void>;
  /**
   * Before a mount: what fusermount needs (0755 for a regular user). The returned function puts the
   * guard back on the folder underneath, whether the mount happened or not.
   */
  openForMount(dir: string): Promise<() => Promise<void>>;
  /** The folder is handed over (the GVfs backend replaces it by a link): every guard is taken off. */
  release(dir: string): Promise<void>;
}

export function createLinuxGuard(o: { fs: FsPort; exec: Exec; root: string; asRoot: boolean }): LinuxGuard {
  const { fs, exec, root, asRoot } = o;
  /** Folders this process made immutable (lsattr would cost a child every round). */
  const immutable = new Set<string>();
  let rootQueue: Promise<unknown> = Promise.resolve();

  async function ensureRootDir(): Promise<void> {
    const st = await fs.lstat(root);
    if (!st) await fs.mkdir(root, 0o555);
    else if (st.isSymbolicLink || !st.isDirectory) throw new Error(`${root} must be a folder (it is a ${st.isSymbolicLink ? 'link' : 'file'})`);
  }

  async function guardRoot(): Promise<void> {
    await ensureRootDir();
    if (((await fs.lstat(root))?.mode ?? 0) !== 0o555) await fs.chmod(root, 0o555);
  }

  function withRootWritable<T>(fn: () => Promise<T>): Promise<T> {
    const run = rootQueue.then(async () => {
      await ensureRootDir();
      await fs.chmod(root, 0o755);
      try {
        return await fn();
      } finally {
        await fs.chmod(root, 0o555);
      }
    });
    rootQueue = run.catch(() => undefined);
    return run;
  }

  async function chattr(flag: '+i' | '-i', dir: string): Promise<string | null> {
    const r = await exec({ cmd: 'chattr', args: [flag, '--', dir], timeoutMs: 5_000 });
    return r.code === 0 ? null : r.stderr.trim() || (r.timedOut ? 'timed out' : `exit ${r.code}`);
  }

  async function guardFolder(dir: string): Promise<void> {
    // an immutable folder refuses chmod too (EPERM): one we made immutable is guarded already
    if (!immutable.has(dir) && ((await fs.lstat(dir))?.mode ?? 0) !== 0o555) {
      // as root the folder may be immutable from an earlier run (chmod then fails): chattr decides
      await fs.chmod(dir, 0o555).catch((e: unknown) => {
        if (!asRoot) throw e;
      });
    }
    if (!asRoot || immutable.has(dir)) return;
    const failed = await chattr('+i', dir);
    if (failed) throw new Error(`chattr +i ${dir} failed (${failed}): root could still write there`);
    immutable.add(dir);
  }

  async function openForMount(dir: string): Promise<() => Promise<void>> {
    // root mounts without write access: the folder is guarded before, and the immutable flag stays
    // underneath the mount (a chattr after the mount would reach the share)
    if (asRoot) {
      await guardFolder(dir);
      return async () => undefined;
    }
    const held = await fs.holdDir(dir);
    try {
      await fs.chmod(dir, 0o755);
    } catch (e) {
      await held.close();
      throw e;
    }
    return async () => {
      try {
        await held.chmod(0o555);
      } finally {
        await held.close();
      }
    };
  }

  async function release(dir: string): Promise<void> {
    if (asRoot && (immutable.has(dir) || (await fs.lstat(dir)) !== null)) {
      await chattr('-i', dir);
      immutable.delete(dir);
    }
    await fs.chmod(dir, 0o755).catch(() => undefined);
  }

  return { guardRoot, withRootWritable, guardFolder, openForMount, release };
}
