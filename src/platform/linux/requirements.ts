// What a Linux client needs before it can mount with smbnetfs: the smbnetfs program, fusermount
// (fuse3) and a /dev/fuse the user may open. Each problem comes with the line that fixes it. Used by
// the adapter when a mount fails and by `pillars doctor`.
import type { FsPort } from '../types';

export const SMBNETFS_APT = 'sudo apt-get install smbnetfs fuse3';

export interface Requirement {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

/** The PATH lookup the mount itself will make (execvp), without running anything. */
async function found(fs: FsPort, pathVar: string, cmd: string): Promise<string | null> {
  for (const dir of pathVar.split(':').filter(Boolean)) {
    const st = await fs.lstat(`${dir}/${cmd}`).catch(() => null);
    if (st && !st.isDirectory && (st.isSymbolicLink || (st.mode & 0o111) !== 0)) return `${dir}/${cmd}`;
  }
  return null;
}

export async function linuxMountRequirements(fs: FsPort, pathVar: string, uid: number): Promise<Requirement[]> {
  const out: Requirement[] = [];
  const smbnetfs = await found(fs, pathVar, 'smbnetfs');
  out.push(smbnetfs ? { name: 'smbnetfs', ok: true, detail: smbnetfs } : { name: 'smbnetfs', ok: false, detail: 'smbnetfs is not installed: the pillars cannot be mounted', fix: SMBNETFS_APT });
  const fusermount = (await found(fs, pathVar, 'fusermount3')) ?? (await found(fs, pathVar, 'fusermount'));
  out.push(fusermount ? { name: 'fuse', ok: true, detail: fusermount } : { name: 'fuse', ok: false, detail: 'fusermount is not installed (FUSE tools)', fix: SMBNETFS_APT });
  const dev = await fs.lstat('/dev/fuse');
  if (!dev) out.push({ name: '/dev/fuse', ok: false, detail: '/dev/fuse is missing: the kernel has no FUSE', fix: 'sudo modprobe fuse (in a container: give it --device /dev/fuse)' });
  else if (uid !== 0 && (dev.mode & 0o006) !== 0o006)
    out.push({
      name: '/dev/fuse',
      ok: false,
      detail: `/dev/fuse is mode ${(dev.mode & 0o777).toString(8)}: only root may mount`,
      fix: "sudo chmod 0666 /dev/fuse (what Debian's udev rule sets; in a container: fix the device's mode where it is created)",
    });
  else out.push({ name: '/dev/fuse', ok: true, detail: `/dev/fuse mode ${(dev.mode & 0o777).toString(8)}` });
  return out;
}
