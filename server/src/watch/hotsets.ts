// Syncthing hot-sets: the Syncthing folders that live under flux/hot. Status for the pane and
// the tray, a pause around the Flux backup (so the snapshot sees no half-synced files), and
// creating a new hot-set from a path.
import { posix } from 'node:path';
import type { HotSetStatus } from '../contract/api';
import { BadRequestError } from '../ports/errors';
import type { SyncthingClient, StFolder } from './syncthing';

export interface ConflictFinder {
  /** Paths (relative to the folder) of `*.sync-conflict-*` files, at most `limit`. */
  find(folderPath: string, limit: number): Promise<string[]>;
}

const CONFLICT_LIMIT = 100;

export function isUnder(root: string, p: string): boolean {
  const r = posix.normalize(root).replace(/\/+$/, '');
  const n = posix.normalize(p).replace(/\/+$/, '');
  return n.startsWith(`${r}/`);
}

export async function hotSetFolders(client: SyncthingClient, hotRoot: string): Promise<StFolder[]> {
  return (await client.folders()).filter((f) => isUnder(hotRoot, f.path));
}

export async function hotSetStatus(client: SyncthingClient, hotRoot: string, conflicts: ConflictFinder): Promise<{ hotSets: HotSetStatus[]; warnings: string[] }> {
  const warnings: string[] = [];
  const out: HotSetStatus[] = [];
  for (const f of await hotSetFolders(client, hotRoot)) {
    let state = 'unknown';
    let completion: number | null = null;
    let errors = 0;
    if (f.paused) state = 'paused';
    else {
      try {
        const s = await client.status(f.id);
        state = s.state || 'unknown';
        // Local completion: how much of the global state this server holds.
        completion = s.globalBytes > 0 ? Math.floor((s.inSyncBytes / s.globalBytes) * 1000) / 10 : 100;
        errors = (s.errors ?? 0) + (s.pullErrors ?? 0);
      } catch (e) {
        warnings.push(`hot-set ${f.label || f.id}: ${(e as Error).message}`);
      }
    }
    const found = await conflicts.find(f.path, CONFLICT_LIMIT).catch(() => []);
    if (found.length > 0) warnings.push(`hot-set ${f.label || f.id}: ${found.length}${found.length >= CONFLICT_LIMIT ? '+' : ''} conflict file(s), e.g. ${found[0]}`);
    if (errors > 0) warnings.push(`hot-set ${f.label || f.id}: ${errors} sync error(s)`);
    out.push({ id: f.id, label: f.label || f.id, path: f.path, state, completion, errors, conflicts: found });
  }
  return { hotSets: out, warnings };
}

/** The engine's hook around a run: `next` runs the job. */
export type AroundRun = (ctx: { jobId: string; signal?: AbortSignal }, next: () => Promise<unknown>) => Promise<unknown>;

/**
 * Remembers which folders we paused, so a crash during the backup can't leave them paused for
 * good: `serve` calls resumeLeftovers() at start (rule 5 of docs/architecture.md, a crash leaves no lie).
 */
export interface PauseJournal {
  load(): Promise<string[]>;
  save(ids: string[]): Promise<void>;
}

/** Resumes folders a previous process paused and did not get to resume; returns their ids. */
export async function resumeLeftovers(client: SyncthingClient, journal: PauseJournal): Promise<string[]> {
  const ids = await journal.load();
  const done: string[] = [];
  for (const id of ids) {
    try {
      await client.setPaused(id, false);
      done.push(id);
    } catch (e) {
      // A folder removed meanwhile (404) is done too; anything else stays for the next start.
      if ((e as { status?: number }).status === 404) done.push(id);
    }
  }
  await journal.save(ids.filter((id) => !done.includes(id)));
  return done;
}

export interface PauseOptions {
  journal?: PauseJournal;
  hotRoot: string;
  /** Only these jobs pause the hot-sets (the Flux backup). */
  jobIds: readonly string[];
  log?: (msg: string) => void;
  /** How often to retry a failed resume before giving up loudly. */
  resumeAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Pauses the hot-set folders that are running, runs the job, then resumes exactly those folders,
 * always: after success, failure, cancel or timeout (the engine rejects `next` then). A folder the
 * admin had paused stays paused.
 */
export function pauseHotSetsAround(client: SyncthingClient, o: PauseOptions): AroundRun {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  return async (ctx, next) => {
    if (!o.jobIds.includes(ctx.jobId)) return next();
    const paused: string[] = [];
    try {
      const targets = (await hotSetFolders(client, o.hotRoot)).filter((f) => !f.paused).map((f) => f.id);
      // Journal first: if we die between the pause and the resume, the next start resumes them.
      await o.journal?.save(targets);
      for (const id of targets) {
        await client.setPaused(id, true);
        paused.push(id);
      }
      if (paused.length) o.log?.(`paused hot-sets ${paused.join(', ')} for ${ctx.jobId}`);
    } catch (e) {
      // The backup still runs: a hot-set that could not be paused is a warning, not a reason to skip it.
      o.log?.(`could not pause every hot-set: ${(e as Error).message}`);
    }
    try {
      return await next();
    } finally {
      const left: string[] = [];
      for (const id of paused) {
        let ok = false;
        for (let i = 0; i < (o.resumeAttempts ?? 5) && !ok; i++) {
          try {
            await client.setPaused(id, false);
            ok = true;
          } catch {
            await sleep(200 * (i + 1));
          }
        }
        if (!ok) left.push(id);
      }
      await o.journal?.save(left).catch(() => undefined);
      if (left.length) o.log?.(`could not resume hot-sets ${left.join(', ')}: resume them in Syncthing`);
      else if (paused.length) o.log?.(`resumed hot-sets ${paused.join(', ')}`);
    }
  };
}

export class HotSetError extends BadRequestError {
  override name = 'HotSetError';
}

export interface CreateHotSetInput {
  /** Absolute, or relative to the hot root. */
  path: string;
  label?: string;
  /** Syncthing device IDs to share with. */
  devices?: string[];
}

/** Adds a Syncthing folder for a path under flux/hot; the id is derived from the path. */
export async function createHotSet(client: SyncthingClient, hotRoot: string, input: CreateHotSetInput): Promise<StFolder> {
  if (typeof input.path !== 'string' || !input.path || input.path.length > 1024 || /[\0\r\n]/.test(input.path)) throw new HotSetError('path: must be a folder path');
  const abs = posix.normalize(input.path.startsWith('/') ? input.path : posix.join(hotRoot, input.path));
  if (!isUnder(hotRoot, abs)) throw new HotSetError(`path: ${abs} is not inside the hot root ${hotRoot}`);
  const rel = posix.relative(hotRoot, abs);
  const id = `hot-${rel.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase()}`.slice(0, 64);
  const label = input.label ?? rel;
  if (!/^[\x20-\x7e]{1,64}$/.test(label)) throw new HotSetError('label: must be 1-64 printable ASCII characters');
  for (const d of input.devices ?? []) if (!/^[A-Z0-9]{7}(-[A-Z0-9]{7}){7}$/.test(d)) throw new HotSetError(`devices: '${String(d).slice(0, 70)}' is not a Syncthing device ID`);
  const existing = await client.folders();
  if (existing.some((f) => f.id === id)) throw new HotSetError(`path: a hot-set for ${rel} already exists (${id})`);
  if (existing.some((f) => posix.normalize(f.path) === abs)) throw new HotSetError(`path: ${abs} is already a Syncthing folder`);
  const me = await client.myId();
  const folder = { id, label, path: abs, type: 'sendreceive', paused: false, devices: [me, ...(input.devices ?? [])].map((deviceID) => ({ deviceID })) };
  await client.addFolder(folder);
  return folder;
}
