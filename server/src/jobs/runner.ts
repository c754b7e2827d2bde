// Runs one attempt of one job: guards first (rules 1–3), then pre hooks, the tool, post hooks.
// It decides nothing about queues or retries (engine.ts) and stores nothing (the engine does).
import path from 'node:path';
import type { BlockInfo, Progress, RunSummary } from '../contract/api';
import type { Config, Hook, JobConfig, RcloneCopyJob, RcloneSyncJob, ResticBackupJob, ResticCheckJob, ResticForgetJob } from '../config/schema';
import { resolveLocation } from '../config/locations';
import type { Location } from '../config/locations';
import { deleteGuard, pillarGuard, retentionGuard, sourceGuard } from '../domain/guards';
import type { Exec, ExecResult } from '../infra/exec';
import { exists, hasEntries, isDirectory, isMountPoint, readSmallFile, removeFile, writePrivateFile } from '../infra/fs';
import type { RunSecrets } from '../secrets/resolver';
import * as restic from '../tools/restic';
import type { ResticTarget, Command } from '../tools/restic';
import * as rclone from '../tools/rclone';
import type { RemoteDef } from '../tools/rclone';
import type { Toolchain } from './toolchain';
import { ToolMissingError } from './toolchain';

export interface Outcome {
  status: 'succeeded' | 'failed' | 'blocked' | 'cancelled';
  error?: string;
  exitCode?: number | null;
  summary?: RunSummary;
  block?: BlockInfo;
  /** worth another attempt (a lock, a temporary network error) */
  transient?: boolean;
}

export interface RunnerContext {
  config: Config;
  jobId: string;
  job: JobConfig;
  runId: string;
  exec: Exec;
  env: NodeJS.ProcessEnv;
  tools: Toolchain;
  secrets: RunSecrets;
  log(line: string): void;
  signal: AbortSignal;
  onProgress(p: Progress): void;
  onChild(pid: number | null): void;
  /** private 0700 folder for password files */
  runtimeDir: string;
  cacheDir: string;
  /** an admin approved up to this many deletions (rule 2) */
  approvedCount: number | null;
  /** restic snapshot id → files, from our own history */
  snapshotFiles: Map<string, number>;
  /** the repository needs `restic unlock` first (an interrupted run left its lock) */
  unlockFirst: boolean;
  onUnlocked(): void;
}

class Stop extends Error {
  constructor(readonly outcome: Outcome) {
    super(outcome.error ?? outcome.status);
  }
}

const fail = (error: string, extra: Partial<Outcome> = {}): never => {
  throw new Stop({ status: 'failed', error, ...extra });
};
const block = (b: BlockInfo): never => {
  throw new Stop({ status: 'blocked', block: b, error: b.message });
};

function checkPillar(c: Config, loc: Location): void {
  if (loc.kind !== 'pillar') return;
  const p = c.pillars[loc.pillar]!;
  const b = pillarGuard({
    id: loc.pillar,
    path: p.path,
    requireMount: p.requireMount,
    exists: isDirectory(p.path),
    mounted: isMountPoint(p.path),
    sentinel: readSmallFile(path.join(p.path, '.pillar')),
  });
  if (b) block(b);
}

function checkSource(loc: Location): void {
  if (loc.kind !== 'pillar') return;
  const there = isDirectory(loc.path);
  const b = sourceGuard({ path: loc.path, exists: there || exists(loc.path), hasEntries: there ? hasEntries(loc.path, loc.path === loc.root || loc.path === `${loc.root}/` ? ['.pillar'] : []) : exists(loc.path) });
  if (b) block(b);
}

/**
 * What marks a tool process as this run's child: its pid recorded as it spawns, and the run id in
 * its environment, so recovery finds it even if a killed pillarsd never recorded the pid.
 */
function runChild(ctx: RunnerContext, c: Command): { env: Record<string, string | undefined>; onSpawn: (pid: number) => void } {
  return { env: { ...c.env, PILLARS_RUN_ID: ctx.runId }, onSpawn: (pid) => ctx.onChild(pid) };
}

async function run(ctx: RunnerContext, c: Command, opts: { stdin?: string; onStdout?: (l: string) => void; onStderr?: (l: string) => void; quiet?: boolean } = {}): Promise<ExecResult> {
  ctx.log(`$ ${path.basename(c.cmd)} ${c.args.map((a) => (/[\s"'$]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  let r: ExecResult;
  try {
    r = await ctx.exec({
      cmd: c.cmd,
      args: c.args,
      ...runChild(ctx, c),
      stdin: opts.stdin,
      signal: ctx.signal,
      onStdoutLine: opts.onStdout ?? ((l) => !opts.quiet && l.trim() && ctx.log(l)),
      onStderrLine: opts.onStderr ?? ((l) => l.trim() && ctx.log(l)),
      keepBytes: 256 << 10,
    });
  } finally {
    ctx.onChild(null);
  }
  if (r.aborted || ctx.signal.aborted) throw new Stop({ status: 'cancelled', error: String(ctx.signal.reason ?? 'cancelled'), exitCode: r.code });
  return r;
}

// ---- restic -------------------------------------------------------------------------------

async function resticTarget(ctx: RunnerContext, job: ResticBackupJob | ResticForgetJob | ResticCheckJob) {
  const { bin, caps } = await ctx.tools.restic();
  const repoLoc = resolveLocation(ctx.config, job.repository);
  checkPillar(ctx.config, repoLoc);
  const repository = repoLoc.kind === 'pillar' ? repoLoc.path : `rclone:${repoLoc.remote}:${repoLoc.path}`;
  const password = await ctx.secrets.get(job.password);
  // the pid in the name lets a later start remove what a killed process left behind
  const passwordFile = writePrivateFile(ctx.runtimeDir, `restic-pw-${process.pid}`, password);
  const t: ResticTarget = { repository, passwordFile, cacheDir: path.join(ctx.cacheDir, 'restic') };
  return { bin, caps, t, repoLoc, cleanup: () => removeFile(passwordFile) };
}

async function unlock(ctx: RunnerContext, bin: string, t: ResticTarget, why: string): Promise<void> {
  ctx.log(`restic unlock (${why}); stale locks only, never --remove-all`);
  const r = await run(ctx, restic.resticUnlock(bin, t, ctx.env));
  if (r.code !== 0) ctx.log(`restic unlock exited ${r.code}; going on`);
  else ctx.onUnlocked();
}

function resticFailed(ctx: RunnerContext, what: string, r: ExecResult, caps: Awaited<ReturnType<Toolchain['restic']>>['caps']): Outcome {
  const f = restic.classifyResticExit(r.code, r.stderr, caps) ?? 'other';
  return { status: 'failed', error: restic.resticFailureMessage(what, f, r.code, r.stderr), exitCode: r.code, transient: f === 'locked' };
}

async function resticBackupRun(ctx: RunnerContext, job: ResticBackupJob): Promise<Outcome> {
  const src = resolveLocation(ctx.config, job.source);
  checkPillar(ctx.config, src);
  checkSource(src);
  const { bin, caps, t, repoLoc, cleanup } = await resticTarget(ctx, job);
  try {
    if (repoLoc.kind === 'pillar' && !exists(path.join(repoLoc.path, 'config'))) {
      if (isDirectory(repoLoc.path) && hasEntries(repoLoc.path)) fail(`${repoLoc.path} is not empty and holds no restic repository: refusing to initialise one there`);
      ctx.log(`no repository at ${repoLoc.path}: initialising a new one (restic init)`);
      const r = await run(ctx, restic.resticInit(bin, t, ctx.env));
      if (r.code !== 0) return resticFailed(ctx, 'restic init', r, caps);
      ctx.log(`repository ${repoLoc.path} initialised`);
    }
    if (ctx.unlockFirst) await unlock(ctx, bin, t, 'an earlier attempt was interrupted or found the repository locked');
    let summary: RunSummary | undefined;
    let errors = 0;
    const r = await run(ctx, restic.resticBackup(bin, t, ctx.env, { source: src.kind === 'pillar' ? src.path : job.source, exclude: job.exclude, tags: job.tags, host: job.host, caps }), {
      onStdout: (line) => {
        const p = restic.parseResticBackupLine(line);
        if (!p) return;
        if (p.kind === 'progress') ctx.onProgress(p.progress);
        else if (p.kind === 'summary') {
          summary = p.summary;
          ctx.log(`snapshot ${p.summary.snapshotId} saved: ${p.summary.filesNew} new, ${p.summary.filesChanged} changed, ${p.summary.bytesAdded} bytes added`);
        } else if (p.kind === 'error') {
          errors++;
          ctx.log(`error: ${p.item ?? ''}: ${p.message}`);
        } else ctx.log(p.text);
      },
    });
    if (r.code === 0 && summary) return { status: 'succeeded', summary, exitCode: 0 };
    if (r.code === 3 && summary?.kind === 'restic-backup') {
      return { status: 'failed', summary: { ...summary, unreadableFiles: errors }, exitCode: 3, error: `snapshot ${summary.snapshotId} saved, but ${errors || 'some'} file(s) could not be read (see the log)` };
    }
    return resticFailed(ctx, 'restic backup', r, caps);
  } finally {
    cleanup();
  }
}

async function snapshotIsEmpty(ctx: RunnerContext, bin: string, t: ResticTarget, id: string): Promise<boolean> {
  const known = ctx.snapshotFiles.get(id) ?? ctx.snapshotFiles.get(id.slice(0, 8));
  if (known !== undefined) return known === 0;
  // ls streams every node: stop at the first file, so a large snapshot costs one tree walk step
  const inner = new AbortController();
  const onOuter = () => inner.abort();
  ctx.signal.addEventListener('abort', onOuter, { once: true });
  let found = false;
  try {
    const c = restic.resticLs(bin, t, ctx.env, id);
    await ctx.exec({
      cmd: c.cmd,
      args: c.args,
      ...runChild(ctx, c),
      signal: inner.signal,
      keepBytes: 64 << 10,
      onStdoutLine: (l) => {
        if (!found && restic.isFileNode(l)) {
          found = true;
          inner.abort();
        }
      },
    });
  } finally {
    ctx.onChild(null);
    ctx.signal.removeEventListener('abort', onOuter);
  }
  if (ctx.signal.aborted) throw new Stop({ status: 'cancelled', error: 'cancelled' });
  return !found;
}

async function resticForgetRun(ctx: RunnerContext, job: ResticForgetJob): Promise<Outcome> {
  const { bin, caps, t, cleanup } = await resticTarget(ctx, job);
  try {
    await unlock(ctx, bin, t, 'before retention');
    const dry = await run(ctx, restic.resticForget(bin, t, ctx.env, { keep: job.keep, prune: false, dryRun: true, caps }), { quiet: true });
    if (dry.code !== 0) return resticFailed(ctx, 'restic forget --dry-run', dry, caps);
    const groups = restic.parseForgetOutput(dry.stdout);
    const keep = groups.flatMap((g) => g.keep.map((s) => s.id));
    const remove = groups.flatMap((g) => (g.remove ?? []).map((s) => s.id));
    ctx.log(`retention plan: keep ${keep.length}, remove ${remove.length}`);
    const empties = new Map<string, boolean>();
    for (const id of keep) empties.set(id, await snapshotIsEmpty(ctx, bin, t, id));
    if ([...empties.values()].some(Boolean)) for (const id of remove) empties.set(id, await snapshotIsEmpty(ctx, bin, t, id));
    const b = retentionGuard({ keep, remove, empty: (id) => empties.get(id) });
    if (b) block(b);
    if (remove.length === 0 && !job.prune) return { status: 'succeeded', summary: { kind: 'restic-forget', kept: keep.length, removed: 0, pruned: false }, exitCode: 0 };
    const r = await run(ctx, restic.resticForget(bin, t, ctx.env, { keep: job.keep, prune: job.prune, dryRun: false, caps }), { quiet: false });
    if (r.code !== 0) return resticFailed(ctx, job.prune ? 'restic forget --prune' : 'restic forget', r, caps);
    const done = restic.parseForgetOutput(r.stdout);
    return {
      status: 'succeeded',
      exitCode: 0,
      summary: { kind: 'restic-forget', kept: done.reduce((n, g) => n + g.keep.length, 0), removed: done.reduce((n, g) => n + (g.remove?.length ?? 0), 0), pruned: job.prune },
    };
  } finally {
    cleanup();
  }
}

async function resticCheckRun(ctx: RunnerContext, job: ResticCheckJob): Promise<Outcome> {
  const { bin, caps, t, cleanup } = await resticTarget(ctx, job);
  try {
    await unlock(ctx, bin, t, 'before check');
    const r = await run(ctx, restic.resticCheck(bin, t, ctx.env, { readDataSubset: job.readDataSubset, caps }));
    const summary: RunSummary = { kind: 'restic-check', ok: r.code === 0, readDataSubset: job.readDataSubset ?? null };
    if (r.code === 0) return { status: 'succeeded', summary, exitCode: 0 };
    return { ...resticFailed(ctx, 'restic check', r, caps), summary };
  } finally {
    cleanup();
  }
}

// ---- rclone -------------------------------------------------------------------------------

async function remoteDefs(ctx: RunnerContext, bin: string, names: string[]): Promise<RemoteDef[]> {
  const out: RemoteDef[] = [];
  for (const name of names) {
    const { type, ...opts } = ctx.config.remotes[name]!;
    const options: Record<string, string> = {};
    for (const [k, raw] of Object.entries(opts)) {
      let v = typeof raw === 'string' && raw in ctx.config.secrets ? await ctx.secrets.get(raw) : String(raw);
      if (rclone.OBSCURED_OPTIONS.has(k)) {
        const r = await run(ctx, rclone.rcloneObscure(bin, ctx.env), { stdin: v, onStdout: () => {} });
        if (r.code !== 0) fail(`rclone obscure failed for remotes.${name}.${k}`);
        v = r.stdout.trim();
      }
      options[k] = v;
    }
    out.push({ name, type, options });
  }
  return out;
}

function target(loc: Location): string {
  return loc.kind === 'pillar' ? loc.path : `${loc.remote}:${loc.path}`;
}

/** the last few error lines of an rclone run, for the run's error message */
interface RcloneErrors {
  /** one stderr line with its parse (parseRcloneLine), which every caller has already */
  keep(line: string, parsed: rclone.RcloneLine | null): void;
  readonly last: string[];
}

function rcloneErrors(): RcloneErrors {
  const last: string[] = [];
  return {
    last,
    keep(l, p) {
      if (p?.kind === 'log' && p.level === 'error') last.push(p.object ? `${p.object}: ${p.msg}` : p.msg);
      else if (!p && l.trim()) last.push(l.trim());
      if (last.length > 5) last.shift();
    },
  };
}

/** what rclone logs when `--max-delete` stops a sync */
const MAX_DELETE_HIT = '--max-delete threshold reached';

/**
 * Rule 2: a dry run counts what the sync would delete, and above the guard the run blocks.
 *
 * The count comes from a quiet dry run: rclone's own tally (`deletes` in its final stats), with
 * no line per file. Reading, parsing and logging a JSON line per file of the tree cost the server
 * as much CPU as the dry run itself (docs/benchmarks.md), for a list nobody reads unless the run
 * blocks; so only then does a second dry run list the deletions (paths and sizes) for the block
 * message, and the verdict is taken again on that list. Without a tally (an rclone that printed
 * none) the list is taken too: a missing count never passes as zero.
 *
 * Returns the number of deletions the sync may make: the real sync runs with `--max-delete` at
 * that number, so a source that changed between the dry run and the sync (or a tally that
 * undercounted) makes rclone stop before deleting more than was counted and guarded.
 */
async function guardDeletions(
  ctx: RunnerContext,
  job: RcloneSyncJob,
  bin: string,
  env: Record<string, string>,
  opts: Omit<rclone.TransferOptions, 'op'>,
  dst: Location,
  errors: RcloneErrors,
): Promise<number> {
  const dryRun = async (mode: 'count' | 'list'): Promise<rclone.DryRunCount | null> => {
    let tally: number | null = null;
    let listed = rclone.countDryRunDeletes([]);
    const batch: string[] = [];
    const add = () => {
      const more = rclone.countDryRunDeletes(batch.splice(0));
      listed = { count: listed.count + more.count, bytes: listed.bytes + more.bytes, sample: [...listed.sample, ...more.sample].slice(0, 10) };
    };
    const r = await run(ctx, rclone.rcloneTransfer(bin, env, { ...opts, op: 'sync', dryRun: mode }), {
      onStderr: (l) => {
        if (mode === 'list') {
          // a cheap test first: most lines of a listing dry run are files it would copy
          if (l.includes('"skipped":"delete"')) {
            batch.push(l);
            if (batch.length >= 5000) add();
            return;
          }
          if (!l.includes('"level":"error"') && l.trimStart().startsWith('{')) return;
        }
        const p = rclone.parseRcloneLine(l);
        if (p?.kind === 'stats') {
          if (typeof p.stats.deletes === 'number') tally = p.stats.deletes;
          return;
        }
        errors.keep(l, p);
      },
    });
    if (r.code !== 0) fail(rclone.rcloneFailureMessage('rclone sync --dry-run', r.code, errors.last), { exitCode: r.code, transient: rclone.rcloneTransient(r.code) });
    if (mode === 'count') return tally === null ? null : { count: tally, bytes: 0, sample: [] };
    add();
    // the list and the tally of the same run should agree; if not, the larger one is the safe one
    return { ...listed, count: Math.max(listed.count, tally ?? 0) };
  };

  ctx.log('dry run: counting what the sync would delete (rule 2)');
  let deletes = await dryRun('count');
  let listed = false;
  if (deletes === null) {
    ctx.log('dry run: rclone printed no tally of deletions; listing them instead');
    deletes = (await dryRun('list'))!;
    listed = true;
  }
  let destinationCount = 0;
  const verdict = (d: rclone.DryRunCount) =>
    deleteGuard({ ...d, destinationCount, maxDeletePercent: job.guard.maxDeletePercent, maxDeleteCount: job.guard.maxDeleteCount, approvedCount: ctx.approvedCount });
  if (deletes.count > 0) {
    const size = await run(ctx, rclone.rcloneSize(bin, env, target(dst), opts.destinationType === 'b2'), { quiet: true });
    const parsed = size.code === 0 ? rclone.parseRcloneSize(size.stdout) : null;
    if (!parsed) fail(rclone.rcloneFailureMessage('rclone size', size.code, errors.last), { exitCode: size.code });
    destinationCount = parsed!.count;
  }
  let b = verdict(deletes);
  if (b && !listed) {
    ctx.log(`dry run: ${deletes.count} deletion(s) would cross the guard; listing them for the approval`);
    deletes = (await dryRun('list'))!;
    b = verdict(deletes);
  }
  ctx.log(`dry run: ${deletes.count} deletion(s) of ${destinationCount} file(s) at the destination`);
  if (b) block(b);
  if (ctx.approvedCount !== null) ctx.log(`deletions approved (up to ${ctx.approvedCount === Infinity ? 'any number' : ctx.approvedCount})`);
  return deletes.count;
}

async function rcloneRun(ctx: RunnerContext, job: RcloneSyncJob | RcloneCopyJob): Promise<Outcome> {
  const src = resolveLocation(ctx.config, job.source);
  const dst = resolveLocation(ctx.config, job.destination);
  checkPillar(ctx.config, src);
  checkPillar(ctx.config, dst);
  checkSource(src);
  const { bin } = await ctx.tools.rclone();
  const remotes = [src, dst].filter((l): l is Extract<Location, { kind: 'remote' }> => l.kind === 'remote').map((l) => l.remote);
  const env = rclone.rcloneEnv(await remoteDefs(ctx, bin, [...new Set(remotes)]), ctx.env);
  const typeOf = (l: Location) => (l.kind === 'pillar' ? 'local' : ctx.config.remotes[l.remote]!.type);
  // a sentinel belongs to its own pillar: never copy one over another pillar's
  const exclude = [...job.exclude, ...(src.kind === 'pillar' ? ['/.pillar'] : [])];
  const opts = { source: target(src), destination: target(dst), sourceType: typeOf(src), destinationType: typeOf(dst), bwlimit: job.bwlimit, transfers: job.transfers, checkers: job.checkers, exclude };
  const errors = rcloneErrors();

  const maxDelete = job.type === 'rclone-sync' ? await guardDeletions(ctx, job, bin, env, opts, dst, errors) : undefined;

  let stats: rclone.RcloneStats | null = null;
  let hitMaxDelete = false;
  const r = await run(ctx, rclone.rcloneTransfer(bin, env, { ...opts, op: job.type === 'rclone-sync' ? 'sync' : 'copy', maxDelete }), {
    onStderr: (l) => {
      const p = rclone.parseRcloneLine(l);
      if (p?.kind === 'stats') {
        stats = p.stats;
        ctx.onProgress(rclone.rcloneProgress(p.stats));
        return;
      }
      errors.keep(l, p);
      if (p?.kind === 'log' && p.msg.includes(MAX_DELETE_HIT)) hitMaxDelete = true;
      if (p?.kind === 'log') ctx.log(`${p.level}: ${p.object ? `${p.object}: ` : ''}${p.msg}`);
      else if (l.trim()) ctx.log(l);
    },
  });
  const summary = rclone.rcloneSummary(job.type, stats);
  if (r.code === 0) return { status: 'succeeded', summary, exitCode: 0 };
  if (maxDelete !== undefined && hitMaxDelete)
    return {
      status: 'failed',
      summary,
      exitCode: r.code,
      error: `rclone sync stopped at the ${maxDelete} deletion(s) its dry run counted: the source changed during the run and more would be deleted now. Nothing beyond them was deleted; the next run counts and guards again`,
    };
  return { status: 'failed', summary, exitCode: r.code, transient: rclone.rcloneTransient(r.code), error: rclone.rcloneFailureMessage(`rclone ${job.type === 'rclone-sync' ? 'sync' : 'copy'}`, r.code, errors.last) };
}

// ---- hooks and the whole attempt ------------------------------------------------------------

async function runHook(ctx: RunnerContext, kind: 'pre' | 'post', h: Hook, status: string): Promise<string | null> {
  const env: Record<string, string | undefined> = { PATH: ctx.env.PATH, HOME: ctx.env.HOME, LANG: ctx.env.LANG, ...h.env, PILLARS_JOB: ctx.jobId, PILLARS_RUN_ID: ctx.runId, PILLARS_RUN_STATUS: status };
  ctx.log(`${kind} hook: ${h.argv.join(' ')}`);
  try {
    const r = await ctx.exec({
      cmd: h.argv[0]!,
      args: h.argv.slice(1),
      env,
      cwd: h.cwd,
      timeoutMs: h.timeoutSeconds * 1000,
      // a post hook runs even after a cancel: it is the clean-up
      signal: kind === 'pre' ? ctx.signal : undefined,
      onStdoutLine: (l) => ctx.log(`[${kind}] ${l}`),
      onStderrLine: (l) => ctx.log(`[${kind}] ${l}`),
      onSpawn: (pid) => ctx.onChild(pid),
    });
    ctx.onChild(null);
    if (r.timedOut) return `${kind} hook ${h.argv[0]} timed out after ${h.timeoutSeconds}s`;
    if (r.aborted) return `${kind} hook ${h.argv[0]} cancelled`;
    if (r.code !== 0) return `${kind} hook ${h.argv[0]} exited ${r.code ?? r.signal}`;
    return null;
  } catch (e) {
    ctx.onChild(null);
    return `${kind} hook ${h.argv[0]}: ${(e as Error).message}`;
  }
}

async function main(ctx: RunnerContext): Promise<Outcome> {
  const j = ctx.job;
  switch (j.type) {
    case 'restic-backup':
      return resticBackupRun(ctx, j);
    case 'restic-forget':
      return resticForgetRun(ctx, j);
    case 'restic-check':
      return resticCheckRun(ctx, j);
    case 'rclone-sync':
    case 'rclone-copy':
      return rcloneRun(ctx, j);
  }
}

/** Guards of the job's pillars before any hook runs: a blocked run touches nothing. */
function preflight(ctx: RunnerContext): void {
  const j = ctx.job;
  const refs = j.type === 'restic-backup' ? [j.source, j.repository] : j.type === 'restic-forget' || j.type === 'restic-check' ? [j.repository] : [j.source, j.destination];
  for (const r of refs) checkPillar(ctx.config, resolveLocation(ctx.config, r));
  if (j.type === 'restic-backup' || j.type === 'rclone-sync' || j.type === 'rclone-copy') checkSource(resolveLocation(ctx.config, j.source));
}

export async function runAttempt(ctx: RunnerContext): Promise<Outcome> {
  let outcome: Outcome;
  let preRan = false;
  try {
    preflight(ctx);
    preRan = ctx.job.pre.length > 0;
    for (const h of ctx.job.pre) {
      const err = await runHook(ctx, 'pre', h, 'running');
      if (err && ctx.signal.aborted) throw new Stop({ status: 'cancelled', error: String(ctx.signal.reason ?? 'cancelled') });
      if (err) fail(err);
    }
    outcome = await main(ctx);
  } catch (e) {
    if (e instanceof Stop) outcome = e.outcome;
    else if (e instanceof ToolMissingError) outcome = { status: 'failed', error: e.message };
    else if (e instanceof Error && e.name === 'SecretError') outcome = { status: 'failed', error: e.message };
    else if (e instanceof Error && e.name === 'ExecError') outcome = { status: 'failed', error: e.message };
    else outcome = { status: 'failed', error: `internal error: ${(e as Error).message}` };
  }
  if (preRan || (ctx.job.post.length > 0 && outcome.status !== 'blocked')) {
    for (const h of ctx.job.post) {
      const err = await runHook(ctx, 'post', h, outcome.status);
      if (err) {
        ctx.log(err);
        if (outcome.status === 'succeeded') outcome = { ...outcome, status: 'failed', error: err };
      }
    }
  }
  return outcome;
}
