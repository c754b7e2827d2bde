// Who holds files on a mount, from /proc: each process's open file descriptors, working folder and
// root as the kernel names them (find -lname reads the links, names the kernel keeps; it never
// asks the mounted file system). Only our own processes are readable for a regular user, which is
// whose files a user-level unmount would close. It runs in a child: a walk of every process's fds
// is thousands of small reads that would otherwise crowd the core's event loop.
import type { Exec } from '../types';

/** find's -lname takes a glob: the mount path's own glob characters are escaped. */
const glob = (s: string) => s.replace(/[\\*?[\]]/g, (c) => `\\${c}`);

export async function openFilesUnder(exec: Exec, proc: string, dir: string): Promise<number | null> {
  const r = await exec({
    cmd: 'find',
    args: [
      proc,
      '-mindepth',
      '2',
      '-maxdepth',
      '3',
      '(',
      '-path',
      `${proc}/[0-9]*/fd/*`,
      '-o',
      '-path',
      `${proc}/[0-9]*/cwd`,
      '-o',
      '-path',
      `${proc}/[0-9]*/root`,
      ')',
      '(',
      '-lname',
      glob(dir),
      '-o',
      '-lname',
      `${glob(dir)}/*`,
      ')',
      '-print',
    ],
    timeoutMs: 10_000,
  });
  // find exits 1 for the processes it may not read (other users', those that ended meanwhile)
  if (r.timedOut || (r.code !== 0 && r.code !== 1)) return null;
  return r.stdout.split('\n').filter(Boolean).length;
}
