// ~/<pillar> → ~/.mkt/<pillar> links. A link is only ever created where nothing exists; a real
// folder, a file, or a link pointing anywhere else belongs to the user and is left alone.
import path from 'node:path';
import type { FsPort } from '../types';

export type LinkResult = { ok: true; created: boolean } | { ok: false; note: string };

export async function ensureLink(fs: FsPort, linkPath: string, target: string): Promise<LinkResult> {
  const st = await fs.lstat(linkPath);
  if (st === null) {
    await fs.symlink(target, linkPath);
    return { ok: true, created: true };
  }
  if (st.isSymbolicLink) {
    const current = await fs.readlink(linkPath);
    // Ours too when the user (or an older Pillars) wrote it relative, e.g. ~/flux -> .mkt/flux.
    const resolved = current === null ? null : path.posix.resolve(path.posix.dirname(linkPath), current);
    if (resolved === path.posix.resolve(target)) return { ok: true, created: false };
    return { ok: false, note: `${linkPath} is a link to ${current ?? 'an unreadable target'}, not ours: left as it is` };
  }
  const what = st.isDirectory ? 'a real folder' : 'a file';
  return { ok: false, note: `${linkPath} is ${what}, not our link: left as it is (its contents are yours, not the server's)` };
}
