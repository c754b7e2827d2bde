import { describe, expect, it } from 'vitest';
import { changeGuard, pillarGuard, recoveryGuard, retentionGuard, retentionHealthGate, sentinelId, shrinkGuard, sourceGuard } from '../../../server/src/domain/guards';
import { RECOVER_MARKER } from '../../../server/src/domain/recover-plan';
import type { RetentionHealthFacts } from '../../../server/src/domain/guards';
import type { RunStatus } from '../../../server/src/contract/api';
import { assertTransition, backoffSeconds, canTransition, exitCodeFor, followsAfter } from '../../../server/src/domain/run-state';
import { conflicts } from '../../../server/src/domain/resources';
import { jobResources } from '../../../server/src/jobs/types/registry';
import { parseConfig } from '../../../server/src/config/load';

const pillar = { id: 'space', path: '/space', requireMount: true, exists: true, mounted: true, sentinel: 'space\n' };

describe('rule 1: pillar guard', () => {
  it('passes a mounted pillar with its sentinel, in either sentinel form', () => {
    expect(pillarGuard(pillar)).toBeNull();
    expect(pillarGuard({ ...pillar, sentinel: '# pillars\nid: space\n' })).toBeNull();
    expect(sentinelId('id: "flux"')).toBe('flux');
  });
  it('blocks an unmounted pillar unless it may be a folder', () => {
    expect(pillarGuard({ ...pillar, mounted: false })).toMatchObject({ guard: 'pillar-not-mounted', needsApproval: false });
    expect(pillarGuard({ ...pillar, mounted: false, requireMount: false })).toBeNull();
    expect(pillarGuard({ ...pillar, exists: false, requireMount: false })?.message).toMatch(/does not exist/);
  });
  it('blocks a missing or foreign sentinel', () => {
    expect(pillarGuard({ ...pillar, sentinel: null })?.message).toMatch(/\/space\/\.pillar is missing/);
    expect(pillarGuard({ ...pillar, sentinel: 'flux' })).toMatchObject({ guard: 'pillar-sentinel', message: expect.stringMatching(/names "flux", not "space"/) });
  });
});

describe('rule 3: empty or vanished source', () => {
  it('refuses both and passes a source with entries', () => {
    expect(sourceGuard({ path: '/flux', exists: false, hasEntries: false })?.guard).toBe('missing-source');
    expect(sourceGuard({ path: '/flux', exists: true, hasEntries: false })?.guard).toBe('empty-source');
    expect(sourceGuard({ path: '/flux', exists: true, hasEntries: true })).toBeNull();
  });
});

describe('recovery in progress', () => {
  it('blocks a pillar being recovered, naming its marker file and how the recovery ends; passes one that is not', () => {
    expect(recoveryGuard({ pillar: 'space', recovering: false })).toBeNull();
    expect(recoveryGuard({ pillar: 'space', recovering: true })).toEqual({
      guard: 'recovery-in-progress',
      needsApproval: false,
      message: `pillar space is being recovered (its ${RECOVER_MARKER} marker is there): nothing is backed up or synced from it until the recovery has been verified (pillarsd recover space --from REMOTE finishes it)`,
    });
  });
});

describe('rule 2 and the mass-change guard', () => {
  const none = { count: 0, bytes: 0, sample: [] };
  const approval = { count: 0, digest: 'd'.repeat(64) };
  const base = { runId: 'r1', deletes: none, overwrites: none, destinationCount: 1000, maxDeletePercent: 1, maxDeleteCount: 100, maxChangePercent: 25, approval };
  it('lets a sync under every limit go', () => {
    expect(changeGuard({ ...base, deletes: { ...none, count: 10 }, overwrites: { ...none, count: 200 } })).toBeNull();
  });
  it('blocks deletions above the percentage with count, size, samples, the set to approve and the command naming the run', () => {
    const b = changeGuard({ ...base, deletes: { count: 300, bytes: 3 * 1024 * 1024, sample: ['a/1', 'a/2'] }, approval: { count: 300, digest: 'a'.repeat(64) } });
    expect(b).toMatchObject({ guard: 'delete-threshold', needsApproval: true, deletes: { count: 300, bytes: 3145728, percent: 30, sample: ['a/1', 'a/2'] }, approval: { count: 300, digest: 'a'.repeat(64) } });
    expect(b!.message).toMatch(/delete 300 files \(3\.0 MiB, 30% of the destination; e\.g\. a\/1, a\/2\).*above the delete guard \(100 files or 1%\)/);
    expect(b!.message).toContain('pillarsd approve r1');
    expect(b!.message).not.toContain('--approve');
  });
  it('blocks deletions above the count even under the percentage', () => {
    expect(changeGuard({ ...base, destinationCount: 1e9, deletes: { ...none, count: 101 } })?.guard).toBe('delete-threshold');
  });
  it('blocks overwrites above the share of the destination (a rewritten Space), counting deletions with them', () => {
    const b = changeGuard({ ...base, maxDeleteCount: 1e6, maxDeletePercent: 100, overwrites: { count: 600, bytes: 6000, sample: ['x'] } });
    expect(b).toMatchObject({ guard: 'mass-change', needsApproval: true, changes: { count: 600, percent: 60 } });
    expect(b!.message).toMatch(/overwrite 600 files .*60% of the 1000 files at the destination, above the mass-change guard \(25%\)/);
    expect(changeGuard({ ...base, maxDeleteCount: 1e6, maxDeletePercent: 100, overwrites: { ...none, count: 200 }, deletes: { ...none, count: 60 } })?.guard).toBe('mass-change');
  });
  it('a copy has no delete guard, only the mass-change one', () => {
    const copy = { ...base, maxDeleteCount: undefined, maxDeletePercent: undefined };
    expect(changeGuard({ ...copy, deletes: { ...none, count: 999 } })).toBeNull();
    expect(changeGuard({ ...copy, overwrites: { ...none, count: 300 } })?.guard).toBe('mass-change');
  });
  it('an empty destination with deletions is 100 %', () => {
    expect(changeGuard({ ...base, destinationCount: 0, deletes: { ...none, count: 1 }, maxDeleteCount: 10 })?.deletes?.percent).toBe(100);
  });
});

describe('rule 3: retention minimum', () => {
  const empties = new Set(['e1']);
  const empty = (id: string) => empties.has(id);
  it('blocks when an empty snapshot is kept in place of one with data', () => {
    expect(retentionGuard({ keep: ['e1'], remove: ['real1'], empty })).toMatchObject({ guard: 'retention-minimum' });
  });
  it('lets ordinary retention go', () => {
    expect(retentionGuard({ keep: ['real2'], remove: ['real1'], empty })).toBeNull();
    expect(retentionGuard({ keep: ['e1', 'real2'], remove: [], empty })).toBeNull();
  });
});

describe('retention health gate (rule 3)', () => {
  const run = (id: string, status: RunStatus, error: string | null = null) => ({ id, status, error, finishedAt: '2026-12-01T03:00:00.000Z', queuedAt: '2026-12-01T02:59:00.000Z' });
  const facts = (o: Partial<RetentionHealthFacts>): RetentionHealthFacts => ({ repository: 'space:/backups/restic/flux', checks: [], backups: [], gate: { check: true, backup: true }, ...o });
  it('lets retention go when the latest check and backups succeeded, or never ran', () => {
    expect(retentionHealthGate(facts({}))).toBeNull();
    expect(retentionHealthGate(facts({ checks: [{ jobId: 'verify', run: undefined }], backups: [{ jobId: 'backup', run: run('r2', 'succeeded-with-warnings') }] }))).toBeNull();
  });
  it('waits after a failed check, naming it and what it said', () => {
    const b = retentionHealthGate(facts({ checks: [{ jobId: 'verify', run: run('r1', 'failed', 'restic check: the repository at /r has errors: pack 1a: does not exist') }] }));
    expect(b).toEqual({
      guard: 'repository-unhealthy',
      needsApproval: false,
      message:
        'retention of space:/backups/restic/flux waits: the latest check (verify, run r1 of 2026-12-01 03:00) failed: restic check: the repository at /r has errors: pack 1a: does not exist. It goes on once a check passes (healthGate in pillarsd.yaml turns this off)',
    });
  });
  it.each([
    ['failed', 'failed'],
    ['blocked', 'was blocked'],
    ['interrupted', 'was interrupted'],
  ] as const)('waits after a backup that %s', (status, words) => {
    const b = retentionHealthGate(facts({ backups: [{ jobId: 'backup', run: run('r3', status) }] }));
    expect(b?.message).toBe(
      `retention of space:/backups/restic/flux waits: the latest backup into it (backup, run r3 of 2026-12-01 03:00) ${words}. It goes on once backup saves a snapshot (healthGate in pillarsd.yaml turns this off)`,
    );
  });
  it('names every reason, and each side can be turned off', () => {
    const both = facts({ checks: [{ jobId: 'verify', run: run('r1', 'failed') }], backups: [{ jobId: 'backup', run: run('r3', 'failed') }] });
    expect(retentionHealthGate(both)?.message).toMatch(/failed; the latest backup .* It goes on once a check passes and backup saves a snapshot/);
    expect(retentionHealthGate({ ...both, gate: { check: false, backup: true } })?.message).not.toMatch(/check/);
    expect(retentionHealthGate({ ...both, gate: { check: false, backup: false } })).toBeNull();
  });
});

describe('run state machine', () => {
  it('allows the documented transitions only', () => {
    expect(canTransition('queued', 'running')).toBe(true);
    expect(canTransition('blocked', 'queued')).toBe(true);
    expect(canTransition('succeeded', 'running')).toBe(false);
    expect(() => assertTransition('interrupted', 'succeeded')).toThrow(/an interrupted run cannot become succeeded/);
    expect(canTransition('running', 'succeeded-with-warnings')).toBe(true);
    expect(canTransition('succeeded-with-warnings', 'queued')).toBe(false);
    expect([exitCodeFor('succeeded'), exitCodeFor('succeeded-with-warnings'), exitCodeFor('failed'), exitCodeFor('blocked'), exitCodeFor('cancelled')]).toEqual([0, 0, 1, 3, 1]);
    expect([backoffSeconds(1, 60), backoffSeconds(3, 60), backoffSeconds(20, 60)]).toEqual([60, 240, 3600]);
  });
});

describe('after: follows a success, and a success with warnings unless the job says skip', () => {
  it.each([
    ['succeeded', 'run', true],
    ['succeeded', 'skip', true],
    ['succeeded-with-warnings', 'run', true],
    ['succeeded-with-warnings', 'skip', false],
    ['failed', 'run', false],
    ['blocked', 'run', false],
    ['cancelled', 'run', false],
    ['interrupted', 'run', false],
  ] as const)('%s with afterWarnings: %s → %s', (status, afterWarnings, runs) => {
    expect(followsAfter(status, afterWarnings)).toBe(runs);
  });
});

describe('resources: one queue per repository, no sync over a repository being written', () => {
  const c = parseConfig(
    `pillars: { flux: { path: /flux }, space: { path: /space } }
secrets: { restic: env:RP }
remotes: { b2: { type: b2 } }
jobs:
  backup: { type: restic-backup, source: "flux:/", repository: "space:/backups/restic/flux", password: restic }
  other-backup: { type: restic-backup, source: "flux:/db", repository: "space:/backups/restic/db", password: restic }
  retention: { type: restic-forget, repository: "space:/backups/restic/flux", password: restic, keep: { last: 3 } }
  offsite: { type: rclone-sync, source: "space:/", destination: "b2:bucket" }
  media: { type: rclone-copy, source: "space:/media", destination: "b2:bucket/media" }
  space-rest: { type: rclone-sync, source: "space:/", destination: "b2:bucket2", exclude: ["/backups/restic/**", "*.tmp"] }
  repo-mirror: { type: rclone-sync, source: "space:/backups/restic/flux", destination: "b2:bucket2/backups/restic/flux" }
  seed: { type: rclone-copy, source: "space:/", destination: "b2:bucket3", exclude: ["/backups/"] }
  loose: { type: rclone-sync, source: "space:/", destination: "b2:bucket4", exclude: ["backups/restic/**", "/backups/restic/*.tmp"] }
`,
    'c.yaml',
  );
  const r = (id: string) => jobResources(c, c.jobs[id]!);
  it('serialises jobs on the same repository', () => expect(conflicts(r('backup'), r('retention'))).toBe(true));
  it('lets two backups into different repositories run together', () => expect(conflicts(r('backup'), r('other-backup'))).toBe(false));
  it('keeps the Space sync away from a backup writing inside Space', () => expect(conflicts(r('offsite'), r('backup'))).toBe(true));
  it('serialises two transfers writing the same bucket', () => expect(conflicts(r('offsite'), r('media'))).toBe(true));
  it('lets a Space sync that excludes the repository run beside the backup writing into it (issue 22)', () => {
    expect(r('space-rest')[0]).toEqual({ key: '/space', mode: 'r', except: ['/space/backups/restic'] });
    expect(conflicts(r('space-rest'), r('backup'))).toBe(false);
    expect(conflicts(r('seed'), r('backup'))).toBe(false);
    expect(conflicts(r('seed'), r('retention'))).toBe(false);
  });
  it('the repository mirror holds the repository while it runs: it waits for the backup and the prune', () => {
    expect(conflicts(r('repo-mirror'), r('backup'))).toBe(true);
    expect(conflicts(r('repo-mirror'), r('retention'))).toBe(true);
    expect(conflicts(r('repo-mirror'), r('other-backup'))).toBe(false);
  });
  it('only anchored folder excludes narrow what a job reads', () => {
    expect(r('loose')[0]).toEqual({ key: '/space', mode: 'r' });
    expect(conflicts(r('loose'), r('backup'))).toBe(true);
  });
});

describe('shrinkGuard', () => {
  const prev = { id: 'a'.repeat(64), files: 1000, bytes: 1_000_000 };
  const cur = (files: number, bytes: number) => ({ id: 'b1234567', files, bytes });
  const judge = (files: number, bytes: number, o: Partial<Parameters<typeof shrinkGuard>[0]> = {}) =>
    shrinkGuard({ previous: prev, current: cur(files, bytes), maxFilesDropPercent: 50, maxBytesDropPercent: 50, approved: null, ...o });

  it('passes a drop up to the limit and growth; blocks beyond it for approval, by files or by bytes', () => {
    expect(judge(500, 500_000)).toBeNull();
    expect(judge(5000, 9_000_000)).toBeNull();
    expect(judge(499, 1_000_000)).toMatchObject({ guard: 'backup-shrunk', needsApproval: true, shrink: { files: { before: 1000, after: 499 }, withdrawnSnapshot: 'b1234567' } });
    expect(judge(499, 1_000_000)!.message).toMatch(/files fell 50.1% \(limit 50%\)\)/);
    // a tree encrypted in place keeps its files but not its size (or the other way round)
    expect(judge(1000, 100_000)!.message).toMatch(/^the backup shrank against snapshot aaaaaaaa: 1000 → 1000 files, .*\(bytes fell 90% \(limit 50%\)\)/);
  });

  it('100 switches a measure off; an approval lets through no less than what it was shown', () => {
    expect(judge(1, 1_000_000, { maxFilesDropPercent: 100 })).toBeNull();
    expect(judge(1, 1, { maxFilesDropPercent: 100 })).not.toBeNull();
    expect(judge(100, 100_000, { approved: { files: 100, bytes: 100_000 } })).toBeNull();
    expect(judge(99, 100_000, { approved: { files: 100, bytes: 100_000 } })!.message).toMatch(/smaller than the 100 files and .* approved/);
    expect(judge(100, 99_999, { approved: { files: 100, bytes: 100_000 } })).not.toBeNull();
  });
});
