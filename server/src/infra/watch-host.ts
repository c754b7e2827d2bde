// Machine side of the watchers: statfs for capacity, a walk of the Time pillar for Time Machine
// bundles, a bounded walk for Syncthing conflict files, and disk health through systeminformation.
import { promises as fs } from 'node:fs';
import type * as SystemInformation from 'systeminformation';
import type { Dirent } from 'node:fs';
import { join } from 'node:path';
import type { StatfsPort } from '../watch/capacity';
import type { BundleScan, TimeMachineScanPort } from '../watch/timemachine';
import type { ConflictFinder } from '../watch/hotsets';

/** What a Time Machine backup on an SMB share is: a bundle folder of one of these kinds. */
const BUNDLE_RE = /\.(sparsebundle|backupbundle)$/;

export const statfsPort: StatfsPort = {
  async statfs(path) {
    const s = await fs.statfs(path);
    const total = s.blocks * s.bsize;
    return { totalBytes: total, freeBytes: s.bavail * s.bsize, usedBytes: (s.blocks - s.bfree) * s.bsize };
  },
};

async function dirSize(dir: string): Promise<number> {
  let total = 0;
  let entries: Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await dirSize(p);
    else if (e.isFile()) total += (await fs.lstat(p).catch(() => null))?.size ?? 0;
  }
  return total;
}

async function newestMtime(paths: string[]): Promise<number | null> {
  let best: number | null = null;
  for (const p of paths) {
    const st = await fs.lstat(p).catch(() => null);
    if (st && (best === null || st.mtimeMs > best)) best = st.mtimeMs;
  }
  return best;
}

async function scanBundle(root: string, rel: string): Promise<BundleScan> {
  const dir = join(root, rel);
  const top = await fs.readdir(dir).catch(() => [] as string[]);
  const bands = await fs.readdir(join(dir, 'bands')).catch(() => [] as string[]);
  const candidates = [...bands.map((b) => join(dir, 'bands', b)), ...top.filter((n) => n.endsWith('.plist') || n.startsWith('Info.')).map((n) => join(dir, n))];
  let history: string | null = null;
  try {
    const text = await fs.readFile(join(dir, 'com.apple.TimeMachine.SnapshotHistory.plist'), 'utf8');
    if (text.startsWith('<?xml') || text.includes('<plist')) history = text;
  } catch {
    /* older macOS doesn't write it */
  }
  return { name: rel.split('/').pop()!, rel, sizeBytes: await dirSize(dir), newestContentMs: await newestMtime(candidates), snapshotHistory: history };
}

export const timeMachineScanner: TimeMachineScanPort = {
  async scan(root) {
    const out: BundleScan[] = [];
    for (const e of await fs.readdir(root, { withFileTypes: true }).catch(() => [])) {
      if (!e.isDirectory()) continue;
      if (BUNDLE_RE.test(e.name)) out.push(await scanBundle(root, e.name));
      else if (!e.name.startsWith('.')) {
        for (const b of await fs.readdir(join(root, e.name), { withFileTypes: true }).catch(() => [])) {
          if (b.isDirectory() && BUNDLE_RE.test(b.name)) out.push(await scanBundle(root, `${e.name}/${b.name}`));
        }
      }
    }
    return out;
  },
};

const CONFLICT_RE = /\.sync-conflict-\d{8}-\d{6}(-[A-Z0-9]{7})?/;
const WALK_LIMIT = 50_000;

export const conflictFinder: ConflictFinder = {
  async find(folderPath, limit) {
    const found: string[] = [];
    let visited = 0;
    const walk = async (dir: string, rel: string): Promise<void> => {
      if (found.length >= limit || visited >= WALK_LIMIT) return;
      const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        if (found.length >= limit || ++visited >= WALK_LIMIT) return;
        if (e.name === '.stfolder' || e.name === '.stversions') continue;
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (CONFLICT_RE.test(e.name)) found.push(r);
        if (e.isDirectory()) await walk(join(dir, e.name), r);
      }
    };
    await walk(folderPath, '');
    return found;
  },
};

/**
 * systeminformation's filesystem module: the functions its index re-exports, typed by the index
 * (the package ships types for that only; a specifier in a constant is typed as the cast says).
 */
const SI_FILESYSTEM = 'systeminformation/lib/filesystem.js';

export interface DiskHealth {
  device: string | null;
  /** 'ok' | 'failing' | 'unknown' (VMs and USB bridges usually don't pass SMART through). */
  smart: 'ok' | 'failing' | 'unknown';
  model: string | null;
  temperatureC: number | null;
}

/** Disk health for the disk under `mount`, as far as the hardware tells; never throws. */
export async function diskHealth(mount: string, timeoutMs = 5_000): Promise<DiskHealth> {
  const unknown: DiskHealth = { device: null, smart: 'unknown', model: null, temperatureC: null };
  const work = (async (): Promise<DiskHealth> => {
    // its filesystem module only: the index loads every module of the package (CPU, network,
    // graphics, Wi-Fi…), about 550 KB more source and compiled code kept for the life of the process
    const { default: si } = (await import(SI_FILESYSTEM)) as { default: Pick<typeof SystemInformation, 'fsSize' | 'diskLayout'> };
    const sizes = await si.fsSize();
    const fsEntry = sizes.filter((f) => mount === f.mount || mount.startsWith(f.mount.endsWith('/') ? f.mount : `${f.mount}/`)).sort((a, b) => b.mount.length - a.mount.length)[0];
    if (!fsEntry) return unknown;
    const layout = await si.diskLayout();
    const dev = fsEntry.fs.replace(/p?\d+$/, '');
    const disk = layout.find((d) => d.device && (dev === d.device || fsEntry.fs.startsWith(d.device)));
    if (!disk) return { ...unknown, device: fsEntry.fs };
    const s = (disk.smartStatus ?? '').toLowerCase();
    return {
      device: disk.device,
      smart: s === 'ok' ? 'ok' : s.includes('fail') ? 'failing' : 'unknown',
      model: disk.name || null,
      temperatureC: typeof disk.temperature === 'number' && disk.temperature > 0 ? disk.temperature : null,
    };
  })();
  const timeout = new Promise<DiskHealth>((r) => setTimeout(() => r(unknown), timeoutMs).unref());
  return Promise.race([work.catch(() => unknown), timeout]);
}

/**
 * The folder ids of the pause journal older versions kept as a JSON file in the state folder, once:
 * the file is removed after reading (its pauses move into the database's journal).
 */
export async function takeLegacyPauseFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch {
    return [];
  }
  await fs.rm(path, { force: true });
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}
