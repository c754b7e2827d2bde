// restic-backup: a snapshot of a pillar folder into a repository, which is initialised on first
// use only where nothing else lives.
import path from 'node:path';
import type { ResticBackupSummary } from '../../contract/api';
import type { ResticBackupJob } from '../../config/schema';
import { resolveLocation } from '../../config/locations';
import { exists, hasEntries, isDirectory } from '../../infra/fs';
import * as restic from '../../tools/restic';
import type { ResticItemError } from '../../tools/restic';
import { fail } from '../job-type';
import { fmtVersion } from '../../tools/versions';
import type { JobType, Outcome, RunContext } from '../job-type';
import { checkPillar, checkSource, checkSourceHoldsFiles } from '../pillar-guards';
import { runTool } from '../tool-child';
import { repositoryRef, resticTarget, unlock } from './restic-repository';
import { UnreadableFiles, warningLine } from './unreadable';
import { guardShrink, previousSnapshot } from './backup-shrink';

/** What `restic init` creates before it writes the repository's config last. */
const RESTIC_LAYOUT = ['data', 'index', 'keys', 'locks', 'snapshots'];

async function run(ctx: RunContext, job: ResticBackupJob): Promise<Outcome> {
  const src = resolveLocation(ctx.config, job.source);
  checkPillar(ctx.config, src);
  checkSource(src);
  // after the pre hooks (a dump may be what fills it): folders without a file are no snapshot either
  checkSourceHoldsFiles(src);
  const { bin, caps, t, repoLoc, failed, cleanup } = await resticTarget(ctx, job);
  try {
    if (repoLoc.kind === 'pillar' && !exists(path.join(repoLoc.path, 'config'))) {
      if (isDirectory(repoLoc.path) && hasEntries(repoLoc.path)) {
        // only restic's own folders and no config: what a `restic init` stopped half-way leaves
        // behind. Still never removed here; the owner is told what it is.
        const interrupted = !hasEntries(repoLoc.path, RESTIC_LAYOUT);
        fail(
          interrupted
            ? `${repoLoc.path} holds restic's folders but no config: an interrupted restic init? Nothing was backed up; check it holds nothing of yours, remove it, and run again`
            : `${repoLoc.path} is not empty and holds no restic repository: refusing to initialise one there`,
        );
      }
      ctx.log(`no repository at ${repoLoc.path}: initialising a new one (restic init)`);
      const r = await runTool(ctx, restic.resticInit(bin, t, ctx.env));
      if (r.code !== 0) return failed('restic init', r);
      ctx.log(`repository ${repoLoc.path} initialised`);
    }
    if (ctx.unlockFirst) await unlock(ctx, bin, t, 'an earlier attempt was interrupted or found the repository locked');
    const source = src.kind === 'pillar' ? src.path : job.source;
    const opts = restic.backupOptionArgs(job.options, caps);
    if ('missing' in opts) fail(`jobs.${ctx.jobId}.options.${opts.missing} (installed: restic ${fmtVersion(caps.version)})`);
    const options = 'args' in opts ? opts.args : [];
    for (const p of restic.unanchoredExcludes(job.exclude)) ctx.log(`warning: exclude ${p} is not anchored: restic drops it at any depth (write /${p} for the top of the source, or **/${p} to mean everywhere)`);
    const target = { bin, caps, t, failed };
    const previous = await previousSnapshot(ctx, job, target, source);
    let summary: ResticBackupSummary | undefined;
    const unreadable = new UnreadableFiles();
    const onError = (e: ResticItemError) => {
      if (unreadable.add(e)) ctx.log(`not read: ${e.item ?? '(restic named no file)'}: ${e.reason ?? 'no reason given'}${e.during ? ` (during ${e.during})` : ''}`);
    };
    const r = await runTool(ctx, restic.resticBackup(bin, t, ctx.env, { source, exclude: job.exclude, tags: job.tags, host: job.host, oneFileSystem: job.oneFileSystem, options, caps }), {
      onStdout: (line) => {
        const p = restic.parseResticBackupLine(line);
        if (!p) return;
        if (p.kind === 'progress') ctx.onProgress(p.progress);
        else if (p.kind === 'summary') {
          summary = p.summary;
          ctx.log(`snapshot ${p.summary.snapshotId} saved: ${p.summary.filesNew} new, ${p.summary.filesChanged} changed, ${p.summary.bytesAdded} bytes added`);
        } else if (p.kind === 'error') onError(p.error);
        else ctx.log(p.text);
      },
      // restic 0.14 reports the files it could not read here, as JSON lines
      onStderr: (line) => {
        const e = restic.parseResticItemError(line);
        if (e) onError(e);
        else if (line.trim()) ctx.log(line);
      },
    });
    // a first backup has nothing to shrink from
    if ((r.code === 0 || r.code === 3) && summary && previous) await guardShrink(ctx, job, target, previous, summary);
    if (r.code === 0 && summary) return { status: 'succeeded', summary, exitCode: 0 };
    if (r.code === 3 && summary) {
      // the snapshot exists without the files restic could not read: a success to look at
      const listed = unreadable.list();
      const count = Math.max(unreadable.count, listed.length);
      return { status: 'succeeded-with-warnings', summary: { ...summary, unreadableFiles: count, unreadable: listed }, exitCode: 3, error: warningLine(summary.snapshotId, count, listed) };
    }
    return failed('restic backup', r);
  } finally {
    cleanup();
  }
}

export const resticBackup: JobType<ResticBackupJob> = {
  tool: 'restic',
  refs: (job) => [{ ref: job.source, mode: 'r', source: true }, repositoryRef(job)],
  leavesStaleLocks: true,
  run,
};
