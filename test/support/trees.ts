// Sample folder trees with the names that break naive tools (spaces, unicode, a newline, symlinks,
// empty files and folders), and a content fingerprint of a tree for "restored exactly" and
// "destination untouched" assertions.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readdir, readlink, symlink, writeFile, open } from 'node:fs/promises';
import path from 'node:path';

export interface TreeOptions {
  /** add `big.bin` of this many random bytes (written in 1 MiB chunks) */
  bigFileBytes?: number;
  /** add the file whose name contains a newline (default true; some tools cannot carry it) */
  newlineName?: boolean;
  /** add symlinks (default true) */
  symlinks?: boolean;
}

/** Relative paths (POSIX) of what `makeTree` creates, besides the optional ones. */
export const SAMPLE_FILES: Readonly<Record<string, string>> = {
  'plain.txt': 'plain text\n',
  'with space/file with space.txt': 'spaces in both names\n',
  'unicode-ü/日本語 ✓.txt': 'unicode name\n',
  'unicode-ü/café.md': '# é in NFC\n',
  'nested/a/b/c/deep.txt': 'deep\n',
  '.hidden/.dotfile': 'hidden\n',
  'empty-file': '',
};
export const NEWLINE_NAME = 'line\nbreak.txt';

/**
 * Writes the sample tree under `dir` (created if needed) and returns the relative paths of every
 * entry it made (files, folders, links).
 */
export async function makeTree(dir: string, opts: TreeOptions = {}): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  for (const [rel, content] of Object.entries(SAMPLE_FILES)) {
    await mkdir(path.join(dir, path.dirname(rel)), { recursive: true });
    await writeFile(path.join(dir, rel), content);
  }
  await mkdir(path.join(dir, 'empty-dir'), { recursive: true });
  if (opts.newlineName !== false) await writeFile(path.join(dir, NEWLINE_NAME), 'a newline in the name\n');
  if (opts.symlinks !== false) {
    await symlink('plain.txt', path.join(dir, 'link-to-plain'));
    await symlink('nested/a', path.join(dir, 'link-to-dir'));
  }
  if (opts.bigFileBytes) {
    const fh = await open(path.join(dir, 'big.bin'), 'w');
    try {
      for (let left = opts.bigFileBytes; left > 0; left -= 1 << 20) await fh.write(randomBytes(Math.min(left, 1 << 20)));
    } finally {
      await fh.close();
    }
  }
  return Object.keys(await hashTree(dir));
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (b) => h.update(b))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/**
 * Fingerprint of everything under `dir`: relative POSIX path → `dir`, `file:<sha256>` or
 * `link:<target>` (symlinks are not followed). Compare two with `toEqual`. A missing `dir` gives {}.
 */
export async function hashTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (abs: string, rel: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(abs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && rel === '') return;
      throw e;
    }
    for (const name of names.sort()) {
      const a = path.join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = await lstat(a);
      if (st.isSymbolicLink()) out[r] = `link:${await readlink(a)}`;
      else if (st.isDirectory()) {
        out[r] = 'dir';
        await walk(a, r);
      } else if (st.isFile()) out[r] = `file:${await sha256File(a)}`;
      else out[r] = 'other';
    }
  };
  await walk(dir, '');
  return out;
}
