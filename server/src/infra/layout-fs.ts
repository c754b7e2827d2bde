// The machine side of `layout init` and `layout audit`: lstat, mkdir with explicit owner and
// mode (umask-proof), the sentinel file, mount points, and user/group lookups through NSS (getent).
import { promises as fs, constants as fsc } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Exec } from './exec';
import type { LayoutFs } from '../layout/port';

export function createLayoutFs(exec: Exec): LayoutFs {
  const getent = async (db: 'passwd' | 'group', key: string): Promise<string[] | null> => {
    const r = await exec({ cmd: 'getent', args: [db, key], env: { PATH: process.env.PATH }, timeoutMs: 10_000 });
    if (r.code !== 0) return null;
    const line = r.stdout.split('\n')[0] ?? '';
    return line ? line.split(':') : null;
  };
  return {
    async stat(path) {
      try {
        const s = await fs.lstat(path);
        return { kind: s.isDirectory() ? 'dir' : s.isFile() ? 'file' : s.isSymbolicLink() ? 'link' : 'other', uid: s.uid, gid: s.gid, mode: s.mode & 0o7777 };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
    },
    readdir: (path) => fs.readdir(path),
    async readText(path) {
      try {
        return await fs.readFile(path, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
    },
    async mkdir(path, uid, gid, mode) {
      await fs.mkdir(path, { mode: 0o700 });
      await fs.chown(path, uid, gid);
      // chmod after chown: chown clears setgid on some systems.
      await fs.chmod(path, mode);
    },
    async writeNew(path, text, uid, gid, mode) {
      const fh = await fs.open(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
      try {
        await fh.writeFile(text);
        await fh.chown(uid, gid);
        await fh.chmod(mode);
        await fh.sync();
      } finally {
        await fh.close();
      }
    },
    async isMountPoint(path) {
      const [a, b] = await Promise.all([fs.stat(path), fs.stat(join(path, '..'))]);
      return a.dev !== b.dev || a.ino === b.ino;
    },
    async user(name) {
      const f = await getent('passwd', name);
      return f ? { uid: Number(f[2]), gid: Number(f[3]) } : null;
    },
    async gidOf(group) {
      const f = await getent('group', group);
      return f ? Number(f[2]) : null;
    },
    async userName(uid) {
      return (await getent('passwd', String(uid)))?.[0] ?? String(uid);
    },
    async groupName(gid) {
      return (await getent('group', String(gid)))?.[0] ?? String(gid);
    },
  };
}

/** The layout-policy.yaml shipped with the server (server/ in the repository, next to dist/ when built). */
export async function findBundledPolicy(fromUrl: string = import.meta.url): Promise<string | null> {
  let dir = dirname(fileURLToPath(fromUrl));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'layout-policy.yaml');
    try {
      await fs.access(candidate);
      return candidate;
    } catch {
      dir = dirname(dir);
    }
  }
  return null;
}

export async function readTextFile(path: string): Promise<string> {
  return fs.readFile(path, 'utf8');
}
