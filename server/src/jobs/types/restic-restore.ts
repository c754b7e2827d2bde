// A restore (issue 16): paths of a snapshot, or all of it, into a new folder of the restore area, a
// folder the owner named, or back where they were. restic restores into a staging folder on the
// target pillar (`.pillars-restore/<run>`); then each entry is moved into place by rename with the
// owner's choice for what exists (infra/restore-fs.ts). Nothing at the destination is deleted; the
// staging folder, which holds only what this run restored, is removed at the end.
import path from 'node:path';
import type { RestoreSummary } from '../../contract/api';
import { resolveLocation } from '../../config/locations';
import { placementOf, targetProblem } from '../../domain/restore-plan';
import { emptyReport, lstatOrNull, makeDirs, makeOwnDir, placeItem, realPathOfAncestor, removeOwnDir, treeUsage } from '../../infra/restore-fs';
import { parseLsLine, parseRestoreErrors, resticLsDir, resticRestore } from '../../tools/restic-browse';
import type { ResticTarget } from '../../tools/restic';
import type { ResticCaps } from '../../tools/versions';
import type { JobRef, JobType, Outcome, RunContext } from '../job-type';
import { fail } from '../job-type';
import type { RestoreJob } from '../tasks';
import { runTool } from '../tool-child';
import { repositoryRef, resticFailed, resticTarget, unlock } from './restic-repository';
import { pillarFacts, repositoryPaths } from '../restore-targets';

export const STAGING_FOLDER = '.pillars-restore';
const OWN_DIR = /^r[0-9a-z]+$/;

/** What the snapshot holds under the paths asked for: each path's presence, and the files and bytes below. */
async function selection(ctx: RunContext, bin: string, t: ResticTarget, caps: ResticCaps, job: RestoreJob): Promise<{ files: number; bytes: number }> {
  const { task } = job;
  const wanted = new Set(task.paths);
  const found = new Set<string>();
  let snapshotSeen = false;
  let files = 0;
  let bytes = 0;
  const r = await runTool(ctx, resticLsDir(bin, t, ctx.env, task.snapshotId, task.paths, { recursive: true }), {
    onStdout: (l) => {
      const p = parseLsLine(l);
      if (p?.kind === 'snapshot') snapshotSeen = true;
      else if (p?.kind === 'node') {
        if (wanted.has(p.node.path)) found.add(p.node.path);
        if (p.node.type === 'file') {
          files++;
          bytes += p.node.size ?? 0;
        }
      }
    },
  });
  if (r.code !== 0) return fail(resticFailed('restic ls', r, caps).error!, { exitCode: r.code });
  if (!snapshotSeen) return fail(`snapshot ${task.snapshotId.slice(0, 8)} is not in the repository (forgotten since the restore was asked for?)`);
  // the root of a snapshot of several folders (often `/`) has no node of its own
  const missing = task.paths.filter((p) => !found.has(p) && p !== task.root);
  if (missing.length)
    return fail(
      `not in snapshot ${task.snapshotId.slice(0, 8)}: ${missing
        .slice(0, 5)
        .map((p) => JSON.stringify(p))
        .join(', ')}`,
    );
  return { files, bytes };
}

async function run(ctx: RunContext, job: RestoreJob): Promise<Outcome> {
  const { task } = job;
  const { bin, caps, t, cleanup } = await resticTarget(ctx, job);
  const short = task.snapshotId.slice(0, 8);
  try {
    if (ctx.unlockFirst) await unlock(ctx, bin, t, 'an interrupted run left its lock');
    const total = await selection(ctx, bin, t, caps, job);
    ctx.log(`snapshot ${short}: ${task.paths.length} path(s), ${total.files} files, ${total.bytes} bytes to restore (${task.mode}${task.existing ? `, existing: ${task.existing}` : ''})`);

    // the target again, now that the run holds it: inside its pillar, not through a link, not a repository
    const pillars = pillarFacts(ctx.config);
    const repos = repositoryPaths(ctx.config);
    const dest = task.destination ? resolveLocation(ctx.config, task.destination) : null;
    const targets = dest ? [dest.path] : task.paths;
    for (const tg of targets) {
      const why = targetProblem(tg, await realPathOfAncestor(tg), pillars, repos);
      if (why) return fail(`refusing to restore: ${why}`);
    }
    if (task.mode === 'new' && (await lstatOrNull(dest!.path))) return fail(`refusing to restore: ${dest!.path} exists already (a restore into a new folder never writes into an existing one)`);

    const stagingLoc = resolveLocation(ctx.config, task.writes[0]!);
    if (stagingLoc.kind !== 'pillar') return fail('a restore writes into a pillar');
    const staging = await makeOwnDir(path.join(stagingLoc.root, STAGING_FOLDER), ctx.runId);
    try {
      // restic 0.14 prints no progress for a restore: the staging folder's size is the progress
      const started = Date.now();
      let polling = true;
      const poll = (async () => {
        while (polling && !ctx.signal.aborted) {
          const t0 = Date.now();
          const u = await treeUsage(staging, ctx.signal);
          const secs = (Date.now() - started) / 1000;
          const rate = secs > 0 ? u.bytes / secs : null;
          ctx.onProgress({
            percent: total.bytes > 0 ? Math.min(99, (u.bytes / total.bytes) * 100) : null,
            bytesDone: u.bytes,
            bytesTotal: total.bytes,
            filesDone: u.entries,
            filesTotal: null,
            rate,
            etaSeconds: rate && rate > 0 && total.bytes > u.bytes ? Math.round((total.bytes - u.bytes) / rate) : null,
            current: [],
          });
          // a walk of a large tree is not free: wait a few times what it took
          await new Promise((res) => setTimeout(res, Math.max(1000, 4 * (Date.now() - t0))));
        }
      })();
      const whole = task.paths.length === 1 && task.paths[0] === task.root && task.root === '/';
      const r = await runTool(ctx, resticRestore(bin, t, ctx.env, { snapshotId: task.snapshotId, target: staging, paths: whole ? null : task.paths }), { quiet: true }).finally(() => {
        polling = false;
      });
      await poll;
      const errors = parseRestoreErrors(r.stderr);
      if (r.code !== 0 && !errors.length) return { ...resticFailed('restic restore', r, caps), transient: false };

      // into place
      const report = emptyReport();
      if (dest) await makeDirs(dest.path);
      for (const item of task.paths) {
        const pl = placementOf({ mode: task.mode, root: task.root, destination: dest?.path ?? null, staging }, item);
        await placeItem(pl.srcBase, pl.dstBase, pl.parts, { existing: task.existing, tag: short, report });
      }
      const summary: RestoreSummary = {
        kind: 'restore',
        snapshotId: task.snapshotId,
        destination: dest?.path ?? null,
        files: report.entries,
        bytes: report.bytes,
        skipped: report.skipped,
        keptBoth: report.keptBoth,
        overwritten: report.overwritten,
        skippedCount: report.skippedCount,
        keptBothCount: report.keptBothCount,
        overwrittenCount: report.overwrittenCount,
      };
      ctx.log(
        `restored ${report.entries} entries (${report.bytes} bytes)${dest ? ` into ${dest.path}` : ' to their original places'}; ` +
          `${report.skippedCount} skipped, ${report.keptBothCount} kept beside what was there, ${report.overwrittenCount} overwritten`,
      );
      for (const p of report.skipped) ctx.log(`skipped (exists): ${p}`);
      for (const p of report.keptBoth) ctx.log(`kept both: ${p}`);
      for (const p of report.overwritten) ctx.log(`overwritten: ${p}`);
      if (errors.length) {
        for (const e of errors) ctx.log(`not restored: ${e.path}: ${e.reason}`);
        return {
          status: 'failed',
          summary,
          exitCode: r.code,
          error: `${errors.length} file(s) could not be restored from snapshot ${short}: ${errors
            .slice(0, 5)
            .map((e) => e.path)
            .join(', ')}${errors.length > 5 ? ', …' : ''}`,
        };
      }
      return { status: 'succeeded', summary, exitCode: 0 };
    } finally {
      await removeOwnDir(staging, OWN_DIR);
    }
  } finally {
    cleanup();
  }
}

export const restoreType: JobType<RestoreJob> = {
  tool: 'restic',
  refs: (job) => {
    const writes: JobRef[] = job.task.writes.map((ref) => ({ ref, mode: 'w' }));
    const pillar = job.task.writes[0]!.slice(0, job.task.writes[0]!.indexOf(':'));
    return [repositoryRef(job), ...writes, { ref: `${pillar}:/${STAGING_FOLDER}`, mode: 'w' }];
  },
  leavesStaleLocks: true,
  run,
};
