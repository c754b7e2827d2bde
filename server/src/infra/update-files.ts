// The tray builds pillarsd serves, on disk under <stateDir>/updates: `files/` holds every build
// file once (electron-builder puts the version in their names), `feeds/<channel>/` the latest*.yml
// of each channel. A publish copies the new files in first and replaces the feeds last, each by a
// rename, so a client never reads a feed whose files are not all there.
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';

export interface FileDigest {
  sha512: string;
  size: number;
}

/** sha512 (base64, as electron-builder writes it) and size of a file, read as a stream. */
export async function digestFile(file: string): Promise<FileDigest> {
  const hash = createHash('sha512');
  let size = 0;
  for await (const chunk of fs.createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha512: hash.digest('base64'), size };
}

export function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

export class UpdateFiles {
  constructor(readonly root: string) {}

  private feedDir(channel: string): string {
    return path.join(this.root, 'feeds', channel);
  }

  filePath(name: string): string {
    return path.join(this.root, 'files', name);
  }

  /** The feed's text, null when the channel has none of that name. */
  feedText(channel: string, name: string): string | null {
    try {
      return fs.readFileSync(path.join(this.feedDir(channel), name), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  feedNames(channel: string): string[] {
    try {
      return fs
        .readdirSync(this.feedDir(channel))
        .filter((n) => !n.startsWith('.'))
        .sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  /** A stored build file to send, null when there is none of that name. */
  openFile(name: string): { stream: Readable; size: number } | null {
    const p = this.filePath(name);
    let fd: number;
    try {
      fd = fs.openSync(p, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    const st = fs.fstatSync(fd);
    if (!st.isFile()) {
      fs.closeSync(fd);
      return null;
    }
    return { stream: fs.createReadStream('', { fd }), size: st.size };
  }

  /**
   * Copies the new files in (each through a temporary name, so a half copy is never served under
   * the real one), then replaces the feeds. The caller has checked everything before.
   */
  publish(channel: string, copy: ReadonlyArray<{ name: string; from: string }>, feeds: ReadonlyArray<{ name: string; text: string }>): void {
    const files = path.join(this.root, 'files');
    const feedDir = this.feedDir(channel);
    fs.mkdirSync(files, { recursive: true, mode: 0o755 });
    fs.mkdirSync(feedDir, { recursive: true, mode: 0o755 });
    const tag = randomBytes(6).toString('hex');
    const placed: string[] = [];
    try {
      for (const c of copy) {
        const tmp = path.join(files, `.incoming-${tag}-${c.name}`);
        fs.copyFileSync(c.from, tmp, fs.constants.COPYFILE_EXCL);
        fs.chmodSync(tmp, 0o644);
        syncFile(tmp);
        placed.push(tmp);
      }
      for (const c of copy) fs.renameSync(path.join(files, `.incoming-${tag}-${c.name}`), path.join(files, c.name));
      placed.length = 0;
      for (const f of feeds) {
        const tmp = path.join(feedDir, `.incoming-${tag}-${f.name}`);
        fs.writeFileSync(tmp, f.text, { mode: 0o644, flag: 'wx' });
        syncFile(tmp);
        fs.renameSync(tmp, path.join(feedDir, f.name));
      }
    } finally {
      for (const p of placed) fs.rmSync(p, { force: true });
    }
  }
}

function syncFile(p: string): void {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
