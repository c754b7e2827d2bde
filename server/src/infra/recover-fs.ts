// The file-system side of a recovery from the offsite remote (issue 16): what the pillar holds at
// its top, and the marker file that says a recovery from a remote is under way there (so a run
// killed in the middle may go on, and nothing else is ever written over). The decisions are in
// domain/recover-plan.ts.
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

interface Marker {
  remote: string;
  startedAt: string;
}

/** The names at the top of a folder (a missing folder holds nothing). */
export async function topEntries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

export async function readRecoverMarker(file: string): Promise<Marker | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  let m: Partial<Marker> = {};
  try {
    m = JSON.parse(text) as Partial<Marker>;
  } catch {
    /* told below */
  }
  if (typeof m.remote !== 'string' || typeof m.startedAt !== 'string') throw new Error(`${file} is not a recovery marker pillarsd wrote`);
  return { remote: m.remote, startedAt: m.startedAt };
}

export async function writeRecoverMarker(file: string, m: Marker): Promise<void> {
  await writeFile(file, `${JSON.stringify(m)}\n`, { mode: 0o600 });
}

export async function removeRecoverMarker(file: string): Promise<void> {
  await rm(file, { force: true });
}

/** A new disk's sentinel, written only where none exists (flag wx). */
export async function writeSentinel(pillarPath: string, id: string): Promise<void> {
  await writeFile(path.join(pillarPath, '.pillar'), `${id}\n`, { flag: 'wx', mode: 0o644 });
}
