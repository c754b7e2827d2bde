// restic-backup: a snapshot of a pillar folder into a repository, which is initialised on first
// use only where nothing else lives.
import path from 'node:path';
import type { RunSummary } from '../../contract/api';
import type { ResticBackupJob } from '../../config/schema';
import { resolveLocation } from '../../config/locations';
import { exists, hasEntries, isDirectory } from '../../infra/fs';
import * as restic from '../../tools/restic';
import { fail } from '../job-type';
import type { JobType, Outcome, RunContext } from '../job-type';
import { checkPillar, checkSource } from '../pillar-guards';
import { runTool } from '../tool-child';
import { repositoryRef, resticFailed, resticTarget, unlock } from './restic-repository';

async function run(ctx: RunContext, job: ResticBackupJob): Promise<Outcome> {
  const src = resolveLocation(ctx.config, job.source);
  checkPillar(ctx.config, src);
  checkSource(src);
  const { bin, caps, t, repoLoc, cleanup } = await resticTarget(ctx, job);
  try {
    if (repoLoc.kind === 'pillar' && !exists(path.join(repoLoc.path, 'config'))) {
      if (isDirectory(repoLoc.path) && hasEntries(repoLoc.path)) fail(`${repoLoc.path} is not empty and holds no restic repository: refusing to initialise one there`);
      ctx.log(`no repository at ${repoLoc.path}: initialising a new one (restic init)`);
      const r = await runTool(ctx, restic.resticInit(bin, t, ctx.env));
      if (r.code !== 0) return resticFailed('restic init', r, caps);
      ctx.log(`repository ${repoLoc.path} initialised`);
    }
    if (ctx.unlockFirst) await unlock(ctx, bin, t, 'an earlier attempt was interrupted or found the repository locked');
    let summary: RunSummary | undefined;
    let errors = 0;
    const r = await runTool(ctx, restic.resticBackup(bin, t, ctx.env, { source: src.kind === 'pillar' ? src.path : job.source, exclude: job.exclude, tags: job.tags, host: job.host, caps }), {
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
    return resticFailed('restic backup', r, caps);
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
