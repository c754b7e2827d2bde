// One listing of each side (issue 14): `rclone lsjson` of the source and of the destination under
// the job's filters, each streamed to a file and sorted by `sort` (bounded memory), then merged
// into the run's plan: the copy list, the delete list and the change set (store/change-sets) the
// guards judge and an approval names. rclone's own lists are what the copy and delete then take.
// A destination whose listing finds no file ends the plan early (FirstCopy): nothing there can be
// deleted or overwritten, and the first copy walks the source itself. What decides nothing (when the
// source's listing starts, a remote's features read once per process) is only about time.
import path from 'node:path';
import type { Location } from '../../config/locations';
import { SUCCESS_STATUSES } from '../../contract/api';
import type { RclonePlanSummary } from '../../contract/api';
import type { ChangeCount } from '../../domain/guards';
import { dryRunLine, dryRunSteps, keyPath, mergeListings, pathKey, sortLine } from '../../domain/sync-plan';
import type { PlanStep } from '../../domain/sync-plan';
import { removeFile } from '../../infra/fs';
import { LineReader, LineWriter } from '../../infra/line-files';
import type { ChangeSetReader, ChangeSetSummary, ChangeSetWriter } from '../../store/change-sets';
import * as rclone from '../../tools/rclone';
import { cancelled, fail } from '../job-type';
import type { RunContext } from '../job-type';
import { runTool } from '../tool-child';
import { target } from './rclone-remotes';
import type { RcloneErrors } from './rclone-remotes';

export interface PlanSides {
  src: Location;
  dst: Location;
  sourceType: string;
  destinationType: string;
  exclude: readonly string[];
  checkers?: number;
}

/** In the plan's folder: paths for `rclone copy --files-from-raw`, files the destination holds another version of. */
export const COPY_LIST = 'copy.list';
/**
 * In the plan's folder: paths for `rclone copy --files-from-raw --ignore-existing`, files the
 * destination lacked when listed. Apart from the updates so that one that turns up there before the
 * copy reaches it is left as it is: no guard judged overwriting it.
 */
export const NEW_LIST = 'copy-new.list';
/** In the plan's folder: paths for `rclone delete --files-from-raw`, only what this run may delete. */
export const DELETE_LIST = 'delete.list';

export interface Plan {
  kind: 'plan';
  set: ChangeSetSummary;
  totals: RclonePlanSummary;
  toDelete: number;
  /** the destination has folders of its own (emptied ones are removed after deletions) */
  destinationFolders: boolean;
  /** what the guards count: unexpected deletions, and overwrites no approval named */
  guarded: { deletes: ChangeCount; overwrites: ChangeCount };
  /** lines in COPY_LIST (files the destination holds another version of) and NEW_LIST (files it lacked) */
  copyLists: { updates: number; additions: number };
}

/**
 * The destination's listing found no file: there is nothing to delete or overwrite, so nothing for
 * the guards to judge (`set` is empty), and the source was not listed: a first copy walks it itself.
 */
export interface FirstCopy {
  kind: 'first-copy';
  set: ChangeSetSummary;
}

const SAMPLE = 10;
/** rclone's modify window when a side does not say (1 s: coarser than every backend we drive) */
const FALLBACK_WINDOW_NS = 1e9;

const count = (): ChangeCount => ({ count: 0, bytes: 0, sample: [] });
const add = (c: ChangeCount, p: string, size: number) => {
  c.count++;
  c.bytes += Math.max(0, size);
  if (c.sample.length < SAMPLE) c.sample.push(p);
};

/**
 * Listings up to this many files are sorted in memory (a few MB of short ASCII lines); longer ones go
 * through a file and `sort(1)`, whose memory is bounded. Each `sort` is a process the server spawns.
 */
const SORT_IN_MEMORY = 50_000;

/**
 * Lines put one by one, then sorted into `dir/name.sorted` (byte order: in memory for a short run of
 * lines, else by `sort(1)` in the C locale). Lines must be printable ASCII (pathKey), so that
 * JavaScript's default sort is sort(1)'s byte order.
 */
function sortedLines(ctx: RunContext, dir: string, name: string) {
  const raw = path.join(dir, `${name}.listing`);
  const sorted = path.join(dir, `${name}.sorted`);
  let mem: string[] | null = [];
  let out: LineWriter | null = null;
  return {
    sorted,
    put(line: string) {
      if (!mem) return out!.write(line);
      mem.push(line);
      if (mem.length <= SORT_IN_MEMORY) return;
      out = new LineWriter(raw);
      for (const l of mem) out.write(l);
      mem = null;
    },
    /** ends the writing (always, also when the child failed) */
    close() {
      (out as LineWriter | null)?.close();
    },
    async sort(): Promise<string> {
      if (mem) {
        const w = new LineWriter(sorted);
        for (const l of mem.sort()) w.write(l);
        w.close();
        return sorted;
      }
      const s = await runTool(ctx, { cmd: 'sort', args: ['-S', '64M', '-T', dir, '-o', sorted, raw], env: { PATH: ctx.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } }, { quiet: true });
      removeFile(raw);
      if (s.code !== 0) fail(`sort of the ${name} listing exited ${s.code}: ${s.stderr.trim().slice(0, 200)}`);
      return sorted;
    },
  };
}

/**
 * Runs an `rclone lsjson` and writes a line per listed file (`toLine`) into a sorted file
 * (sortedLines); returns it with how many files and bytes were listed. `missingOk`: rclone's
 * "directory not found" (exit 3) for the root means nothing is there yet. `onFirst`: called once,
 * when the first file is listed. `signal`: ends the listing (the attempt's signal always does).
 */
async function listSorted(
  ctx: RunContext,
  cmd: ReturnType<typeof rclone.rcloneList>,
  dir: string,
  name: string,
  toLine: (f: rclone.ListedFile) => string,
  errors: RcloneErrors,
  o: { missingOk?: boolean; onFirst?: () => void; signal?: AbortSignal } = {},
): Promise<{ sorted: string; files: number; bytes: number }> {
  const lines = sortedLines(ctx, dir, name);
  let files = 0;
  let bytes = 0;
  let bad: Error | null = null;
  let r: Awaited<ReturnType<typeof runTool>>;
  try {
    r = await runTool(ctx, cmd, {
      quiet: true,
      signal: o.signal,
      onStdout: (l) => {
        if (bad) return;
        try {
          const f = rclone.parseListingLine(l);
          if (!f) return;
          lines.put(toLine(f));
          if (files++ === 0) o.onFirst?.();
          bytes += Math.max(0, f.size);
          if (files % 10_000 === 0) ctx.onProgress({ percent: null, bytesDone: 0, bytesTotal: null, filesDone: files, filesTotal: null, rate: null, etaSeconds: null, current: [`listing: ${name}`] });
        } catch (e) {
          bad = e as Error;
        }
      },
      onStderr: (l) => {
        const p = rclone.parseRcloneLine(l);
        if (p?.kind !== 'stats') errors.keep(l, p);
      },
    });
  } finally {
    lines.close();
  }
  if (bad) fail(`rclone lsjson (${name}): ${(bad as Error).message}`);
  if (r.code !== 0) {
    // an error is never read as an empty listing: only a root that is not there yet is
    const missingRoot = o.missingOk && r.code === 3 && files === 0 && errors.last.some((e) => /directory not found/i.test(e));
    if (!missingRoot) fail(rclone.rcloneFailureMessage(`rclone lsjson (${name})`, r.code, errors.last), { exitCode: r.code, transient: rclone.rcloneTransient(r.code) });
    ctx.log(`${name}: the folder does not exist yet: nothing there to compare with`);
  }
  return { sorted: await lines.sort(), files, bytes };
}

/** Lists one side into a sorted file (the destination of a first sync may not exist yet). */
async function listSide(
  ctx: RunContext,
  bin: string,
  env: Record<string, string>,
  loc: Location,
  type: string,
  sides: PlanSides,
  dir: string,
  name: 'source' | 'destination',
  errors: RcloneErrors,
  o: { onFirst?: () => void; signal?: AbortSignal } = {},
) {
  const r = await listSorted(ctx, rclone.rcloneList(bin, env, target(loc), { type, exclude: sides.exclude, checkers: sides.checkers }), dir, name, sortLine, errors, { missingOk: name === 'destination', ...o });
  ctx.log(`listed the ${name}: ${r.files} file(s)`);
  return r;
}

/** A sorted file of `key\tsize\tdestinationSize` lines: the overwrites found in key order. */
const overwriteLine = (key: string, size: number, destinationSize: number) => `${key}\t${size}\t${destinationSize}`;
function readOverwrite(l: string): { key: string; size: number; destinationSize: number } {
  const [key, size, d] = l.split('\t');
  return { key: key!, size: Number(size), destinationSize: Number(d) };
}

/**
 * Of the files equal in size whose times differ (`unsure`), those whose `hash` differs too (or that
 * one side cannot hash): what rclone would really overwrite. The others it only gives the source's
 * time. Writes them, in key order, to `confirmed`; returns how many differed only in time.
 */
async function confirmByHash(
  ctx: RunContext,
  bin: string,
  env: Record<string, string>,
  sides: PlanSides,
  dir: string,
  hash: string,
  unsure: { list: string; keys: string },
  confirmed: LineWriter,
  errors: RcloneErrors,
): Promise<number> {
  const hashLine = (f: rclone.ListedFile) => `${pathKey(f.path)}\t${f.hashes?.[hash] ?? ''}`;
  const [s, d] = await Promise.all([
    listSorted(ctx, rclone.rcloneHashes(bin, env, target(sides.src), { filesFrom: unsure.list, hash, checkers: sides.checkers }), dir, `source ${hash}`, hashLine, errors),
    listSorted(ctx, rclone.rcloneHashes(bin, env, target(sides.dst), { filesFrom: unsure.list, hash, checkers: sides.checkers }), dir, `destination ${hash}`, hashLine, errors),
  ]);
  const reader = (file: string) => {
    const r = new LineReader(file);
    let cur: [string, string] | null = null;
    const next = () => {
      const l = r.next();
      cur = l === null ? null : (l.split('\t') as [string, string]);
    };
    next();
    return {
      hashOf(key: string): string {
        while (cur && cur[0] < key) next();
        return cur && cur[0] === key ? cur[1] : '';
      },
      close: () => r.close(),
    };
  };
  const sh = reader(s.sorted);
  const dh = reader(d.sorted);
  const u = new LineReader(unsure.keys);
  let timeOnly = 0;
  try {
    for (let l = u.next(); l !== null; l = u.next()) {
      if (!l) continue;
      const o = readOverwrite(l);
      const a = sh.hashOf(o.key);
      const b = dh.hashOf(o.key);
      if (a && a === b) timeOnly++;
      else confirmed.write(l);
    }
  } finally {
    sh.close();
    dh.close();
    u.close();
    removeFile(s.sorted);
    removeFile(d.sorted);
  }
  return timeOnly;
}

/**
 * What `rclone backend features` said, per rclone binary, environment (which holds the remotes'
 * definitions) and target. A remote's precision, hashes and folders follow from its definition, so
 * one read per process is enough; each read is an rclone start (and for B2 an authorisation call)
 * that every nightly run paid twice. A changed definition, binary or target is a new key.
 */
const featuresSeen = new Map<string, rclone.RemoteFeatures>();
/** distinct keys kept at most (a few per job; past that the map starts again) */
const FEATURES_KEPT = 64;

async function featuresOf(ctx: RunContext, bin: string, env: Record<string, string>, loc: Location, errors: RcloneErrors, signal?: AbortSignal): Promise<rclone.RemoteFeatures> {
  const key = JSON.stringify([bin, target(loc), Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
  const seen = featuresSeen.get(key);
  if (seen) {
    ctx.log(`rclone backend features of ${target(loc)}: as rclone reported them earlier (precision ${seen.precisionNs} ns, hashes ${seen.hashes.join(' ') || 'none'})`);
    return seen;
  }
  const r = await runTool(ctx, rclone.rcloneFeatures(bin, env, target(loc)), { quiet: true, signal, onStdout: () => {}, onStderr: (l) => errors.keep(l, rclone.parseRcloneLine(l)) });
  if (r.code !== 0) fail(rclone.rcloneFailureMessage(`rclone backend features of ${target(loc)}`, r.code, errors.last), { exitCode: r.code, transient: rclone.rcloneTransient(r.code) });
  const f = rclone.parseFeatures(r.stdout);
  if (!f) {
    ctx.log(`rclone backend features of ${target(loc)} named no precision; comparing times to the second`);
    return { precisionNs: FALLBACK_WINDOW_NS, hashes: [], emptyDirs: true };
  }
  if (featuresSeen.size >= FEATURES_KEPT) featuresSeen.clear();
  featuresSeen.set(key, f);
  return f;
}

/**
 * The job's last successful run found files at the destination, which most likely holds them still:
 * the plan need not first find out whether the destination is empty (a first copy). A wrong guess
 * costs time, never a decision: the plan then finds the destination empty and the run is the first
 * copy. (Files a first copy put there do not count: the run after it lists, and finds them.)
 */
function destinationHeldFiles(ctx: RunContext): boolean {
  const s = ctx.lastRun(ctx.jobId, SUCCESS_STATUSES)?.summary;
  return (s?.kind === 'rclone-sync' || s?.kind === 'rclone-copy') && (s.plan?.destinationFiles ?? 0) > 0;
}

/** Walks a sorted change set beside the plan: "is this key in it?" for keys asked in order. */
function membership(r: ChangeSetReader | null): (key: string) => boolean {
  if (!r) return () => false;
  let cur = r.next();
  return (key) => {
    while (cur && cur.key < key) cur = r.next();
    return cur?.key === key;
  };
}

/**
 * Turns plan steps, in key order, into the run's lists and change set, however they were found (two
 * listings merged, or rclone's dry run): the copy list (files the destination holds another version
 * of), the list of new files, the delete list, the deletions and overwrites for the guards. With an
 * approval, only deletions in the approved set go to the delete list, and only overwrites outside it
 * are counted for the guards. An update whose sizes are equal (only the times differ) is an
 * overwrite only once the hashes differ: `confirmByHash` unless the step's finder compared them.
 */
class PlanLists {
  readonly totals: RclonePlanSummary;
  readonly guarded = { deletes: count(), overwrites: count() };
  private readonly copy: LineWriter;
  private readonly additions: LineWriter;
  private readonly del: LineWriter;
  private readonly sized: LineWriter;
  private readonly unsureList: LineWriter;
  private readonly unsureKeys: LineWriter;
  readonly unsure: { list: string; keys: string };
  private readonly approved: { d: ChangeSetReader; o: ChangeSetReader } | null;
  private readonly inApprovedDeletions: (key: string) => boolean;
  private readonly inApprovedOverwrites: (key: string) => boolean;
  private readonly srcRoot: string | null;
  private unlisted = 0;
  /** files equal but for the time, their hashes equal (rclone only sets the time) */
  timeOnly = 0;

  constructor(
    private readonly ctx: RunContext,
    private readonly dir: string,
    private readonly writer: ChangeSetWriter,
    private readonly sides: PlanSides,
    private readonly deletions: boolean,
    /** the hash equal-sized updates are confirmed with; null when the finder compared hashes itself */
    private readonly hash: string | null,
  ) {
    this.approved = ctx.approval && ctx.changeSets.has(ctx.runId, 'approval') ? { d: ctx.changeSets.reader(ctx.runId, 'approval', 'deletions'), o: ctx.changeSets.reader(ctx.runId, 'approval', 'overwrites') } : null;
    this.inApprovedDeletions = membership(this.approved?.d ?? null);
    this.inApprovedOverwrites = membership(this.approved?.o ?? null);
    this.copy = new LineWriter(path.join(dir, COPY_LIST));
    this.additions = new LineWriter(path.join(dir, NEW_LIST));
    this.del = new LineWriter(path.join(dir, DELETE_LIST));
    this.sized = new LineWriter(path.join(dir, 'overwrites.sized'));
    this.unsure = { list: path.join(dir, 'unsure.list'), keys: path.join(dir, 'overwrites.unsure') };
    this.unsureList = new LineWriter(this.unsure.list);
    this.unsureKeys = new LineWriter(this.unsure.keys);
    this.srcRoot = sides.src.kind === 'pillar' ? sides.src.path : null;
    this.totals = {
      sourceFiles: 0,
      destinationFiles: 0,
      toCopy: 0,
      toCopyBytes: 0,
      overwrites: 0,
      deletions: 0,
      expectedDeletions: 0,
      deferredDeletions: 0,
      hiddenBytes: 0,
    };
  }

  private listable(p: string): boolean {
    // --files-from-raw takes one path a line: a name with a line break cannot be named there
    if (!/[\r\n]/.test(p)) return true;
    this.unlisted++;
    this.ctx.log(`skipped (a line break in its name cannot go into rclone's file list): ${JSON.stringify(p)}`);
    return false;
  }

  add(step: PlanStep): void {
    if (step.kind === 'same') return;
    const p = keyPath(step.key);
    if (step.kind === 'new' || step.kind === 'update' || step.kind === 'touch') {
      if (!this.listable(p)) return;
      // a touched file goes to the copy list too: rclone's copy sets its time, as a sync would
      (step.kind === 'new' ? this.additions : this.copy).write(p);
      this.totals.toCopy++;
      this.totals.toCopyBytes += Math.max(0, step.size);
      if (step.kind === 'touch') this.timeOnly++;
      if (step.kind === 'update') {
        const line = overwriteLine(step.key, step.size, step.destinationSize);
        if (step.sameSize && this.hash) {
          this.unsureList.write(p);
          this.unsureKeys.write(line);
        } else this.sized.write(line);
      }
      return;
    }
    if (!this.deletions) return;
    this.totals.deletions++;
    const prunedBy = this.srcRoot ? this.ctx.expectedDeletions.runOf(path.join(this.srcRoot, p)) : null;
    this.writer.addDeletion(step.key, step.size, prunedBy !== null);
    if (prunedBy !== null) this.totals.expectedDeletions++;
    const allowed = prunedBy !== null || !this.ctx.approval || this.inApprovedDeletions(step.key);
    if (!allowed) {
      this.totals.deferredDeletions++;
      return;
    }
    if (prunedBy === null && !this.ctx.approval) add(this.guarded.deletes, p, step.size);
    this.totals.hiddenBytes! += Math.max(0, step.size);
    if (this.listable(p)) this.del.write(p);
  }

  /** Ends the step lists (always, also when a step threw). */
  close(): void {
    this.approved?.d.close();
    this.copy.close();
    this.additions.close();
    this.del.close();
    this.sized.close();
    this.unsureList.close();
    this.unsureKeys.close();
  }

  /**
   * After close(): confirms the equal-sized updates by hash (`confirm`, when there are any), writes
   * the overwrites into the change set in key order, logs the plan and returns it.
   */
  async finish(confirm: (unsure: { list: string; keys: string }, confirmed: LineWriter) => Promise<number>, destinationFolders: boolean, timeOnlyHow: string): Promise<Plan> {
    const { ctx, dir, totals } = this;
    const confirmedFile = path.join(dir, 'overwrites.confirmed');
    const confirmed = new LineWriter(confirmedFile);
    try {
      if (this.unsureKeys.lines > 0) this.timeOnly += await confirm(this.unsure, confirmed);
    } finally {
      confirmed.close();
    }
    if (this.timeOnly) ctx.log(`${this.timeOnly} file(s) differ from the destination's only in time (${timeOnlyHow}): rclone sets their times, nothing is overwritten`);
    // the overwrites, in key order: those of another size, and those whose hash differs
    const a = new LineReader(path.join(dir, 'overwrites.sized'));
    const b = new LineReader(confirmedFile);
    try {
      let x = a.next();
      let y = b.next();
      while (x || y) {
        let l: string;
        if (x && (!y || x < y)) {
          l = x;
          x = a.next();
        } else {
          l = y!;
          y = b.next();
        }
        const o = readOverwrite(l);
        totals.overwrites++;
        totals.hiddenBytes! += Math.max(0, o.destinationSize);
        this.writer.addOverwrite(o.key, o.size, o.destinationSize);
        if (!this.inApprovedOverwrites(o.key)) add(this.guarded.overwrites, keyPath(o.key), o.destinationSize);
      }
    } finally {
      a.close();
      b.close();
      this.approved?.o.close();
      for (const f of ['overwrites.sized', 'overwrites.confirmed', 'overwrites.unsure', 'unsure.list']) removeFile(path.join(dir, f));
    }
    const set = this.writer.finish();
    if (this.unlisted) ctx.log(`${this.unlisted} file(s) with a line break in their name were left out of the lists`);
    ctx.log(
      `plan: ${totals.toCopy} file(s) to copy (${totals.overwrites} overwrite(s)), ${totals.deletions} deletion(s)` +
        (totals.expectedDeletions ? ` of which ${totals.expectedDeletions} removed by a prune of pillarsd` : '') +
        (totals.deferredDeletions ? `, ${totals.deferredDeletions} not in the approved set (left for the next run)` : '') +
        ` — source ${totals.sourceFiles} file(s), destination ${totals.destinationFiles}`,
    );
    return { kind: 'plan', set, totals, toDelete: this.del.lines, destinationFolders, guarded: this.guarded, copyLists: { updates: this.copy.lines, additions: this.additions.lines } };
  }
}

/** rclone 1.60's fatal error when `--suffix` meets a destination that can neither move nor copy server-side. */
const NO_SERVER_SIDE_MOVE = /doesn't support server-side move or copy/;

/**
 * Whether a finished dry run can be planned from: its exit code, a line pillarsd could not read, its
 * final stats (errors, and counts that must agree with the lines it named). Returns the files at the
 * destination (its checks less its renames: each compared pair, each deletion and each set-aside is
 * a check), or null when the destination cannot take `--suffix` (the caller lists instead).
 */
function judgeDryRun(
  ctx: RunContext,
  what: string,
  r: { code: number | null },
  bad: Error | null,
  noMove: boolean,
  s: rclone.RcloneStats | null,
  named: { copy: number; replace: number; delete: number },
  errors: RcloneErrors,
): { destinationFiles: number } | null {
  if (ctx.signal.aborted) cancelled(ctx);
  if (bad) fail(`${what}: ${bad.message}`);
  if (r.code !== 0) {
    if (noMove) return null;
    fail(rclone.rcloneFailureMessage(what, r.code, errors.last), { exitCode: r.code, transient: rclone.rcloneTransient(r.code) });
  }
  if (!s || typeof s.checks !== 'number') return fail(`${what}: rclone printed no final stats, so the files at the destination cannot be counted; nothing was changed`);
  const counted = { transfers: s.transfers ?? 0, renames: s.renames ?? 0, deletes: s.deletes ?? 0, errors: s.errors ?? 0 };
  if (counted.errors > 0) fail(`${what}: rclone counted ${counted.errors} error(s)${errors.last.length ? `: ${errors.last[errors.last.length - 1]}` : ''}; nothing was changed`);
  if (counted.transfers !== named.copy || counted.renames !== named.replace || counted.deletes !== named.delete) {
    fail(
      `${what}: rclone counted ${counted.transfers} copies, ${counted.renames} set aside and ${counted.deletes} deletions but named ${named.copy}, ${named.replace} and ${named.delete}: the plan is not trusted; nothing was changed`,
    );
  }
  return { destinationFiles: s.checks - counted.renames };
}

/**
 * The plan from one rclone process: `rclone sync --dry-run` (rcloneSyncPlan) lists both sides and
 * compares them as the sync itself would, and names each file it would copy, replace, delete or
 * re-time; those lines are sorted by key and folded (dryRunSteps) into the same lists and change
 * set as the two listings give. rclone's final stats must agree with the lines (transfers = copies,
 * renames = replaces, deletes = deletions): its checks minus its renames are the destination's files.
 * The bytes of unchanged files are not in a dry run's output: sourceBytes and destinationBytes stay
 * out of the summary. null: the destination cannot take `--suffix` (no server-side move or copy);
 * the caller lists both sides instead.
 */
async function planByDryRun(
  ctx: RunContext,
  bin: string,
  env: Record<string, string>,
  sides: PlanSides,
  opts: { deletions: boolean; firstCopy: boolean },
  begun: { dir: string; writer: ChangeSetWriter },
  errors: RcloneErrors,
): Promise<Plan | FirstCopy | null> {
  const { dir, writer } = begun;
  // read beside the dry run (and once per process): whether emptied folders must be removed after deletions
  const stop = new AbortController();
  const features = featuresOf(ctx, bin, env, sides.dst, errors, stop.signal);
  features.catch(() => {});
  const lines = sortedLines(ctx, dir, 'dry-run');
  let stats: rclone.RcloneStats | null = null;
  let bad: Error | null = null;
  let noMove = false;
  const named = { copy: 0, replace: 0, delete: 0, touch: 0 };
  let r: Awaited<ReturnType<typeof runTool>>;
  try {
    r = await runTool(
      ctx,
      rclone.rcloneSyncPlan(bin, env, {
        source: target(sides.src),
        destination: target(sides.dst),
        sourceType: sides.sourceType,
        destinationType: sides.destinationType,
        exclude: sides.exclude,
        checkers: sides.checkers,
      }),
      {
        quiet: true,
        onStderr: (l) => {
          if (bad) return;
          if (NO_SERVER_SIDE_MOVE.test(l)) noMove = true;
          let p: rclone.SyncPlanLine | null;
          try {
            p = rclone.parseSyncPlanLine(l);
          } catch (e) {
            bad = e as Error;
            return;
          }
          if (p?.kind === 'folder') return;
          if (p?.kind === 'stats') {
            stats = p.stats;
            ctx.onProgress({ percent: null, bytesDone: 0, bytesTotal: null, filesDone: p.stats.checks ?? 0, filesTotal: null, rate: null, etaSeconds: null, current: ['comparing both sides'] });
            return;
          }
          if (p && 'path' in p) {
            named[p.kind]++;
            lines.put(dryRunLine(p));
            return;
          }
          errors.keep(l, p);
          if (p?.kind === 'log') ctx.log(`${p.level}: ${p.object ? `${p.object}: ` : ''}${p.msg}`);
          else if (l.trim()) ctx.log(l);
        },
      },
    );
  } finally {
    lines.close();
  }
  const what = 'rclone sync --dry-run (the plan)';
  let judged: { destinationFiles: number } | null;
  try {
    judged = judgeDryRun(ctx, what, r, bad, noMove, stats, named, errors);
  } catch (e) {
    // the run ends with the dry run's error once the feature read started beside it has ended
    stop.abort();
    await features.catch(() => {});
    if (ctx.signal.aborted) cancelled(ctx);
    throw e;
  }
  if (!judged) {
    for (const f of ['dry-run.listing', 'dry-run.sorted']) removeFile(path.join(dir, f));
    ctx.log(`${target(sides.dst)} has no server-side move or copy, which rclone's dry run needs to tell an overwrite from a new file: both sides are listed instead`);
    await features.catch(() => {});
    return null;
  }
  const { destinationFiles } = judged;
  if (destinationFiles === 0 && opts.firstCopy) {
    for (const f of ['dry-run.listing', 'dry-run.sorted']) removeFile(path.join(dir, f));
    stop.abort();
    await features.catch(() => {});
    if (ctx.signal.aborted) cancelled(ctx);
    ctx.log('the destination held files at the last run and holds none now: the plan of the dry run started on that guess is not used');
    ctx.log('plan: the destination holds no file, so there is nothing to delete or overwrite: a first copy of what the source has');
    return { kind: 'first-copy', set: writer.finish() };
  }
  const sorted = await lines.sort();
  const dstFeatures = await features;
  const plan = new PlanLists(ctx, dir, writer, sides, opts.deletions, null);
  let newFiles = 0;
  const reader = new LineReader(sorted);
  try {
    for (const step of dryRunSteps(() => reader.next())) {
      if (step.kind === 'new') newFiles++;
      plan.add(step);
    }
  } catch (e) {
    fail(`${what}: ${(e as Error).message}; nothing was changed`);
  } finally {
    reader.close();
    plan.close();
    removeFile(sorted);
  }
  plan.totals.destinationFiles = destinationFiles;
  plan.totals.sourceFiles = destinationFiles - named.delete + newFiles;
  return plan.finish(() => Promise.resolve(0), dstFeatures.emptyDirs, 'equal hashes, as rclone compared them');
}

/**
 * Writes the run's plan. `dryRun`: a sync whose last successful run found files at the destination
 * plans from rclone's dry run (planByDryRun: one rclone process lists and compares both sides);
 * otherwise, or when the destination cannot take the dry run's --suffix, both sides are listed with
 * `rclone lsjson` and merged here. `deletions`: a sync (a copy never deletes). `firstCopy`: a
 * destination found to hold no file ends the plan there (FirstCopy).
 */
export async function planTransfer(
  ctx: RunContext,
  bin: string,
  env: Record<string, string>,
  sides: PlanSides,
  opts: { deletions: boolean; firstCopy: boolean; dryRun: boolean },
  errors: RcloneErrors,
): Promise<Plan | FirstCopy> {
  const begun = ctx.changeSets.begin(ctx.runId);
  const held = destinationHeldFiles(ctx);
  if (opts.dryRun && held) {
    const p = await planByDryRun(ctx, bin, env, sides, opts, begun, errors);
    if (p) return p;
  }
  return planByListings(ctx, bin, env, sides, { ...opts, held }, begun, errors);
}

/**
 * Lists both sides and merges the listings into the run's plan. `firstCopy`: a destination whose
 * listing finds no file ends the plan there (FirstCopy), before the source is listed.
 */
async function planByListings(
  ctx: RunContext,
  bin: string,
  env: Record<string, string>,
  sides: PlanSides,
  opts: { deletions: boolean; firstCopy: boolean; held: boolean },
  begun: { dir: string; writer: ChangeSetWriter },
  errors: RcloneErrors,
): Promise<Plan | FirstCopy> {
  const { dir, writer } = begun;
  // The source's listing and the feature reads run beside the destination's listing. Where a first
  // copy is possible they start once the destination shows its first file (an empty destination
  // costs no listing of the source), or at once when its last listing found files.
  let rest: Promise<[Awaited<ReturnType<typeof listSide>>, rclone.RemoteFeatures, rclone.RemoteFeatures]> | null = null;
  const stopRest = new AbortController();
  const startRest = () => {
    if (!rest) {
      const signal = stopRest.signal;
      rest = Promise.all([
        listSide(ctx, bin, env, sides.src, sides.sourceType, sides, dir, 'source', errors, { signal }),
        featuresOf(ctx, bin, env, sides.src, errors, signal),
        featuresOf(ctx, bin, env, sides.dst, errors, signal),
      ]);
      // awaited below, after the destination's listing: a failure before then must not go unhandled
      rest.catch(() => {});
    }
    return rest;
  };
  if (!opts.firstCopy || opts.held) startRest();
  let dst: Awaited<ReturnType<typeof listSide>>;
  try {
    dst = await listSide(ctx, bin, env, sides.dst, sides.destinationType, sides, dir, 'destination', errors, { onFirst: startRest });
  } catch (e) {
    // the run ends with the destination's error once the children started beside it have ended
    await (rest as Promise<unknown> | null)?.catch(() => {});
    throw e;
  }
  if (dst.files === 0 && opts.firstCopy) {
    removeFile(dst.sorted);
    if (rest) {
      // started on the guess that the destination still held files: what it found is not needed
      stopRest.abort();
      await (rest as Promise<unknown>).catch(() => {});
      if (ctx.signal.aborted) cancelled(ctx);
      for (const f of ['source.listing', 'source.sorted']) removeFile(path.join(dir, f));
      ctx.log('the destination held files at the last run and holds none now: the listing of the source started on that guess is stopped and not used');
    }
    ctx.log('plan: the destination holds no file, so there is nothing to delete or overwrite: a first copy of what the source has');
    return { kind: 'first-copy', set: writer.finish() };
  }
  const [src, srcFeatures, dstFeatures] = await startRest();
  const windowNs = Math.max(1, srcFeatures.precisionNs, dstFeatures.precisionNs);
  // rclone compares hashes where only the times differ: pillarsd does the same before it calls
  // such a file an overwrite (a `touch` of every file is not a mass change)
  const hash = rclone.commonHash(srcFeatures.hashes, dstFeatures.hashes);
  const plan = new PlanLists(ctx, dir, writer, sides, opts.deletions, hash);
  plan.totals.sourceFiles = src.files;
  plan.totals.sourceBytes = src.bytes;
  plan.totals.destinationFiles = dst.files;
  plan.totals.destinationBytes = dst.bytes;
  const sr = new LineReader(src.sorted);
  const dr = new LineReader(dst.sorted);
  try {
    for (const step of mergeListings(
      () => sr.next(),
      () => dr.next(),
      windowNs,
    ))
      plan.add(step);
  } finally {
    sr.close();
    dr.close();
    plan.close();
    removeFile(src.sorted);
    removeFile(dst.sorted);
  }
  return plan.finish((unsure, confirmed) => confirmByHash(ctx, bin, env, sides, dir, hash!, unsure, confirmed, errors), dstFeatures.emptyDirs, `equal ${hash}`);
}
