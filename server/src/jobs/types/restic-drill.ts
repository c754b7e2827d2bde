// restic-drill (issue 16): proves a backup can be restored. A random sample of the latest
// snapshot's files is restored into a scratch folder and each is compared with its source where the
// source is unchanged since the snapshot (same size and modification time), else with the size the
// snapshot recorded; then `restic check --read-data-subset` reads a share of the pack data. A file
// that could not be restored, a mismatch or a damaged pack fails the run, and the error names the
// files (for a damaged pack: the files whose data lies in it, from `restic find --pack`).
import path from 'node:path';
import type { DrillSummary } from '../../contract/api';
import type { ResticDrillJob } from '../../config/schema';
import { resolveLocation } from '../../config/locations';
import { offsiteJobsUploading } from '../../domain/offsite';
import { lstatOrNull, makeOwnDir, removeOwnDir, sha256OfFile } from '../../infra/restore-fs';
import * as restic from '../../tools/restic';
import { parseCheckDamagedPacks, parseFindPackPaths, parseLsLine, parseSnapshots, resticFindPacks, resticLsDir, resticRestore, resticSnapshots } from '../../tools/restic-browse';
import type { SnapshotNode } from '../../tools/restic-browse';
import type { JobRef, JobType, Outcome, RunContext } from '../job-type';
import { fail } from '../job-type';
import { runTool } from '../tool-child';
import { checkPillar } from '../pillar-guards';
import { restoreArea } from '../restore-targets';
import { repositoryRef, resticFailed, resticTarget, unlock } from './restic-repository';

const OWN_DIR = /^r[0-9a-z]+$/;
const UNITS: Record<string, number> = { '': 1, B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4, P: 1024 ** 5 };

/** Bytes of a size as pillarsd.yaml writes it (4T, 500G, 1.5GiB, 1048576). */
export function sizeBytes(v: number | string): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)\s*([KMGTP]?)(?:i?B)?$/i.exec(v.trim());
  if (!m) throw new Error(`not a size: ${v}`);
  return Math.floor(Number(m[1]) * UNITS[m[2]!.toUpperCase()]!);
}

/** Where the sample is restored: the job's scratch, else .drills in the restore area. */
function scratchRef(ctx: RunContext, job: ResticDrillJob): string {
  if (job.scratch) return job.scratch;
  const area = restoreArea(ctx.config, job.repository);
  return area ? `${area}/.drills` : fail('a drill of a repository on a remote needs scratch: (a pillar folder) or restore.area');
}

/** Reservoir sampling: `n` of a stream of unknown length, each kept with the same chance. */
export function reservoir<T>(n: number, random: () => number = Math.random): { offer(x: T): void; picked: T[] } {
  const picked: T[] = [];
  let seen = 0;
  return {
    picked,
    offer(x) {
      seen++;
      if (picked.length < n) picked.push(x);
      else {
        const j = Math.floor(random() * seen);
        if (j < n) picked[j] = x;
      }
    },
  };
}

const sameTime = (a: number, iso: string | null) => iso !== null && Math.abs(a - Date.parse(iso)) < 1;

async function run(ctx: RunContext, job: ResticDrillJob): Promise<Outcome> {
  const { bin, caps, t, cleanup } = await resticTarget(ctx, job);
  try {
    if (ctx.unlockFirst) await unlock(ctx, bin, t, 'an interrupted run left its lock');
    const snaps = await runTool(ctx, resticSnapshots(bin, t, ctx.env), { quiet: true });
    if (snaps.code !== 0) return resticFailed('restic snapshots', snaps, caps);
    const latest = parseSnapshots(snaps.stdout).at(-1);
    if (!latest) return fail('the repository holds no snapshot: nothing to drill (has the backup run yet?)');
    const short = latest.id.slice(0, 8);

    const maxSize = sizeBytes(job.maxFileSize);
    const sample = reservoir<SnapshotNode>(job.sample);
    let files = 0;
    const ls = await runTool(ctx, resticLsDir(bin, t, ctx.env, latest.id, []), {
      onStdout: (l) => {
        const p = parseLsLine(l);
        if (p?.kind === 'node' && p.node.type === 'file' && (p.node.size ?? 0) <= maxSize) {
          files++;
          sample.offer(p.node);
        }
      },
    });
    if (ls.code !== 0) return resticFailed('restic ls', ls, caps);
    const picked = sample.picked.sort((a, b) => (a.path < b.path ? -1 : 1));
    ctx.log(`snapshot ${short} of ${latest.time}: ${picked.length} of ${files} files picked (at most ${job.maxFileSize} each)`);

    const summary: DrillSummary = {
      kind: 'restic-drill',
      snapshotId: latest.id,
      sampled: picked.length,
      restored: 0,
      compared: 0,
      changedSinceSnapshot: 0,
      mismatches: [],
      unreadable: [],
      checkOk: null,
      readDataSubset: job.readDataSubset,
      damaged: [],
    };

    if (picked.length) {
      const scratchLoc = resolveLocation(ctx.config, scratchRef(ctx, job));
      if (scratchLoc.kind !== 'pillar') return fail('scratch must be a pillar folder');
      checkPillar(ctx.config, scratchLoc);
      // the sample is data of the backup: an offsite copy must not carry it to the cloud mid-run
      const uploaders = offsiteJobsUploading(ctx.config, scratchLoc.path);
      if (uploaders.length)
        return fail(
          `the drill's scratch ${scratchRef(ctx, job)} would be uploaded by ${uploaders.join(', ')}: add an anchored exclude for it there (for example "/restores/**") or set scratch: to a folder no offsite job copies`,
        );
      const scratch = await makeOwnDir(scratchLoc.path, ctx.runId);
      try {
        const r = await runTool(ctx, resticRestore(bin, t, ctx.env, { snapshotId: latest.id, target: scratch, paths: picked.map((n) => n.path) }), { quiet: true });
        for (const n of picked) {
          if (ctx.signal.aborted) break;
          const restored = path.join(scratch, n.path);
          const st = await lstatOrNull(restored);
          // restic names the files it could not restore on stderr; a file it left out silently counts too
          if (!st || !st.isFile() || r.stderr.includes(`ignoring error for ${n.path}: `)) {
            summary.unreadable.push(n.path);
            continue;
          }
          summary.restored++;
          if (st.size !== n.size) {
            summary.mismatches.push(n.path);
            ctx.log(`mismatch: ${n.path}: restored ${st.size} bytes, the snapshot says ${n.size}`);
            continue;
          }
          const src = await lstatOrNull(n.path);
          if (!src || !src.isFile() || src.size !== n.size || !sameTime(src.mtimeMs, n.mtime)) {
            summary.changedSinceSnapshot++;
            continue;
          }
          const [a, b] = await Promise.all([sha256OfFile(restored), sha256OfFile(n.path)]);
          summary.compared++;
          if (a !== b) {
            summary.mismatches.push(n.path);
            ctx.log(`mismatch: ${n.path}: the restored file differs from its source, which has not changed since the snapshot`);
          }
        }
        if (r.code !== 0 && !summary.unreadable.length) return { ...resticFailed('restic restore', r, caps), summary };
      } finally {
        await removeOwnDir(scratch, OWN_DIR);
      }
      ctx.log(`restored ${summary.restored} of ${picked.length}; ${summary.compared} compared with their source, ${summary.changedSinceSnapshot} changed since the snapshot (size checked)`);
    }

    const check = await runTool(ctx, restic.resticCheck(bin, t, ctx.env, { readDataSubset: job.readDataSubset, caps }));
    summary.checkOk = check.code === 0;
    if (!summary.checkOk) {
      const packs = parseCheckDamagedPacks(`${check.stdout}\n${check.stderr}`);
      if (packs.length) {
        const f = await runTool(ctx, resticFindPacks(bin, t, ctx.env, packs), { quiet: true });
        // the files the sample could not restore first: they are the ones the damage is known to reach
        const bad = new Set([...summary.unreadable, ...summary.mismatches]);
        const inPacks = parseFindPackPaths(f.stdout);
        summary.damaged = [...inPacks.filter((p) => bad.has(p)), ...inPacks.filter((p) => !bad.has(p))].slice(0, 100);
      }
    }

    const problems: string[] = [];
    const names = (xs: readonly string[]) => `${xs.slice(0, 5).join(', ')}${xs.length > 5 ? ', …' : ''}`;
    if (summary.unreadable.length) problems.push(`${summary.unreadable.length} of ${picked.length} sampled file(s) could not be restored: ${names(summary.unreadable)}`);
    if (summary.mismatches.length) problems.push(`${summary.mismatches.length} restored file(s) differ: ${names(summary.mismatches)}`);
    if (!summary.checkOk) {
      const why = restic.resticFailureMessage(`restic check --read-data-subset=${job.readDataSubset}`, restic.classifyResticExit(check.code, check.stderr, caps) ?? 'other', check.code, check.stderr);
      problems.push(summary.damaged.length ? `${why}; damaged data of: ${names(summary.damaged)}` : why);
    }
    if (problems.length) return { status: 'failed', summary, exitCode: check.code === 0 ? 1 : check.code, error: `restore drill of snapshot ${short} failed: ${problems.join('; ')}` };
    return { status: 'succeeded', summary, exitCode: 0 };
  } finally {
    cleanup();
  }
}

export const resticDrill: JobType<ResticDrillJob> = {
  tool: 'restic',
  refs: (job) => {
    const refs: JobRef[] = [repositoryRef(job)];
    if (job.scratch) refs.push({ ref: job.scratch, mode: 'w' });
    return refs;
  },
  leavesStaleLocks: true,
  run,
};
