// The file-system side of a restore (issue 16). restic 0.14 restores into a folder of its own (a
// staging folder on the target's file system) and cannot be told to skip or keep existing files;
// what it restored is then moved into place here, entry by entry, by rename: nothing is copied
// twice, links and hard links stay what they are, and nothing at the destination is ever deleted.
// An existing entry is skipped, kept beside the restored one under a new name, or (a file over a
// file only) replaced, as the owner chose. Symlinks at the destination are never followed.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, mkdir, readdir, realpath, rename, rm } from 'node:fs/promises';
import path from 'node:path';

export type ExistingPolicy = 'skip' | 'keep-both' | 'overwrite';

export interface PlaceReport {
  /** entries written (files, links, folders) and their bytes */
  entries: number;
  bytes: number;
  skipped: string[];
  keptBoth: string[];
  overwritten: string[];
  skippedCount: number;
  keptBothCount: number;
  overwrittenCount: number;
}

export const emptyReport = (): PlaceReport => ({ entries: 0, bytes: 0, skipped: [], keptBoth: [], overwritten: [], skippedCount: 0, keptBothCount: 0, overwrittenCount: 0 });

const LIST_CAP = 100;
function note(list: string[], p: string): void {
  if (list.length < LIST_CAP) list.push(p);
}

export async function lstatOrNull(p: string): Promise<Stats | null> {
  try {
    return await lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw e;
  }
}

/** Entries and bytes under `p` (itself included), links not followed; stops early when aborted. */
export async function treeUsage(p: string, signal?: AbortSignal): Promise<{ entries: number; bytes: number }> {
  const out = { entries: 0, bytes: 0 };
  const walk = async (q: string): Promise<void> => {
    if (signal?.aborted) return;
    const st = await lstatOrNull(q);
    if (!st) return;
    out.entries++;
    if (st.isFile()) out.bytes += st.size;
    if (st.isDirectory()) {
      let names: string[];
      try {
        names = await readdir(q);
      } catch {
        return;
      }
      for (const n of names) await walk(path.join(q, n));
    }
  };
  await walk(p);
  return out;
}

/**
 * `report (restored 1a2b3c4d).pdf`, then `… 2)`, … : a name beside `dst` that is free. The stem keeps
 * a leading dot (`.bashrc (restored …)`).
 */
export async function keepBothName(dst: string, tag: string): Promise<string> {
  const dir = path.dirname(dst);
  const base = path.basename(dst);
  const ext = path.extname(base.replace(/^\.+/, ''));
  const stem = ext ? base.slice(0, -ext.length) : base;
  for (let i = 1; ; i++) {
    const cand = path.join(dir, `${stem} (restored ${tag}${i > 1 ? ` ${i}` : ''})${ext}`);
    if (!(await lstatOrNull(cand))) return cand;
  }
}

export interface PlaceOptions {
  existing: ExistingPolicy | null;
  /** short snapshot id, in keep-both names */
  tag: string;
  report: PlaceReport;
}

async function moveNew(src: string, dst: string, r: PlaceReport): Promise<void> {
  const u = await treeUsage(src);
  await rename(src, dst);
  r.entries += u.entries;
  r.bytes += u.bytes;
}

async function conflict(src: string, dst: string, s: Stats, d: Stats, o: PlaceOptions): Promise<void> {
  const r = o.report;
  if (o.existing === null) throw new Error(`${dst} exists: a restore into a new folder found something there`);
  if (o.existing === 'skip') {
    r.skippedCount++;
    note(r.skipped, dst);
    return;
  }
  // a folder is never replaced by a file or the other way round: that would delete
  if (o.existing === 'overwrite' && !s.isDirectory() && !d.isDirectory()) {
    const u = await treeUsage(src);
    await rename(src, dst);
    r.entries += u.entries;
    r.bytes += u.bytes;
    r.overwrittenCount++;
    note(r.overwritten, dst);
    return;
  }
  const beside = await keepBothName(dst, o.tag);
  await moveNew(src, beside, r);
  r.keptBothCount++;
  note(r.keptBoth, beside);
}

/** Moves `src` to `dst`, merging into folders that exist (real folders only, never through a link). */
export async function mergeInto(src: string, dst: string, o: PlaceOptions): Promise<void> {
  const s = await lstat(src);
  const d = await lstatOrNull(dst);
  if (!d) return moveNew(src, dst, o.report);
  if (s.isDirectory() && d.isDirectory()) {
    for (const name of (await readdir(src)).sort()) await mergeInto(path.join(src, name), path.join(dst, name), o);
    return;
  }
  return conflict(src, dst, s, d, o);
}

/**
 * Places `srcBase/parts…` at `dstBase/parts…`. Where a folder on the way does not exist, the
 * restored folder takes its place whole (with the snapshot's modes and times); where an entry on
 * the way is not a real folder (a file, a link), the existing choice applies to it there.
 * `dstBase` must exist. Nothing to do when the staged entry is gone (an earlier path took it along).
 */
export async function placeItem(srcBase: string, dstBase: string, parts: readonly string[], o: PlaceOptions): Promise<void> {
  for (let i = 0; i <= parts.length; i++) {
    const src = path.join(srcBase, ...parts.slice(0, i));
    const dst = path.join(dstBase, ...parts.slice(0, i));
    if (!(await lstatOrNull(src))) return;
    const d = await lstatOrNull(dst);
    if (!d) return moveNew(src, dst, o.report);
    if (i === parts.length) return mergeInto(src, dst, o);
    if (!d.isDirectory()) return conflict(src, dst, await lstat(src), d, o);
  }
}

/** A new private folder (created here, never an existing one). */
export async function makeOwnDir(parent: string, name: string): Promise<string> {
  await mkdir(parent, { recursive: true, mode: 0o700 });
  const dir = path.join(parent, name);
  await mkdir(dir, { mode: 0o700 });
  return dir;
}

export async function makeDirs(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
}

/**
 * Removes a folder this process made for itself (staging, a drill's scratch): refused unless its
 * name says so, so a mistake can never take a user's folder with it.
 */
export async function removeOwnDir(dir: string, name: RegExp): Promise<void> {
  if (!name.test(path.basename(dir))) throw new Error(`refusing to remove ${dir}: not a folder pillarsd made`);
  await rm(dir, { recursive: true, force: true });
}

/** The real path of `p`, or of its deepest existing ancestor with the rest appended. */
export async function realPathOfAncestor(p: string): Promise<string> {
  const rest: string[] = [];
  let q = path.resolve(p);
  for (;;) {
    try {
      return path.join(await realpath(q), ...rest.reverse());
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
      if (q === '/') return path.join('/', ...rest.reverse());
      rest.push(path.basename(q));
      q = path.dirname(q);
    }
  }
}

export function sha256OfFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (b) => h.update(b))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}
