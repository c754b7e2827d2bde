// `~/<pillar>` → the mount folder, as on macOS. A link is ours when it points at our mount folder;
// anything else at that name (a real folder, a file, someone else's link) is never replaced.
import type { FsPort } from '../types';

export async function ensureLink(fs: FsPort, linkPath: string, target: string): Promise<{ ok: boolean; note?: string }> {
  const st = await fs.lstat(linkPath);
  if (!st) {
    await fs.symlink(target, linkPath);
    return { ok: true };
  }
  if (st.isSymbolicLink) {
    const to = await fs.readlink(linkPath);
    if (to === target) return { ok: true };
    return { ok: false, note: `${linkPath} is a link to ${to ?? '?'}, not ours: left alone` };
  }
  return { ok: false, note: `${linkPath} is a real ${st.isDirectory ? 'folder' : 'file'}: left alone (move it away to get the link)` };
}

export async function removeLink(fs: FsPort, linkPath: string, target: string): Promise<boolean> {
  const st = await fs.lstat(linkPath);
  if (!st?.isSymbolicLink || (await fs.readlink(linkPath)) !== target) return false;
  await fs.unlink(linkPath);
  return true;
}
