// Disaster recovery from the offsite remote, asked for (issue 16): what the remote holds of a
// pillar's folders and the state of the pillar, then the recovery queued as a run (`recover:<pillar>`)
// that copies it back (types/rclone-recover.ts). A new, empty disk gets its sentinel first when the
// owner asks for it; a disk holding data the recovery did not bring is refused here already, as the
// run itself would refuse it. A plan carries the digest of what it would do, and a start names the
// digest of the plan the owner confirmed: the plan is listed again and a different one starts nothing.
import path from 'node:path';
import type { NotOnRemote, RecoverPair, RecoverPlan, RecoverTask } from '../contract/api';
import { SUCCESS_STATUSES } from '../contract/api';
import { describeRecoverPlan, RECOVER_MARKER, recoverPairs, recoverPlanChanges, recoverPlanText, recoverRefusal } from '../domain/recover-plan';
import { isDirectory, isMountPoint, readSmallFile } from '../infra/fs';
import { readRecoverMarker, topEntries, writeSentinel } from '../infra/recover-fs';
import { BadRequestError, ConflictError, NotFoundError } from '../ports/errors';
import type { RecoveryApi } from '../ports/services';
import { approvalDigest } from '../store/change-sets';
import type { RunRecord, RunStore } from '../store/runs';
import * as rclone from '../tools/rclone';
import { RCLONE_DIR_NOT_FOUND, rcloneSizeOf } from '../tools/rclone-recover';
import { adhocContext } from './adhoc';
import type { AdhocDeps } from './adhoc';
import { runTool } from './tool-child';
import { remoteDefs } from './types/rclone-remotes';
import { guarded } from './adhoc';

export interface RecoverServiceDeps extends AdhocDeps {
  runs: RunStore;
  enqueueTask(task: RecoverTask): RunRecord;
}

/** Plans kept by digest so that a refused start can say what changed (the pane and the CLI show, then start, in one process). */
const KEPT_PLANS = 20;

export interface RecoverStart {
  pillar: string;
  from: string;
  bwlimit?: string;
  writeSentinel?: boolean;
  /** the digest of the plan the owner confirmed */
  digest: string;
}

/** Why this plan may not start as asked (the CLI asks before it asks the owner), or null. */
export function startRefusal(plan: RecoverPlan, req: Pick<RecoverStart, 'writeSentinel'>): Error | null {
  if (plan.refusal) return new ConflictError(plan.refusal);
  if (plan.pillarState.sentinel !== null) return null;
  if (!req.writeSentinel) return new BadRequestError(`${plan.pillarState.path} has no .pillar sentinel: if it is the new, empty disk for ${plan.task.pillar}, ask for the sentinel to be written (--write-sentinel)`);
  if (!plan.pillarState.empty) return new ConflictError(`${plan.pillarState.path} is not empty: the sentinel is only written on a new, empty disk`);
  if (!isDirectory(plan.pillarState.path)) return new BadRequestError(`${plan.pillarState.path} does not exist: mount the new disk for ${plan.task.pillar} there first`);
  return null;
}

export class RecoverService implements RecoveryApi {
  private readonly shown = new Map<string, RecoverPlan>();

  constructor(private readonly d: RecoverServiceDeps) {}

  async plan(pillar: string, remote: string, o: { bwlimit?: string } = {}): Promise<RecoverPlan> {
    const c = this.d.config();
    const p = c.pillars[pillar];
    if (!p) throw new NotFoundError(`no pillar "${pillar}" (known: ${Object.keys(c.pillars).join(', ') || 'none'})`);
    if (!c.remotes[remote]) throw new NotFoundError(`no remote "${remote}" in remotes: (known: ${Object.keys(c.remotes).join(', ') || 'none'})`);
    const pairs = recoverPairs(c, pillar, remote);
    if (!pairs.length) throw new BadRequestError(`no rclone job copies pillar ${pillar} to ${remote}: nothing to bring back from there`);
    const ctx = adhocContext(this.d, `recover-plan:${pillar}`);
    const remoteHolds: RecoverPlan['remoteHolds'] = [];
    const present: RecoverPair[] = [];
    const notOnRemote: NotOnRemote[] = [];
    try {
      await guarded(async () => {
        const { bin } = await ctx.tools.rclone();
        const env = rclone.rcloneEnv(await remoteDefs(ctx, bin, [remote]), ctx.env);
        for (const pair of pairs) {
          const r = await runTool(ctx, rcloneSizeOf(bin, env, pair.from, pair.exclude), { quiet: true });
          const s = r.code === 0 ? rclone.parseRcloneSize(r.stdout) : null;
          const lastErrors = r.stderr
            .split('\n')
            .filter((l) => l.trim())
            .slice(-3);
          if (!s && r.code === RCLONE_DIR_NOT_FOUND) {
            // A job that never finished a copy (a seed not run yet, one just added) has nothing
            // there: that folder is left out and shown as such. Once a copy finished, a missing
            // folder is a loss at the remote the owner must hear of, never "nothing to bring".
            const copied = this.lastCopy(pair.job);
            if (copied === null) {
              notOnRemote.push({ job: pair.job, from: pair.from });
              continue;
            }
            throw new ConflictError(
              `${pair.from} is not on the remote (rclone: directory not found), though job ${pair.job} finished a copy there at ${copied}: check the remote and the job's destination before recovering`,
            );
          }
          if (!s) throw new ConflictError(rclone.rcloneFailureMessage(`rclone size of ${pair.from}`, r.code, lastErrors));
          present.push(pair);
          remoteHolds.push({ from: pair.from, files: s.count, bytes: s.bytes });
        }
      });
    } finally {
      ctx.dispose();
    }
    if (!present.length) throw new ConflictError(`${remote} holds none of pillar ${pillar}'s folders: ${notOnRemote.map((n) => `${n.from} (job ${n.job})`).join(', ')} — none of these jobs has finished a copy there`);
    const task: RecoverTask = { kind: 'recover', pillar, remote, bwlimit: o.bwlimit ?? null, pairs: present, ...(notOnRemote.length ? { notOnRemote } : {}) };
    const entries = isDirectory(p.path) ? await topEntries(p.path) : [];
    const marker = await readRecoverMarker(path.join(p.path, RECOVER_MARKER));
    const plan: Omit<RecoverPlan, 'digest'> = {
      task,
      remoteHolds,
      notOnRemote,
      pillarState: {
        path: p.path,
        mounted: isMountPoint(p.path),
        sentinel: readSmallFile(path.join(p.path, '.pillar'))?.trim() ?? null,
        empty: recoverRefusal(pillar, p.path, entries, null, remote) === null,
      },
      resumes: marker ? { remote: marker.remote, startedAt: marker.startedAt } : null,
      refusal: recoverRefusal(pillar, p.path, entries, marker, remote),
    };
    const done = { ...plan, digest: approvalDigest(recoverPlanText(plan)) };
    this.shown.delete(done.digest);
    this.shown.set(done.digest, done);
    if (this.shown.size > KEPT_PLANS) this.shown.delete(this.shown.keys().next().value!);
    return done;
  }

  /** When the job last finished a copy (this pillarsd's history), or null if it never did. */
  private lastCopy(job: string): string | null {
    for (const status of SUCCESS_STATUSES) {
      const r = this.d.runs.list({ job, status, limit: 1 }).records[0];
      if (r) return r.finishedAt ?? r.startedAt ?? 'an earlier run';
    }
    return null;
  }

  async start(req: RecoverStart): Promise<{ run: RunRecord; plan: RecoverPlan }> {
    const live = this.d.runs.list({ job: `recover:${req.pillar}`, limit: 5 }).records.find((r) => r.status === 'queued' || r.status === 'running');
    if (live) throw new ConflictError(`a recovery of ${req.pillar} is already ${live.status} (run ${live.id})`);
    const was = this.shown.get(req.digest);
    const plan = await this.plan(req.pillar, req.from, { bwlimit: req.bwlimit });
    if (plan.digest !== req.digest) {
      const changes = was ? recoverPlanChanges(was, plan) : [];
      const what = changes.length ? `changed since it was shown: ${changes.join('; ')}` : `is not the one confirmed (digest ${req.digest.slice(0, 12)}…): listed again now, ${describeRecoverPlan(plan)}`;
      throw new ConflictError(`the plan to recover pillar ${req.pillar} from ${req.from} ${what}. Nothing was started or written: look at the plan again (its digest is now ${plan.digest.slice(0, 12)}…)`);
    }
    const refused = startRefusal(plan, req);
    if (refused) throw refused;
    if (plan.pillarState.sentinel !== null) return { run: this.d.enqueueTask(plan.task), plan };
    await writeSentinel(plan.pillarState.path, req.pillar);
    return { run: this.d.enqueueTask(plan.task), plan: { ...plan, pillarState: { ...plan.pillarState, sentinel: req.pillar } } };
  }
}
