// Who holds files on a mount, from /proc: each process's open file descriptors, working folder and
// root as the kernel names them (readlink on /proc/<pid>/fd/N reads a name the kernel keeps; it
// never asks the mounted file system). Only our own processes are readable for a regular user,
// which is whose files a user-level unmount would close.
import type { FsPort } from '../types';

export async function openFilesUnder(fs: FsPort, proc: string, dir: string): Promise<number> {
  const under = (t: string | null) => t !== null && (t === dir || t.startsWith(`${dir}/`));
  let n = 0;
  for (const pid of await fs.readdir(proc).catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const fds = await fs.readdir(`${proc}/${pid}/fd`).catch(() => [] as string[]);
    const links = await Promise.all([...fds.map((fd) => `${proc}/${pid}/fd/${fd}`), `${proc}/${pid}/cwd`, `${proc}/${pid}/root`].map((l) => fs.readlink(l).catch(() => null)));
    n += links.filter(under).length;
  }
  return n;
}
