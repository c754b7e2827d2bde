// A recovery's plan digest and what a refused start says changed (issue 16): pure, no tools. The
// start itself, refused on a stale digest with the real rclone, is in test/server/restore/recover.test.ts.
import { describe, expect, it } from 'vitest';
import type { RecoverPlan } from '../../../server/src/contract/api';
import { recoverPlanChanges, recoverPlanText } from '../../../server/src/domain/recover-plan';

const plan: RecoverPlan = {
  task: {
    kind: 'recover',
    pillar: 'space',
    remote: 'b2',
    bwlimit: null,
    pairs: [
      { job: 'repo-offsite', from: 'b2:bucket/space/backups/restic/flux', to: 'space:/backups/restic/flux', exclude: ['/.pillar'], repositories: ['space:/backups/restic/flux'] },
      { job: 'space-offsite', from: 'b2:bucket/space', to: 'space:/', exclude: ['/.pillar'], repositories: [] },
    ],
  },
  remoteHolds: [
    { from: 'b2:bucket/space/backups/restic/flux', files: 40, bytes: 4096 },
    { from: 'b2:bucket/space', files: 10, bytes: 1000 },
  ],
  notOnRemote: [],
  pillarState: { path: '/space', mounted: true, sentinel: null, empty: true },
  resumes: null,
  refusal: null,
  digest: 'not part of its own text',
};

describe('a recovery plan, as its digest and a refused start name it', () => {
  it('the digest text holds what is copied from where into where, the totals, what is left out and the disk; not the bandwidth limit', () => {
    const text = recoverPlanText(plan);
    expect(recoverPlanText(structuredClone(plan))).toBe(text);
    expect(recoverPlanText({ ...plan, task: { ...plan.task, bwlimit: '8M' } })).toBe(text);
    const changed: RecoverPlan[] = [
      { ...plan, remoteHolds: [plan.remoteHolds[0]!, { from: 'b2:bucket/space', files: 11, bytes: 1000 }] },
      { ...plan, remoteHolds: [plan.remoteHolds[0]!, { from: 'b2:bucket/space', files: 10, bytes: 1001 }] },
      { ...plan, task: { ...plan.task, pairs: [plan.task.pairs[0]!, { ...plan.task.pairs[1]!, to: 'space:/old' }] } },
      { ...plan, notOnRemote: [{ job: 'media-seed', from: 'b2:bucket/media' }] },
      { ...plan, pillarState: { ...plan.pillarState, empty: false } },
      { ...plan, pillarState: { ...plan.pillarState, mounted: false } },
      { ...plan, resumes: { remote: 'b2', startedAt: '2026-12-05T01:00:00Z' } },
    ];
    for (const c of changed) expect(recoverPlanText(c), JSON.stringify(c)).not.toBe(text);
  });

  it('names each change between the plan shown and the plan listed again', () => {
    const now: RecoverPlan = {
      ...plan,
      task: { ...plan.task, pairs: [plan.task.pairs[1]!] },
      remoteHolds: [{ from: 'b2:bucket/space', files: 11, bytes: 2048 }],
      notOnRemote: [{ job: 'repo-offsite', from: 'b2:bucket/space/backups/restic/flux' }],
      resumes: { remote: 'b2', startedAt: '2026-12-05T01:00:00Z' },
    };
    expect(recoverPlanChanges(plan, now)).toEqual([
      'b2:bucket/space/backups/restic/flux is no longer copied back',
      'b2:bucket/space now holds 11 files, 2.0 KiB, not 10 files, 1000 B',
      'b2:bucket/space/backups/restic/flux is now left out (not on the remote)',
      'now into /space (empty, mounted, sentinel missing) going on with the recovery from b2 started 2026-12-05T01:00:00Z, not into /space (empty, mounted, sentinel missing) as a new recovery',
    ]);
    expect(recoverPlanChanges(plan, structuredClone(plan))).toEqual([]);
  });
});
