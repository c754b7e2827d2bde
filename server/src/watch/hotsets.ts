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

/** The engine's hook around a run: `next` runs the job; `log` writes into the run's log. */
export type AroundRun = (ctx: { jobId: string; runId: string; log(line: string): void }, next: () => Promise<unknown>) => Promise<unknown>;

/** A Syncthing folder pillarsd paused around a backup and has not resumed yet. */
export interface PauseRecord {
  folderId: string;
  /** the run it was paused for */
  runId: string | null;
  pausedAt: string;
}

/**
 * Every pause pillarsd made and did not undo yet, one record per folder, so a crash, a second
 * process or a Syncthing that is down at the resume cannot lose one (DESIGN rule 5: a crash leaves
 * no lie). Records are added and removed one by one, never the list replaced.
 */
export interface PauseJournal {
  list(): PauseRecord[];
  /** records these pauses for the run (a folder already on record is now that run's) */
  add(folderIds: readonly string[], runId: string | null, at: string): void;
  remove(folderIds: readonly string[]): void;
}

export interface PauseOptions {
  journal: PauseJournal;
  hotRoot: string;
  /** Only these jobs pause the hot-sets (the backups of the pillar holding them). */
  jobIds: readonly string[];
  now(): Date;
  /** How often to retry a failed resume before leaving it to the leftover resumer. */
  resumeAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Pauses the hot-set folders, runs the job, then resumes them, always: after success, failure,
 * cancel or timeout (the engine rejects `next` then). The folders paused are the running ones and
 * those the journal says pillarsd paused for a run that never resumed them (a crash, a Syncthing
 * that was down): this run takes them over, so its resume undoes them too. A folder the admin
 * paused stays paused. A resume that fails stays in the journal for the leftover resumer.
 */
export function pauseHotSetsAround(client: SyncthingClient, o: PauseOptions): AroundRun {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  return async (ctx, next) => {
    if (!o.jobIds.includes(ctx.jobId)) return next();
    const ours: string[] = [];
    try {
      const onRecord = new Set(o.journal.list().map((r) => r.folderId));
      const folders = (await hotSetFolders(client, o.hotRoot)).filter((f) => !f.paused || onRecord.has(f.id));
      // journal first: if we die between the pause and the resume, the pause is on record
      o.journal.add(
        folders.map((f) => f.id),
        ctx.runId,
        o.now().toISOString(),
      );
      for (const f of folders) {
        if (!f.paused) await client.setPaused(f.id, true);
        ours.push(f.id);
      }
      const taken = folders.filter((f) => f.paused).map((f) => f.id);
      if (ours.length) ctx.log(`hot-sets: paused ${ours.join(', ')} for ${ctx.jobId}${taken.length ? ` (${taken.join(', ')} left paused by an earlier run: resumed after this one)` : ''}`);
      else ctx.log('hot-sets: none running to pause');
    } catch (e) {
      // the backup still runs: a hot-set that could not be paused is a warning, not a reason to skip it
      ctx.log(`hot-sets: could not pause every hot-set (${(e as Error).message}); the backup runs anyway${ours.length ? `; paused: ${ours.join(', ')}` : ''}`);
    }
    try {
      return await next();
    } finally {
      const resumed: string[] = [];
      let why = '';
      for (const id of ours) {
        for (let i = 0; i < (o.resumeAttempts ?? 5); i++) {
          try {
            await client.setPaused(id, false);
            resumed.push(id);
            break;
          } catch (e) {
            why = (e as Error).message;
            // a folder removed meanwhile has nothing left to resume
            if ((e as { status?: number }).status === 404) {
              resumed.push(id);
              break;
            }
            await sleep(200 * (i + 1));
          }
        }
      }
      o.journal.remove(resumed);
      const left = ours.filter((id) => !resumed.includes(id));
      if (resumed.length) ctx.log(`hot-sets: resumed ${resumed.join(', ')}`);
      if (left.length) ctx.log(`hot-sets: could not resume ${left.join(', ')} (${why}); pillarsd resumes them as soon as Syncthing answers, and status warns until then`);
    }
  };
}

export interface LeftoverOptions {
  journal: PauseJournal;
  /** the run is still under way in some pillarsd process (its pauses are not left over) */
  isRunLive(runId: string): boolean;
}

/**
 * Pauses pillarsd made for runs that are over and did not undo (a crash, a Syncthing down at the
 * resume): resumed whenever Syncthing answers again, with a warning in status while they last.
 */
export class LeftoverPauses {
  private lastError: string | null = null;
  private running: Promise<string[]> | null = null;

  constructor(
    private readonly client: SyncthingClient,
    private readonly o: LeftoverOptions,
  ) {}

  /** The pauses of runs that are over. */
  leftovers(): PauseRecord[] {
    return this.o.journal.list().filter((r) => !r.runId || !this.o.isRunLive(r.runId));
  }

  /** Resumes every leftover pause it can; returns the folder ids resumed. One attempt at a time. */
  resume(): Promise<string[]> {
    this.running ??= this.resumeNow().finally(() => (this.running = null));
    return this.running;
  }

  private async resumeNow(): Promise<string[]> {
    const done: string[] = [];
    for (const r of this.leftovers()) {
      try {
        await this.client.setPaused(r.folderId, false);
        done.push(r.folderId);
      } catch (e) {
        // a folder removed meanwhile (404) is done too; anything else waits for the next try
        if ((e as { status?: number }).status === 404) done.push(r.folderId);
        else this.lastError = (e as Error).message;
      }
    }
    this.o.journal.remove(done);
    if (this.leftovers().length === 0) this.lastError = null;
    return done;
  }

  /** One warning per folder still paused by pillarsd for a run that is over. */
  warnings(): string[] {
    return this.leftovers().map(
      (r) =>
        `hot-set ${r.folderId} is still paused since ${r.pausedAt.slice(0, 16).replace('T', ' ')}: pillarsd paused it for ${r.runId ? `run ${r.runId}` : 'a backup'}, which did not resume it` +
        `${this.lastError ? ` (${this.lastError})` : ''}; it is resumed as soon as Syncthing answers`,
    );
  }
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
  const id = `hot-${rel
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase()}`.slice(0, 64);
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
