// rclone-sync and rclone-copy: a pillar folder to a remote (or another pillar), from one listing of
// each side (sync-plan.ts). The guards judge the plan before anything changes; then rclone copies
// exactly the copy list and a sync deletes exactly the delete list (never a file outside the set an
// approval named), and the report says what rclone reported doing.
import path from 'node:path';
import type { RcloneCopyJob, RcloneSyncJob } from '../../config/schema';
import { resolveLocation } from '../../config/locations';
import type { Location } from '../../config/locations';
import type { RcloneSummary } from '../../contract/api';
import { changeGuard } from '../../domain/guards';
import { exists } from '../../infra/fs';
import * as rclone from '../../tools/rclone';
import { block, fail } from '../job-type';
import type { JobRef, JobType, Outcome, RunContext } from '../job-type';
import { checkPillar, checkSource } from '../pillar-guards';
import { runTool } from '../tool-child';
import { rcloneErrors, remoteDefs, target, withWrapped } from './rclone-remotes';
import { COPY_LIST, DELETE_LIST, NEW_LIST, planTransfer } from './sync-plan';
import type { PlanSides } from './sync-plan';
import type { RcloneCaps } from '../../tools/versions';

type Job = RcloneSyncJob | RcloneCopyJob;

/** The folders an rclone job's anchored excludes leave out (`/backups/restic/**`, `/scratch/`). */
export function excludedFolders(exclude: readonly string[]): string[] {
  const out: string[] = [];
  for (const e of exclude) {
    const m = /^\/((?:[^*?[\]{}]+\/)*[^*?[\]{}/]+)\/(\*\*)?$/.exec(e);
    if (m) out.push(m[1]!);
  }
  return out;
}

/** The excludes a job's rclone runs use: the job's, and the source pillar's sentinel. */
function excludesOf(job: Job, src: Location): string[] {
  return [...job.exclude, ...(src.kind === 'pillar' ? ['/.pillar'] : [])];
}

/**
 * What is left of a window (`maxDuration`, as rclone writes durations: 6h, 5h30m, 90s, 250ms) after
 * `usedMs`, as rclone's --max-duration takes it; null when nothing is left.
 */
export function windowLeft(maxDuration: string, usedMs: number): string | null {
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let ms = 0;
  for (const m of maxDuration.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(m[1]) * unit[m[2]!]!;
  const left = Math.floor(ms - usedMs);
  return left > 0 ? `${left}ms` : null;
}

/** Most folders a run removes after its deletions; a sync that emptied more leaves the rest for later runs. */
const MAX_FOLDER_REMOVALS = 100;

/**
 * The topmost folders, among those that held deleted files, that the source no longer has: what
 * `rclone sync` would take away at a destination with folders of its own.
 */
export function vanishedFolders(dirs: Iterable<string>, atSource: (dir: string) => boolean): string[] {
  const out = new Set<string>();
  for (const d of dirs) {
    const parts = d.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (!atSource(prefix)) {
        out.add(prefix);
        break;
      }
    }
  }
  return [...out].sort();
}

async function removeEmptiedFolders(ctx: RunContext, bin: string, env: Record<string, string>, dst: string, srcRoot: string, dirs: Set<string>, errors: ReturnType<typeof rcloneErrors>): Promise<void> {
  const gone = vanishedFolders(dirs, (d) => exists(path.join(srcRoot, d)));
  for (const d of gone.slice(0, MAX_FOLDER_REMOVALS)) {
    const r = await runTool(ctx, rclone.rcloneRmdirs(bin, env, `${dst.replace(/\/+$/, '')}/${d}`), { quiet: true, onStderr: (l) => errors.keep(l, rclone.parseRcloneLine(l)) });
    // a folder that still holds a file (one a deletion missed) stays; the files are what count
    if (r.code !== 0) ctx.log(`rclone rmdirs of ${d} exited ${r.code}; the folder stays`);
  }
  if (gone.length > MAX_FOLDER_REMOVALS) ctx.log(`${gone.length - MAX_FOLDER_REMOVALS} more emptied folder(s) are left for the next run`);
}

/** Runs an rclone copy, its progress from rclone's stats; `windowEnded`: rclone said the window ended. */
async function copyStep(ctx: RunContext, cmd: ReturnType<typeof rclone.rcloneCopyList>, errors: ReturnType<typeof rcloneErrors>): Promise<{ code: number | null; stats: rclone.RcloneStats | null; windowEnded: boolean }> {
  let stats: rclone.RcloneStats | null = null;
  let windowEnded = false;
  const c = await runTool(ctx, cmd, {
    onStderr: (l) => {
      const p = rclone.parseRcloneLine(l);
      if (p?.kind === 'stats') {
        stats = p.stats;
        ctx.onProgress(rclone.rcloneProgress(p.stats));
        return;
      }
      if (p?.kind === 'log' && p.msg.includes(rclone.MAX_DURATION_MSG)) windowEnded = true;
      errors.keep(l, p);
      if (p?.kind === 'log') ctx.log(`${p.level}: ${p.object ? `${p.object}: ` : ''}${p.msg}`);
      else if (l.trim()) ctx.log(l);
    },
  });
  return { code: c.code, stats, windowEnded };
}

/**
 * The destination's listing found no file: the guards have nothing to judge, and rclone copies what
 * the destination lacks while it walks the source (`--ignore-existing`: a file that turns up there
 * meanwhile is not overwritten). The plan's source figures are what that copy found.
 */
async function firstCopy(ctx: RunContext, job: Job, bin: string, env: Record<string, string>, sides: PlanSides & { caps: RcloneCaps }, errors: ReturnType<typeof rcloneErrors>): Promise<Outcome> {
  ctx.changeSets.commit(ctx.runId, 'run');
  const c = await copyStep(
    ctx,
    rclone.rcloneCopyNew(bin, env, {
      source: target(sides.src),
      destination: target(sides.dst),
      exclude: sides.exclude,
      caps: sides.caps,
      sourceType: sides.sourceType,
      destinationType: sides.destinationType,
      bwlimit: job.bwlimit,
      transfers: job.transfers,
      checkers: job.checkers,
    }),
    errors,
  );
  const summary: RcloneSummary = { ...rclone.rcloneSummary(job.type, c.stats), filesDeleted: 0 };
  // a copy that did not finish walked an unknown part of the source: no plan figures then
  if (c.code !== 0) return { status: 'failed', summary, exitCode: c.code, transient: rclone.rcloneTransient(c.code), error: rclone.rcloneFailureMessage('rclone copy', c.code, errors.last) };
  const already = c.stats?.checks ?? 0;
  summary.plan = {
    sourceFiles: summary.filesTransferred + already,
    sourceBytes: summary.bytesTransferred,
    destinationFiles: 0,
    destinationBytes: 0,
    toCopy: summary.filesTransferred,
    toCopyBytes: summary.bytesTransferred,
    overwrites: 0,
    deletions: 0,
    expectedDeletions: 0,
    deferredDeletions: 0,
    hiddenBytes: 0,
    firstCopy: true,
  };
  ctx.log(`first copy: ${summary.filesTransferred} file(s) copied${already ? `; ${already} that turned up at the destination after its listing were left as they were` : ''}`);
  return { status: 'succeeded', summary, exitCode: 0 };
}

async function run(ctx: RunContext, job: Job): Promise<Outcome> {
  const sync = job.type === 'rclone-sync';
  const src = resolveLocation(ctx.config, job.source);
  const dst = resolveLocation(ctx.config, job.destination);
  checkPillar(ctx.config, src);
  checkPillar(ctx.config, dst);
  checkSource(src);
  const { bin, caps } = await ctx.tools.rclone();
  const remotes = [src, dst].filter((l): l is Extract<Location, { kind: 'remote' }> => l.kind === 'remote').map((l) => l.remote);
  const env = rclone.rcloneEnv(await remoteDefs(ctx, bin, withWrapped(ctx.config, remotes)), ctx.env);
  const typeOf = (l: Location) => (l.kind === 'pillar' ? 'local' : ctx.config.remotes[l.remote]!.type);
  const sides = { src, dst, sourceType: typeOf(src), destinationType: typeOf(dst), exclude: excludesOf(job, src), checkers: job.checkers };
  const errors = rcloneErrors();

  if (ctx.approval) {
    // the approval names a set by count and digest: the run works only from that very set
    const shown = ctx.changeSets.summary(ctx.runId, 'approval');
    const count = shown ? shown.files.deletions + shown.files.overwrites : null;
    if (!shown || shown.digest !== ctx.approval.digest || count !== ctx.approval.count) {
      fail(`the approved set (${ctx.approval.count} files, digest ${ctx.approval.digest.slice(0, 12)}) is not the set stored for this run; nothing was changed`);
    }
    ctx.log(`approved: ${ctx.approval.count} file(s) of set ${ctx.approval.digest.slice(0, 12)}; deletions outside it wait for the next run`);
  }

  // a job with a window lists the source even into an empty destination: its progress over the
  // nights is measured against the source's total (which rclone's dry run does not size)
  const plan = await planTransfer(ctx, bin, env, sides, { deletions: sync, firstCopy: !job.maxDuration, dryRun: sync && !job.maxDuration }, errors);
  if (plan.kind === 'first-copy') return firstCopy(ctx, job, bin, env, { ...sides, caps }, errors);
  const b = changeGuard({
    runId: ctx.runId,
    deletes: plan.guarded.deletes,
    overwrites: plan.guarded.overwrites,
    destinationCount: plan.totals.destinationFiles,
    maxChangePercent: job.guard.maxChangePercent,
    ...(job.type === 'rclone-sync' ? { maxDeleteCount: job.guard.maxDeleteCount, maxDeletePercent: job.guard.maxDeletePercent } : {}),
    approval: { count: plan.set.files.deletions + plan.set.files.overwrites, digest: plan.set.digest },
  });
  if (b) {
    ctx.changeSets.commit(ctx.runId, 'approval');
    block(b);
  }
  const runDir = ctx.changeSets.commit(ctx.runId, 'run');
  const summary: RcloneSummary = { ...rclone.rcloneSummary(job.type, null), plan: plan.totals };

  // 1. copy what is new or different, as rclone judges each listed file: first the files the
  // destination holds another version of (the overwrites the guards judged), then those it lacked,
  // with --ignore-existing, so a file that turns up there meanwhile is never replaced unjudged
  if (plan.totals.toCopy > 0) {
    const started = Date.now();
    let windowEnded = false;
    let lastCode: number | null = 0;
    let copied = 0;
    let leftAsTheyWere = 0;
    const steps = [
      { list: COPY_LIST, files: plan.copyLists.updates, ignoreExisting: false },
      { list: NEW_LIST, files: plan.copyLists.additions, ignoreExisting: true },
    ].filter((st) => st.files > 0);
    for (const st of steps) {
      // one window for the whole copy: the second step gets what the first left of it
      const window = job.maxDuration ? windowLeft(job.maxDuration, Date.now() - started) : undefined;
      if (window === null) {
        windowEnded = true;
        break;
      }
      const c = await copyStep(
        ctx,
        rclone.rcloneCopyList(bin, env, {
          source: target(src),
          destination: target(dst),
          filesFrom: path.join(runDir, st.list),
          ignoreExisting: st.ignoreExisting,
          caps,
          sourceType: sides.sourceType,
          destinationType: sides.destinationType,
          bwlimit: job.bwlimit,
          transfers: job.transfers,
          checkers: job.checkers,
          maxDuration: window,
        }),
        errors,
      );
      const s = rclone.rcloneSummary(job.type, c.stats);
      summary.bytesTransferred += s.bytesTransferred;
      summary.filesTransferred += s.filesTransferred;
      summary.errors += s.errors;
      summary.durationSeconds += s.durationSeconds;
      copied += s.filesTransferred;
      lastCode = c.code;
      // rclone counts a listed file it found at the destination as a check (one gone from the source is skipped silently: not counted)
      if (st.ignoreExisting) leftAsTheyWere += c.stats?.checks ?? 0;
      if (c.code !== 0 && !(c.windowEnded && c.code === 7)) {
        return {
          status: 'failed',
          summary,
          exitCode: c.code,
          transient: rclone.rcloneTransient(c.code),
          error: `${rclone.rcloneFailureMessage('rclone copy', c.code, errors.last)}${sync ? '; nothing was deleted' : ''}`,
        };
      }
      if (c.windowEnded) {
        windowEnded = true;
        break;
      }
    }
    if (windowEnded) {
      summary.windowEnded = true;
      ctx.log(`the window (${job.maxDuration}) ended: ${copied} of ${plan.totals.toCopy} file(s) copied; the next run goes on from there${sync ? ' (deletions wait for a complete copy)' : ''}`);
      return { status: 'succeeded', summary, exitCode: lastCode };
    }
    if (leftAsTheyWere) ctx.log(`${leftAsTheyWere} new file(s) that turned up at the destination after its listing were left as they were`);
  }

  // 2. a sync deletes exactly its delete list (the whole plan, or the approved part of it)
  if (sync && plan.toDelete > 0) {
    let deleted = 0;
    const deletedDirs = new Set<string>();
    let hitMax = false;
    let stats: rclone.RcloneStats | null = null;
    const d = await runTool(ctx, rclone.rcloneDeleteList(bin, env, { destination: target(dst), filesFrom: path.join(runDir, DELETE_LIST), maxDelete: plan.toDelete, checkers: job.checkers }), {
      onStderr: (l) => {
        const p = rclone.parseRcloneLine(l);
        if (p?.kind === 'stats') {
          stats = p.stats;
          return;
        }
        if (p?.kind === 'log' && p.msg === rclone.DELETED_MSG && p.object !== null) {
          deleted++;
          const parent = path.posix.dirname(p.object);
          if (parent !== '.') deletedDirs.add(parent);
          ctx.log(`deleted: ${p.object}`);
          return;
        }
        if (p?.kind === 'log' && p.msg.includes(rclone.MAX_DELETE_MSG)) hitMax = true;
        errors.keep(l, p);
        if (p?.kind === 'log') ctx.log(`${p.level}: ${p.object ? `${p.object}: ` : ''}${p.msg}`);
        else if (l.trim()) ctx.log(l);
      },
    });
    summary.filesDeleted = deleted;
    if (plan.destinationFolders && src.kind === 'pillar') await removeEmptiedFolders(ctx, bin, env, target(dst), src.path, deletedDirs, errors);
    const tally = (stats as rclone.RcloneStats | null)?.deletes;
    if (typeof tally === 'number' && tally !== deleted) ctx.log(`rclone's tally says ${tally} deletion(s); ${deleted} were reported file by file (the report uses those)`);
    summary.errors += (stats as rclone.RcloneStats | null)?.errors ?? 0;
    if (d.code !== 0) {
      const why = hitMax ? `rclone delete stopped at --max-delete ${plan.toDelete}` : rclone.rcloneFailureMessage('rclone delete', d.code, errors.last);
      return { status: 'failed', summary, exitCode: d.code, transient: rclone.rcloneTransient(d.code), error: `${why}; ${deleted} of the ${plan.toDelete} listed file(s) were deleted` };
    }
    ctx.log(`deleted ${deleted} of the ${plan.toDelete} listed file(s)${deleted < plan.toDelete ? ' (the rest were gone already)' : ''}`);
  }
  return { status: 'succeeded', summary, exitCode: 0 };
}

export const rcloneTransfer: JobType<Job> = {
  tool: 'rclone',
  refs: (job) => {
    // the filters apply on both sides: what a job excludes it neither reads nor writes
    const except = excludedFolders(job.exclude);
    const under = (ref: string) => except.map((f) => `${ref.replace(/\/+$/, '')}/${f}`);
    const src: JobRef = { ref: job.source, mode: 'r', source: true };
    const dst: JobRef = { ref: job.destination, mode: 'w' };
    if (except.length) {
      src.except = under(job.source);
      dst.except = under(job.destination);
    }
    return [src, dst];
  },
  run,
};
