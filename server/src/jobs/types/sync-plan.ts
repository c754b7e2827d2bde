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
import { keyPath, mergeListings, pathKey, sortLine } from '../../domain/sync-plan';
import { removeFile } from '../../infra/fs';
import { LineReader, LineWriter } from '../../infra/line-files';
import type { ChangeSetReader, ChangeSetSummary } from '../../store/change-sets';
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
 * Runs an `rclone lsjson` and writes a line per listed file (`toLine`) into a sorted file (byte
 * order: in memory for a short listing, else by `sort(1)` in the C locale); returns it with how many
 * files and bytes were listed. `missingOk`: rclone's "directory not found" (exit 3) for the root
 * means nothing is there yet. `onFirst`: called once, when the first file is listed. `signal`: ends
 * the listing (the attempt's signal always does).
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
  const raw = path.join(dir, `${name}.listing`);
  const sorted = path.join(dir, `${name}.sorted`);
  // the lines are printable ASCII (pathKey), so JavaScript's default sort is sort(1)'s byte order
  let mem: string[] | null = [];
  let out: LineWriter | null = null;
  const put = (line: string) => {
    if (!mem) return out!.write(line);
    mem.push(line);
    if (mem.length <= SORT_IN_MEMORY) return;
    out = new LineWriter(raw);
    for (const l of mem) out.write(l);
    mem = null;
  };
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
          put(toLine(f));
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
    (out as LineWriter | null)?.close();
  }
  if (bad) fail(`rclone lsjson (${name}): ${(bad as Error).message}`);
  if (r.code !== 0) {
    // an error is never read as an empty listing: only a root that is not there yet is
    const missingRoot = o.missingOk && r.code === 3 && files === 0 && errors.last.some((e) => /directory not found/i.test(e));
    if (!missingRoot) fail(rclone.rcloneFailureMessage(`rclone lsjson (${name})`, r.code, errors.last), { exitCode: r.code, transient: rclone.rcloneTransient(r.code) });
    ctx.log(`${name}: the folder does not exist yet: nothing there to compare with`);
  }
  if (mem) {
    const w = new LineWriter(sorted);
    for (const l of (mem as string[]).sort()) w.write(l);
    w.close();
    return { sorted, files, bytes };
  }
  const s = await runTool(ctx, { cmd: 'sort', args: ['-S', '64M', '-T', dir, '-o', sorted, raw], env: { PATH: ctx.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } }, { quiet: true });
  removeFile(raw);
  if (s.code !== 0) fail(`sort of the ${name} listing exited ${s.code}: ${s.stderr.trim().slice(0, 200)}`);
  return { sorted, files, bytes };
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
 * the source's listing need not wait for the destination's first file (an rclone start and its first
 * folder, on every nightly run). A wrong guess costs the source's listing, stopped; never a decision.
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
 * Lists both sides and writes the run's plan. `deletions`: a sync (a copy never deletes). With an
 * approval, only deletions in the approved set go to the delete list, and only overwrites outside
 * it are counted for the guards. `firstCopy`: a destination whose listing finds no file ends the
 * plan there (FirstCopy), before the source is listed.
 */
export async function planTransfer(ctx: RunContext, bin: string, env: Record<string, string>, sides: PlanSides, opts: { deletions: boolean; firstCopy: boolean }, errors: RcloneErrors): Promise<Plan | FirstCopy> {
  const { dir, writer } = ctx.changeSets.begin(ctx.runId);
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
  if (!opts.firstCopy || destinationHeldFiles(ctx)) startRest();
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

  const approved = ctx.approval && ctx.changeSets.has(ctx.runId, 'approval') ? { d: ctx.changeSets.reader(ctx.runId, 'approval', 'deletions'), o: ctx.changeSets.reader(ctx.runId, 'approval', 'overwrites') } : null;
  const inApprovedDeletions = membership(approved?.d ?? null);
  const inApprovedOverwrites = membership(approved?.o ?? null);
  const copy = new LineWriter(path.join(dir, COPY_LIST));
  const additions = new LineWriter(path.join(dir, NEW_LIST));
  const del = new LineWriter(path.join(dir, DELETE_LIST));
  // rclone compares hashes where only the times differ: pillarsd does the same before it calls
  // such a file an overwrite (a `touch` of every file is not a mass change)
  const hash = rclone.commonHash(srcFeatures.hashes, dstFeatures.hashes);
  const sized = new LineWriter(path.join(dir, 'overwrites.sized'));
  const unsure = { list: path.join(dir, 'unsure.list'), keys: path.join(dir, 'overwrites.unsure') };
  const unsureList = new LineWriter(unsure.list);
  const unsureKeys = new LineWriter(unsure.keys);
  const srcRoot = sides.src.kind === 'pillar' ? sides.src.path : null;
  const guarded = { deletes: count(), overwrites: count() };
  const totals: RclonePlanSummary = {
    sourceFiles: src.files,
    sourceBytes: src.bytes,
    destinationFiles: dst.files,
    destinationBytes: dst.bytes,
    toCopy: 0,
    toCopyBytes: 0,
    overwrites: 0,
    deletions: 0,
    expectedDeletions: 0,
    deferredDeletions: 0,
    hiddenBytes: 0,
  };
  let unlisted = 0;
  const listable = (p: string) => {
    // --files-from-raw takes one path a line: a name with a line break cannot be named there
    if (!/[\r\n]/.test(p)) return true;
    unlisted++;
    ctx.log(`skipped (a line break in its name cannot go into rclone's file list): ${JSON.stringify(p)}`);
    return false;
  };
  const sr = new LineReader(src.sorted);
  const dr = new LineReader(dst.sorted);
  try {
    for (const step of mergeListings(
      () => sr.next(),
      () => dr.next(),
      windowNs,
    )) {
      if (step.kind === 'same') continue;
      const p = keyPath(step.key);
      if (step.kind === 'new' || step.kind === 'update') {
        if (!listable(p)) continue;
        (step.kind === 'new' ? additions : copy).write(p);
        totals.toCopy++;
        totals.toCopyBytes += Math.max(0, step.size);
        if (step.kind === 'update') {
          const line = overwriteLine(step.key, step.size, step.destinationSize);
          if (step.sameSize && hash) {
            unsureList.write(p);
            unsureKeys.write(line);
          } else sized.write(line);
        }
        continue;
      }
      if (!opts.deletions) continue;
      totals.deletions++;
      const prunedBy = srcRoot ? ctx.expectedDeletions.runOf(path.join(srcRoot, p)) : null;
      writer.addDeletion(step.key, step.size, prunedBy !== null);
      if (prunedBy !== null) totals.expectedDeletions++;
      const allowed = prunedBy !== null || !ctx.approval || inApprovedDeletions(step.key);
      if (!allowed) {
        totals.deferredDeletions++;
        continue;
      }
      if (prunedBy === null && !ctx.approval) add(guarded.deletes, p, step.size);
      totals.hiddenBytes! += Math.max(0, step.size);
      if (listable(p)) del.write(p);
    }
  } finally {
    sr.close();
    dr.close();
    approved?.d.close();
    copy.close();
    additions.close();
    del.close();
    sized.close();
    unsureList.close();
    unsureKeys.close();
    removeFile(src.sorted);
    removeFile(dst.sorted);
  }
  let timeOnly = 0;
  const confirmedFile = path.join(dir, 'overwrites.confirmed');
  const confirmed = new LineWriter(confirmedFile);
  try {
    if (unsureKeys.lines > 0) timeOnly = await confirmByHash(ctx, bin, env, sides, dir, hash!, unsure, confirmed, errors);
  } finally {
    confirmed.close();
  }
  if (timeOnly) ctx.log(`${timeOnly} file(s) differ from the destination's only in time (equal ${hash}): rclone sets their times, nothing is overwritten`);
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
      writer.addOverwrite(o.key, o.size, o.destinationSize);
      if (!inApprovedOverwrites(o.key)) add(guarded.overwrites, keyPath(o.key), o.destinationSize);
    }
  } finally {
    a.close();
    b.close();
    approved?.o.close();
    for (const f of ['overwrites.sized', 'overwrites.confirmed', 'overwrites.unsure', 'unsure.list']) removeFile(path.join(dir, f));
  }
  const set = writer.finish();
  if (unlisted) ctx.log(`${unlisted} file(s) with a line break in their name were left out of the lists`);
  ctx.log(
    `plan: ${totals.toCopy} file(s) to copy (${totals.overwrites} overwrite(s)), ${totals.deletions} deletion(s)` +
      (totals.expectedDeletions ? ` of which ${totals.expectedDeletions} removed by a prune of pillarsd` : '') +
      (totals.deferredDeletions ? `, ${totals.deferredDeletions} not in the approved set (left for the next run)` : '') +
      ` — source ${totals.sourceFiles} file(s), destination ${totals.destinationFiles}`,
  );
  return { kind: 'plan', set, totals, toDelete: del.lines, destinationFolders: dstFeatures.emptyDirs, guarded, copyLists: { updates: copy.lines, additions: additions.lines } };
}
