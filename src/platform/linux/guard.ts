// rule 9 of docs/architecture.md on Linux: while a pillar is not mounted its mount folder is an empty directory
// that refuses writes, so nothing a program saves "onto the server" lands on the local disk.
// Mode 0555 stops the user's own programs (DAC applies to the owner), but root ignores mode bits,
// so as root we also set the immutable attribute (chattr +i): an immutable directory refuses new
// entries even to root, and a FUSE mount can still be placed on it (both checked on ext4 here).
// Without CAP_LINUX_IMMUTABLE chattr fails and 0555 is what guards, which suffices for non-root.
import type { Exec, FsPort } from '../types';

export interface GuardResult {
  mode: boolean;
  immutable: boolean;
  note?: string;
}

export async function setGuard(fs: FsPort, exec: Exec, dir: string, asRoot: boolean): Promise<GuardResult> {
  // an immutable folder refuses chmod too (EPERM): it is guarded already when its mode is right
  if (((await fs.lstat(dir))?.mode ?? 0) !== 0o555) await fs.chmod(dir, 0o555);
  if (!asRoot) return { mode: true, immutable: false };
  const r = await exec({ cmd: 'chattr', args: ['+i', '--', dir], timeoutMs: 5_000 });
  if (r.code === 0) return { mode: true, immutable: true };
  return { mode: true, immutable: false, note: `chattr +i ${dir} failed (${r.stderr.trim() || `exit ${r.code}`}): root could still write there` };
}

/**
 * Before mounting as a regular user: fusermount insists on write access to the mount point, so the
 * mode guard is lifted for the moment of the mount (the mount then covers the folder). Root keeps
 * the guard: mounting needs no write access and the immutable flag stays underneath the mount.
 */
export async function liftGuardForMount(fs: FsPort, dir: string, asRoot: boolean): Promise<void> {
  if (!asRoot) await fs.chmod(dir, 0o755);
}
