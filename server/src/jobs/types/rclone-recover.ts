// A recovery from the offsite remote (issue 16): the folders of a pillar its rclone jobs copy
// offsite come back from the remote into the pillar (an empty or new disk). It lists what the
// remote holds, copies it back with rclone copy (never sync: nothing is deleted anywhere, and the
// remote is only read), which skips what is already here — a run killed in the middle is run again
// and goes on — then verifies: every file of the remote is here with its size (rclone check
// --one-way), counts and sizes of both sides, and `restic check` of each repository that came back.
// It writes only into an empty disk, or one its marker (.pillars-recover) says it started from the
// same remote; the marker goes once the recovery is verified.
import type { RecoverSummary } from '../../contract/api';
import path from 'node:path';
import { resolveLocation } from '../../config/locations';
import { RECOVER_MARKER, recoverRefusal } from '../../domain/recover-plan';
import { readRecoverMarker, removeRecoverMarker, topEntries, writeRecoverMarker } from '../../infra/recover-fs';
import * as rclone from '../../tools/rclone';
import { rcloneCheckOneWay, rcloneCopyBack, rcloneSizeOf } from '../../tools/rclone-recover';
import * as restic from '../../tools/restic';
import type { JobRef, JobType, Outcome, RunContext } from '../job-type';
import { fail } from '../job-type';
import type { RecoverJob } from '../tasks';
import { runTool } from '../tool-child';
import { rcloneErrors, remoteDefs, target } from './rclone-remotes';
import { resticTarget } from './restic-repository';

async function run(ctx: RunContext, job: RecoverJob): Promise<Outcome> {
  const { task } = job;
  if (!task.pairs.length) return fail(`no rclone job copies pillar ${task.pillar} to ${task.remote}: nothing to bring back`);
  const pillarPath = ctx.config.pillars[task.pillar]?.path ?? fail(`no pillar "${task.pillar}" in pillarsd.yaml`);
  const markerFile = path.join(pillarPath, RECOVER_MARKER);
  const marker = await readRecoverMarker(markerFile);
  const refusal = recoverRefusal(task.pillar, pillarPath, await topEntries(pillarPath), marker, task.remote);
  if (refusal) return fail(refusal);
  if (marker) ctx.log(`going on with the recovery from ${marker.remote} started ${marker.startedAt}: what is already here with its size and time is not copied again`);
  else await writeRecoverMarker(markerFile, { remote: task.remote, startedAt: new Date().toISOString() });
  for (const n of task.notOnRemote ?? []) ctx.log(`left out: ${n.from} is not on the remote and job ${n.job} never finished a copy there (shown in the plan): nothing of it comes back`);
  const { bin } = await ctx.tools.rclone();
  const env = rclone.rcloneEnv(await remoteDefs(ctx, bin, [task.remote]), ctx.env);
  const local = (ref: string) => target(resolveLocation(ctx.config, ref));

  const size = async (where: string, exclude: readonly string[], what: string) => {
    const r = await runTool(ctx, rcloneSizeOf(bin, env, where, exclude), { quiet: true });
    const s = r.code === 0 ? rclone.parseRcloneSize(r.stdout) : null;
    if (!s)
      return fail(
        rclone.rcloneFailureMessage(
          `rclone size of ${what}`,
          r.code,
          r.stderr
            .split('\n')
            .filter((l) => l.trim())
            .slice(-3),
        ),
        { exitCode: r.code },
      );
    return s;
  };

  // 1. what the remote holds
  const summary: RecoverSummary = { kind: 'recover', pillar: task.pillar, remote: task.remote, pairs: [], repositories: [], verified: false };
  for (const p of task.pairs) {
    const s = await size(p.from, p.exclude, p.from);
    summary.pairs.push({ from: p.from, to: p.to, remoteFiles: s.count, remoteBytes: s.bytes, localFiles: null, localBytes: null, transferredFiles: 0, transferredBytes: 0 });
    ctx.log(`${p.from} holds ${s.count} files, ${s.bytes} bytes (job ${p.job}) → ${p.to}`);
  }
  const totalBytes = summary.pairs.reduce((n, p) => n + p.remoteBytes, 0);

  // 2. copy back
  let doneBytes = 0;
  for (const [i, p] of task.pairs.entries()) {
    const sp = summary.pairs[i]!;
    const errors = rcloneErrors();
    let stats: rclone.RcloneStats | null = null;
    const r = await runTool(ctx, rcloneCopyBack(bin, env, { from: p.from, to: local(p.to), bwlimit: task.bwlimit, exclude: p.exclude }), {
      onStderr: (l) => {
        const parsed = rclone.parseRcloneLine(l);
        if (parsed?.kind === 'stats') {
          stats = parsed.stats;
          const pending = Math.max(0, (stats.totalBytes ?? 0) - (stats.bytes ?? 0));
          // what is here of this folder: all of it but what rclone still has to bring
          const here = Math.max(0, sp.remoteBytes - pending);
          const done = Math.min(totalBytes, doneBytes + here);
          const rate = stats.speed ?? null;
          ctx.onProgress({
            ...rclone.rcloneProgress(stats),
            percent: totalBytes ? Math.min(100, (done / totalBytes) * 100) : null,
            bytesDone: done,
            bytesTotal: totalBytes,
            etaSeconds: rate && rate > 0 ? Math.round((totalBytes - done) / rate) : null,
          });
          return;
        }
        errors.keep(l, parsed);
        if (parsed?.kind === 'log') ctx.log(`${parsed.level}: ${parsed.object ? `${parsed.object}: ` : ''}${parsed.msg}`);
        else if (l.trim()) ctx.log(l);
      },
    });
    const s = stats as rclone.RcloneStats | null;
    sp.transferredFiles = s?.transfers ?? 0;
    sp.transferredBytes = s?.bytes ?? 0;
    if (r.code !== 0)
      return { status: 'failed', summary, exitCode: r.code, error: `${rclone.rcloneFailureMessage(`rclone copy ${p.from} → ${p.to}`, r.code, errors.last)}; run the recovery again to go on where it stopped` };
    doneBytes += sp.remoteBytes;
    ctx.log(`${p.from} → ${p.to}: ${sp.transferredFiles} files (${sp.transferredBytes} bytes) copied now`);
  }

  // 3. verify: everything of the remote is here, with its size; the repositories are whole
  const problems: string[] = [];
  for (const [i, p] of task.pairs.entries()) {
    const sp = summary.pairs[i]!;
    const l = await size(local(p.to), p.exclude, p.to);
    sp.localFiles = l.count;
    sp.localBytes = l.bytes;
    const c = await runTool(ctx, rcloneCheckOneWay(bin, env, { from: p.from, to: local(p.to), exclude: p.exclude }), { quiet: true });
    if (c.code !== 0) problems.push(`${p.to} lacks files of ${p.from} or holds them with another size (rclone check exited ${c.code}; see the log)`);
    else if (l.count < sp.remoteFiles || l.bytes < sp.remoteBytes) problems.push(`${p.to} holds ${l.count} files (${l.bytes} bytes), the remote ${sp.remoteFiles} (${sp.remoteBytes} bytes)`);
    else ctx.log(`verified ${p.to}: ${l.count} files, ${l.bytes} bytes here; ${sp.remoteFiles} files, ${sp.remoteBytes} bytes on the remote`);
  }
  const checked = new Set<string>();
  for (const repo of task.pairs.flatMap((p) => p.repositories)) {
    if (checked.has(repo)) continue;
    checked.add(repo);
    const owner = Object.values(ctx.config.jobs).find((j) => 'repository' in j && j.repository === repo) as { repository: string; password: string } | undefined;
    if (!owner) continue;
    const rt = await resticTarget(ctx, owner);
    try {
      const c = await runTool(ctx, restic.resticCheck(rt.bin, rt.t, ctx.env, { caps: rt.caps }));
      summary.repositories.push({ repository: repo, checkOk: c.code === 0 });
      if (c.code !== 0) problems.push(restic.resticFailureMessage(`restic check of ${repo}`, restic.classifyResticExit(c.code, c.stderr, rt.caps) ?? 'other', c.code, c.stderr));
    } finally {
      rt.cleanup();
    }
  }
  summary.verified = problems.length === 0;
  if (problems.length) return { status: 'failed', summary, exitCode: 1, error: `copied back, but not verified: ${problems.join('; ')}; run the recovery again to go on` };
  await removeRecoverMarker(markerFile);
  const repos = summary.repositories.map((r) => r.repository);
  if (repos.length) ctx.log(`recovered and verified; to restore from ${repos.join(', ')}: pillarsd snapshots JOB, then pillarsd restore JOB latest PATH --to original --existing skip`);
  return { status: 'succeeded', summary, exitCode: 0 };
}

export const rcloneRecover: JobType<RecoverJob> = {
  tool: 'rclone',
  refs: (job) =>
    job.task.pairs.flatMap((p): JobRef[] => [
      { ref: p.from, mode: 'r' },
      { ref: p.to, mode: 'w' },
    ]),
  run,
};
