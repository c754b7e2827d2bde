// Snapshots, browsing, search, download and restore requests (issue 16), for the API and the CLI.
// The snapshot list comes from the repository (`restic snapshots --json`), cached in the database
// and read again after any run of a job on the repository ended (backups, forgets, prunes) and on
// demand. Browsing is one folder level at a time: the first page is answered as soon as restic has
// printed it, while the rest of a large folder is read on into an in-memory cache (snapshots never
// change, so a folder listed once is listed for good).
import path from 'node:path';
import type { DirListing, FindResponse, RestorePlan, RestoreTask, SnapshotEntry, SnapshotInfo, SnapshotsResponse } from '../contract/api';
import type { Config } from '../config/schema';
import { locationKey, resolveLocation } from '../config/locations';
import type { Location } from '../config/locations';
import { dropNested, folderStamp, normalizeSnapshotPath, outsideRoot, placementOf, targetProblem } from '../domain/restore-plan';
import type { RestoreMode } from '../domain/restore-plan';
import type { Clock } from '../ports/clock';
import { BadRequestError, ConflictError, NotFoundError } from '../ports/errors';
import type { SnapshotDownload, SnapshotsApi } from '../ports/services';
import { lstatOrNull, realPathOfAncestor } from '../infra/restore-fs';
import { openStream } from '../infra/stream-exec';
import type { StreamSpawn } from '../infra/stream-exec';
import type { SnapshotCache } from '../store/snapshot-cache';
import type { RunRecord, RunStore } from '../store/runs';
import * as restic from '../tools/restic';
import { FindScanner, parseLsLine, parseSnapshots, resticDump, resticFind, resticLsDir, resticSnapshots, snapshotRoot } from '../tools/restic-browse';
import type { SnapshotNode, SnapshotRecord } from '../tools/restic-browse';
import { adhocContext, guarded } from './adhoc';
import type { AdhocDeps } from './adhoc';
import type { RunContext } from './job-type';
import { pillarFacts, repositoryPaths, restoreArea } from './restore-targets';
import { repositoryJob } from './tasks';
import { resticTarget } from './types/restic-repository';
import { runTool } from './tool-child';

export interface SnapshotServiceDeps extends AdhocDeps {
  runs: RunStore;
  cache: SnapshotCache;
  spawn: StreamSpawn;
  clock: Clock;
  enqueueTask(task: RestoreTask): RunRecord;
  /** folder entries kept in memory across listings (default 400,000) */
  maxCachedEntries?: number;
}

interface Listing {
  entries: SnapshotEntry[];
  self: SnapshotNode | null;
  snapshotSeen: boolean;
  complete: boolean;
  error: Error | null;
  waiters: Set<() => void>;
}

const toEntry = (n: SnapshotNode): SnapshotEntry => ({ name: n.name, path: n.path, type: n.type, size: n.type === 'file' ? n.size : null, mtime: n.mtime, permissions: n.permissions });

/** What a failed restic command means to the one who asked, without a secret (restic prints none). */
function resticError(what: string, r: { code: number | null; stderr: string }): Error {
  const f = restic.classifyResticExit(r.code, r.stderr, null) ?? 'other';
  const msg = restic.resticFailureMessage(what, f, r.code, r.stderr);
  return f === 'locked' ? new ConflictError(`${msg}; try again when the run holding it has ended`) : new ConflictError(msg);
}

export class SnapshotService implements SnapshotsApi {
  private readonly listings = new Map<string, Listing>();
  private cachedEntries = 0;
  private readonly refreshing = new Map<string, Promise<{ refreshedAt: string; snapshots: SnapshotRecord[] }>>();

  constructor(private readonly d: SnapshotServiceDeps) {}

  private get config(): Config {
    return this.d.config();
  }

  /** The repository a job names, its key (absolute path or remote:path) and every job using it. */
  private repo(jobId: string) {
    const job = repositoryJob(this.config, jobId);
    const key = locationKey(this.config, job.repository);
    const jobs = Object.entries(this.config.jobs)
      .filter(([, j]) => 'repository' in j && locationKey(this.config, j.repository) === key)
      .map(([id]) => id);
    return { job, key, jobs };
  }

  /** Runs `fn` with the repository open as restic's target (guarded, password in a 0600 file). */
  private async withTarget<T>(jobId: string, fn: (ctx: RunContext, bin: string, t: restic.ResticTarget) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const { job } = this.repo(jobId);
    const ctx = adhocContext(this.d, `browse:${jobId}`, signal);
    let tg: Awaited<ReturnType<typeof resticTarget>> | null = null;
    try {
      tg = await guarded(() => resticTarget(ctx, job));
      return await fn(ctx, tg.bin, tg.t);
    } finally {
      tg?.cleanup();
      ctx.dispose();
    }
  }

  private async readSnapshots(jobId: string, key: string): Promise<{ refreshedAt: string; snapshots: SnapshotRecord[] }> {
    let p = this.refreshing.get(key);
    if (!p) {
      p = this.withTarget(jobId, async (ctx, bin, t) => {
        const r = await runTool(ctx, resticSnapshots(bin, t, ctx.env), { quiet: true });
        if (r.code !== 0) throw resticError('restic snapshots', r);
        const snapshots = parseSnapshots(r.stdout);
        const refreshedAt = this.d.clock.now().toISOString();
        this.d.cache.put(key, refreshedAt, snapshots);
        return { refreshedAt, snapshots };
      }).finally(() => this.refreshing.delete(key));
      this.refreshing.set(key, p);
    }
    return p;
  }

  /** The snapshot records: the cache unless a run on the repository ended since it was read. */
  private async records(jobId: string, refresh = false) {
    const { key, jobs } = this.repo(jobId);
    const cached = this.d.cache.get<SnapshotRecord>(key);
    const changed = this.d.runs.lastFinished(jobs);
    if (!refresh && cached && (!changed || changed <= cached.refreshedAt)) return cached;
    return this.readSnapshots(jobId, key);
  }

  async list(jobId: string, o: { refresh?: boolean } = {}): Promise<SnapshotsResponse> {
    const { job, jobs } = this.repo(jobId);
    const { refreshedAt, snapshots } = await this.records(jobId, o.refresh);
    const made = this.d.runs.snapshotRuns(jobs);
    return {
      job: jobId,
      repository: job.repository,
      jobs,
      refreshedAt,
      snapshots: snapshots.map((s): SnapshotInfo => {
        const run = made.get(s.shortId) ?? made.get(s.id);
        return { ...s, root: snapshotRoot(s.paths), runId: run?.runId ?? null, jobId: run?.jobId ?? null, files: run?.files ?? null, bytes: run?.bytes ?? null };
      }),
    };
  }

  /** `latest`, a full id or a unique prefix → the snapshot. */
  async resolve(jobId: string, snapshot: string): Promise<SnapshotRecord & { root: string }> {
    const find = (list: SnapshotRecord[]) => (snapshot === 'latest' ? list.slice(-1) : list.filter((s) => s.id.startsWith(snapshot)));
    let hits = find((await this.records(jobId)).snapshots);
    // a snapshot made by hand since the list was read: read the repository once more
    if (!hits.length && snapshot !== 'latest') hits = find((await this.records(jobId, true)).snapshots);
    if (hits.length > 1) throw new BadRequestError(`snapshot id "${snapshot}" is ambiguous (${hits.length} snapshots start with it): give more digits`);
    const s = hits[0];
    if (!s)
      throw new NotFoundError(snapshot === 'latest' ? `the repository of ${jobId} holds no snapshot yet` : `no snapshot "${snapshot}" in the repository of ${jobId} (forgotten? pillarsd snapshots ${jobId} lists them)`);
    return { ...s, root: snapshotRoot(s.paths) };
  }

  // ---- browsing ------------------------------------------------------------------------------

  private wake(l: Listing): void {
    for (const w of [...l.waiters]) w();
  }

  private evict(): void {
    const max = this.d.maxCachedEntries ?? 400_000;
    for (const [k, l] of this.listings) {
      if (this.cachedEntries <= max) break;
      if (!l.complete) continue;
      this.listings.delete(k);
      this.cachedEntries -= l.entries.length;
    }
  }

  private startListing(jobId: string, snapshotId: string, dir: string, key: string): Listing {
    const l: Listing = { entries: [], self: null, snapshotSeen: false, complete: false, error: null, waiters: new Set() };
    this.listings.set(key, l);
    void this.withTarget(jobId, async (ctx, bin, t) => {
      const r = await runTool(ctx, resticLsDir(bin, t, ctx.env, snapshotId, [dir]), {
        onStdout: (line) => {
          const p = parseLsLine(line);
          if (p?.kind === 'snapshot') l.snapshotSeen = true;
          else if (p?.kind === 'node') {
            if (p.node.path === dir) l.self = p.node;
            else if (path.posix.dirname(p.node.path) === dir) {
              l.entries.push(toEntry(p.node));
              this.cachedEntries++;
              if (l.entries.length % 50 === 0) this.wake(l);
            }
          }
        },
      });
      if (r.code !== 0) throw resticError('restic ls', r);
    })
      .catch((e: unknown) => {
        l.error = e as Error;
        this.listings.delete(key);
        this.cachedEntries -= l.entries.length;
      })
      .finally(() => {
        l.complete = true;
        this.wake(l);
        this.evict();
      });
    return l;
  }

  private async listing(jobId: string, repoKey: string, snapshotId: string, dir: string, enough: (l: Listing) => boolean): Promise<Listing> {
    const key = `${repoKey}\u0000${snapshotId}\u0000${dir}`;
    let l = this.listings.get(key);
    if (!l || l.error) l = this.startListing(jobId, snapshotId, dir, key);
    else {
      // used again: it is the newest in the eviction order
      this.listings.delete(key);
      this.listings.set(key, l);
    }
    const cur = l;
    if (!cur.complete && !enough(cur)) {
      await new Promise<void>((resolve) => {
        const w = () => {
          if (cur.complete || enough(cur)) {
            cur.waiters.delete(w);
            resolve();
          }
        };
        cur.waiters.add(w);
      });
    }
    if (cur.error) throw cur.error;
    return cur;
  }

  async ls(jobId: string, snapshot: string, o: { path?: string; offset: number; limit: number }): Promise<DirListing> {
    const { key } = this.repo(jobId);
    const snap = await this.resolve(jobId, snapshot);
    const dir = normalizeSnapshotPath(o.path ?? snap.root);
    if (outsideRoot('/', [dir]).length) throw new BadRequestError(`"${dir}" is not an absolute path`);
    const want = o.offset + o.limit + 1;
    const l = await this.listing(jobId, key, snap.id, dir, (x) => x.entries.length >= want);
    if (l.complete && !l.snapshotSeen) throw new NotFoundError(`no snapshot ${snap.shortId} in the repository of ${jobId} any more`);
    const isRoot = dir === snap.root || dir === '/';
    if (l.complete && !l.self && !isRoot && !l.entries.length) throw new NotFoundError(`"${dir}" is not in snapshot ${snap.shortId}`);
    // a file: its own entry, so a link to it shows what it is
    const entries = l.self && l.self.type !== 'dir' ? [toEntry(l.self)] : l.entries;
    return {
      snapshotId: snap.id,
      path: dir,
      parent: isRoot ? null : path.posix.dirname(dir),
      root: snap.root,
      entries: entries.slice(o.offset, o.offset + o.limit),
      offset: o.offset,
      total: l.complete ? entries.length : null,
      more: entries.length > o.offset + o.limit,
    };
  }

  /** One entry of a snapshot (a file or a folder), or NotFoundError. */
  async node(jobId: string, snapshot: string, p: string): Promise<{ snap: SnapshotRecord & { root: string }; node: SnapshotEntry }> {
    const { key } = this.repo(jobId);
    const snap = await this.resolve(jobId, snapshot);
    const target = normalizeSnapshotPath(p);
    if (target === snap.root || target === '/') return { snap, node: { name: path.posix.basename(target) || '/', path: target, type: 'dir', size: null, mtime: snap.time, permissions: null } };
    // the parent listed before (the pane, a page ago) answers at once; else a listing of the path itself
    const parent = this.listings.get(`${key}\u0000${snap.id}\u0000${path.posix.dirname(target)}`);
    const known = parent?.entries.find((e) => e.path === target);
    if (known) return { snap, node: known };
    const l = await this.listing(jobId, key, snap.id, target, (x) => x.self !== null);
    if (!l.self) throw new NotFoundError(`"${target}" is not in snapshot ${snap.shortId}`);
    return { snap, node: toEntry(l.self) };
  }

  async find(jobId: string, snapshot: string, o: { pattern: string; ignoreCase?: boolean; limit: number }): Promise<FindResponse> {
    const snap = await this.resolve(jobId, snapshot);
    const matches: SnapshotEntry[] = [];
    let truncated = false;
    await this.withTarget(jobId, async (ctx, bin, t) => {
      const c = resticFind(bin, t, ctx.env, snap.id, o.pattern, { ignoreCase: o.ignoreCase });
      const child = this.d.spawn({ cmd: c.cmd, args: c.args, env: c.env });
      const scanner = new FindScanner((n) => {
        if (matches.length < o.limit) matches.push(toEntry(n));
        else if (!truncated) {
          truncated = true;
          child.kill();
        }
      });
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (s: string) => !truncated && scanner.push(s));
      const r = await child.done;
      if (!truncated && r.code !== 0) throw resticError('restic find', r);
    });
    return { snapshotId: snap.id, pattern: o.pattern, matches, truncated };
  }

  async dump(jobId: string, snapshot: string, o: { path: string; format?: 'tar' | 'zip' }): Promise<SnapshotDownload> {
    const { snap, node } = await this.node(jobId, snapshot, o.path);
    const folder = node.type === 'dir';
    if (node.type !== 'file' && !folder) throw new BadRequestError(`"${node.path}" is a ${node.type}: only files and folders can be downloaded`);
    const format = folder ? (o.format ?? 'tar') : undefined;
    const base = node.path === '/' ? `snapshot-${snap.shortId}` : path.posix.basename(node.path);
    // openStream returns once restic wrote its first bytes: it has read the password file by then,
    // so withTarget may remove it while the rest streams
    const opened = await this.withTarget(jobId, async (ctx, bin, t) => {
      const c = resticDump(bin, t, ctx.env, { snapshotId: snap.id, path: node.path, archive: format });
      return openStream(this.d.spawn, { cmd: c.cmd, args: c.args, env: c.env });
    });
    if (!opened.ok) throw resticError(`restic dump of ${node.path}`, opened);
    return {
      filename: folder ? `${base}.${format}` : base,
      contentType: folder ? (format === 'zip' ? 'application/zip' : 'application/x-tar') : 'application/octet-stream',
      size: folder ? null : node.size,
      stream: opened.stream,
    };
  }

  // ---- restore requests ----------------------------------------------------------------------

  async planRestore(jobId: string, snapshot: string, req: { paths: string[]; to?: string; existing?: 'skip' | 'keep-both' | 'overwrite' }): Promise<RestorePlan> {
    const c = this.config;
    const job = repositoryJob(c, jobId);
    const snap = await this.resolve(jobId, snapshot);
    const paths = dropNested(req.paths.map(normalizeSnapshotPath));
    const outside = outsideRoot(snap.root, paths);
    if (outside.length) throw new BadRequestError(`not in snapshot ${snap.shortId} (its root is ${snap.root}): ${outside.map((p) => JSON.stringify(p)).join(', ')}`);
    const nodes: SnapshotEntry[] = [];
    for (const p of paths) nodes.push((await this.node(jobId, snap.id, p)).node);

    const to = req.to ?? 'new';
    const mode: RestoreMode = to === 'new' ? 'new' : to === 'original' ? 'original' : 'folder';
    if (mode === 'new' && req.existing) throw new BadRequestError('existing applies to a restore into an existing place (to: original or a folder); a new folder has nothing to skip or overwrite');
    if (mode !== 'new' && !req.existing)
      throw new BadRequestError(`restoring ${mode === 'original' ? 'to the original place' : `into ${to}`} needs an explicit choice for what exists there: existing skip, keep-both or overwrite`);

    let destination: string | null = null;
    let writes: string[];
    const pillars = pillarFacts(c);
    const pillarRef = (abs: string): string => {
      const p = pillars.find((x) => abs === x.path || abs.startsWith(`${x.path.replace(/\/+$/, '')}/`));
      if (!p) throw new BadRequestError(`${abs} is not inside a pillar (${pillars.map((x) => `${x.id}: ${x.path}`).join(', ')})`);
      return `${p.id}:/${path.posix.relative(p.path, abs)}`;
    };
    if (mode === 'new') {
      const area = restoreArea(c, job.repository);
      if (!area) throw new BadRequestError(`the repository of ${jobId} is on a remote: set restore.area to a pillar folder for restores`);
      const areaLoc = resolveLocation(c, area);
      if (areaLoc.kind !== 'pillar') throw new BadRequestError(`restore.area "${area}" must be a pillar folder`);
      const base = `${area}/${jobId}/${snap.shortId}-${folderStamp(this.d.clock.now())}`;
      destination = base;
      for (let i = 2; await lstatOrNull(resolveLocation(c, destination).path); i++) destination = `${base}-${i}`;
      writes = [destination];
    } else if (mode === 'folder') {
      let loc: Location;
      try {
        loc = to.startsWith('/') ? resolveLocation(c, pillarRef(path.posix.normalize(to))) : resolveLocation(c, to);
      } catch (e) {
        if (e instanceof BadRequestError) throw e;
        throw new BadRequestError(`to: "${to}" is neither new, original, pillar:/path nor an absolute path inside a pillar`);
      }
      if (loc.kind !== 'pillar') throw new BadRequestError(`to: "${to}" is a remote; a restore writes into a pillar folder`);
      if (to.split('/').includes('..')) throw new BadRequestError(`to: "${to}": ".." is not allowed`);
      destination = `${loc.pillar}:/${path.posix.relative(loc.root, loc.path)}`;
      writes = [destination];
    } else {
      writes = dropNested(paths).map(pillarRef);
    }
    const pillarsWritten = new Set(writes.map((w) => w.slice(0, w.indexOf(':'))));
    if (pillarsWritten.size > 1) throw new BadRequestError(`these paths go back to ${pillarsWritten.size} pillars (${[...pillarsWritten].join(', ')}): restore them one pillar at a time`);

    const destAbs = destination ? resolveLocation(c, destination).path : null;
    const repos = repositoryPaths(c);
    for (const target of destAbs ? [destAbs] : paths) {
      const why = targetProblem(target, await realPathOfAncestor(target), pillars, repos);
      if (why) throw new BadRequestError(`cannot restore there: ${why}`);
    }

    const task: RestoreTask = { kind: 'restore', job: jobId, snapshotId: snap.id, paths, root: snap.root, mode, destination, existing: req.existing ?? null, writes };
    const items = [];
    for (const n of nodes) {
      const target = placementOf({ mode, root: snap.root, destination: destAbs, staging: '/' }, n.path).target;
      items.push({ path: n.path, type: n.type, target, exists: mode !== 'new' && (await lstatOrNull(target)) !== null });
    }
    return { task, items };
  }

  async restore(jobId: string, snapshot: string, req: { paths: string[]; to?: string; existing?: 'skip' | 'keep-both' | 'overwrite' }): Promise<{ run: RunRecord; plan: RestorePlan }> {
    const plan = await this.planRestore(jobId, snapshot, req);
    return { run: this.d.enqueueTask(plan.task), plan };
  }
}
