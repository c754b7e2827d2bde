// The real FsPort on node:fs/promises, for local paths only (the adapters never hand it a path on
// a network mount: a hung share would pin a libuv thread).
import { promises as fsp, readFileSync, watch as fsWatch } from 'node:fs';
import type { FsPort } from '../types';

const isMissing = (e: unknown) => ['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '');

export function createFs(): FsPort {
  return {
    async lstat(p) {
      try {
        const s = await fsp.lstat(p);
        return { isDirectory: s.isDirectory(), isSymbolicLink: s.isSymbolicLink(), mode: s.mode & 0o7777, uid: s.uid };
      } catch (e) {
        if (isMissing(e)) return null;
        throw e;
      }
    },
    async readlink(p) {
      try {
        return await fsp.readlink(p);
      } catch (e) {
        if (isMissing(e) || (e as NodeJS.ErrnoException).code === 'EINVAL') return null;
        throw e;
      }
    },
    symlink: (target, p) => fsp.symlink(target, p),
    unlink: (p) => fsp.unlink(p),
    mkdir: async (p, mode) => {
      await fsp.mkdir(p, { recursive: true, mode });
    },
    rmdir: (p) => fsp.rmdir(p),
    chmod: (p, mode) => fsp.chmod(p, mode),
    readdir: (p) => fsp.readdir(p),
    async readFile(p) {
      try {
        return await fsp.readFile(p, 'utf8');
      } catch (e) {
        if (isMissing(e)) return null;
        throw e;
      }
    },
    readKernelFile(p) {
      if (!/^\/(proc|sys)\//.test(p)) throw new Error(`readKernelFile is for /proc and /sys only (${p})`);
      try {
        return readFileSync(p, 'utf8');
      } catch {
        return null;
      }
    },
    async holdDir(p) {
      const fh = await fsp.open(p, 'r');
      return { chmod: (mode) => fh.chmod(mode), close: () => fh.close() };
    },
    watch(dir, fn) {
      try {
        const w = fsWatch(dir, { persistent: false }, (_event, name) => fn(name === null ? null : String(name)));
        w.on('error', () => undefined); // the folder went away: nothing more to hear
        return () => w.close();
      } catch {
        return () => undefined;
      }
    },
    async writeFile(p, data, mode) {
      // write-then-rename: a reader never sees half a file (config, auth file)
      const tmp = `${p}.${process.pid}.${Date.now()}.tmp`;
      await fsp.writeFile(tmp, data, { mode: mode ?? 0o644, flag: 'wx' });
      try {
        if (mode !== undefined) await fsp.chmod(tmp, mode);
        await fsp.rename(tmp, p);
      } catch (e) {
        await fsp.rm(tmp, { force: true });
        throw e;
      }
    },
  };
}
